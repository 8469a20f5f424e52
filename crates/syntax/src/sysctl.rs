//! Parser for conntrack settings as people paste them: `sysctl` output (`sysctl -a | grep conntrack`,
//! single keys, the `net.nf_conntrack_max` alias, the old `net.ipv4.netfilter.ip_conntrack_*` names),
//! `/proc/sys/...` and `/sys/module/nf_conntrack/parameters/hashsize` read with `cat` (with or without
//! the file name on the line), `grep . FILES` output (`path:value`), and `sysctl:` error lines.
//!
//! A bare value (`4194304`) is given to the key named by the command line above it: either the
//! section's command (see [`parse_with_command`]) or a command line inside the text. Every value keeps
//! its line number and the byte span of the value.

use serde::Serialize;

use crate::diag::{quote, Diagnostic, Parsed};
use crate::source::{lines, Line, Origin, Span};

/// `nf_conntrack_max`: the most entries the table holds.
pub const MAX: &str = "net.netfilter.nf_conntrack_max";
/// `nf_conntrack_count`: entries in the table now.
pub const COUNT: &str = "net.netfilter.nf_conntrack_count";
/// `nf_conntrack_buckets`: hash buckets (the same number as the module's `hashsize`).
pub const BUCKETS: &str = "net.netfilter.nf_conntrack_buckets";
/// The module parameter that sets (and shows) the number of hash buckets.
pub const HASHSIZE: &str = "/sys/module/nf_conntrack/parameters/hashsize";
pub const TCP_TIMEOUT_ESTABLISHED: &str = "net.netfilter.nf_conntrack_tcp_timeout_established";
pub const TCP_TIMEOUT_CLOSE_WAIT: &str = "net.netfilter.nf_conntrack_tcp_timeout_close_wait";
pub const TCP_TIMEOUT_TIME_WAIT: &str = "net.netfilter.nf_conntrack_tcp_timeout_time_wait";
pub const UDP_TIMEOUT: &str = "net.netfilter.nf_conntrack_udp_timeout";
pub const UDP_TIMEOUT_STREAM: &str = "net.netfilter.nf_conntrack_udp_timeout_stream";

/// Longest key or value kept, in bytes; longer text is not a sysctl line.
const MAX_KEY_LEN: usize = 256;
/// Most keys one command line can name for the bare values below it.
const MAX_PENDING_KEYS: usize = 64;

/// Everything read from one sysctl section.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Sysctls {
    /// Values in paste order; a key may appear more than once (before and after a change).
    pub values: Vec<SysctlValue>,
    /// `sysctl: permission denied …`, `cannot stat …` and similar lines.
    pub problems: Vec<SysctlProblem>,
}

impl Sysctls {
    /// The last value given for a key (canonical name, see [`canonical_key`]).
    pub fn get(&self, key: &str) -> Option<&SysctlValue> {
        self.values.iter().rev().find(|v| v.key == key)
    }

    /// The last value of a key, when it is a number.
    pub fn number(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(|v| v.number)
    }

    /// Every value given for a key, in paste order.
    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a SysctlValue> + 'a {
        self.values.iter().filter(move |v| v.key == key)
    }

    /// True when any value or problem is about conntrack.
    pub fn mentions_conntrack(&self) -> bool {
        self.values.iter().any(|v| is_conntrack_key(&v.key))
            || self
                .problems
                .iter()
                .any(|p| p.key.as_deref().is_some_and(is_conntrack_key))
    }
}

/// How a value was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SysctlForm {
    /// `key = value`, as `sysctl` prints it.
    Sysctl,
    /// `/proc/sys/…:value` or `/proc/sys/… value`: a file name and its content on one line.
    FileAndValue,
    /// A value alone, named by the command line above it (`cat FILE`, `sysctl -n KEY`).
    Bare,
}

