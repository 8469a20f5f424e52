//! kube-proxy's messages: the structured `"msg" key=value key="quoted" key=<…>` form, Go durations, and
//! which message means what (read from kube-proxy's source across 1.20–1.37, older text forms too).

use serde::Serialize;

/// Longest message kept, in characters.
pub const MAX_MESSAGE_CHARS: usize = 200;
/// Longest error value kept, in characters.
pub const MAX_ERROR_CHARS: usize = 400;

/// A proxy mode kube-proxy announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProxyMode {
    Iptables,
    Ipvs,
    Nftables,
    Userspace,
}

impl ProxyMode {
    pub fn name(self) -> &'static str {
        match self {
            ProxyMode::Iptables => "iptables",
            ProxyMode::Ipvs => "ipvs",
            ProxyMode::Nftables => "nftables",
            ProxyMode::Userspace => "userspace",
        }
    }
}

/// What an error line is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// `Failed to execute iptables-restore`: the whole ruleset of that sync was refused.
    IptablesRestore,
    /// Another iptables call failed (`Failed to ensure chain exists`, …).
    Iptables,
    /// An nft transaction or nft call failed.
    Nft,
    /// An ipset call failed (IPVS mode).
    Ipset,
    /// An IPVS call failed.
    Ipvs,
    /// kube-proxy could not delete stale conntrack entries.
    Conntrack,
    /// A watch or list against the API server failed.
    ApiWatch,
    /// A kernel module could not be loaded or is missing.
    KernelModule,
    /// A program kube-proxy runs is not installed.
    MissingBinary,
    /// Any other error line.
    Other,
}

impl ErrorKind {
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::IptablesRestore => "iptables-restore",
            ErrorKind::Iptables => "iptables",
            ErrorKind::Nft => "nft",
            ErrorKind::Ipset => "ipset",
            ErrorKind::Ipvs => "ipvs",
            ErrorKind::Conntrack => "conntrack",
            ErrorKind::ApiWatch => "api-watch",
            ErrorKind::KernelModule => "kernel-module",
            ErrorKind::MissingBinary => "missing-binary",
            ErrorKind::Other => "other",
        }
    }
}

/// What one log record says, when svcpath reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// `Using iptables Proxier` (also ipvs, nftables, userspace).
    ProxyMode { mode: ProxyMode },
    /// kube-proxy could not use the mode it was asked for (`Can't use ipvs proxier, trying iptables
    /// proxier`, `can't determine whether to use ipvs proxy`).
    ModeFallback { from: ProxyMode },
    /// `"Version info" version="v1.31.4"`, `Version: v1.10.2`.
    Version { version: String },
    /// `Syncing iptables rules` (nftables, ipvs); `full` when the line says.
    SyncStart { full: Option<bool> },
    /// `"SyncProxyRules complete" elapsed="38ms"`, `syncProxyRules took 95ms`.
    SyncDone { seconds: f64 },
    /// `"Reloading service iptables data" numServices=… numNATRules=…`.
    RuleCounts {
        services: Option<u64>,
        endpoints: Option<u64>,
        nat_rules: Option<u64>,
        filter_rules: Option<u64>,
    },
    /// `"Sync failed" retryingTime="30s"`, `Sync failed; retrying in 30s`.
    SyncFailed { retry_seconds: Option<f64> },
    /// `sync-runner: ran, next possible in 1s, periodic in 1h0m0s`: minSyncPeriod and syncPeriod.
    SyncPeriods {
        min_seconds: Option<f64>,
        periodic_seconds: Option<f64>,
    },
    /// An error (or a warning about something missing).
    Error {
        kind: ErrorKind,
        /// The missing binary or kernel module, when the line names it.
        missing: Option<String>,
    },
    /// `The ipvs proxier is now deprecated …` (1.35 and later).
    IpvsDeprecated,
}

/// A message split into its text and key/value pairs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Message {
    pub text: String,
    pub values: Vec<(String, String)>,
}

