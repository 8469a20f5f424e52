//! Parser for log lines about conntrack: kernel messages (`dmesg`, `dmesg -T`, `dmesg -x`,
//! `journalctl -k`, syslog files) such as `nf_conntrack: table full, dropping packet` (also with the
//! doubled `nf_conntrack: nf_conntrack:` prefix of newer kernels) and the rate limiter's
//! `net_ratelimit: N callbacks suppressed`, and kube-proxy's (or k3s') own lines about the conntrack
//! settings it applies, in klog (`I1120 15:18:19.757786 1 conntrack.go:52] Setting nf_conntrack_max to
//! 786432`, also the structured `"Set sysctl" entry="…" value=…` form) and logrus
//! (`INFO[…] Set sysctl '…' to …`, `time="…" level=info msg="…"`) formats.
//!
//! Log lines about anything else are skipped and counted in one diagnostic, except kube-proxy's own
//! records (klog or JSON), which [`crate::kubelog`] reads: this parser keeps only their conntrack
//! settings.

use serde::Serialize;

use crate::diag::{quote, Diagnostic, Parsed};
use crate::source::{lines, Line, Origin, Span};
use crate::sysctl::{canonical_key, is_elision, HASHSIZE, MAX};

/// Longest timestamp kept, in characters.
const MAX_TIME_CHARS: usize = 64;

/// What one log section says about conntrack.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KernelLog {
    /// `table full, dropping packet` lines.
    pub table_full: Vec<LogEvent>,
    /// `N callbacks suppressed` lines: that many more messages were not printed.
    pub suppressed: Vec<Suppressed>,
    /// Settings a log line reports: kube-proxy's `Setting nf_conntrack_max to N`, `Set sysctl …`, and
    /// the kernel's `nf_conntrack version 0.5.0 (65536 buckets, 262144 max)`.
    pub settings: Vec<LoggedSetting>,
    /// Other conntrack facts from the log (hashsize not writable, expectation table full, …).
    pub notes: Vec<LogNote>,
}

impl KernelLog {
    pub fn is_empty(&self) -> bool {
        self.table_full.is_empty()
            && self.suppressed.is_empty()
            && self.settings.is_empty()
            && self.notes.is_empty()
    }
}

