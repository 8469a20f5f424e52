//! The bad-input catalogue (`tests/bad-input/CATALOGUE.md`) run through the built `svcpath` binary: for
//! every case no panic, no hang (killed after a wall-clock bound), bounded memory (peak RSS sampled from
//! `/proc/PID/status`), the Services of the understood part still explained, and the message the user
//! must see present in the output.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Wall-clock bound for one case: 60 s for an optimised build; an unoptimised (debug) build reads the
/// 100 MB cases about fifteen times slower, so it gets 300 s.
const TIMEOUT: Duration = Duration::from_secs(if cfg!(debug_assertions) { 300 } else { 60 });

/// Where a case's input comes from.
enum Input {
    /// A file in `tests/bad-input/`.
    File(&'static str),
    /// Bytes made at test time (too large to commit).
    Generated(fn() -> Vec<u8>),
}

struct Case {
    name: &'static str,
    input: Input,
    /// Texts that must appear in the text output (messages, findings).
    messages: &'static [&'static str],
    /// Service ids that must be listed.
    services: &'static [&'static str],
    /// Peak resident memory allowed, in MiB.
    max_rss_mb: u64,
}

fn catalogue_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/bad-input")
}

/// The two Services of every small case's dump.
const BOTH: &[&str] = &["shop/web:http", "kube-system/kube-dns:dns"];

fn base_dump() -> Vec<u8> {
    std::fs::read(catalogue_dir().join("invalid-utf8.txt"))
        .map(|b| {
            String::from_utf8_lossy(&b)
                .replace('\u{fffd}', "e")
                .into_bytes()
        })
        .unwrap_or_default()
}

/// The base dump with `line` inserted before the `KUBE-MARK-MASQ` rule of the nat table.
fn with_line_inserted(line: &[u8]) -> Vec<u8> {
    let base = base_dump();
    let marker = b"-A KUBE-MARK-MASQ";
    let at = base
        .windows(marker.len())
        .position(|w| w == marker)
        .unwrap_or(base.len());
    let mut out = base[..at].to_vec();
    out.extend_from_slice(line);
    out.push(b'\n');
    out.extend_from_slice(&base[at..]);
    out
}

fn huge_line() -> Vec<u8> {
    with_line_inserted(&vec![b'A'; 100 * 1024 * 1024])
}

fn huge_comments() -> Vec<u8> {
    let ten_mb = "x".repeat(10 * 1024 * 1024);
    let mut line = format!(
        "# {ten_mb}\n-A KUBE-MARK-MASQ -m comment --comment \"{ten_mb}\" -j MARK --or-mark 0x4000"
    );
    line.push_str("\n-A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING");
    with_line_inserted(line.as_bytes())
}

fn deep_jumps() -> Vec<u8> {
    let mut line = String::from("-A OUTPUT -j DEEP-0");
    for i in 0..40 {
        line.push_str(&format!("\n-A DEEP-{i} -j DEEP-{}", i + 1));
    }
    with_line_inserted(line.as_bytes())
}

fn many_bad_lines() -> Vec<u8> {
    let mut out = base_dump();
    for i in 0..200_000 {
        out.extend_from_slice(format!("garbage line {i} that is not iptables-save\n").as_bytes());
    }
    out
}

/// A real `nft -j list ruleset` listing (kept with the syntax crate's fixtures).
fn nft_json_listing() -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../syntax/tests/fixtures/nft-json/nft-edge.json"),
    )
    .unwrap_or_default()
}

fn nft_json_cut() -> Vec<u8> {
    let mut json = nft_json_listing();
    json.truncate(16_000);
    json
}

