//! `svcpath explain` of archives and re-encoded files: a corpus dump as `.tar.gz`, `.zip`, `.gz` and
//! UTF-16 with a byte-order mark explains byte for byte as the plain file does, in every format; a
//! bundle of several nodes is explained node by node, and `--node` picks one; `compare` and `diff` read
//! bundles as they read the nodes' files.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn svcpath() -> Command {
    Command::new(env!("CARGO_BIN_EXE_svcpath"))
}

fn corpus(kind: &str, file: &str) -> PathBuf {
    svcpath_testkit::corpus::path(kind).join(file)
}

/// Dumps of each proxy mode (one with invalid bytes replaced line by line is in the bad-input tests).
const DUMPS: &[(&str, &str)] = &[
    (
        "iptables",
        "repo-notes-minik8s-flannel-full-iptables-save-v1.8.4-legacy.txt",
    ),
    ("nft", "k8s-test-TestOverallNFTablesRules.txt"),
    ("iptables", "k8s-test-TestOverallIPTablesRules.txt"),
];

fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        builder
            .append_data(&mut header, path, *bytes)
            .expect("tar entry");
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

fn utf16_le_bom(text: &[u8]) -> Vec<u8> {
    let mut out = vec![0xff, 0xfe];
    for unit in String::from_utf8_lossy(text).encode_utf16() {
        out.extend(unit.to_le_bytes());
    }
    out
}

/// A directory of its own for one test's files, removed when it ends.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("svcpath-bundles-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).expect("write");
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn explain(path: &Path, format: &str, extra: &[&str]) -> Output {
    svcpath()
        .args(["explain", "--format", format])
        .args(extra)
        .arg(path)
        .output()
        .expect("svcpath runs")
}

#[test]
fn archives_and_utf16_explain_byte_for_byte_as_the_plain_file() {
    let scratch = Scratch::new("same");
    for (kind, file) in DUMPS {
        let plain_path = corpus(kind, file);
        let plain = std::fs::read(&plain_path).expect("corpus dump");
        let copies = [
            ("dump.tar.gz", gzip(&tar_of(&[(file, &plain)]))),
            ("dump.zip", zip_of(&[(file, &plain)])),
            ("dump.tar", tar_of(&[(&format!("node-a/{file}"), &plain)])),
            ("dump.txt.gz", gzip(&plain)),
            ("dump-utf16.txt", utf16_le_bom(&plain)),
        ];
        for format in ["json", "text", "markdown"] {
            let expected = explain(&plain_path, format, &[]);
            assert!(expected.status.success());
            for (name, bytes) in &copies {
                let path = scratch.write(name, bytes);
                let got = explain(&path, format, &[]);
                assert!(got.status.success(), "{name}: {got:?}");
                assert!(
                    got.stdout == expected.stdout,
                    "{file} as {name}, --format {format}: the output differs from the plain file's"
                );
                assert!(
                    got.stderr.is_empty(),
                    "{name}: {}",
                    String::from_utf8_lossy(&got.stderr)
                );
            }
        }
    }
}