/// One setting and where it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SysctlValue {
    /// Canonical name: `net.netfilter.nf_conntrack_max`, or [`HASHSIZE`] for the module parameter.
    pub key: String,
    /// The name as written in the paste (or in the command line, for a bare value).
    pub written_as: String,
    pub value: String,
    /// The value when it is one unsigned number.
    pub number: Option<u64>,
    pub form: SysctlForm,
    pub line: u32,
    /// Byte span of the value in the whole paste.
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// `permission denied on key …` (usually a write without root).
    PermissionDenied,
    /// `cannot stat …`, `No such file or directory`, `unknown key`: the module may not be loaded.
    NoSuchKey,
    /// `Read-only file system`: a container with /proc/sys or /sys mounted read-only.
    ReadOnly,
    Other,
}

/// A `sysctl:` or `cat:` error line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SysctlProblem {
    /// The canonical key the error is about, when the line names one.
    pub key: Option<String>,
    pub kind: ProblemKind,
    pub line: u32,
    pub span: Span,
    pub message: String,
}

/// True for keys about connection tracking.
pub fn is_conntrack_key(key: &str) -> bool {
    key.contains("conntrack")
}

/// The canonical name of a sysctl key or file: `/proc/sys/net/netfilter/nf_conntrack_max`,
/// `net/netfilter/nf_conntrack_max`, `net.nf_conntrack_max` and `net.ipv4.netfilter.ip_conntrack_max`
/// all become `net.netfilter.nf_conntrack_max`; the module's `hashsize` becomes [`HASHSIZE`].
pub fn canonical_key(written: &str) -> String {
    let k = written.trim().trim_end_matches(':');
    if k.starts_with("/sys/module/") {
        if k.ends_with("/parameters/hashsize") && k.contains("conntrack") {
            return HASHSIZE.to_string();
        }
        return k.to_string();
    }
    let k = k.strip_prefix("/proc/sys/").unwrap_or(k);
    let dotted = k.trim_start_matches('/').replace('/', ".");
    if dotted == "net.nf_conntrack_max" {
        return MAX.to_string();
    }
    if let Some(rest) = dotted.strip_prefix("net.ipv4.netfilter.ip_conntrack_") {
        return format!("net.netfilter.nf_conntrack_{rest}");
    }
    dotted
}

/// Parses one sysctl section.
pub fn parse(text: &str, origin: Origin) -> Parsed<Sysctls> {
    parse_with_command(text, origin, None)
}

/// Parses one sysctl section whose command line (`# cat /proc/sys/net/netfilter/nf_conntrack_max`)
/// was cut off by the splitter: the keys it names are given to the bare values that follow.
pub fn parse_with_command(text: &str, origin: Origin, command: Option<&str>) -> Parsed<Sysctls> {
    let mut parser = SysctlParser::default();
    if let Some(command) = command {
        if let Some(keys) = command_keys(command) {
            parser.pending = keys;
        }
    }
    for line in lines(text, origin) {
        parser.line(&line);
    }
    Parsed {
        value: parser.sysctls,
        diagnostics: parser.diagnostics,
    }
}

#[derive(Default)]
struct SysctlParser {
    sysctls: Sysctls,
    diagnostics: Vec<Diagnostic>,
    /// Keys named by the last command line, waiting for bare values.
    pending: Vec<String>,
}