/// How the line was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// `[ 1454500.910215] …` (`dmesg`).
    DmesgUptime,
    /// `[Tue Nov 20 22:30:22 2018] …` (`dmesg -T`).
    DmesgTime,
    /// `Nov 20 22:30:22 host kernel: …` (`journalctl -k`, syslog).
    Syslog,
    /// `I1120 15:18:19.757786   26448 conntrack.go:52] …` (kube-proxy).
    Klog,
    /// `INFO[2021-05-18T19:44:36Z] …` or `time="…" level=info msg="…"` (k3s and others).
    Logrus,
    /// A message without any prefix.
    Plain,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogEvent {
    pub line: u32,
    pub span: Span,
    pub format: LogFormat,
    /// The timestamp as written (uptime seconds, date, or klog time).
    pub time: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppressed {
    pub line: u32,
    pub span: Span,
    pub time: Option<String>,
    /// What the limiter counted for: `net_ratelimit` (all rate-limited network messages), `nf_conntrack`, …
    pub source: String,
    pub count: u64,
}

/// Who wrote a setting into the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingSource {
    /// kube-proxy (or a proxy that logs like it) applying its conntrack configuration at start.
    Proxy,
    /// The kernel's module load message.
    Kernel,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LoggedSetting {
    pub line: u32,
    /// Span of the value.
    pub span: Span,
    pub time: Option<String>,
    pub source: SettingSource,
    /// Canonical sysctl key (`net.netfilter.nf_conntrack_max`) or [`HASHSIZE`].
    pub key: String,
    pub value: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    /// kube-proxy could not write the module's hashsize (not in the initial network namespace, or /sys
    /// read-only).
    HashsizeNotWritable,
    /// /sys or /proc/sys is mounted read-only: kube-proxy cannot change conntrack limits.
    ReadOnlySysfs,
    /// kube-proxy chose its max from `--conntrack-min`.
    UsedConntrackMin,
    /// kube-proxy chose its max from `--conntrack-max-per-core` × CPUs.
    UsedMaxPerCore,
    /// Recent kube-proxy capped max-per-core × CPUs at 1,048,576.
    CappedMaxPerCore,
    /// `nf_conntrack: expectation table full`.
    ExpectationTableFull,
    /// Another kernel or proxy line about conntrack, kept as it is.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogNote {
    pub line: u32,
    pub span: Span,
    pub kind: NoteKind,
    /// The message, without its timestamp prefix (at most 200 characters).
    pub message: String,
}

/// Parses one log section.
pub fn parse(text: &str, origin: Origin) -> Parsed<KernelLog> {
    let mut log = KernelLog::default();
    let mut diagnostics = Vec::new();
    let mut skipped = 0usize;
    let mut first_skipped: Option<Line<'_>> = None;
    let proxy_records = crate::kubelog::parse(text, origin).value;
    for line in lines(text, origin) {
        let t = line.text.trim();
        if t.is_empty() {
            continue;
        }
        if is_elision(t) {
            diagnostics.push(Diagnostic::info(
                &line,
                "`...` marks log lines left out of the paste",
            ));
            continue;
        }
        let prefix = strip_prefix(t);
        if !read_message(&line, &prefix, &mut log) {
            if proxy_records.holds_line(line.number) {
                // kube-proxy's own message: read by the kube-proxy log parser.
            } else if mentions_conntrack(prefix.message) {
                diagnostics.push(Diagnostic::info(
                    &line,
                    format!(
                        "a log line about conntrack that svcpath does not read: {}",
                        quote(prefix.message)
                    ),
                ));
            } else {
                skipped += 1;
                first_skipped.get_or_insert(line);
            }
        }
    }
    if let Some(first) = first_skipped {
        diagnostics.push(Diagnostic {
            line: first.number,
            span: first.span,
            severity: crate::Severity::Info,
            message: format!("{skipped} log line(s) say nothing about conntrack and were skipped"),
        });
    }
    Parsed {
        value: log,
        diagnostics,
    }
}

fn mentions_conntrack(message: &str) -> bool {
    message.contains("conntrack") || message.contains("nf_ct_")
}

struct Prefixed<'a> {
    format: LogFormat,
    time: Option<String>,
    message: &'a str,
    /// `level=` of a logrus line or the klog severity letter.
    level: Option<char>,
}

fn take_time(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.chars().take(MAX_TIME_CHARS).collect())
}

/// Removes a program's own log prefix (logrus, klog); `None` when the line has none.
fn strip_program_prefix(t: &str) -> Option<Prefixed<'_>> {
    // logrus key-value: time="…" level=info msg="…"
    if let Some(at) = t.find("msg=") {
        if t.contains("level=") {
            let time = t
                .find("time=\"")
                .and_then(|i| t[i + 6..].split('"').next())
                .and_then(take_time);
            let level = t.find("level=").and_then(|i| t[i + 6..].chars().next());
            let msg = &t[at + 4..];
            let msg = msg
                .strip_prefix('"')
                .map(|m| m.rsplit_once('"').map(|(m, _)| m).unwrap_or(m))
                .unwrap_or(msg);
            return Some(Prefixed {
                format: LogFormat::Logrus,
                time,
                message: msg,
                level,
            });
        }
    }
    // logrus text: INFO[2021-05-18T19:44:36.583297811Z] msg
    if let Some(open) = t.find('[') {
        let level = &t[..open];
        if (4..=5).contains(&level.len()) && level.bytes().all(|b| b.is_ascii_uppercase()) {
            if let Some(close) = t[open..].find(']') {
                let time = take_time(&t[open + 1..open + close]);
                return Some(Prefixed {
                    format: LogFormat::Logrus,
                    time,
                    message: t[open + close + 1..].trim(),
                    level: level.chars().next(),
                });
            }
        }
    }
    // klog: I1120 15:18:19.757786   26448 conntrack.go:52] msg
    let b = t.as_bytes();
    if b.len() > 6
        && matches!(b[0], b'I' | b'W' | b'E' | b'F')
        && b[1..5].iter().all(u8::is_ascii_digit)
        && b[5] == b' '
    {
        if let Some(close) = t.find("] ") {
            let head = &t[..close];
            let time = head.get(1..).and_then(|h| {
                let mut w = h.split_whitespace();
                Some(format!("{} {}", w.next()?, w.next()?))
            });
            return Some(Prefixed {
                format: LogFormat::Klog,
                time,
                message: t[close + 2..].trim(),
                level: t.chars().next(),
            });
        }
    }
    None
}