#[test]
fn a_bundle_of_several_nodes_is_explained_node_by_node() {
    let scratch = Scratch::new("nodes");
    let (kind, file) = DUMPS[0];
    let dump = std::fs::read(corpus(kind, file)).expect("corpus dump");
    let (nft_kind, nft_file) = DUMPS[1];
    let nft = std::fs::read(corpus(nft_kind, nft_file)).expect("corpus dump");
    let bundle = scratch.write(
        "cluster.tar.gz",
        &gzip(&tar_of(&[
            ("cluster/node-a/iptables-save.txt", &dump),
            ("cluster/node-b/nft.txt", &nft),
            ("cluster/node-b/kubelet.bin", b"\x7fELF\0\0\0\0"),
        ])),
    );
    let json = explain(&bundle, "json", &[]);
    assert!(json.status.success());
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let nodes = v["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), 2);
    assert_eq!(nodes[0]["name"], "node-a");
    assert_eq!(nodes[0]["name_source"], "folder");
    assert_eq!(nodes[0]["report"]["mode"], "iptables");
    assert_eq!(nodes[1]["name"], "node-b");
    assert_eq!(nodes[1]["report"]["mode"], "nftables");
    let stderr = String::from_utf8_lossy(&json.stderr);
    assert!(
        stderr.contains("cluster/node-b/kubelet.bin: skipped: binary, not text"),
        "{stderr}"
    );
    assert!(
        stderr.contains("the input holds 2 nodes (node-a, node-b)"),
        "{stderr}"
    );

    let text = explain(&bundle, "text", &[]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.starts_with("===== node node-a (named by its folder;"),
        "{text}"
    );
    assert!(text.contains("===== node node-b"));

    // --node picks one: exactly the report of its plain text.
    let one = explain(&bundle, "json", &["--node", "node-a"]);
    let plain = explain(&corpus(kind, file), "json", &[]);
    assert!(
        one.stdout == plain.stdout,
        "--node node-a differs from the plain file"
    );
    let missing = explain(&bundle, "json", &["--node", "node-z"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no node named node-z"));
    // A trace needs one node.
    let trace = svcpath()
        .args(["trace", "--dst", "10.96.0.1:443"])
        .arg(&bundle)
        .output()
        .expect("svcpath runs");
    assert_eq!(trace.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&trace.stderr).contains("choose one with --node NAME"));
}

#[test]
fn a_format_it_does_not_unpack_is_an_error_that_names_it() {
    let scratch = Scratch::new("xz");
    let path = scratch.write("sosreport.tar.xz", b"\xfd7zXZ\0\0\x04\xe6\xd6\xb4F");
    let out = explain(&path, "text", &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("sosreport.tar.xz: xz-compressed, which svcpath does not unpack"),
        "{stderr}"
    );
}

#[test]
fn compare_reads_a_bundle_of_nodes_as_it_reads_their_files() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/nodes/etp-black-hole-stale");
    let nodes = ["node-a", "node-b", "node-c"];
    let files: Vec<(String, Vec<u8>)> = nodes
        .iter()
        .map(|n| {
            let path = fixtures.join(format!("{n}.txt"));
            (
                format!("bundle/{n}/iptables-save.txt"),
                std::fs::read(path).unwrap(),
            )
        })
        .collect();
    let entries: Vec<(&str, &[u8])> = files.iter().map(|(p, b)| (p.as_str(), &b[..])).collect();
    let scratch = Scratch::new("compare");
    let bundle = scratch.write("cluster.tar.gz", &gzip(&tar_of(&entries)));

    let from_bundle = svcpath()
        .args(["compare", "--format", "json"])
        .arg(&bundle)
        .output()
        .unwrap();
    assert_eq!(from_bundle.status.code(), Some(0));
    let from_files = svcpath()
        .args(["compare", "--format", "json"])
        .args(nodes.iter().map(|n| fixtures.join(format!("{n}.txt"))))
        .output()
        .unwrap();
    let bundle_json: serde_json::Value = serde_json::from_slice(&from_bundle.stdout).unwrap();
    let files_json: serde_json::Value = serde_json::from_slice(&from_files.stdout).unwrap();
    assert_eq!(bundle_json["nodes"][2]["name"], "node-c");
    assert_eq!(bundle_json["services"], files_json["services"]);
    assert_eq!(bundle_json["findings"], files_json["findings"]);

    // diff wants one node of a bundle named.
    let out = svcpath()
        .args(["diff"])
        .arg(&bundle)
        .arg(&bundle)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--node"));
    let out = svcpath()
        .args(["diff", "--format", "json", "--node", "node-b"])
        .arg(&bundle)
        .arg(fixtures.join("node-c.txt"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let diff: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(diff["removed"], serde_json::json!(["shop/lb:http"]));
}
