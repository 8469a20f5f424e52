//! kube-proxy's `/flagz` page. Three text forms exist, each with one flag a line, sorted by name:
//! 1.32 opens with a `title: kube-proxy flagz` block between dashed lines and writes `name=value`;
//! 1.33–1.34 (component-base `zpages/flagz`) open with `kube-proxy flags` and a `Warning:` line; 1.35+
//! (apiserver `server/flagz`) with `kube-proxy flagz`. Since 1.33 the separator between name and value is
//! picked at random per process among `:`, `: `, `=` and a space, so every one is accepted. The
//! structured form (`Accept: application/json;v=v1beta1;g=config.k8s.io;as=Flagz`) is a `Flagz` object
//! whose `flags` map holds the same pairs.

use super::{at_line, duration::parse_go_duration, KubeProxySettings, Setting, SettingsForm};
use crate::diag::Diagnostic;
use crate::source::{lines, Line, Origin};
use crate::Severity;

/// Flags kept before the rest are ignored (kube-proxy has about 60).
const MAX_FLAGS: usize = 2_000;

/// True when the section is a `/flagz` page (by its command or its header).
pub(super) fn looks_like_flagz(text: &str, command: Option<&str>) -> bool {
    if command.is_some_and(|c| c.contains("flagz")) {
        return true;
    }
    lines(text, Origin::START)
        .take(20)
        .any(|l| header_component(l.text.trim()).is_some() || is_json_flagz(l.text))
}

fn is_json_flagz(text: &str) -> bool {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    compact.contains("\"kind\":\"Flagz\"")
}

/// `kube-proxy flags`, `kube-proxy flagz`, `title: kube-proxy flagz`: the component's name.
pub(super) fn header_component(text: &str) -> Option<&str> {
    let text = text.strip_prefix("title:").map(str::trim).unwrap_or(text);
    let name = text
        .strip_suffix(" flagz")
        .or_else(|| text.strip_suffix(" flags"))?;
    (!name.is_empty() && !name.contains(' ')).then_some(name)
}

fn is_header_line(text: &str) -> bool {
    text.is_empty()
        || text.chars().all(|c| c == '-')
        || header_component(text).is_some()
        || text.starts_with("description:")
        || text.starts_with("warning:")
        || text.starts_with("Warning:")
}

/// `name<sep>value` with any of kube-proxy's separators; `None` for a line that is not one.
fn split_flag(text: &str) -> Option<(&str, &str)> {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(text.len());
    let (name, rest) = text.split_at(end);
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let value = if rest.is_empty() {
        ""
    } else {
        rest.strip_prefix(": ")
            .or_else(|| rest.strip_prefix(':'))
            .or_else(|| rest.strip_prefix('='))
            .or_else(|| rest.strip_prefix(' '))?
    };
    Some((name, value.trim()))
}

pub(super) fn read(
    text: &str,
    origin: Origin,
    diagnostics: &mut Vec<Diagnostic>,
) -> KubeProxySettings {
    let mut settings = KubeProxySettings::default();
    if text.trim_start().starts_with('{') {
        read_json(text, origin, &mut settings, diagnostics);
        return settings;
    }
    let mut component: Option<String> = None;
    let mut flags = 0usize;
    for line in lines(text, origin) {
        let t = line.text.trim();
        if let Some(name) = header_component(t) {
            component = Some(name.to_string());
            if name != "kube-proxy" {
                diagnostics.push(Diagnostic::warning(
                    &line,
                    format!(
                        "this /flagz page is {name}'s, not kube-proxy's: its flags are not read"
                    ),
                ));
            }
            continue;
        }
        if is_header_line(t) {
            continue;
        }
        if component.as_deref().is_some_and(|c| c != "kube-proxy") {
            continue;
        }
        let Some((name, value)) = split_flag(t) else {
            diagnostics.push(Diagnostic::info(
                &line,
                "not a `name=value` line of /flagz; skipped",
            ));
            continue;
        };
        flags += 1;
        if flags > MAX_FLAGS {
            diagnostics.push(Diagnostic::warning(
                &line,
                format!("more than {MAX_FLAGS} flags: the rest of the page is not read"),
            ));
            break;
        }
        apply(&mut settings, name, value, &line, diagnostics);
    }
    if flags > 0 {
        settings.form = Some(SettingsForm::Flagz);
    }
    settings
}