/// Removes the timestamp and source prefix of a log line.
fn strip_prefix(t: &str) -> Prefixed<'_> {
    if let Some(p) = strip_program_prefix(t) {
        return p;
    }
    // syslog / journalctl -k: `Nov 20 22:30:22 host kernel: [ 12.3] msg` or `… kube-proxy[123]: …`
    let mut format = LogFormat::Plain;
    let mut time = None;
    let mut rest = t;
    if let Some(at) = t.find(" kernel: ") {
        let head = &t[..at];
        time = head
            .rsplit_once(' ')
            .map(|(time, _host)| time)
            .and_then(take_time);
        rest = t[at + 9..].trim_start();
        format = LogFormat::Syslog;
    } else if let Some((head, after)) = syslog_program(t) {
        time = take_time(head);
        rest = after;
        format = LogFormat::Syslog;
        // A program's klog or logrus line inside a journal line.
        if let Some(inner) = strip_program_prefix(rest) {
            return Prefixed {
                time: inner.time.or(time),
                ..inner
            };
        }
    }
    // dmesg -x: `kern  :warn  : [...] msg`
    if let Some(r) = rest.strip_prefix("kern") {
        let mut parts = r.splitn(3, ':');
        if let (Some(facility), Some(_), Some(after)) = (parts.next(), parts.next(), parts.next()) {
            if facility.trim().is_empty() {
                rest = after.trim_start();
            }
        }
    }
    // dmesg: `[ 1454500.910215] msg` or `[Tue Nov 20 22:30:22 2018] msg`
    if let Some(inner) = rest.strip_prefix('[') {
        if let Some(close) = inner.find(']') {
            if close <= MAX_TIME_CHARS {
                let stamp = inner[..close].trim();
                let uptime =
                    !stamp.is_empty() && stamp.bytes().all(|b| b.is_ascii_digit() || b == b'.');
                if format == LogFormat::Plain {
                    format = if uptime {
                        LogFormat::DmesgUptime
                    } else {
                        LogFormat::DmesgTime
                    };
                }
                if time.is_none() || format != LogFormat::Syslog {
                    time = take_time(stamp);
                }
                rest = inner[close + 1..].trim_start();
            }
        }
    }
    Prefixed {
        format,
        time,
        message: rest,
        level: None,
    }
}

/// `Nov 20 22:30:22 host prog[123]: msg`: the time and the message.
fn syslog_program(t: &str) -> Option<(&str, &str)> {
    let colon = t.find("]: ")?;
    let open = t[..colon].rfind('[')?;
    let pid = &t[open + 1..colon];
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let before = &t[..open];
    let (head, _program) = before.rsplit_once(' ')?;
    let (time, _host) = head.rsplit_once(' ')?;
    Some((time, t[colon + 3..].trim_start()))
}

/// Reads a message; false when it says nothing svcpath reads.
fn read_message(line: &Line<'_>, p: &Prefixed<'_>, log: &mut KernelLog) -> bool {
    let msg = p.message;
    // Kernel prefixes, possibly doubled: `nf_conntrack: nf_conntrack: table full, dropping packet`.
    let mut body = msg;
    let mut source = None;
    for _ in 0..4 {
        let mut stripped = false;
        for prefix in [
            "nf_conntrack: ",
            "ip_conntrack: ",
            "nf_conntrack:",
            "ip_conntrack:",
        ] {
            if let Some(rest) = body.strip_prefix(prefix) {
                source.get_or_insert(prefix.trim().trim_end_matches(':'));
                body = rest.trim_start();
                stripped = true;
                break;
            }
        }
        if !stripped {
            break;
        }
    }
    if body.starts_with("table full, dropping packet") {
        log.table_full.push(LogEvent {
            line: line.number,
            span: line.span,
            format: p.format,
            time: p.time.clone(),
        });
        return true;
    }
    if let Some(at) = msg.find(" callbacks suppressed") {
        let head = &msg[..at];
        if let Some((src, n)) = head.rsplit_once(' ') {
            if let Ok(count) = n.parse::<u64>() {
                log.suppressed.push(Suppressed {
                    line: line.number,
                    span: line.span,
                    time: p.time.clone(),
                    source: src.trim().trim_end_matches(':').chars().take(64).collect(),
                    count,
                });
                return true;
            }
        }
    }
    if body.starts_with("expectation table full") {
        note(line, log, NoteKind::ExpectationTableFull, msg);
        return true;
    }
    // `nf_conntrack version 0.5.0 (65536 buckets, 262144 max)`
    if let Some(rest) = msg
        .strip_prefix("nf_conntrack version ")
        .or_else(|| msg.strip_prefix("ip_conntrack version "))
    {
        if let Some(inside) = rest
            .split_once('(')
            .and_then(|(_, r)| r.split_once(')'))
            .map(|(i, _)| i)
        {
            let mut found = false;
            for part in inside.split(',') {
                let mut w = part.split_whitespace();
                if let (Some(n), Some(what)) = (w.next(), w.next()) {
                    let key = match what {
                        "buckets" => HASHSIZE,
                        "max" => MAX,
                        _ => continue,
                    };
                    if let Ok(value) = n.parse() {
                        log.settings.push(LoggedSetting {
                            line: line.number,
                            span: line.span_of(n),
                            time: p.time.clone(),
                            source: SettingSource::Kernel,
                            key: key.to_string(),
                            value,
                        });
                        found = true;
                    }
                }
            }
            return found;
        }
    }
    proxy_message(line, p, log)
}