impl Message {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// The error value (`err=`), if any.
    pub fn error(&self) -> Option<&str> {
        self.get("err").or_else(|| self.get("error"))
    }
}

/// Reads klog's structured form `"msg" k=v k="v" k=<\n…\n >`; other text is the message as it is.
pub fn parse_klog_message(rest: &str) -> Message {
    let rest = rest.trim_start();
    let Some(quoted) = rest.strip_prefix('"') else {
        return Message {
            text: rest.trim_end().to_string(),
            values: Vec::new(),
        };
    };
    let (text, mut after) = read_quoted(quoted);
    let mut values = Vec::new();
    while values.len() < 64 {
        after = after.trim_start_matches(|c: char| c.is_whitespace() && c != '\n');
        if after.is_empty() || after.starts_with('\n') {
            break;
        }
        let key_end = after
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(after.len());
        let key = &after[..key_end];
        let Some(value_text) = after[key_end..].strip_prefix('=') else {
            // A bare word (klog writes `primary ipFamily="IPv4"` for a key with a space).
            after = &after[key_end..];
            continue;
        };
        let (value, next) = if let Some(q) = value_text.strip_prefix('"') {
            read_quoted(q)
        } else if let Some(block) = value_text.strip_prefix('<') {
            read_block(block)
        } else {
            let end = value_text
                .find(char::is_whitespace)
                .unwrap_or(value_text.len());
            (value_text[..end].to_string(), &value_text[end..])
        };
        if !key.is_empty() {
            values.push((key.to_string(), value));
        }
        after = next;
    }
    Message { text, values }
}

/// A Go-quoted string (the opening quote already taken): its value and the text after the closing quote.
fn read_quoted(s: &str) -> (String, &str) {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (out, &s[i + 1..]),
            '\\' => match chars.next() {
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                Some((_, other)) => out.push(other),
                None => break,
            },
            _ => out.push(c),
        }
    }
    (out, "")
}

/// klog's multi-line value: `<` then lines indented by a tab, closed by a line ` >`.
fn read_block(s: &str) -> (String, &str) {
    let body = s.strip_prefix('\n').unwrap_or(s);
    let mut text = Vec::new();
    let mut offset = 0;
    for line in body.split_inclusive('\n') {
        offset += line.len();
        let l = line.trim_end_matches(['\n', '\r']);
        if l.trim() == ">" {
            return (text.join("\n"), &body[offset..]);
        }
        text.push(l.strip_prefix('\t').unwrap_or(l.trim_start()).trim_end());
    }
    (text.join("\n"), "")
}

/// Seconds of a Go duration (`1h0m0s`, `38.805737ms`, `33.571µs`, `30s`); also a bare number of seconds.
pub fn go_duration(text: &str) -> Option<f64> {
    let t = text.trim().trim_matches('"');
    if t.is_empty() {
        return None;
    }
    if let Ok(n) = t.parse::<f64>() {
        return n.is_finite().then_some(n);
    }
    let mut total = 0.0;
    let mut rest = t;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let value: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "µs" | "μs" | "us" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += value * scale;
        rest = &rest[unit_len..];
    }
    total.is_finite().then_some(total)
}

fn mode_word(word: &str) -> Option<ProxyMode> {
    Some(match word.to_ascii_lowercase().as_str() {
        "iptables" => ProxyMode::Iptables,
        "ipvs" => ProxyMode::Ipvs,
        "nftables" => ProxyMode::Nftables,
        "userspace" => ProxyMode::Userspace,
        _ => return None,
    })
}

