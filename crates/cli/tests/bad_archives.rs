//! The archive cases of the bad-input catalogue (`tests/bad-input/CATALOGUE.md`): a zip bomb, a tar
//! with `../` paths and a link, a truncated `.tar.gz`. For each, through the built `svcpath explain`:
//! exit status 0, the message on standard error, the dump's Services still explained, and peak
//! resident memory (sampled from `/proc/PID/status`) far below what the archive would unpack to.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(120);

struct Case {
    file: &'static str,
    messages: &'static [&'static str],
    max_rss_mb: u64,
}

const CASES: &[Case] = &[
    Case {
        // 100 MiB of one letter in 100 KiB: stopped after a few MiB.
        file: "zip-bomb.zip",
        messages: &["node-a/notes.txt: skipped, and the archive is not read further: it unpacks more than 200 times its compressed size (a zip bomb, not a capture)"],
        max_rss_mb: 48,
    },
    Case {
        file: "tar-dotdot.tar",
        messages: &[
            "../../../etc/cron.d/svcpath-test: skipped: its path climbs out of the archive (`..`)",
            "node-a/../../outside.txt: skipped: its path climbs out of the archive (`..`)",
            "node-a/shadow: skipped: a link, not a file (links are not followed)",
        ],
        max_rss_mb: 48,
    },
    Case {
        file: "truncated.tar.gz",
        messages: &["node-a/dmesg.txt: the archive ends inside this file (incomplete deflate stream): its first"],
        max_rss_mb: 48,
    },
];

fn catalogue_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/bad-input")
}

fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[test]
fn each_bad_archive_ends_in_a_message_with_bounded_memory() {
    for case in CASES {
        let path = catalogue_dir().join(case.file);
        let start = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_svcpath"))
            .arg("explain")
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("svcpath starts");
        let pid = child.id();
        let mut out = child.stdout.take().expect("stdout");
        let mut err = child.stderr.take().expect("stderr");
        let out_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = out.read_to_string(&mut s);
            s
        });
        let err_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        let mut peak = 0;
        let status = loop {
            if let Some(kb) = peak_rss_kb(pid) {
                peak = peak.max(kb);
            }
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            assert!(start.elapsed() < TIMEOUT, "{} hangs", case.file);
            std::thread::sleep(Duration::from_millis(2));
        };
        let stdout = out_reader.join().unwrap_or_default();
        let stderr = err_reader.join().unwrap_or_default();
        assert!(status.success(), "{}: {stderr}", case.file);
        assert!(!stderr.contains("panicked"), "{}: {stderr}", case.file);
        for message in case.messages {
            assert!(
                stderr.contains(message),
                "{}: standard error lacks {message:?}:\n{stderr}",
                case.file
            );
        }
        for id in ["shop/web:http", "kube-system/kube-dns:dns"] {
            assert!(
                stdout.lines().any(|l| l.trim() == id),
                "{}: Service {id} is not explained:\n{stdout}",
                case.file
            );
        }
        assert!(
            peak / 1024 <= case.max_rss_mb,
            "{}: peak RSS {} MiB",
            case.file,
            peak / 1024
        );
        eprintln!("{}: peak RSS {} MiB", case.file, peak / 1024);
    }
}
