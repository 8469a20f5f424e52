//! The `KubeProxyConfiguration` file (v1alpha1: `conntrack:`, `clusterCIDR:`; v1alpha2: `linux.conntrack`,
//! `detectLocal.clusterCIDRs`), alone or inside the `kube-proxy` ConfigMap (`data."config.conf"`, as
//! `kubectl get cm -o yaml` or `-o json` prints it, also in a `List`), or a fragment of that ConfigMap
//! starting at its `config.conf:` key.

use super::yaml::{self, Node};
use super::{at_line, duration::parse_go_duration, KubeProxySettings, Setting, SettingsForm};
use crate::diag::Diagnostic;
use crate::source::{lines, Origin};
use crate::Severity;

/// The ConfigMap key kubeadm (and most installers) put the configuration under.
const CONFIG_KEY: &str = "config.conf";

pub(super) fn read(
    text: &str,
    origin: Origin,
    diagnostics: &mut Vec<Diagnostic>,
) -> KubeProxySettings {
    let mut settings = KubeProxySettings::default();
    let documents = load_readable(text, origin, diagnostics);
    let to_paste = |line: u32| origin.line.saturating_add(line.saturating_sub(1));
    for document in &documents {
        if interpret(
            document,
            &to_paste,
            &mut settings,
            text,
            origin,
            diagnostics,
        ) {
            break;
        }
    }
    settings
}

/// The documents of the text; when the YAML breaks off (prose after it, a fragment of a bigger
/// object), the part before the break is read again on its own.
fn load_readable(text: &str, origin: Origin, diagnostics: &mut Vec<Diagnostic>) -> Vec<Node> {
    let loaded = yaml::load(text);
    let Some((message, line)) = loaded.problem else {
        return loaded.documents;
    };
    let mut documents = loaded.documents;
    let paste_line = origin.line.saturating_add(line.saturating_sub(1));
    if line > 1 {
        let cut = lines(text, Origin::START)
            .find(|l| l.number == line)
            .map(|l| l.span.start)
            .unwrap_or(text.len());
        let before = yaml::load(&text[..cut]);
        if before.documents.len() > documents.len() {
            documents = before.documents;
        }
    }
    diagnostics.push(at_line(
        text,
        origin,
        paste_line,
        Severity::Warning,
        format!("the YAML is not readable from here on ({message}); what comes before is read"),
    ));
    documents
}

/// Reads one document; true when it held kube-proxy settings.
fn interpret(
    node: &Node,
    to_paste: &dyn Fn(u32) -> u32,
    settings: &mut KubeProxySettings,
    text: &str,
    origin: Origin,
    diagnostics: &mut Vec<Diagnostic>,
) -> bool {
    if node.get("kind").and_then(Node::text) == Some("List") {
        if let Some(Node::Seq(items)) = node.get("items") {
            return items
                .iter()
                .any(|item| interpret(item, to_paste, settings, text, origin, diagnostics));
        }
    }
    let embedded = node
        .get("data")
        .and_then(|data| data.get(CONFIG_KEY).or_else(|| any_embedded_config(data)))
        .or_else(|| node.get(CONFIG_KEY));
    if let Some(file) = embedded {
        let Some(inner_text) = file.text() else {
            return false;
        };
        let Node::Scalar { line, literal, .. } = file else {
            return false;
        };
        // A `|` block's lines are the paste's lines from its first one (where the scalar's mark is), one
        // for one; a quoted string (JSON) sits on one line.
        let (line, literal) = (*line, *literal);
        let inner = yaml::load(inner_text);
        let inner_to_paste = |inner_line: u32| {
            if literal {
                to_paste(line.saturating_add(inner_line.saturating_sub(1)))
            } else {
                to_paste(line)
            }
        };
        if let Some((message, at)) = &inner.problem {
            diagnostics.push(at_line(
                text,
                origin,
                inner_to_paste(*at),
                Severity::Warning,
                format!("`{CONFIG_KEY}` is not readable YAML from here on ({message})"),
            ));
        }
        let found = inner
            .documents
            .iter()
            .any(|doc| read_config(doc, &inner_to_paste, settings, text, origin, diagnostics));
        if found {
            settings.form = Some(SettingsForm::ConfigMap);
            read_version_label(node, to_paste, settings);
        }
        return found;
    }
    if read_config(node, to_paste, settings, text, origin, diagnostics) {
        settings.form = Some(SettingsForm::ConfigFile);
        return true;
    }
    false
}

/// Another key of a ConfigMap's `data` whose text is a kube-proxy configuration.
fn any_embedded_config(data: &Node) -> Option<&Node> {
    let Node::Map(entries) = data else {
        return None;
    };
    entries.iter().map(|(_, v)| v).find(|v| {
        v.text()
            .is_some_and(|t| t.contains("KubeProxyConfiguration"))
    })
}

/// `metadata.labels` naming a version (`app.kubernetes.io/version: v1.36.0`).
fn read_version_label(
    node: &Node,
    to_paste: &dyn Fn(u32) -> u32,
    settings: &mut KubeProxySettings,
) {
    let Some(Node::Map(labels)) = node.get("metadata").and_then(|m| m.get("labels")) else {
        return;
    };
    for (key, value) in labels {
        let (Some(text), Some(line)) = (value.text(), value.line()) else {
            continue;
        };
        let looks_like_version = text.starts_with('v')
            && text[1..]
                .split('.')
                .take(2)
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        if key.ends_with("version") && looks_like_version {
            settings.version = Some(Setting {
                value: text.chars().take(40).collect(),
                key: format!("metadata.labels.{key}"),
                line: to_paste(line),
            });
            return;
        }
    }
}