/// What a message means; `None` for a message svcpath does not read (an error line becomes
/// [`ErrorKind::Other`] when nothing more precise fits).
pub fn classify(message: &Message, level: char) -> Option<EventKind> {
    let text = message.text.as_str();
    let lower = text.to_ascii_lowercase();
    let err = message.error().unwrap_or("");
    let both = format!("{lower} {}", err.to_ascii_lowercase());
    // The mode.
    if let Some(rest) = text.strip_prefix("Using ") {
        let mut words = rest.split_whitespace();
        if let (Some(mode), Some(what)) = (words.next(), words.next()) {
            if what.trim_end_matches('.').eq_ignore_ascii_case("proxier") {
                if let Some(mode) = mode_word(mode) {
                    return Some(EventKind::ProxyMode { mode });
                }
            }
        }
    }
    if lower.contains("can't use ipvs proxier")
        || lower.contains("can't determine whether to use ipvs proxy")
        || lower.contains("can't use the ipvs proxier")
    {
        return Some(EventKind::ModeFallback {
            from: ProxyMode::Ipvs,
        });
    }
    if lower.contains("ipvs proxier is now deprecated") {
        return Some(EventKind::IpvsDeprecated);
    }
    // Version.
    if text == "Version info" {
        if let Some(v) = message.get("version") {
            return Some(EventKind::Version {
                version: v.chars().take(40).collect(),
            });
        }
    }
    if let Some(v) = text.strip_prefix("Version: ") {
        let v = v.split_whitespace().next().unwrap_or("");
        if v.starts_with('v') {
            return Some(EventKind::Version {
                version: v.chars().take(40).collect(),
            });
        }
    }
    // Syncs.
    if lower.starts_with("syncing iptables rules")
        || lower.starts_with("syncing nftables rules")
        || lower.starts_with("syncing ipvs rules")
    {
        let full = message
            .get("fullSync")
            .or_else(|| message.get("full"))
            .and_then(|v| v.parse::<bool>().ok());
        return Some(EventKind::SyncStart { full });
    }
    if lower == "syncproxyrules complete" {
        if let Some(seconds) = message.get("elapsed").and_then(go_duration) {
            return Some(EventKind::SyncDone { seconds });
        }
    }
    if let Some(took) = lower.strip_prefix("syncproxyrules took ") {
        let n = took.len();
        if let Some(seconds) = go_duration(&text[text.len() - n..]) {
            return Some(EventKind::SyncDone { seconds });
        }
    }
    if lower.starts_with("reloading service") && lower.ends_with(" data") {
        let n = |k: &str| message.get(k).and_then(|v| v.parse::<u64>().ok());
        return Some(EventKind::RuleCounts {
            services: n("numServices"),
            endpoints: n("numEndpoints"),
            nat_rules: n("numNATRules"),
            filter_rules: n("numFilterRules"),
        });
    }
    if lower == "sync failed" || lower.starts_with("sync failed;") {
        let retry = message
            .get("retryingTime")
            .and_then(go_duration)
            .or_else(|| {
                lower
                    .split_once("retrying in ")
                    .and_then(|(_, d)| go_duration(d.trim_end_matches('.')))
            });
        return Some(EventKind::SyncFailed {
            retry_seconds: retry,
        });
    }
    if let Some(rest) = text.strip_prefix("sync-runner: ran, next possible in ") {
        let (min, periodic) = match rest.split_once(", periodic in ") {
            Some((min, periodic)) => (go_duration(min), go_duration(periodic)),
            None => (go_duration(rest), None),
        };
        return Some(EventKind::SyncPeriods {
            min_seconds: min,
            periodic_seconds: periodic,
        });
    }
    // What is missing.
    if both.contains("executable file not found") {
        return Some(EventKind::Error {
            kind: if lower.contains("conntrack") && lower.contains("delete")
                || lower.contains("failed to delete")
                || lower.contains("conntrack returned error")
            {
                ErrorKind::Conntrack
            } else {
                ErrorKind::MissingBinary
            },
            missing: missing_binary(&format!("{text} {err}")),
        });
    }
    if lower.contains("binary conntrack is not installed") {
        return Some(EventKind::Error {
            kind: ErrorKind::MissingBinary,
            missing: Some("conntrack".to_string()),
        });
    }
    if lower.contains("kernel module") || both.contains("kernel modules are not loaded") {
        let missing = message
            .get("moduleName")
            .map(str::to_string)
            .or_else(|| module_from_text(text));
        return Some(EventKind::Error {
            kind: ErrorKind::KernelModule,
            missing,
        });
    }
    if lower.starts_with("running modprobe ") {
        return Some(EventKind::Error {
            kind: ErrorKind::KernelModule,
            missing: lower
                .split_whitespace()
                .nth(2)
                .map(|m| m.chars().take(40).collect()),
        });
    }
    // Errors by what failed.
    let error_line = matches!(level, 'E' | 'F') || lower.starts_with("failed") || !err.is_empty();
    let failed = lower.contains("fail") || matches!(level, 'E' | 'F');
    let kind =
        if failed && (lower.contains("iptables-restore") || lower.contains("ip6tables-restore")) {
            Some(ErrorKind::IptablesRestore)
        } else if !failed && !error_line {
            None
        } else if lower.contains("stale service") && lower.contains("connections")
            || lower.contains("endpoint connections")
            || lower.contains("conntrack entries")
            || lower.contains("conntrack returned error")
            || (lower.contains("conntrack") && lower.contains("failed"))
        {
            Some(ErrorKind::Conntrack)
        } else if lower.contains("failed to watch ")
            || lower.contains("failed to list ")
            || both.contains("failed to watch *")
            || both.contains("failed to list *")
        {
            Some(ErrorKind::ApiWatch)
        } else if !error_line {
            None
        } else if lower.contains("ipset") || lower.contains("ip set") {
            Some(ErrorKind::Ipset)
        } else if lower.contains("nftables") || lower.contains("nft ") || both.contains("nft:") {
            Some(ErrorKind::Nft)
        } else if lower.contains("ipvs") {
            Some(ErrorKind::Ipvs)
        } else if lower.contains("iptables") || lower.contains(" chain") {
            Some(ErrorKind::Iptables)
        } else if level == 'E' || level == 'F' {
            Some(ErrorKind::Other)
        } else {
            None
        };
    kind.map(|kind| EventKind::Error {
        kind,
        missing: None,
    })
}