/// The listing with one object nested a million levels deep placed before its first table.
fn nft_json_deep() -> Vec<u8> {
    let json = nft_json_listing();
    let marker = b"{\"nftables\": [";
    let at = json
        .windows(marker.len())
        .position(|w| w == marker)
        .map_or(0, |i| i + marker.len());
    let mut out = json[..at].to_vec();
    out.extend_from_slice(b"{\"rule\": ");
    out.extend(std::iter::repeat_n(b'[', 1_000_000));
    out.extend(std::iter::repeat_n(b']', 1_000_000));
    out.extend_from_slice(b"}, ");
    out.extend_from_slice(&json[at..]);
    out
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "empty input",
            input: Input::File("empty.txt"),
            messages: &["line 1: the input is empty: paste the output of `iptables-save`"],
            services: &[],
            max_rss_mb: 64,
        },
        Case {
            name: "binary and NUL bytes",
            input: Input::File("binary-and-nul.bin"),
            messages: &[
                "line 1: NUL bytes on this line were replaced by \u{fffd}",
                "line 26: NUL bytes on this line were replaced by \u{fffd}",
            ],
            services: BOTH,
            max_rss_mb: 64,
        },
        Case {
            name: "invalid UTF-8",
            input: Input::File("invalid-utf8.txt"),
            messages: &["line 23: bytes that are not UTF-8 on this line were replaced by \u{fffd}"],
            services: BOTH,
            max_rss_mb: 64,
        },
        Case {
            name: "CRLF line endings and tabs",
            input: Input::File("crlf-and-tabs.txt"),
            messages: &["services: 2  endpoints: 3"],
            services: BOTH,
            max_rss_mb: 64,
        },
        Case {
            name: "ANSI colour codes",
            input: Input::File("ansi-colour.txt"),
            messages: &["terminal colour codes (ANSI escape sequences, as `grep --color=always` writes) were removed from 7 line(s)"],
            services: BOTH,
            max_rss_mb: 64,
        },
        Case {
            name: "kubectl exec error in the middle",
            input: Input::File("kubectl-exec-error.txt"),
            messages: &[
                "line 26: kubectl's note, not part of the dump, ignored: \"Defaulted container",
                "line 27: kubectl reported an error in the middle of the dump: \"error: unable to upgrade connection",
                "line 28: kubectl reported an error in the middle of the dump: \"command terminated with exit code 137\"",
            ],
            services: BOTH,
            max_rss_mb: 64,
        },
        Case {
            name: "truncated mid-rule",
            input: Input::File("truncated-mid-rule.txt"),
            messages: &[
                "line 33: a quoted string is not closed (line cut off?)",
                "line 11: table nat has no COMMIT: the dump may be cut off",
            ],
            services: BOTH,
            max_rss_mb: 64,
        },
        Case {
            name: "chains jumping to themselves",
            input: Input::File("self-jump.txt"),
            messages: &[
                "Chain KUBE-SVC-TCOU7JCQXEZGVUNU of the nat table jumps to itself (line 36)",
                "Chains of the nat table jump in a loop: KUBE-LOOP-A → KUBE-LOOP-B → KUBE-LOOP-A",
            ],
            services: BOTH,
            max_rss_mb: 64,
        },
        Case {
            name: "undeclared chain",
            input: Input::File("undeclared-chain.txt"),
            messages: &["line 34: 1 chain(s) of the nat table have rules but no `:CHAIN` declaration (KUBE-SEP-NOTDECLARED0000)"],
            services: BOTH,
            max_rss_mb: 64,
        },
        Case {
            name: "absurd numbers",
            input: Input::File("absurd-numbers.txt"),
            messages: &[
                "line 26: --dport \"99999\": \"99999\" is not a port number (0 to 65535); the rule's port is unknown",
                "line 28: --probability \"7\" is not between 0 and 1 (iptables refuses it); read as 1",
            ],
            services: BOTH,
            max_rss_mb: 64,
        },
        Case {
            name: "absurd IPVS weight",
            input: Input::File("absurd-ipvs-weight.txt"),
            messages: &["line 6: weight -1 is negative (IPVS weights run from 0 to 2147483647)"],
            services: &["10.96.0.1:443/tcp"],
            max_rss_mb: 64,
        },
        Case {
            name: "IPv4 and IPv6 dumps pasted together",
            input: Input::File("ipv4-and-ipv6.txt"),
            messages: &["services: 4  endpoints: 6"],
            services: &[
                "shop/web:http",
                "kube-system/kube-dns:dns",
                "shop/web6:http",
                "kube-system/kube-dns6:dns",
            ],
            max_rss_mb: 64,
        },
        Case {
            name: "IPv4 and IPv6 addresses in one dump",
            input: Input::File("ipv4-and-ipv6-one-dump.txt"),
            messages: &["addresses in one dump: iptables-save and ip6tables-save print separate dumps"],
            services: &["shop/web:http", "shop/web6:http"],
            max_rss_mb: 64,
        },
        Case {
            name: "a single 100 MB line",
            input: Input::Generated(huge_line),
            messages: &["line 25: this line is 100.0 MB long; svcpath skips lines longer than 1.0 MB"],
            services: BOTH,
            max_rss_mb: 1024,
        },
        Case {
            name: "10 MB comments",
            input: Input::Generated(huge_comments),
            messages: &[
                "line 25: this line is 10.0 MB long; svcpath skips lines longer than 1.0 MB",
                "line 26: this line is 10.0 MB long; svcpath skips lines longer than 1.0 MB",
            ],
            services: BOTH,
            max_rss_mb: 512,
        },
        Case {
            name: "jumps nested past the limit",
            input: Input::Generated(deep_jumps),
            messages: &[
                "Jumps in the nat table nest 41 chains deep (OUTPUT → DEEP-0 → DEEP-1",
                "svcpath follows jumps at most 32 chains deep",
            ],
            services: BOTH,
            max_rss_mb: 64,
        },
        Case {
            name: "200,000 lines not understood",
            input: Input::Generated(many_bad_lines),
            messages: &["line 47: not an iptables-save line, ignored: \"garbage line 12", "… and 801 more"],
            services: BOTH,
            max_rss_mb: 512,
        },
        Case {
            name: "nft JSON cut off",
            input: Input::Generated(nft_json_cut),
            messages: &[
                "line 1: the JSON ends inside an object: the paste may be cut off; everything before the cut is read",
                "line 1: the JSON is cut before the rules of 10 chain(s) of table ip kube-proxy",
            ],
            services: &["ns/uneven:http", "ns/local:http"],
            max_rss_mb: 64,
        },
        Case {
            name: "nft JSON nested a million levels deep",
            input: Input::Generated(nft_json_deep),
            messages: &["line 1: an object nested deeper than 64 levels was not read"],
            services: &["ns/uneven:http", "ns/local:http", "ns/remote:http", "ns/dns:dns"],
            max_rss_mb: 128,
        },
    ]
}