/// Reads a `KubeProxyConfiguration`; true when the node is one (by kind, apiVersion or its keys).
fn read_config(
    node: &Node,
    to_paste: &dyn Fn(u32) -> u32,
    settings: &mut KubeProxySettings,
    text: &str,
    origin: Origin,
    diagnostics: &mut Vec<Diagnostic>,
) -> bool {
    let api_version = node.get("apiVersion").and_then(Node::text);
    let is_config = node.get("kind").and_then(Node::text) == Some("KubeProxyConfiguration")
        || api_version.is_some_and(|a| a.starts_with("kubeproxy.config.k8s.io"))
        || node
            .get("conntrack")
            .is_some_and(|c| matches!(c, Node::Map(_)))
        || (node.get("mode").is_some() && node.get("clusterCIDR").is_some());
    if !is_config {
        return false;
    }
    let at = |key: &str, value: &Node| value.line().map(|l| (key.to_string(), to_paste(l)));
    if let (Some(v), Some(n)) = (api_version, node.get("apiVersion")) {
        if let Some((key, line)) = at("apiVersion", n) {
            settings.api_version = Some(Setting {
                value: v.to_string(),
                key,
                line,
            });
        }
    }
    if let Some(n) = node.get("mode") {
        if let (Some(v), Some((key, line))) = (n.text().filter(|v| !v.is_empty()), at("mode", n)) {
            settings.mode = Some(Setting {
                value: v.to_ascii_lowercase(),
                key,
                line,
            });
        }
    }
    if let Some(n) = node.get("clusterCIDR") {
        if let (Some(v), Some((key, line))) = (n.text(), at("clusterCIDR", n)) {
            settings.cluster_cidrs = v
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(|c| Setting {
                    value: c.to_string(),
                    key: key.clone(),
                    line,
                })
                .collect();
        }
    }
    if let Some(Node::Seq(cidrs)) = node.get("detectLocal").and_then(|d| d.get("clusterCIDRs")) {
        for c in cidrs {
            if let (Some(v), Some((key, line))) = (c.text(), at("detectLocal.clusterCIDRs", c)) {
                settings.cluster_cidrs.push(Setting {
                    value: v.trim().to_string(),
                    key,
                    line,
                });
            }
        }
    }
    let (conntrack, prefix) = match node.get("conntrack") {
        Some(c) => (Some(c), "conntrack"),
        None => (
            node.get("linux").and_then(|l| l.get("conntrack")),
            "linux.conntrack",
        ),
    };
    if let Some(conntrack) = conntrack {
        read_conntrack(
            conntrack,
            prefix,
            to_paste,
            settings,
            text,
            origin,
            diagnostics,
        );
    }
    true
}

fn read_conntrack(
    conntrack: &Node,
    prefix: &str,
    to_paste: &dyn Fn(u32) -> u32,
    settings: &mut KubeProxySettings,
    text: &str,
    origin: Origin,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let mut warn = |line: u32, message: String| {
        diagnostics.push(at_line(text, origin, line, Severity::Warning, message));
    };
    let ct = &mut settings.conntrack;
    for field in ["maxPerCore", "min"] {
        let Some(n) = conntrack.get(field) else {
            continue;
        };
        let (Some(v), Some(line)) = (n.text(), n.line()) else {
            continue;
        };
        let line = to_paste(line);
        match v.trim().parse::<u64>() {
            Ok(value) => {
                let s = Some(Setting {
                    value,
                    key: format!("{prefix}.{field}"),
                    line,
                });
                if field == "min" {
                    ct.min = s;
                } else {
                    ct.max_per_core = s;
                }
            }
            Err(_) => warn(
                line,
                format!("{prefix}.{field}: {v:?} is not a whole number; ignored"),
            ),
        }
    }
    for field in [
        "tcpEstablishedTimeout",
        "tcpCloseWaitTimeout",
        "udpTimeout",
        "udpStreamTimeout",
    ] {
        let Some(n) = conntrack.get(field) else {
            continue;
        };
        let (Some(v), Some(line)) = (n.text(), n.line()) else {
            continue;
        };
        let line = to_paste(line);
        let Some(value) = parse_go_duration(v) else {
            warn(
                line,
                format!("{prefix}.{field}: {v:?} is not a duration (like 24h0m0s); ignored"),
            );
            continue;
        };
        let s = Some(Setting {
            value,
            key: format!("{prefix}.{field}"),
            line,
        });
        match field {
            "tcpEstablishedTimeout" => ct.tcp_established_timeout = s,
            "tcpCloseWaitTimeout" => ct.tcp_close_wait_timeout = s,
            "udpTimeout" => ct.udp_timeout = s,
            _ => ct.udp_stream_timeout = s,
        }
    }
    if let Some(n) = conntrack.get("tcpBeLiberal") {
        if let (Some(v), Some(line)) = (n.text(), n.line()) {
            let line = to_paste(line);
            match v {
                "true" | "True" | "TRUE" => {
                    ct.tcp_be_liberal = Some(Setting {
                        value: true,
                        key: format!("{prefix}.tcpBeLiberal"),
                        line,
                    })
                }
                "false" | "False" | "FALSE" => {
                    ct.tcp_be_liberal = Some(Setting {
                        value: false,
                        key: format!("{prefix}.tcpBeLiberal"),
                        line,
                    })
                }
                _ => warn(
                    line,
                    format!("{prefix}.tcpBeLiberal: {v:?} is not true or false; ignored"),
                ),
            }
        }
    }
}