impl SysctlParser {
    fn line(&mut self, line: &Line<'_>) {
        let text = line.text.trim();
        if text.is_empty() {
            return;
        }
        if is_elision(text) {
            self.diagnostics.push(Diagnostic::info(
                line,
                "`...` marks text left out of the paste",
            ));
            return;
        }
        if let Some(keys) = command_keys(text) {
            self.pending = keys;
            return;
        }
        if let Some(problem) = problem(line, text) {
            self.sysctls.problems.push(problem);
            return;
        }
        if text.starts_with('#') || text.starts_with('$') {
            self.diagnostics.push(Diagnostic::info(
                line,
                format!("a comment or command line, not a value: {}", quote(text)),
            ));
            return;
        }
        if let Some((key, value, form)) = key_and_value(text) {
            self.value(line, key, value, form);
            return;
        }
        // `KEY = ` with nothing after it: the capture printed a file that could not be read.
        if let Some(key) = text
            .strip_suffix('=')
            .map(str::trim)
            .filter(|k| looks_like_key(k))
        {
            self.sysctls.problems.push(SysctlProblem {
                key: Some(canonical_key(key)),
                kind: ProblemKind::NoSuchKey,
                line: line.number,
                span: line.span,
                message: format!("{key} has no value (the file could not be read)"),
            });
            return;
        }
        if is_value_word(text) {
            if self.pending.is_empty() {
                self.diagnostics.push(Diagnostic::warning(
                    line,
                    format!(
                        "the value {} has no key: paste the command line (`cat FILE` or `sysctl KEY`) above it",
                        quote(text)
                    ),
                ));
            } else {
                let key = self.pending.remove(0);
                self.push(line, &key, text, SysctlForm::Bare);
            }
            return;
        }
        self.diagnostics.push(Diagnostic::error(
            line,
            format!("not a sysctl value, ignored: {}", quote(text)),
        ));
    }

    fn value(&mut self, line: &Line<'_>, key: &str, value: &str, form: SysctlForm) {
        let canonical = canonical_key(key);
        if let Some(i) = self
            .pending
            .iter()
            .position(|k| canonical_key(k) == canonical)
        {
            self.pending.remove(i);
        }
        self.push(line, key, value, form);
    }

    fn push(&mut self, line: &Line<'_>, written: &str, value: &str, form: SysctlForm) {
        let key = canonical_key(written);
        let number = value.parse::<u64>().ok();
        if number.is_none() && !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
            self.diagnostics.push(Diagnostic::warning(
                line,
                format!(
                    "the value of {key} is too large to be a counter: {}",
                    quote(value)
                ),
            ));
        }
        self.sysctls.values.push(SysctlValue {
            key,
            written_as: written.to_string(),
            value: value.to_string(),
            number,
            form,
            line: line.number,
            span: line.span_of(value),
        });
    }
}

/// `...` and similar marks of elided text.
pub(crate) fn is_elision(text: &str) -> bool {
    let t = text.trim();
    t == "…"
        || (!t.is_empty() && t.len() <= 5 && t.chars().all(|c| c == '.'))
        || t.starts_with("<..")
}

/// A sysctl key or a file under /proc/sys or /sys/module.
fn looks_like_key(word: &str) -> bool {
    !word.is_empty()
        && word.len() <= MAX_KEY_LEN
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-'))
        && word
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/')
        && (word.contains('.') || word.starts_with("/proc/") || word.starts_with("/sys/"))
}

/// One value word: what `cat` prints for a sysctl file.
fn is_value_word(text: &str) -> bool {
    !text.is_empty() && text.len() <= MAX_KEY_LEN && text.bytes().all(|b| b.is_ascii_digit())
}

/// `key = value`, `key=value`, `key: value`, `/path:value`, `/path value`.
fn key_and_value(text: &str) -> Option<(&str, &str, SysctlForm)> {
    if let Some((k, v)) = text.split_once('=') {
        let (k, v) = (k.trim(), v.trim());
        if looks_like_key(k) && !v.is_empty() && v.len() <= MAX_KEY_LEN {
            let form = if k.starts_with('/') {
                SysctlForm::FileAndValue
            } else {
                SysctlForm::Sysctl
            };
            return Some((k, v, form));
        }
    }
    if let Some((k, v)) = text.split_once(':') {
        let (k, v) = (k.trim(), v.trim());
        if looks_like_key(k) && !v.is_empty() && v.len() <= MAX_KEY_LEN && !v.contains(' ') {
            let form = if k.starts_with('/') {
                SysctlForm::FileAndValue
            } else {
                SysctlForm::Sysctl
            };
            return Some((k, v, form));
        }
    }
    let mut words = text.split_whitespace();
    let (k, v) = (words.next()?, words.next()?);
    if words.next().is_none() && looks_like_key(k) && is_value_word(v) {
        return Some((k, v, SysctlForm::FileAndValue));
    }
    // `1234 /proc/…` as `wc -l` prints is not a sysctl value.
    None
}

