//! Parser for kube-proxy's own log as `kubectl logs -n kube-system kube-proxy-…` prints it: klog text
//! (`I1113 16:15:07.928773 1 proxier.go:1464] "msg" key=value`, multi-line `err=<` … `>` values), the
//! JSON format (`--logging-format=json`), lines with container-runtime or `--timestamps` times in front,
//! several pods' logs joined by `kubectl logs --prefix` (`[pod/kube-proxy-abc/kube-proxy] …`), journald
//! lines, and the older unstructured messages.
//!
//! Records are read by message (see [`message::classify`]): the mode and version kube-proxy announced,
//! syncs and their durations, rule counts, failed syncs and the errors behind them, conntrack clean-up,
//! API watch errors, missing kernel modules and binaries, the IPVS deprecation. Messages svcpath does
//! not read are counted, not reported.

pub mod message;
pub mod prefix;

use serde::Serialize;

use crate::diag::{quote, Diagnostic, Diagnostics, Parsed};
use crate::source::{lines, Line, Origin, Span};
use crate::sysctl::is_elision;

pub use message::{ErrorKind, EventKind, ProxyMode};
pub use prefix::RecordFormat;

/// Most events kept for one section; past it they are counted.
pub const MAX_EVENTS: usize = 100_000;
/// Longest record text gathered from continuation lines, in bytes.
const MAX_RECORD_BYTES: usize = 16 * 1024;
/// Most continuation lines an unstructured record takes.
const MAX_CONTINUATION_LINES: u32 = 20;

/// Which clock a record's `seconds` come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Clock {
    /// Seconds since 1970 (JSON `ts`, a container-runtime or `--timestamps` time).
    Epoch,
    /// klog's `MMDD hh:mm:ss`: seconds since the start of an unknown year.
    Klog,
}

/// What one kube-proxy log section says.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KubeProxyLog {
    /// Log records read (klog or JSON), with their continuation lines counted once.
    pub records: u32,
    /// Formats seen, in order of first appearance.
    pub formats: Vec<RecordFormat>,
    /// Pods named by `kubectl logs --prefix`, in order of first appearance.
    pub pods: Vec<String>,
    /// The records svcpath reads, in paste order.
    pub events: Vec<Event>,
    /// Events past [`MAX_EVENTS`], not kept.
    pub events_left_out: usize,
    /// First and last line of every record (for the kernel-log parser, which leaves them to this one).
    #[serde(skip)]
    pub record_lines: Vec<(u32, u32)>,
}

impl KubeProxyLog {
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// True when `line` belongs to one of the records.
    pub fn holds_line(&self, line: u32) -> bool {
        let i = self.record_lines.partition_point(|(_, last)| *last < line);
        self.record_lines
            .get(i)
            .is_some_and(|(first, _)| *first <= line)
    }
}

/// One record svcpath reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// First line of the record (1-based, in the whole paste).
    pub line: u32,
    /// Last line (differs from `line` for a multi-line `err=<` value).
    pub last_line: u32,
    pub span: Span,
    /// `I`, `W`, `E` or `F` (klog); JSON records with an `err` are `E`, others `I`.
    pub level: char,
    /// The time as written.
    pub time: Option<String>,
    pub seconds: Option<f64>,
    pub clock: Option<Clock>,
    /// The pod, from `kubectl logs --prefix`.
    pub pod: Option<String>,
    /// `proxier.go:1481`.
    pub caller: Option<String>,
    /// `ipFamily=` of a dual-stack kube-proxy's record (`IPv4`, `IPv6`).
    pub family: Option<String>,
    /// The message (at most 200 characters).
    pub message: String,
    /// The `err` value (at most 400 characters), lines joined by `\n`.
    pub error: Option<String>,
    pub kind: EventKind,
}

/// A record being gathered from its lines.
struct Pending<'a> {
    first: Line<'a>,
    last_line: u32,
    end: usize,
    level: char,
    time: Option<String>,
    seconds: Option<f64>,
    clock: Option<Clock>,
    pod: Option<String>,
    caller: Option<String>,
    body: String,
    /// Parsed already (JSON).
    message: Option<message::Message>,
    open_block: bool,
    continuation_lines: u32,
}

