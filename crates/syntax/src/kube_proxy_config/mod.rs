//! kube-proxy's own settings as people paste them: its `/flagz` page (`curl -s localhost:10249/flagz`,
//! 1.32+, text or the structured JSON), its configuration file (`KubeProxyConfiguration`, YAML or JSON)
//! and the `kube-proxy` ConfigMap that holds it (`kubectl get cm -n kube-system kube-proxy -o yaml` or
//! `-o json`, the file under `data."config.conf"`).
//!
//! What is read: the proxy mode, the cluster CIDR (the pods' network), the conntrack settings
//! (`maxPerCore`, `min`, the TCP and UDP timeouts, `tcpBeLiberal`), the `--config` file a `/flagz`
//! page names and a version when the text shows one. Every value keeps the line it was read from. A
//! key that is absent or `null` stays `None`: kube-proxy then applies its default, which the analysis
//! knows, not this parser.

mod config;
mod duration;
mod flagz;
mod yaml;

use serde::Serialize;

use crate::diag::{Diagnostic, Parsed};
use crate::source::{lines, Origin};

pub use duration::parse_go_duration;

/// Longest section read, in bytes: a kube-proxy ConfigMap is a few kilobytes.
pub const MAX_SECTION_BYTES: usize = 1024 * 1024;

/// What kind of text the settings were read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SettingsForm {
    /// kube-proxy's `/flagz` page: the command-line flags, defaults included.
    Flagz,
    /// A `KubeProxyConfiguration` file.
    ConfigFile,
    /// The `kube-proxy` ConfigMap (its `config.conf` key holds the file).
    ConfigMap,
}

impl SettingsForm {
    /// How a sentence names the source: `kube-proxy's /flagz`, `the kube-proxy configuration`.
    pub fn describe(self) -> &'static str {
        match self {
            SettingsForm::Flagz => "kube-proxy's /flagz",
            SettingsForm::ConfigFile => "the kube-proxy configuration file",
            SettingsForm::ConfigMap => "the kube-proxy ConfigMap",
        }
    }
}

/// One value and where it was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Setting<T> {
    pub value: T,
    /// The key as written: `conntrack.maxPerCore`, `conntrack-max-per-core`.
    pub key: String,
    /// 1-based line in the whole paste.
    pub line: u32,
}

/// kube-proxy's conntrack settings; `None` where the text does not set one (or sets it to `null`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ConntrackSettings {
    pub max_per_core: Option<Setting<u64>>,
    pub min: Option<Setting<u64>>,
    /// In seconds (`24h0m0s` is 86400).
    pub tcp_established_timeout: Option<Setting<u64>>,
    pub tcp_close_wait_timeout: Option<Setting<u64>>,
    pub udp_timeout: Option<Setting<u64>>,
    pub udp_stream_timeout: Option<Setting<u64>>,
    pub tcp_be_liberal: Option<Setting<bool>>,
}

impl ConntrackSettings {
    pub fn is_empty(&self) -> bool {
        self == &ConntrackSettings::default()
    }
}

/// Everything read from one section.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KubeProxySettings {
    /// `None` when nothing in the section was recognised.
    pub form: Option<SettingsForm>,
    /// `iptables`, `ipvs`, `nftables`, `kernelspace`; an empty value stays `None` (the platform default).
    pub mode: Option<Setting<String>>,
    /// The pods' network (`clusterCIDR`, `--cluster-cidr`, v1alpha2 `detectLocal.clusterCIDRs`), one
    /// entry per CIDR.
    pub cluster_cidrs: Vec<Setting<String>>,
    pub conntrack: ConntrackSettings,
    /// The file named by `--config` on a `/flagz` page: kube-proxy reads its settings from there and
    /// the other flags shown do not apply.
    pub config_file: Option<Setting<String>>,
    /// A kube-proxy version the text shows (a ConfigMap label), e.g. `v1.36.0`.
    pub version: Option<Setting<String>>,
    /// The `apiVersion` of the configuration (`kubeproxy.config.k8s.io/v1alpha1`).
    pub api_version: Option<Setting<String>>,
    /// First line of the text the settings were read from.
    pub first_line: u32,
}

impl KubeProxySettings {
    pub fn is_empty(&self) -> bool {
        self.form.is_none()
    }
}

/// Reads one section. `command` is the command line that opened it, if any (`curl …/flagz`).
pub fn parse(text: &str, origin: Origin, command: Option<&str>) -> Parsed<KubeProxySettings> {
    let mut diagnostics = Vec::new();
    let mut text = text;
    if text.len() > MAX_SECTION_BYTES {
        let mut end = MAX_SECTION_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let cut = text[..end].rfind('\n').map(|i| i + 1).unwrap_or(end);
        text = &text[..cut];
        if let Some(last) = lines(text, origin).last() {
            diagnostics.push(Diagnostic::warning(
                &last,
                format!(
                    "the kube-proxy settings section is over {} KiB; only its first {} KiB (up to this line) are read",
                    MAX_SECTION_BYTES / 1024,
                    MAX_SECTION_BYTES / 1024
                ),
            ));
        }
    }
    let mut settings = if flagz::looks_like_flagz(text, command) {
        flagz::read(text, origin, &mut diagnostics)
    } else {
        config::read(text, origin, &mut diagnostics)
    };
    settings.first_line = origin.line;
    if settings.form.is_none() {
        if let Some(first) = lines(text, origin).find(|l| !l.text.trim().is_empty()) {
            diagnostics.push(Diagnostic::warning(
                &first,
                "no kube-proxy setting found here: expected kube-proxy's /flagz output, a \
                 KubeProxyConfiguration or the kube-proxy ConfigMap",
            ));
        }
    }
    Parsed {
        value: settings,
        diagnostics,
    }
}

/// A diagnostic on a line of the section (1-based, in the whole paste), or on its first line.
fn at_line(
    text: &str,
    origin: Origin,
    line: u32,
    severity: crate::Severity,
    message: String,
) -> Diagnostic {
    let found = lines(text, origin)
        .find(|l| l.number == line)
        .or_else(|| lines(text, origin).next());
    match found {
        Some(l) => Diagnostic::new(&l, severity, message),
        None => Diagnostic {
            line: origin.line,
            span: crate::Span::new(origin.offset, origin.offset),
            severity,
            message,
        },
    }
}

#[cfg(test)]
mod tests;
