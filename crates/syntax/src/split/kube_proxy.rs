//! What tells the splitter a section holds kube-proxy's own output: the commands that print its settings
//! and the lines only they have, and the logrus text form of a log line.

use super::SectionKind;

/// `curl -s localhost:10249/flagz`, `kubectl get cm -n kube-system kube-proxy -o yaml`,
/// `cat /var/lib/kube-proxy/config.conf`: a command printing kube-proxy's settings.
pub(super) fn settings_command(command: &str) -> bool {
    if command.len() > 400 {
        return false;
    }
    if command.contains("/flagz") {
        return true;
    }
    let words: Vec<&str> = command.split_whitespace().collect();
    let names_kube_proxy = words
        .iter()
        .any(|w| *w == "kube-proxy" || w.ends_with("/kube-proxy") || *w == "kube-proxy-config");
    let gets_configmap = words.windows(2).any(|w| {
        w[0] == "get" && matches!(w[1], "cm" | "configmap" | "configmaps")
            || w[0] == "get" && w[1].starts_with("configmap/") && w[1].contains("kube-proxy")
            || w[0] == "get" && w[1].starts_with("cm/") && w[1].contains("kube-proxy")
    });
    let reads_file = words.iter().any(|w| {
        w.contains("kube-proxy")
            && (w.ends_with(".conf") || w.ends_with(".yaml") || w.ends_with(".yml"))
            && !w.contains("kubeconfig")
    });
    (gets_configmap
        && (names_kube_proxy
            || words
                .iter()
                .any(|w| w.contains("configmap/kube-proxy") || w.contains("cm/kube-proxy"))))
        || reads_file
}

/// A line only kube-proxy's settings have (checked before the log lines: the `/flagz` JSON names
/// conntrack and kube-proxy, like a log line): the `/flagz` headers, a configuration's `kind` or
/// `apiVersion`, the ConfigMap key that holds it.
pub(super) fn settings_line(text: &str) -> bool {
    matches!(
        text,
        "kube-proxy flags"
            | "kube-proxy flagz"
            | "title: kube-proxy flagz"
            | "kind: KubeProxyConfiguration"
    ) || text.starts_with("apiVersion: kubeproxy.config.k8s.io/")
        || text.starts_with("\"apiVersion\": \"kubeproxy.config.k8s.io/")
        || text.starts_with("config.conf: |")
        || text.starts_with("\"config.conf\": \"")
        || (text.starts_with("{\"kind\":\"Flagz\"")
            || text.starts_with("{\"apiVersion\":\"config.k8s.io/")
                && text.contains("\"kind\":\"Flagz\""))
}

/// Marker words (`===== svcpath: flagz =====`) of the section kind.
pub(super) const MARKERS: [&str; 5] = [
    "kube_proxy_config",
    "kube-proxy-config",
    "kube-proxy-configmap",
    "flagz",
    "kube-proxy-flagz",
];

/// A YAML comment inside kube-proxy's configuration (`# Skip setting sysctl value …`): no prompt unless a
/// tool's name follows the `#` at once.
pub(super) fn yaml_comment(text: &str, current: Option<SectionKind>) -> bool {
    if current != Some(SectionKind::KubeProxyConfig) || !text.starts_with('#') {
        return false;
    }
    let first = text
        .trim_start_matches('#')
        .split_whitespace()
        .next()
        .unwrap_or("");
    first != "sudo" && super::command::tool_kind(first, text).is_none()
}

/// logrus' text format: `INFO[2021-05-18T19:44:36.583297811Z] msg`, `DEBU[…]`, `WARN[…]`.
pub(super) fn logrus_text_like(text: &str) -> bool {
    let level = text.split('[').next().unwrap_or("");
    (4..=5).contains(&level.len())
        && level.bytes().all(|b| b.is_ascii_uppercase())
        && text.contains("] ")
}