/// The structured form: `{"kind":"Flagz","apiVersion":"config.k8s.io/v1beta1","flags":{…}}`.
fn read_json(
    text: &str,
    origin: Origin,
    settings: &mut KubeProxySettings,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let value: serde_json::Value = match serde_json::from_str(text.trim()) {
        Ok(v) => v,
        Err(e) => {
            let line = origin
                .line
                .saturating_add(u32::try_from(e.line()).unwrap_or(1).saturating_sub(1));
            diagnostics.push(at_line(
                text,
                origin,
                line,
                Severity::Warning,
                format!("the /flagz JSON is not readable here: {e}"),
            ));
            return;
        }
    };
    let Some(flags) = value.get("flags").and_then(|f| f.as_object()) else {
        diagnostics.push(at_line(
            text,
            origin,
            origin.line,
            Severity::Warning,
            "this JSON has no `flags` object: it is not a /flagz answer".to_string(),
        ));
        return;
    };
    let all: Vec<Line<'_>> = lines(text, origin).collect();
    for (name, value) in flags.iter().take(MAX_FLAGS) {
        let Some(value) = value.as_str() else {
            continue;
        };
        let quoted = format!("\"{name}\"");
        let Some(line) = all
            .iter()
            .find(|l| l.text.contains(&quoted))
            .or_else(|| all.first())
        else {
            continue;
        };
        apply(settings, name, value, line, diagnostics);
    }
    settings.form = Some(SettingsForm::Flagz);
}

fn apply(
    settings: &mut KubeProxySettings,
    name: &str,
    value: &str,
    line: &Line<'_>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    fn at<T>(value: T, name: &str, line: &Line<'_>) -> Setting<T> {
        Setting {
            value,
            key: name.to_string(),
            line: line.number,
        }
    }
    let mut bad = |what: &str| {
        diagnostics.push(Diagnostic::warning(
            line,
            format!("--{name}={value}: not {what}; ignored"),
        ));
    };
    let ct = &mut settings.conntrack;
    match name {
        "proxy-mode" if !value.is_empty() => {
            settings.mode = Some(at(value.to_ascii_lowercase(), name, line));
        }
        "cluster-cidr" => {
            settings.cluster_cidrs = value
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(|c| at(c.to_string(), name, line))
                .collect();
        }
        "config" if !value.is_empty() => {
            settings.config_file = Some(at(value.to_string(), name, line));
        }
        "conntrack-max-per-core" | "conntrack-min" => match value.parse::<u64>() {
            Ok(n) if name == "conntrack-min" => ct.min = Some(at(n, name, line)),
            Ok(n) => ct.max_per_core = Some(at(n, name, line)),
            Err(_) => bad("a whole number"),
        },
        "conntrack-tcp-timeout-established"
        | "conntrack-tcp-timeout-close-wait"
        | "conntrack-udp-timeout"
        | "conntrack-udp-timeout-stream" => match parse_go_duration(value) {
            Some(secs) => {
                let slot = match name {
                    "conntrack-tcp-timeout-established" => &mut ct.tcp_established_timeout,
                    "conntrack-tcp-timeout-close-wait" => &mut ct.tcp_close_wait_timeout,
                    "conntrack-udp-timeout" => &mut ct.udp_timeout,
                    _ => &mut ct.udp_stream_timeout,
                };
                *slot = Some(at(secs, name, line));
            }
            None => bad("a duration"),
        },
        "conntrack-tcp-be-liberal" => match value {
            "true" => ct.tcp_be_liberal = Some(at(true, name, line)),
            "false" => ct.tcp_be_liberal = Some(at(false, name, line)),
            _ => bad("true or false"),
        },
        _ => {}
    }
}
