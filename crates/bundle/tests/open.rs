//! `svcpath_bundle::open` on archives made here: one node or several, how each is named, what is
//! skipped and why, and archives that are bombs, cut, or hostile.

use std::io::Write;

use proptest::prelude::*;
use svcpath_bundle::{open, Container, Encoding, Limits, NameSource, Opened, SkipReason};

const DUMP: &str = "*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -m comment --comment \"shop/web:http cluster IP\" -d 10.96.0.10/32 -p tcp --dport 80 -j KUBE-SVC-X\nCOMMIT\n";

/// A tar of `(path, bytes)` files.
fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        // Written by hand: `set_path` refuses `..`, which is what some tests need.
        let name = header.as_old_mut().name.as_mut();
        name[..path.len()].copy_from_slice(path.as_bytes());
        header.set_cksum();
        builder.append(&header, *bytes).expect("tar entry");
    }
    builder.into_inner().expect("tar")
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (path, bytes) in files {
        writer.start_file(*path, options).expect("zip entry");
        writer.write_all(bytes).expect("zip data");
    }
    writer.finish().expect("zip").into_inner()
}

fn utf16_le_bom(text: &str) -> Vec<u8> {
    let mut out = vec![0xff, 0xfe];
    for unit in text.encode_utf16() {
        out.extend(unit.to_le_bytes());
    }
    out
}

#[test]
fn a_tar_gz_of_one_file_is_that_file() {
    let opened = open(
        "capture.tar.gz",
        &gzip(&tar_of(&[("node-snapshot.txt", DUMP.as_bytes())])),
        &Limits::default(),
    );
    assert_eq!(opened.container, Container::TarGzip);
    assert_eq!(opened.nodes.len(), 1);
    assert_eq!(opened.nodes[0].text, DUMP);
    assert_eq!(opened.nodes[0].files, ["node-snapshot.txt"]);
    assert!(opened.skipped.is_empty() && opened.diagnostics.is_empty());
}

#[test]
fn a_plain_file_and_a_utf16_file_read_alike() {
    let plain = open("node-a.txt", DUMP.as_bytes(), &Limits::default());
    let wide = open("node-a.txt", &utf16_le_bom(DUMP), &Limits::default());
    assert_eq!(plain.container, Container::Plain);
    assert_eq!(plain.nodes[0].text, DUMP);
    assert_eq!(wide.nodes[0].text, DUMP);
    assert_eq!(wide.nodes[0].parts[0].encoding, Encoding::Utf16LeBom);
    assert_eq!(plain.nodes[0].name, "node-a");
    assert_eq!(plain.nodes[0].name_source, NameSource::FileName);
}

#[test]
fn a_folder_per_node_gives_a_node_each_with_its_files_joined() {
    let ipset = b"Name: KUBE-CLUSTER-IP\nType: hash:ip,port\nMembers:\n";
    let bytes = zip_of(&[
        ("bundle/node-a/iptables-save.txt", DUMP.as_bytes()),
        ("bundle/node-a/ipset.txt", ipset),
        ("bundle/node-b/iptables-save.txt", DUMP.as_bytes()),
    ]);
    let opened = open("bundle.zip", &bytes, &Limits::default());
    assert_eq!(opened.container, Container::Zip);
    let names: Vec<&str> = opened.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["node-a", "node-b"]);
    let a = &opened.nodes[0];
    assert_eq!(a.name_source, NameSource::Folder);
    assert_eq!(
        a.text,
        format!("{DUMP}{}", std::str::from_utf8(ipset).unwrap())
    );
    assert_eq!(a.parts[1].first_line, 5);
    assert_eq!(
        a.files,
        ["bundle/node-a/iptables-save.txt", "bundle/node-a/ipset.txt"]
    );
}

#[test]
fn files_named_after_nodes_and_names_in_the_text() {
    let marked =
        format!("===== svcpath: node =====\nworker-7\n===== svcpath: iptables-save =====\n{DUMP}");
    let prompt = format!("root@node-c:~# iptables-save\n{DUMP}");
    let bytes = gzip(&tar_of(&[
        ("node-a.txt", DUMP.as_bytes()),
        ("ipset-node-b.txt", b"Name: X\n"),
        ("captured.txt", marked.as_bytes()),
        ("third.txt", prompt.as_bytes()),
    ]));
    let opened = open("cluster.tgz", &bytes, &Limits::default());
    let names: Vec<(&str, NameSource)> = opened
        .nodes
        .iter()
        .map(|n| (n.name.as_str(), n.name_source))
        .collect();
    assert_eq!(
        names,
        [
            ("node-a", NameSource::FileName),
            ("node-b", NameSource::FileName),
            ("worker-7", NameSource::Marker),
            ("node-c", NameSource::Prompt),
        ]
    );
}