/// Parses one log section.
pub fn parse(text: &str, origin: Origin) -> Parsed<KubeProxyLog> {
    let mut log = KubeProxyLog::default();
    let mut diagnostics = Diagnostics::default();
    let mut pending: Option<Pending<'_>> = None;
    for line in lines(text, origin) {
        let t = line.text.trim();
        if t.is_empty() || is_elision(t) {
            if let Some(p) = pending.as_mut().filter(|p| p.open_block) {
                p.body.push('\n');
            }
            continue;
        }
        let (outer, rest) = prefix::strip_outer(line.text);
        let header = prefix::klog_header(rest);
        if let Some(p) = pending
            .as_mut()
            .filter(|p| p.open_block && header.is_none())
        {
            p.last_line = line.number;
            p.end = line.span.end;
            if p.body.len() < MAX_RECORD_BYTES {
                p.body.push('\n');
                p.body.push_str(rest);
            }
            if rest.trim() == ">" {
                p.open_block = false;
            }
            continue;
        }
        if let Some(h) = header {
            finish(&mut pending, &mut log, &mut diagnostics);
            let (seconds, clock) = match outer.stamp_seconds {
                Some(s) => (Some(s), Some(Clock::Epoch)),
                None => (h.seconds, h.seconds.map(|_| Clock::Klog)),
            };
            let body = h.rest.to_string();
            let open_block = opens_block(&body);
            note_format(&mut log, RecordFormat::Klog);
            pending = Some(Pending {
                first: line,
                last_line: line.number,
                end: line.span.end,
                level: h.level,
                time: Some(h.time.to_string()),
                seconds,
                clock,
                pod: outer.pod.map(str::to_string),
                caller: Some(h.caller.chars().take(80).collect())
                    .filter(|c: &String| !c.is_empty()),
                body,
                message: None,
                open_block,
                continuation_lines: 0,
            });
            continue;
        }
        let r = rest.trim();
        if r.starts_with('{') {
            finish(&mut pending, &mut log, &mut diagnostics);
            match json_record(r) {
                Some(j) => {
                    note_format(&mut log, RecordFormat::Json);
                    let (seconds, clock) = match (j.ts, outer.stamp_seconds) {
                        (Some(ts), _) => (Some(ts), Some(Clock::Epoch)),
                        (None, Some(s)) => (Some(s), Some(Clock::Epoch)),
                        _ => (None, None),
                    };
                    pending = Some(Pending {
                        first: line,
                        last_line: line.number,
                        end: line.span.end,
                        level: j.level,
                        time: j.time.or(outer.stamp.map(str::to_string)),
                        seconds,
                        clock,
                        pod: outer.pod.map(str::to_string),
                        caller: j.caller,
                        body: String::new(),
                        message: Some(j.message),
                        open_block: false,
                        continuation_lines: 0,
                    });
                    finish(&mut pending, &mut log, &mut diagnostics);
                }
                None if r.contains("\"msg\"") => diagnostics.push(Diagnostic::warning(
                    &line,
                    format!("a JSON log line svcpath cannot read: {}", quote(r)),
                )),
                None => {}
            }
            continue;
        }
        // A message after a time alone (a log viewer's copy without the klog header).
        if outer.stamp.is_some() && (r.starts_with('"') || starts_like_message(r)) {
            finish(&mut pending, &mut log, &mut diagnostics);
            pending = Some(Pending {
                first: line,
                last_line: line.number,
                end: line.span.end,
                level: 'I',
                time: outer.stamp.map(str::to_string),
                seconds: outer.stamp_seconds,
                clock: outer.stamp_seconds.map(|_| Clock::Epoch),
                pod: outer.pod.map(str::to_string),
                caller: None,
                body: r.to_string(),
                message: None,
                open_block: opens_block(r),
                continuation_lines: 0,
            });
            continue;
        }
        // An unstructured record's message going on (`Failed to execute iptables-restore: … (\n…\n)`).
        if let Some(p) = pending.as_mut().filter(|p| {
            !p.body.starts_with('"')
                && p.message.is_none()
                && p.continuation_lines < MAX_CONTINUATION_LINES
                && !kernel_like(r)
        }) {
            p.last_line = line.number;
            p.end = line.span.end;
            p.continuation_lines += 1;
            if p.body.len() < MAX_RECORD_BYTES {
                p.body.push('\n');
                p.body.push_str(r);
            }
            continue;
        }
        finish(&mut pending, &mut log, &mut diagnostics);
    }
    finish(&mut pending, &mut log, &mut diagnostics);
    if log.events_left_out > 0 {
        if let Some(last) = log.events.last() {
            diagnostics.push(Diagnostic {
                line: last.line,
                span: last.span,
                severity: crate::Severity::Info,
                message: format!(
                    "{} more kube-proxy log records after line {} are not kept (svcpath keeps {MAX_EVENTS})",
                    log.events_left_out, last.line
                ),
            });
        }
    }
    Parsed {
        value: log,
        diagnostics: diagnostics.finish(),
    }
}

fn opens_block(body: &str) -> bool {
    body.trim_end().ends_with("=<")
}

/// Lines of other logs that may sit in the same section: the kernel's (`[ 12.3] …`, `… kernel: …`).
fn kernel_like(t: &str) -> bool {
    t.starts_with('[') || t.contains(" kernel: ") || t.starts_with("kern ")
}