struct Run {
    stdout: String,
    stderr: String,
    success: bool,
    peak_rss_kb: u64,
    elapsed: Duration,
}

/// Peak resident memory of a running process, from `/proc/PID/status` (`VmHWM`).
fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn run(path: &Path) -> Run {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_svcpath"))
        .arg("explain")
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("svcpath starts");
    let pid = child.id();
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
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
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{} still ran after {TIMEOUT:?}: killed", path.display());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Run {
        stdout: String::from_utf8_lossy(&out_reader.join().unwrap_or_default()).into_owned(),
        stderr: String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned(),
        success: status.success(),
        peak_rss_kb: peak,
        elapsed: start.elapsed(),
    }
}

fn check(case: &Case) {
    let generated;
    let path = match &case.input {
        Input::File(name) => catalogue_dir().join(name),
        Input::Generated(make) => {
            let file = std::env::temp_dir().join(format!(
                "svcpath-bad-input-{}-{}.txt",
                std::process::id(),
                case.name.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
            ));
            std::fs::write(&file, make()).expect("temporary input written");
            generated = TempFile(file.clone());
            let _ = &generated;
            file
        }
    };
    let run = run(&path);
    assert!(
        run.success && run.stderr.is_empty(),
        "{}: exit {} stderr {}",
        case.name,
        run.success,
        run.stderr
    );
    assert!(!run.stdout.contains("panicked"), "{}", case.name);
    assert!(
        run.peak_rss_kb / 1024 <= case.max_rss_mb,
        "{}: peak RSS {} MiB > {} MiB",
        case.name,
        run.peak_rss_kb / 1024,
        case.max_rss_mb
    );
    for message in case.messages {
        assert!(
            run.stdout.contains(message),
            "{}: the output lacks {message:?}:\n{}",
            case.name,
            &run.stdout[..run.stdout.len().min(6000)]
        );
    }
    for id in case.services {
        assert!(
            run.stdout.lines().any(|l| l.trim() == *id),
            "{}: Service {id} is not explained:\n{}",
            case.name,
            &run.stdout[..run.stdout.len().min(6000)]
        );
    }
    eprintln!(
        "{}: {:?}, peak RSS {} MiB",
        case.name,
        run.elapsed,
        run.peak_rss_kb / 1024
    );
}

/// Removes a generated input when the case ends, passed or not.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn every_catalogue_case_is_explained_without_panic_hang_or_runaway_memory() {
    let mut failures = Vec::new();
    for case in cases() {
        let name = case.name;
        if let Err(e) = std::panic::catch_unwind(|| check(&case)) {
            let message = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{name}: {message}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_catalogue_lists_every_case() {
    let catalogue =
        std::fs::read_to_string(catalogue_dir().join("CATALOGUE.md")).expect("CATALOGUE.md");
    for case in cases() {
        assert!(
            catalogue.contains(&format!("| {} |", case.name)),
            "CATALOGUE.md has no row for {}",
            case.name
        );
        if let Input::File(name) = case.input {
            assert!(
                catalogue.contains(name),
                "CATALOGUE.md does not name {name}"
            );
        }
    }
}