#[test]
fn a_sosreport_gives_its_captures_under_its_hostname() {
    let bytes = gzip(&tar_of(&[
        ("sosreport-n1-2024-01-01/hostname", b"n1.example.com\n"),
        (
            "sosreport-n1-2024-01-01/etc/hosts",
            b"127.0.0.1 localhost\n",
        ),
        (
            "sosreport-n1-2024-01-01/sos_commands/networking/iptables-save",
            DUMP.as_bytes(),
        ),
        (
            "sosreport-n1-2024-01-01/sos_commands/networking/ethtool_eth0",
            b"Settings for eth0:\n",
        ),
    ]));
    let opened = open("sosreport-n1-2024-01-01.tar.gz", &bytes, &Limits::default());
    assert_eq!(opened.nodes.len(), 1);
    assert_eq!(opened.nodes[0].name, "n1.example.com");
    assert_eq!(opened.nodes[0].name_source, NameSource::Hostname);
    assert_eq!(opened.nodes[0].text, DUMP);
    assert_eq!(opened.skipped.len(), 2);
    assert!(opened
        .skipped
        .iter()
        .all(|s| s.reason == SkipReason::NotACapture));
}

#[test]
fn hostile_entries_are_skipped_with_a_reason_each() {
    let mut binary = b"\x7fELF\x02\x01\x01".to_vec();
    binary.extend(vec![0u8; 9000]);
    let bytes = tar_of(&[
        ("../../etc/cron.d/evil", DUMP.as_bytes()),
        ("node-a/bin/tool", &binary),
        ("node-a/inner.tar.gz", &gzip(b"x")),
        ("node-a/iptables-save.txt", DUMP.as_bytes()),
    ]);
    let opened = open("odd.tar", &bytes, &Limits::default());
    assert_eq!(opened.container, Container::Tar);
    let reasons: Vec<SkipReason> = opened.skipped.iter().map(|s| s.reason).collect();
    assert_eq!(
        reasons,
        [
            SkipReason::UnsafePath,
            SkipReason::Binary,
            SkipReason::Nested
        ]
    );
    assert!(opened.skipped[0]
        .message
        .contains("climbs out of the archive"));
    assert_eq!(opened.nodes.len(), 1);
    assert_eq!(opened.nodes[0].text, DUMP);
}

#[test]
fn a_zip_bomb_stops_early() {
    let bomb = vec![b'a'; 64 * 1024 * 1024];
    let bytes = zip_of(&[
        ("node-a/iptables-save.txt", DUMP.as_bytes()),
        ("node-a/bomb.txt", &bomb),
    ]);
    assert!(
        bytes.len() < 200 * 1024,
        "the bomb is {} bytes",
        bytes.len()
    );
    let opened = open("bomb.zip", &bytes, &Limits::default());
    let bomb_skip = opened
        .skipped
        .iter()
        .find(|s| s.reason == SkipReason::Bomb)
        .expect("the bomb is named");
    assert!(
        bomb_skip.message.contains("zip bomb"),
        "{}",
        bomb_skip.message
    );
    assert_eq!(opened.nodes[0].text, DUMP);
    // The same bomb as a single .gz.
    let opened = open("bomb.txt.gz", &gzip(&bomb), &Limits::default());
    assert!(opened.nodes.is_empty() || opened.nodes[0].text.is_empty());
    assert!(opened.skipped.iter().any(|s| s.reason == SkipReason::Bomb));
}

#[test]
fn limits_on_entries_and_size_hold() {
    let limits = Limits {
        max_entries: 2,
        max_entry_bytes: 100,
        ..Limits::default()
    };
    let big = vec![b'x'; 200];
    let bytes = tar_of(&[
        ("a.txt", DUMP.as_bytes()),
        ("b.txt", &big),
        ("c.txt", DUMP.as_bytes()),
    ]);
    let opened = open("many.tar", &bytes, &limits);
    assert!(opened
        .skipped
        .iter()
        .any(|s| s.reason == SkipReason::TooBig));
    assert!(opened
        .diagnostics
        .iter()
        .any(|d| d.message.contains("more than 2 entries")));
}