/// An error line of `sysctl`, `cat` or `grep`.
fn problem(line: &Line<'_>, text: &str) -> Option<SysctlProblem> {
    let tool = ["sysctl: ", "cat: ", "grep: ", "head: ", "tail: "]
        .iter()
        .find(|p| text.starts_with(**p))?;
    let rest = &text[tool.len()..];
    let lower = rest.to_ascii_lowercase();
    let kind = if lower.contains("permission denied") || lower.contains("operation not permitted") {
        ProblemKind::PermissionDenied
    } else if lower.contains("read-only") {
        ProblemKind::ReadOnly
    } else if lower.contains("cannot stat")
        || lower.contains("no such file")
        || lower.contains("unknown key")
        || lower.contains("cannot open")
    {
        ProblemKind::NoSuchKey
    } else {
        ProblemKind::Other
    };
    let key = named_key(rest).map(|k| canonical_key(&k));
    Some(SysctlProblem {
        key,
        kind,
        line: line.number,
        span: line.span,
        message: rest.chars().take(200).collect(),
    })
}

/// The key an error message names: in quotes (`'net.…'`, `"net.…"`) or as a path.
fn named_key(message: &str) -> Option<String> {
    for q in ['\'', '"'] {
        if let Some((_, rest)) = message.split_once(q) {
            if let Some((inside, _)) = rest.split_once(q) {
                if looks_like_key(inside) {
                    return Some(inside.to_string());
                }
            }
        }
    }
    message
        .split(|c: char| c.is_whitespace() || c == ':' || c == ',')
        .find(|w| looks_like_key(w) && (w.starts_with('/') || w.starts_with("net.")))
        .map(str::to_string)
}

/// Tools whose output is a value per line of the files or keys they are given.
const READERS: [&str; 8] = [
    "sysctl", "cat", "head", "tail", "more", "less", "grep", "egrep",
];

/// Reads a shell command line (`# cat /proc/sys/net/netfilter/nf_conntrack_max`,
/// `core@host ~ $ sysctl net.netfilter.nf_conntrack_max`, `# plu@h: sysctl KEY=VALUE`) and returns the
/// keys it names, in order. `None` when the line is not such a command.
pub fn command_keys(text: &str) -> Option<Vec<String>> {
    let words: Vec<&str> = text.split_whitespace().take(64).collect();
    let at = words.iter().position(|w| {
        let tool = w.rsplit('/').next().unwrap_or(w);
        READERS.contains(&tool)
    })?;
    if !prompt_like(&words[..at]) {
        return None;
    }
    let mut keys = Vec::new();
    for word in &words[at + 1..] {
        if *word == "|" || word.starts_with('|') || *word == ">" || *word == "&&" || *word == ";" {
            break;
        }
        let word = word.trim_matches(|c| c == '\'' || c == '"');
        let key = word.split_once('=').map(|(k, _)| k).unwrap_or(word);
        if looks_like_key(key) && keys.len() < MAX_PENDING_KEYS {
            keys.push(key.to_string());
        }
    }
    Some(keys)
}