/// The program named in `exec: "conntrack": executable file not found` or `looking for path of conntrack`.
fn missing_binary(text: &str) -> Option<String> {
    if let Some((_, after)) = text.split_once("exec: \"") {
        return after
            .split('"')
            .next()
            .map(|b| b.chars().take(40).collect());
    }
    if let Some((_, after)) = text.split_once("looking for path of ") {
        return after
            .split(|c: char| c == ':' || c.is_whitespace())
            .next()
            .map(|b| b.chars().take(40).collect());
    }
    None
}

/// `Failed to load kernel module ip_vs with modprobe`, `… not loaded: [ip_vs_sh ip_vs]`.
fn module_from_text(text: &str) -> Option<String> {
    if let Some((_, after)) = text.split_once("kernel module ") {
        let word = after.split_whitespace().next()?;
        if word != "with" {
            return Some(word.chars().take(40).collect());
        }
    }
    if let Some((_, after)) = text.split_once("not loaded: [") {
        return after
            .split(']')
            .next()
            .map(|m| m.chars().take(120).collect());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_whitespace_between_values_ends_or_separates_them() {
        // A vertical tab (or a form feed, a carriage return) between values once stopped the reader
        // from moving on: the fuzzer's 2 KB input ran for minutes.
        for gap in ["\u{b}", "\u{c}", "\r", "\u{a0}", " \u{b} "] {
            let m = parse_klog_message(&format!("\"Syncing\" a=1{gap}b=2{gap}"));
            assert_eq!(m.get("a"), Some("1"), "{gap:?}");
            assert_eq!(m.get("b"), Some("2"), "{gap:?}");
        }
    }

    #[test]
    fn structured_message_with_quoted_and_block_values() {
        let m = parse_klog_message(
            "\"Failed to execute iptables-restore\" err=<\n\texit status 2: unknown option \"--xor-mark\"\n\tError occurred at line: 11\n >\n",
        );
        assert_eq!(m.text, "Failed to execute iptables-restore");
        assert_eq!(
            m.error(),
            Some("exit status 2: unknown option \"--xor-mark\"\nError occurred at line: 11")
        );
        let m = parse_klog_message(
            "\"Setting endpoints\" portName=\"a/b:http\" endpoints=[\"10.0.0.1:80\"] primary ipFamily=\"IPv4\"",
        );
        assert_eq!(m.get("portName"), Some("a/b:http"));
        assert_eq!(m.get("endpoints"), Some("[\"10.0.0.1:80\"]"));
        assert_eq!(m.get("ipFamily"), Some("IPv4"));
        let m = parse_klog_message("Using iptables Proxier.");
        assert_eq!(m.text, "Using iptables Proxier.");
        assert!(m.values.is_empty());
    }

    #[test]
    fn go_durations() {
        assert_eq!(go_duration("\"38.5ms\""), Some(0.0385));
        assert_eq!(go_duration("1h0m0s"), Some(3600.0));
        assert!((go_duration("33.571µs").unwrap() - 33.571e-6).abs() < 1e-12);
        assert_eq!(go_duration("30s"), Some(30.0));
        assert_eq!(go_duration("2m30s"), Some(150.0));
        assert_eq!(go_duration("abc"), None);
        assert_eq!(go_duration("5x"), None);
    }

    fn kind(text: &str, level: char) -> Option<EventKind> {
        classify(&parse_klog_message(text), level)
    }

    #[test]
    fn messages_old_and_new() {
        assert_eq!(
            kind("\"Using ipvs Proxier\"", 'I'),
            Some(EventKind::ProxyMode {
                mode: ProxyMode::Ipvs
            })
        );
        assert_eq!(
            kind("Using iptables Proxier.", 'I'),
            Some(EventKind::ProxyMode {
                mode: ProxyMode::Iptables
            })
        );
        assert_eq!(
            kind("Can't use ipvs proxier, trying iptables proxier", 'W'),
            Some(EventKind::ModeFallback {
                from: ProxyMode::Ipvs
            })
        );
        assert_eq!(
            kind("\"SyncProxyRules complete\" elapsed=\"38.805737ms\"", 'I'),
            Some(EventKind::SyncDone {
                seconds: 0.038805737
            })
        );
        assert_eq!(
            kind("syncProxyRules took 95.441782ms", 'I'),
            Some(EventKind::SyncDone {
                seconds: 0.095441782
            })
        );
        assert_eq!(
            kind("Sync failed; retrying in 30s", 'I'),
            Some(EventKind::SyncFailed {
                retry_seconds: Some(30.0)
            })
        );
        assert_eq!(
            kind("\"Version info\" version=\"v1.36.1\"", 'I'),
            Some(EventKind::Version {
                version: "v1.36.1".into()
            })
        );
        assert_eq!(
            kind("\"Failed to delete stale service connections\" err=\"error looking for path of conntrack: exec: \\\"conntrack\\\": executable file not found in $PATH\" ip=\"10.43.0.10\"", 'E'),
            Some(EventKind::Error { kind: ErrorKind::Conntrack, missing: Some("conntrack".into()) })
        );
        assert_eq!(
            kind("k8s.io/client-go/informers/factory.go:134: Failed to watch *v1.Service: failed to list *v1.Service: connection refused", 'E'),
            Some(EventKind::Error { kind: ErrorKind::ApiWatch, missing: None })
        );
        assert_eq!(
            kind("\"Failed to load kernel module with modprobe, you can ignore this message when kube-proxy is running inside container without mounting /lib/modules\" moduleName=\"ip_vs_rr\"", 'W'),
            Some(EventKind::Error { kind: ErrorKind::KernelModule, missing: Some("ip_vs_rr".into()) })
        );
        assert_eq!(
            kind("\"Caches are synced\" controller=\"node config\"", 'I'),
            None
        );
        assert_eq!(
            kind("something broke", 'E'),
            Some(EventKind::Error {
                kind: ErrorKind::Other,
                missing: None
            })
        );
    }
}