/// A message as kube-proxy words them: a capital letter first.
fn starts_like_message(t: &str) -> bool {
    t.chars().next().is_some_and(|c| c.is_ascii_uppercase())
}

fn note_format(log: &mut KubeProxyLog, format: RecordFormat) {
    if !log.formats.contains(&format) {
        log.formats.push(format);
    }
}

/// Turns the gathered record into an event, when svcpath reads its message.
fn finish(
    pending: &mut Option<Pending<'_>>,
    log: &mut KubeProxyLog,
    diagnostics: &mut Diagnostics,
) {
    let Some(p) = pending.take() else {
        return;
    };
    if p.open_block {
        diagnostics.push(Diagnostic::warning(
            &p.first,
            format!(
                "the multi-line value opened on line {} is not closed (no line `>`): the paste may be cut there",
                p.first.number
            ),
        ));
    }
    log.records += 1;
    match log.record_lines.last_mut() {
        Some((_, last)) if *last + 1 >= p.first.number => *last = p.last_line,
        _ => log.record_lines.push((p.first.number, p.last_line)),
    }
    if let Some(pod) = &p.pod {
        if !log.pods.contains(pod) && log.pods.len() < 256 {
            log.pods.push(pod.clone());
        }
    }
    let message = p
        .message
        .unwrap_or_else(|| message::parse_klog_message(&p.body));
    let Some(kind) = message::classify(&message, p.level) else {
        return;
    };
    if log.events.len() >= MAX_EVENTS {
        log.events_left_out += 1;
        return;
    }
    log.events.push(Event {
        line: p.first.number,
        last_line: p.last_line,
        span: Span::new(p.first.span.start, p.end.max(p.first.span.start)),
        level: p.level,
        time: p.time,
        seconds: p.seconds,
        clock: p.clock,
        pod: p.pod,
        caller: p.caller,
        family: message.get("ipFamily").map(|f| f.chars().take(8).collect()),
        message: message
            .text
            .chars()
            .take(message::MAX_MESSAGE_CHARS)
            .collect(),
        error: message
            .error()
            .map(|e| e.chars().take(message::MAX_ERROR_CHARS).collect()),
        kind,
    });
}

/// One `--logging-format=json` record.
struct JsonRecord {
    ts: Option<f64>,
    time: Option<String>,
    level: char,
    caller: Option<String>,
    message: message::Message,
}