fn note(line: &Line<'_>, log: &mut KernelLog, kind: NoteKind, message: &str) {
    log.notes.push(LogNote {
        line: line.number,
        span: line.span,
        kind,
        message: message.chars().take(200).collect(),
    });
}

/// kube-proxy's and k3s' messages about the conntrack settings they apply.
fn proxy_message(line: &Line<'_>, p: &Prefixed<'_>, log: &mut KernelLog) -> bool {
    let msg = p.message;
    let mut setting = |key: &str, value: &str| -> bool {
        let value = value.trim_matches(|c| c == '"' || c == '\'');
        match value.parse::<u64>() {
            Ok(v) => {
                log.settings.push(LoggedSetting {
                    line: line.number,
                    span: line.span_of(value),
                    time: p.time.clone(),
                    source: SettingSource::Proxy,
                    key: key.to_string(),
                    value: v,
                });
                true
            }
            Err(_) => false,
        }
    };
    // Structured klog: `"Set sysctl" entry="net/netfilter/nf_conntrack_max" value=131072`
    if let Some(rest) = msg.strip_prefix("\"Set sysctl\"") {
        if let (Some(entry), Some(value)) = (kv(rest, "entry"), kv(rest, "value")) {
            return setting(&canonical_key(entry), value);
        }
    }
    if let Some(rest) = msg.strip_prefix("\"Setting nf_conntrack_max\"") {
        if let Some(value) = kv(rest, "nf_conntrack_max")
            .or_else(|| kv(rest, "nfConntrackMax"))
            .or_else(|| last_number(rest))
        {
            return setting(MAX, value);
        }
    }
    if let Some(rest) = msg.strip_prefix("\"Setting conntrack hashsize\"") {
        if let Some(value) = kv(rest, "conntrackHashsize")
            .or_else(|| kv(rest, "hashsize"))
            .or_else(|| last_number(rest))
        {
            return setting(HASHSIZE, value);
        }
    }
    // Text klog and logrus: `Set sysctl 'net/netfilter/nf_conntrack_max' to 131072`
    if let Some(rest) = msg.strip_prefix("Set sysctl ") {
        let rest = rest.trim();
        let quote_char = rest.chars().next().filter(|c| *c == '\'' || *c == '"');
        if let Some(q) = quote_char {
            if let Some((key, after)) = rest[1..].split_once(q) {
                if let Some(value) = after.trim().strip_prefix("to ") {
                    return setting(&canonical_key(key), value.trim());
                }
            }
        }
    }
    // `Setting nf_conntrack_max to 786432`, `Setting conntrack hashsize to 32768`,
    // `Setting nf_conntrack_tcp_timeout_established to 86400`
    if let Some(rest) = msg.strip_prefix("Setting ") {
        if let Some((what, value)) = rest.rsplit_once(" to ") {
            let key = if what == "conntrack hashsize" {
                Some(HASHSIZE.to_string())
            } else if what.starts_with("nf_conntrack_") && !what.contains(' ') {
                Some(canonical_key(&format!("net/netfilter/{what}")))
            } else {
                None
            };
            if let Some(key) = key {
                return setting(&key, value.trim());
            }
        }
    }
    let lower = msg.to_ascii_lowercase();
    if lower.contains("getconntrackmax") {
        let kind = if lower.contains("capping") {
            NoteKind::CappedMaxPerCore
        } else if lower.contains("conntrack-min") {
            NoteKind::UsedConntrackMin
        } else {
            NoteKind::UsedMaxPerCore
        };
        note(line, log, kind, msg);
        return true;
    }
    if lower.contains("/sys/module/nf_conntrack/parameters/hashsize") {
        note(line, log, NoteKind::HashsizeNotWritable, msg);
        return true;
    }
    if lower.contains("sysfs is not writable")
        || lower.contains("/sys is read-only")
        || lower.contains("readonlysysfs")
    {
        note(line, log, NoteKind::ReadOnlySysfs, msg);
        return true;
    }
    if mentions_conntrack(msg)
        && p.format != LogFormat::Plain
        && matches!(
            p.level,
            Some('E') | Some('W') | Some('F') | Some('e') | Some('w') | Some('f')
        )
    {
        note(line, log, NoteKind::Other, msg);
        return true;
    }
    false
}