/// True when the words before a command look like a shell prompt (or there are none).
pub(crate) fn prompt_like(before: &[&str]) -> bool {
    let before: Vec<&str> = before.iter().copied().filter(|w| *w != "sudo").collect();
    match before.last() {
        None => true,
        Some(last) => {
            before.len() <= 4
                && (last.ends_with('$')
                    || last.ends_with('#')
                    || last.ends_with('>')
                    || last.ends_with(':')
                    || last.ends_with(']')
                    || last.ends_with('%'))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Parsed<Sysctls> {
        parse(text, Origin::START)
    }

    #[test]
    fn sysctl_output_and_alias() {
        let p =
            parse_text("net.netfilter.nf_conntrack_max = 262144\nnet.nf_conntrack_max = 262144\n");
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        assert_eq!(p.value.values.len(), 2);
        assert!(p
            .value
            .values
            .iter()
            .all(|v| v.key == MAX && v.number == Some(262144)));
        assert_eq!(p.value.values[1].written_as, "net.nf_conntrack_max");
        assert_eq!(p.value.values[0].span, Span::new(33, 39));
    }

    #[test]
    fn bare_values_take_the_key_of_the_command_above() {
        let text = "# cat /proc/sys/net/netfilter/nf_conntrack_max\n4194304\n# cat /sys/module/nf_conntrack/parameters/hashsize\n4194304\n";
        let p = parse_text(text);
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        assert_eq!(p.value.number(MAX), Some(4194304));
        assert_eq!(p.value.number(HASHSIZE), Some(4194304));
        assert_eq!(p.value.get(HASHSIZE).unwrap().line, 4);
    }

    #[test]
    fn section_command_names_the_value() {
        let p = parse_with_command(
            "65536\n",
            Origin { offset: 10, line: 3 },
            Some("$ cat /proc/sys/net/netfilter/nf_conntrack_count /proc/sys/net/netfilter/nf_conntrack_max"),
        );
        assert_eq!(p.value.number(COUNT), Some(65536));
        assert_eq!(p.value.get(COUNT).unwrap().span, Span::new(10, 15));
        assert_eq!(p.value.get(COUNT).unwrap().line, 3);
    }

    #[test]
    fn grep_dot_output_and_old_names() {
        let p = parse_text("/proc/sys/net/netfilter/nf_conntrack_count:1234\nnet.ipv4.netfilter.ip_conntrack_max = 65536\n");
        assert_eq!(p.value.number(COUNT), Some(1234));
        assert_eq!(p.value.get(COUNT).unwrap().form, SysctlForm::FileAndValue);
        assert_eq!(p.value.number(MAX), Some(65536));
    }

    #[test]
    fn permission_denied_is_a_problem_with_its_key() {
        let p = parse_text("sysctl: permission denied on key 'net.netfilter.nf_conntrack_max'\n");
        assert_eq!(p.value.problems.len(), 1);
        assert_eq!(p.value.problems[0].kind, ProblemKind::PermissionDenied);
        assert_eq!(p.value.problems[0].key.as_deref(), Some(MAX));
        let p = parse_text("sysctl: cannot stat /proc/sys/net/netfilter/nf_conntrack_max: No such file or directory\n");
        assert_eq!(p.value.problems[0].kind, ProblemKind::NoSuchKey);
        assert_eq!(p.value.problems[0].key.as_deref(), Some(MAX));
    }

    #[test]
    fn last_value_wins_and_garbage_is_reported() {
        let p = parse_text("net.netfilter.nf_conntrack_max = 65536\nhello world again\nnet.netfilter.nf_conntrack_max = 655360\n");
        assert_eq!(p.value.number(MAX), Some(655360));
        assert_eq!(p.value.all(MAX).count(), 2);
        assert_eq!(p.diagnostics.len(), 1);
        assert_eq!(p.diagnostics[0].line, 2);
    }

    #[test]
    fn a_bare_value_without_a_command_is_a_warning() {
        let p = parse_text("4194304\n");
        assert!(p.value.values.is_empty());
        assert_eq!(p.diagnostics[0].severity, crate::Severity::Warning);
    }

    #[test]
    fn a_key_without_value_is_a_problem() {
        let p = parse_text("/sys/module/nf_conntrack/parameters/hashsize = \n");
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        assert_eq!(p.value.problems[0].key.as_deref(), Some(HASHSIZE));
        assert_eq!(p.value.problems[0].kind, ProblemKind::NoSuchKey);
    }

    #[test]
    fn canonical_names() {
        assert_eq!(canonical_key("net/netfilter/nf_conntrack_max"), MAX);
        assert_eq!(canonical_key("/proc/sys/net/nf_conntrack_max"), MAX);
        assert_eq!(
            canonical_key("/sys/module/nf_conntrack/parameters/hashsize"),
            HASHSIZE
        );
        assert_eq!(canonical_key("net.ipv4.ip_forward"), "net.ipv4.ip_forward");
    }
}