fn json_record(text: &str) -> Option<JsonRecord> {
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text).ok()?;
    let msg = map.get("msg")?.as_str()?.to_string();
    let ts = map.get("ts").and_then(|v| match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => prefix::rfc3339_seconds(s),
        _ => None,
    });
    let time = map.get("ts").map(|v| match v {
        serde_json::Value::String(s) => s.chars().take(64).collect(),
        other => other.to_string(),
    });
    let has_err = map.contains_key("err");
    let level = match map.get("level").and_then(|l| l.as_str()) {
        Some(l) if l.starts_with(['e', 'E']) => 'E',
        Some(l) if l.starts_with(['w', 'W']) => 'W',
        _ if has_err && !map.contains_key("v") => 'E',
        _ => 'I',
    };
    let caller = map
        .get("caller")
        .and_then(|c| c.as_str())
        .map(|c| c.chars().take(80).collect());
    let values = map
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "ts" | "caller" | "msg" | "v" | "level"))
        .take(64)
        .map(|(k, v)| {
            let value = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), value)
        })
        .collect();
    Some(JsonRecord {
        ts,
        time,
        level,
        caller,
        message: message::Message { text: msg, values },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Parsed<KubeProxyLog> {
        parse(text, Origin::START)
    }

    fn kinds(log: &KubeProxyLog) -> Vec<&EventKind> {
        log.events.iter().map(|e| &e.kind).collect()
    }

    #[test]
    fn multi_line_error_value_is_one_record() {
        let text = "\
E1113 16:15:07.931291       1 proxier.go:1481] \"Failed to execute iptables-restore\" err=<
\texit status 2: ip6tables-restore v1.8.4 (legacy): unknown option \"--xor-mark\"
\tError occurred at line: 11
 >
I1113 16:15:07.931308       1 proxier.go:858] \"Sync failed\" retryingTime=\"30s\"
";
        let p = parse_text(text);
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        let log = p.value;
        assert_eq!(log.records, 2);
        assert_eq!(log.events.len(), 2);
        let e = &log.events[0];
        assert_eq!((e.line, e.last_line), (1, 4));
        assert_eq!(
            e.kind,
            EventKind::Error {
                kind: ErrorKind::IptablesRestore,
                missing: None
            }
        );
        assert!(e.error.as_deref().unwrap().contains("--xor-mark"));
        assert!(e.error.as_deref().unwrap().ends_with("line: 11"));
        assert_eq!(
            log.events[1].kind,
            EventKind::SyncFailed {
                retry_seconds: Some(30.0)
            }
        );
        assert!(log.holds_line(3));
        assert!(!log.holds_line(6));
    }

    #[test]
    fn journald_wrapped_block() {
        let text = "\
Feb 17 11:12:14 k8s-1 kube-proxy[9234]: E0217 11:12:14.212635    9234 proxier.go:1432] \"Failed to execute iptables-restore\" err=<
Feb 17 11:12:14 k8s-1 kube-proxy[9234]:         exit status 2: ip6tables-restore v1.8.7 (nf_tables): unknown option \"--xor-mark\"
Feb 17 11:12:14 k8s-1 kube-proxy[9234]:  >
";
        let log = parse_text(text).value;
        assert_eq!(log.events.len(), 1);
        assert_eq!(log.events[0].last_line, 3);
        assert!(log.events[0].error.as_deref().unwrap().contains("xor-mark"));
    }

    #[test]
    fn json_records_and_prefixed_pods() {
        let text = "\
[pod/kube-proxy-a1/kube-proxy] {\"ts\":1700000000.5,\"caller\":\"app/server_linux.go:195\",\"msg\":\"Using nftables Proxier\",\"v\":0}
[pod/kube-proxy-b2/kube-proxy] {\"ts\":1700000001.25,\"caller\":\"nftables/proxier.go:1200\",\"msg\":\"SyncProxyRules complete\",\"v\":2,\"elapsed\":\"12.5ms\"}
[pod/kube-proxy-b2/kube-proxy] {\"ts\":1700000002,\"caller\":\"nftables/proxier.go:1210\",\"msg\":\"Failed to delete stale service connections\",\"err\":\"netlink: no such file\"}
{\"ts\":17000, \"msg\": broken
";
        let p = parse_text(text);
        let log = p.value;
        assert_eq!(log.formats, vec![RecordFormat::Json]);
        assert_eq!(log.pods, vec!["kube-proxy-a1", "kube-proxy-b2"]);
        assert_eq!(
            kinds(&log),
            vec![
                &EventKind::ProxyMode {
                    mode: ProxyMode::Nftables
                },
                &EventKind::SyncDone { seconds: 0.0125 },
                &EventKind::Error {
                    kind: ErrorKind::Conntrack,
                    missing: None
                },
            ]
        );
        assert_eq!(log.events[2].level, 'E');
        assert_eq!(log.events[1].seconds, Some(1700000001.25));
        assert_eq!(p.diagnostics.len(), 1);
        assert_eq!(p.diagnostics[0].line, 4);
    }

    #[test]
    fn cri_timestamps_and_old_multi_line_form() {
        let text = "\
2024-09-03T13:18:56.164794282Z stderr F I0903 13:18:56.161751       1 proxier.go:799] \"SyncProxyRules complete\" elapsed=\"63.8ms\"
E0809 05:37:21.484590       1 proxier.go:1507] Failed to execute iptables-restore: exit status 1 (iptables-restore: line 51 failed
)
I0809 05:37:21.484752       1 proxier.go:779] Sync failed; retrying in 30s
[ 12.5] nf_conntrack: table full, dropping packet
";
        let log = parse_text(text).value;
        assert_eq!(log.records, 3);
        assert_eq!(log.events[0].clock, Some(Clock::Epoch));
        assert_eq!(log.events[1].last_line, 3);
        assert!(log.events[1].message.contains("line 51 failed"));
        assert_eq!(log.events[2].clock, Some(Clock::Klog));
        assert!(!log.holds_line(5));
    }

    #[test]
    fn a_block_cut_by_the_next_record_is_reported_and_both_records_read() {
        let p = parse_text("E1113 16:15:07.931291 1 proxier.go:1481] \"Failed to execute iptables-restore\" err=<\n\texit status 2\nI1113 16:15:07.931308 1 proxier.go:858] \"Sync failed\"\n");
        assert_eq!(p.value.events.len(), 2);
        assert_eq!(p.value.events[0].last_line, 2);
        assert_eq!(p.diagnostics.len(), 1);
        assert_eq!(p.diagnostics[0].line, 1);
    }

    #[test]
    fn an_unclosed_block_is_reported() {
        let p = parse_text("E1113 16:15:07.931291 1 proxier.go:1481] \"Failed to execute iptables-restore\" err=<\n\texit status 2\n");
        assert_eq!(p.value.events.len(), 1);
        assert_eq!(p.diagnostics.len(), 1);
        assert!(p.diagnostics[0].message.contains("not closed"));
    }
}