/// The value of `key=value` or `key="value"` in a structured log message.
fn kv<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let mut search = text;
    while let Some(at) = search.find(key) {
        let before_ok = at == 0
            || search
                .as_bytes()
                .get(at - 1)
                .is_some_and(|b| b.is_ascii_whitespace());
        let after = &search[at + key.len()..];
        if before_ok {
            if let Some(value) = after.strip_prefix('=') {
                if let Some(quoted) = value.strip_prefix('"') {
                    return quoted.split('"').next();
                }
                return value.split_whitespace().next();
            }
        }
        search = after;
    }
    None
}

fn last_number(text: &str) -> Option<&str> {
    text.split(|c: char| !c.is_ascii_digit())
        .rfind(|w| !w.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Parsed<KernelLog> {
        parse(text, Origin::START)
    }

    #[test]
    fn table_full_in_every_format() {
        let text = "\
[1454500.910215] nf_conntrack: table full, dropping packet
[Tue Nov 20 22:30:22 2018] nf_conntrack: table full, dropping packet
Nov 20 22:30:22 node-1 kernel: nf_conntrack: nf_conntrack: table full, dropping packet
Nov 20 22:30:22 node-1 kernel: [ 1454500.910215] nf_conntrack: table full, dropping packet
kern  :warn  : [Tue Nov 20 22:30:22 2018] nf_conntrack: table full, dropping packet
ip_conntrack: table full, dropping packet.
";
        let p = parse_text(text);
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        let f = &p.value.table_full;
        assert_eq!(f.len(), 6);
        assert_eq!(f[0].format, LogFormat::DmesgUptime);
        assert_eq!(f[0].time.as_deref(), Some("1454500.910215"));
        assert_eq!(f[1].format, LogFormat::DmesgTime);
        assert_eq!(f[1].time.as_deref(), Some("Tue Nov 20 22:30:22 2018"));
        assert_eq!(f[2].format, LogFormat::Syslog);
        assert_eq!(f[2].time.as_deref(), Some("Nov 20 22:30:22"));
        assert_eq!(f[3].time.as_deref(), Some("Nov 20 22:30:22"));
        assert_eq!(f[4].format, LogFormat::DmesgTime);
        assert_eq!(f[5].format, LogFormat::Plain);
    }

    #[test]
    fn suppressed_callbacks() {
        let p = parse_text("[ 9.1] net_ratelimit: 1234 callbacks suppressed\n[ 9.2] nf_conntrack: 17 callbacks suppressed\n");
        let s = &p.value.suppressed;
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].source.as_str(), s[0].count), ("net_ratelimit", 1234));
        assert_eq!((s[1].source.as_str(), s[1].count), ("nf_conntrack", 17));
    }

    #[test]
    fn kube_proxy_klog_text_and_structured() {
        let text = "\
I0322 02:18:37.205893       1 conntrack.go:98] Set sysctl 'net/netfilter/nf_conntrack_max' to 655350
I0322 02:18:37.206052       1 conntrack.go:52] Setting nf_conntrack_max to 655350
I0331 01:25:28.849086   13796 conntrack.go:83] Setting conntrack hashsize to 32768
I1228 15:55:44.844361       1 conntrack.go:100] \"Set sysctl\" entry=\"net/netfilter/nf_conntrack_max\" value=131072
I1228 15:55:44.844397       1 conntrack.go:52] \"Setting nf_conntrack_max\" nf_conntrack_max=131072
I1228 15:55:44.844659       1 conntrack.go:83] \"Setting conntrack hashsize\" conntrack hashsize=32768
I0101 00:00:00.000000       1 conntrack.go:83] \"Setting conntrack hashsize\" conntrackHashsize=65536
I1125 16:30:28.249456 26185 conntrack.go:62] Setting nf_conntrack_tcp_timeout_established to 86400
F0116 17:12:07.364145       1 server.go:485] write /sys/module/nf_conntrack/parameters/hashsize: operation not supported
I1228 22:46:59.354501    2807 server.go:591] getConntrackMax: using conntrack-min
I0322 02:18:37.090094       1 server_others.go:148] Using iptables Proxier.
";
        let p = parse_text(text);
        let s = &p.value.settings;
        let got: Vec<(&str, u64)> = s.iter().map(|s| (s.key.as_str(), s.value)).collect();
        assert_eq!(
            got,
            vec![
                (MAX, 655350),
                (MAX, 655350),
                (HASHSIZE, 32768),
                (MAX, 131072),
                (MAX, 131072),
                (HASHSIZE, 32768),
                (HASHSIZE, 65536),
                ("net.netfilter.nf_conntrack_tcp_timeout_established", 86400),
            ]
        );
        assert_eq!(s[0].time.as_deref(), Some("0322 02:18:37.205893"));
        assert_eq!(p.value.notes.len(), 2);
        assert_eq!(p.value.notes[0].kind, NoteKind::HashsizeNotWritable);
        assert_eq!(p.value.notes[1].kind, NoteKind::UsedConntrackMin);
        // `Using iptables Proxier.` is kube-proxy's own record: the kube-proxy log parser reads it, so it
        // is not counted among the skipped lines.
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    }

    #[test]
    fn lines_that_are_neither_conntrack_nor_kube_proxy_are_counted() {
        let p = parse_text("[ 1.0] eth0: link up\nI0322 02:18:37.090094 1 server_others.go:148] Using iptables Proxier.\n");
        assert_eq!(p.diagnostics.len(), 1);
        assert!(p.diagnostics[0].message.starts_with("1 log line"));
        assert_eq!(p.diagnostics[0].line, 1);
    }

    #[test]
    fn logrus_both_forms_and_journal() {
        let text = "\
INFO[2021-05-18T19:44:36.583297811Z] Set sysctl 'net/netfilter/nf_conntrack_max' to 131072
time=\"2021-05-18T19:44:36Z\" level=info msg=\"Set sysctl 'net/netfilter/nf_conntrack_tcp_timeout_close_wait' to 3600\"
May 18 19:44:36 node-1 k3s[812]: I0518 19:44:36.583297     812 conntrack.go:52] Setting nf_conntrack_max to 131072
DEBU[2021-05-18T19:44:36.583196251Z] getConntrackMax: using conntrack-min
";
        let p = parse_text(text);
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        let s = &p.value.settings;
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].time.as_deref(), Some("2021-05-18T19:44:36.583297811Z"));
        assert_eq!(
            s[1].key,
            "net.netfilter.nf_conntrack_tcp_timeout_close_wait"
        );
        assert_eq!(s[1].value, 3600);
        assert_eq!(s[2].time.as_deref(), Some("0518 19:44:36.583297"));
        assert_eq!(p.value.notes[0].kind, NoteKind::UsedConntrackMin);
    }

    #[test]
    fn module_load_line_gives_buckets_and_max() {
        let p = parse_text("[    1.234] nf_conntrack version 0.5.0 (65536 buckets, 262144 max)\n");
        let s = &p.value.settings;
        assert_eq!(s.len(), 2);
        assert_eq!(
            (s[0].key.as_str(), s[0].value, s[0].source),
            (HASHSIZE, 65536, SettingSource::Kernel)
        );
        assert_eq!((s[1].key.as_str(), s[1].value), (MAX, 262144));
        assert_eq!(s[1].span, Span::new(55, 61));
    }

    #[test]
    fn unknown_conntrack_line_is_reported() {
        let p = parse_text("[ 1.0] nf_conntrack: something new\n");
        assert!(p.value.is_empty());
        assert_eq!(p.diagnostics.len(), 1);
        assert!(p.diagnostics[0].message.contains("does not read"));
    }
}