#[test]
fn a_cut_archive_keeps_what_came_before_the_cut() {
    let filler: String = (0..2000)
        .map(|i| format!("# comment line {i} of the filler\n"))
        .collect();
    let tar = tar_of(&[
        ("node-a.txt", DUMP.as_bytes()),
        ("node-b.txt", filler.as_bytes()),
    ]);
    let gz = gzip(&tar);
    let cut = &gz[..gz.len() * 2 / 3];
    let opened = open("cut.tar.gz", cut, &Limits::default());
    assert_eq!(opened.nodes[0].name, "node-a");
    assert_eq!(opened.nodes[0].text, DUMP);
    assert!(
        opened
            .diagnostics
            .iter()
            .any(|d| d.message.contains("ends inside") || d.message.contains("cut")),
        "{:?}",
        opened.diagnostics
    );
    let zip = zip_of(&[
        ("node-a.txt", DUMP.as_bytes()),
        ("node-b.txt", filler.as_bytes()),
    ]);
    let opened = open("cut.zip", &zip[..zip.len() - 200], &Limits::default());
    assert_eq!(opened.nodes[0].text, DUMP);
    assert!(opened
        .diagnostics
        .iter()
        .any(|d| d.message.contains("cut or damaged")));
}

#[test]
fn formats_it_does_not_unpack_are_named() {
    let opened = open("sos.tar.xz", b"\xfd7zXZ\0\0\x04", &Limits::default());
    assert_eq!(opened.container, Container::Unsupported);
    assert!(opened.nodes.is_empty());
    assert!(opened.diagnostics[0].message.contains("xz-compressed"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_bytes_open_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = open("x.tar.gz", &bytes, &Limits::default());
    }

    #[test]
    fn damaged_archives_open_without_panic(at in 0usize..4096, byte in any::<u8>(), cut in 0usize..4096) {
        let tar = tar_of(&[("node-a/iptables-save.txt", DUMP.as_bytes()), ("node-b.txt", DUMP.as_bytes())]);
        for mut bytes in [gzip(&tar), zip_of(&[("a.txt", DUMP.as_bytes()), ("b/c.txt", DUMP.as_bytes())]), tar] {
            let len = bytes.len();
            bytes[at % len] = byte;
            bytes.truncate(cut.min(len));
            let _ = open("x", &bytes, &Limits::default());
        }
    }
}

/// Plain files opened one by one, then taken together as `svcpath explain A B…` and the page do.
fn together(files: &[(&str, &str)]) -> Vec<(String, Vec<String>)> {
    let opened = files
        .iter()
        .map(|(name, text)| svcpath_bundle::open(name, text.as_bytes(), &Limits::default()))
        .collect();
    Opened::nodes_of(opened)
        .into_iter()
        .map(|n| (n.name, n.files))
        .collect()
}

#[test]
fn files_given_together_are_one_node_unless_they_name_several() {
    let rules = "*nat\n:KUBE-SERVICES - [0:0]\nCOMMIT\n";
    // The captures of one node: what they hold, not which node.
    assert_eq!(
        together(&[
            ("iptables-save.txt", rules),
            ("ipset.txt", "Name: KUBE-X\n")
        ])
        .len(),
        1
    );
    // A dump and a settings file of unrelated names are still one node.
    assert_eq!(
        together(&[
            ("minikube-rules.txt", rules),
            ("sysctl-conntrack.txt", "net.x = 1\n")
        ])
        .len(),
        1
    );
    // Each file a dump named after its node: a node each, in the order given.
    let nodes = together(&[
        ("node-a.txt", rules),
        ("node-b.txt", rules),
        ("node-c.txt", rules),
    ]);
    let names: Vec<&str> = nodes.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["node-a", "node-b", "node-c"]);
    // The files naming one node are joined; a file naming none stays apart.
    let nodes = together(&[
        ("node-a_iptables-save.txt", rules),
        ("node-b_iptables-save.txt", rules),
        ("node-a_sysctl.txt", "net.x = 1\n"),
        ("notes.txt", "hello\n"),
    ]);
    assert_eq!(
        nodes,
        [
            (
                "node-a".to_string(),
                vec![
                    "node-a_iptables-save.txt".to_string(),
                    "node-a_sysctl.txt".to_string()
                ]
            ),
            (
                "node-b".to_string(),
                vec!["node-b_iptables-save.txt".to_string()]
            ),
            ("notes".to_string(), vec!["notes.txt".to_string()]),
        ]
    );
    // Prompts of two hosts in two files name two nodes, whatever the files are called.
    let nodes = together(&[
        ("one.txt", "root@worker-1:~# iptables-save\n*nat\nCOMMIT\n"),
        ("two.txt", "root@worker-2:~# iptables-save\n*nat\nCOMMIT\n"),
    ]);
    assert_eq!(nodes.len(), 2);
}
