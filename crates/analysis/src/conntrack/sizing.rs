//! What kube-proxy sets on this node, next to what the node has: `nf_conntrack_max` from kube-proxy's
//! formula for the CPUs seen, the hash size, the TCP and UDP timeouts and `tcp_be_liberal`, each from
//! kube-proxy's pasted settings (`/flagz`, its configuration or ConfigMap) or its defaults; and the
//! `conntrack-oversized` finding for a table sized far beyond what the node uses.
//!
//! The formula is kube-proxy's `getConntrackMax` (`pkg/proxy/conntrack/sysctls.go`; earlier
//! `cmd/kube-proxy/app/server.go`): with `maxPerCore` 0 kube-proxy leaves the limit alone (and ignores
//! `min`); otherwise `scaled = maxPerCore × CPUs`, and the value is `scaled` when above `min`, else
//! `min`. Since 1.36 a `scaled` above 1,048,576 is cut to 1,048,576 before `min` is looked at (the
//! capping commit, kubernetes 008b365, after kubernetes#136228: 512 CPUs gave 16,777,216). The timeouts
//! are written when above zero; `udpTimeout` and `udpStreamTimeout` default to 0 (left alone).

use svcpath_syntax::kube_proxy_config::{
    ConntrackSettings, KubeProxySettings, Setting, SettingsForm,
};

use super::*;
use crate::report::{Agreement, ExpectedMax, Finding, FindingCode, KubeProxyTimeout, Severity};

/// `nf_conntrack_tcp_be_liberal`, which kube-proxy sets to 1 with `conntrack.tcpBeLiberal: true`.
pub const TCP_BE_LIBERAL: &str = "net.netfilter.nf_conntrack_tcp_be_liberal";
/// Used entries at or under this share of a limit above [`KUBE_PROXY_SCALED_CAP`] make it oversized.
const OVERSIZED_USE: f64 = 0.125;

/// kube-proxy's settings as they apply: the pasted section they come from, or none (its defaults).
struct Applied<'a> {
    settings: Option<&'a KubeProxySettings>,
    /// `/flagz` shows `--config=FILE` and the file is not in the paste: the flags shown do not apply.
    unread_file: Option<&'a Setting<String>>,
}

impl<'a> Applied<'a> {
    fn of(all: &'a [KubeProxySettings]) -> Applied<'a> {
        let file = all.iter().rev().find(|s| {
            matches!(
                s.form,
                Some(SettingsForm::ConfigFile | SettingsForm::ConfigMap)
            )
        });
        let flagz = all
            .iter()
            .rev()
            .find(|s| s.form == Some(SettingsForm::Flagz));
        match (file, flagz) {
            (Some(f), _) => Applied {
                settings: Some(f),
                unread_file: None,
            },
            (None, Some(z)) if z.config_file.is_some() => Applied {
                settings: None,
                unread_file: z.config_file.as_ref(),
            },
            (None, z) => Applied {
                settings: z,
                unread_file: None,
            },
        }
    }

    /// A setting's value and a phrase saying where it comes from.
    fn value<T: Copy + std::fmt::Display>(
        &self,
        pick: fn(&ConntrackSettings) -> &Option<Setting<T>>,
        default: T,
        what: &str,
    ) -> (T, String) {
        match self.settings {
            Some(s) => match pick(&s.conntrack) {
                Some(v) => (v.value, said_in(v, s)),
                None => (
                    default,
                    format!("kube-proxy's default {what}; {} does not set it", form_name(s)),
                ),
            },
            None => match self.unread_file {
                Some(f) => (
                    default,
                    format!(
                        "kube-proxy's default {what}, assumed: /flagz (line {}) shows kube-proxy reads {}, which the paste does not hold",
                        f.line, f.value
                    ),
                ),
                None => (default, format!("kube-proxy's default {what}")),
            },
        }
    }
}

/// Where a setting's value comes from: "`conntrack.maxPerCore: 0` in the kube-proxy ConfigMap (line 12)".
fn said_in<T: std::fmt::Display>(v: &Setting<T>, s: &KubeProxySettings) -> String {
    format!(
        "`{}: {}` in {} (line {})",
        v.key,
        v.value,
        form_name(s),
        v.line
    )
}

fn form_name(s: &KubeProxySettings) -> &'static str {
    s.form
        .map(SettingsForm::describe)
        .unwrap_or("kube-proxy's settings")
}

/// `v1.36.1` → `(1, 36)`.
fn minor_version(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.trim().trim_start_matches('v').split(['.', '-', '+']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// kube-proxy's `getConntrackMax`; `capped` for 1.36 and newer.
pub(super) fn kube_proxy_max(max_per_core: u64, min: u64, cpus: u64, capped: bool) -> u64 {
    let scaled = max_per_core.saturating_mul(cpus);
    if capped && scaled > KUBE_PROXY_SCALED_CAP {
        return KUBE_PROXY_SCALED_CAP;
    }
    if scaled > min {
        scaled
    } else {
        min
    }
}

impl Facts<'_> {
    fn applied(&self) -> Applied<'_> {
        Applied::of(self.inputs.kube_proxy_settings)
    }

    /// The kube-proxy version the paste shows and where.
    fn kube_proxy_version(&self) -> Option<(String, String)> {
        if let Some((v, line)) = self.inputs.kube_proxy_version {
            return Some((v.to_string(), format!("kube-proxy's log, line {line}")));
        }
        self.inputs
            .kube_proxy_settings
            .iter()
            .rev()
            .find_map(|s| s.version.as_ref())
            .map(|v| (v.value.clone(), format!("{}, line {}", v.key, v.line)))
    }

    /// kube-proxy's `nf_conntrack_max` for this node next to the node's; `None` when there is nothing
    /// to say (no CPU count, no kube-proxy settings and no limit above kube-proxy's cap).
    pub(super) fn expected_max(&self) -> Option<ExpectedMax> {
        let applied = self.applied();
        let cpus = self.cpus();
        let oversized = self.max.is_some_and(|m| m.value > KUBE_PROXY_SCALED_CAP);
        if cpus.is_none()
            && applied.settings.is_none()
            && applied.unread_file.is_none()
            && !oversized
        {
            return None;
        }
        let (max_per_core, per_core_source) =
            applied.value(|c| &c.max_per_core, KUBE_PROXY_MAX_PER_CORE, "maxPerCore");
        let (min, min_source) = applied.value(|c| &c.min, KUBE_PROXY_MIN, "min");
        let both_default = per_core_source.starts_with("kube-proxy's default")
            && min_source.starts_with("kube-proxy's default");
        let settings_source = match (both_default, applied.settings, applied.unread_file) {
            (true, _, Some(f)) => format!(
                "kube-proxy's defaults, assumed: /flagz (line {}) shows kube-proxy reads {}, which the paste does not hold",
                f.line, f.value
            ),
            (true, Some(s), None) => format!("kube-proxy's defaults: {} sets neither maxPerCore nor min", form_name(s)),
            (true, None, None) => "kube-proxy's defaults".to_string(),
            (false, _, _) => format!("maxPerCore from {per_core_source}, min from {min_source}"),
        };
        let observed = self.max;
        let node_has = match observed {
            Some(m) => format!("the node has {} ({}, line {})", n(m.value), m.from, m.line),
            None => {
                "the node's value is not in the paste (`sysctl net.netfilter.nf_conntrack_max`)"
                    .to_string()
            }
        };
        let mut out = ExpectedMax {
            value: None,
            formula: String::new(),
            version_basis: String::new(),
            uncapped: None,
            capped: None,
            max_per_core,
            min,
            settings_source: settings_source.clone(),
            cpus: cpus.map(|(c, _)| c),
            cpus_source: cpus.map(|(c, line)| {
                format!(
                    "`conntrack -S` lists {c} CPU{} (line {line})",
                    plural(u64::from(c))
                )
            }),
            observed: observed.map(|m| m.value),
            observed_line: observed.map(|m| m.line),
            agreement: Agreement::Unknown,
            expected_buckets: None,
            summary: String::new(),
        };
        if max_per_core == 0 {
            out.formula =
                "maxPerCore = 0: kube-proxy leaves nf_conntrack_max as it is and ignores min"
                    .to_string();
            out.version_basis = "every release".to_string();
            out.agreement = if observed.is_some() {
                Agreement::LeftAlone
            } else {
                Agreement::Unknown
            };
            out.settings_source = per_core_source.clone();
            let node_part = match observed {
                Some(m) => format!(
                    "the node's {} ({}, line {}) is the kernel's default or a sysctl file's, not kube-proxy's",
                    n(m.value),
                    m.from,
                    m.line
                ),
                None => node_has.clone(),
            };
            out.summary = format!(
                "kube-proxy leaves nf_conntrack_max alone on this node ({per_core_source}; kind does this because the limit is shared by every network namespace of the host); {node_part}."
            );
            return Some(out);
        }
        let Some((cpu_count, _)) = cpus else {
            out.formula = format!(
                "max({} × CPUs, {}), capped at {} before the floor since 1.36",
                n(max_per_core),
                n(min),
                n(KUBE_PROXY_SCALED_CAP)
            );
            out.version_basis = "not computed: the CPU count is unknown".to_string();
            out.summary = format!(
                "kube-proxy's nf_conntrack_max is {} ({settings_source}), but the paste does not show how many CPUs the node has (`conntrack -S` prints one line per CPU), so its value here is unknown; {node_has}.",
                out.formula
            );
            return Some(out);
        };
        let cpus64 = u64::from(cpu_count);
        let uncapped = kube_proxy_max(max_per_core, min, cpus64, false);
        let capped = kube_proxy_max(max_per_core, min, cpus64, true);
        let scaled = max_per_core.saturating_mul(cpus64);
        let base_formula = format!("max({} × {cpu_count} CPUs, {})", n(max_per_core), n(min));
        let version = self.kube_proxy_version();
        let version_minor = version.as_ref().and_then(|(v, _)| minor_version(v));
        let (value, basis) = if uncapped == capped {
            out.formula = format!("{base_formula} = {}", n(uncapped));
            (
                Some(uncapped),
                format!(
                    "any release: below the {} cap of 1.36+",
                    n(KUBE_PROXY_SCALED_CAP)
                ),
            )
        } else {
            out.uncapped = Some(uncapped);
            out.capped = Some(capped);
            out.formula = format!(
                "{base_formula} = {} (kube-proxy 1.35 and older); 1.36 and newer cut {} × {cpu_count} = {} to {} first, giving {}",
                n(uncapped),
                n(max_per_core),
                n(scaled),
                n(KUBE_PROXY_SCALED_CAP),
                n(capped)
            );
            match (version_minor, &version) {
                (Some(v), Some((text, at))) => {
                    let is_capped = v >= (1, 36);
                    (
                        Some(if is_capped { capped } else { uncapped }),
                        format!(
                            "kube-proxy {text} ({at}): {}",
                            if is_capped { "1.36 or newer, capped" } else { "1.35 or older, not capped" }
                        ),
                    )
                }
                _ => match observed.map(|m| m.value) {
                    Some(v) if v == uncapped => (
                        Some(uncapped),
                        "no kube-proxy version in the paste; the node's value is what 1.35 and older set".to_string(),
                    ),
                    Some(v) if v == capped => (
                        Some(capped),
                        "no kube-proxy version in the paste; the node's value is what 1.36 and newer set".to_string(),
                    ),
                    _ => (
                        None,
                        "no kube-proxy version in the paste: 1.35 and older and 1.36 and newer give different values".to_string(),
                    ),
                },
            }
        };
        out.value = value;
        out.version_basis = basis.clone();
        out.expected_buckets = value.map(|v| v / KUBE_PROXY_ENTRIES_PER_BUCKET);
        let shown_formula = |v: u64| {
            if uncapped != capped && v == capped {
                format!(
                    "{} × {cpu_count} CPUs = {}, cut to {}",
                    n(max_per_core),
                    n(scaled),
                    n(KUBE_PROXY_SCALED_CAP)
                )
            } else {
                format!("{base_formula} = {}", n(v))
            }
        };
        let expected_text = match value {
            Some(v) => format!(
                "kube-proxy sets nf_conntrack_max = {} and hashsize = {} (it raises a smaller one) on this node ({settings_source}; {basis})",
                shown_formula(v),
                n(v / KUBE_PROXY_ENTRIES_PER_BUCKET)
            ),
            None => format!(
                "kube-proxy sets nf_conntrack_max = {} on this node up to 1.35, and {} from 1.36 on ({settings_source}; {basis})",
                shown_formula(uncapped),
                n(capped)
            ),
        };
        let candidates = [value, Some(uncapped), Some(capped)];
        out.agreement = match observed {
            None => Agreement::Unknown,
            Some(m) if value == Some(m.value) => Agreement::Matches,
            Some(m) if value.is_none() && candidates.contains(&Some(m.value)) => Agreement::Matches,
            Some(_) => Agreement::NotSetByKubeProxy,
        };
        let verdict = match (observed, out.agreement) {
            (Some(m), Agreement::Matches) => format!("; the node has exactly that ({}, line {}): kube-proxy set it.", m.from, m.line),
            (Some(m), _) if value.is_some_and(|v| m.value < v) => format!(
                "; the node has {} ({}, line {}), less: kube-proxy did not set this. kube-proxy could not write it (read-only /proc/sys, not the host's network namespace), or something lowered it after kube-proxy started (kube-proxy writes it once, at start).",
                n(m.value), m.from, m.line
            ),
            (Some(m), _) => format!(
                "; the node has {} ({}, line {}), more: kube-proxy did not set this. A sysctl file, another program or earlier kube-proxy settings put it there (kube-proxy writes it once, at start).",
                n(m.value), m.from, m.line
            ),
            (None, _) => format!("; {node_has}."),
        };
        out.summary = format!("{expected_text}{verdict}");
        Some(out)
    }

    /// Each timeout kube-proxy may set, and `tcp_be_liberal`, against the node's; only when kube-proxy's
    /// settings are pasted (its defaults are compared in the timeout reasons already).
    pub(super) fn kube_proxy_timeouts(&self) -> Vec<KubeProxyTimeout> {
        let applied = self.applied();
        if applied.settings.is_none() && applied.unread_file.is_none() {
            return Vec::new();
        }
        type Pick = fn(&ConntrackSettings) -> &Option<Setting<u64>>;
        let rows: [(&str, Pick, u64, &str); 4] = [
            (
                sysctl::TCP_TIMEOUT_ESTABLISHED,
                |c| &c.tcp_established_timeout,
                86_400,
                "tcpEstablishedTimeout (24h)",
            ),
            (
                sysctl::TCP_TIMEOUT_CLOSE_WAIT,
                |c| &c.tcp_close_wait_timeout,
                3_600,
                "tcpCloseWaitTimeout (1h)",
            ),
            (
                sysctl::UDP_TIMEOUT,
                |c| &c.udp_timeout,
                0,
                "udpTimeout (0s: left alone)",
            ),
            (
                sysctl::UDP_TIMEOUT_STREAM,
                |c| &c.udp_stream_timeout,
                0,
                "udpStreamTimeout (0s: left alone)",
            ),
        ];
        let mut out = Vec::new();
        for (key, pick, default, what) in rows {
            let (value, source) = applied.value(pick, default, what);
            let node = self.timeouts.get(key);
            out.push(row(
                key,
                (value > 0).then_some(value),
                source,
                node.map(|t| (t.value, t.line)),
            ));
        }
        let (liberal, source) = match applied.settings {
            Some(s) => match &s.conntrack.tcp_be_liberal {
                Some(v) => (v.value, said_in(v, s)),
                None => (
                    false,
                    format!(
                        "kube-proxy's default tcpBeLiberal, false: left alone; {} does not set it",
                        form_name(s)
                    ),
                ),
            },
            None => (
                false,
                "kube-proxy's default tcpBeLiberal, false: left alone (assumed)".to_string(),
            ),
        };
        let node = last_sysctl(self.inputs.sysctls, &[TCP_BE_LIBERAL]).map(|t| (t.value, t.line));
        out.push(row(TCP_BE_LIBERAL, liberal.then_some(1), source, node));
        out
    }

    /// One sentence per kube-proxy timeout that the node does not have as kube-proxy sets it, or that
    /// kube-proxy's pasted settings change from its defaults.
    pub(super) fn reason_kube_proxy_timeouts(
        &self,
        rows: &[KubeProxyTimeout],
        reasons: &mut Vec<String>,
    ) {
        for r in rows {
            let node = match (r.node, r.node_line) {
                (Some(v), Some(line)) => format!(
                    "the node has {} (line {line})",
                    if r.key.ends_with("be_liberal") {
                        v.to_string()
                    } else {
                        secs(v)
                    }
                ),
                _ => "the node's value is not in the paste".to_string(),
            };
            let said = match (r.kube_proxy, r.agreement) {
                (None, _) => format!("{}: kube-proxy leaves it alone ({}); {node}.", r.key, r.source),
                (Some(v), Agreement::Matches) => format!("{}: kube-proxy sets {} ({}); {node}, as set.", r.key, shown(&r.key, v), r.source),
                (Some(v), Agreement::NotSetByKubeProxy) => format!(
                    "{}: kube-proxy sets {} ({}); {node}: kube-proxy did not set this, or it was changed after kube-proxy started (kube-proxy writes it once, at start).",
                    r.key, shown(&r.key, v), r.source
                ),
                (Some(v), _) => format!("{}: kube-proxy sets {} ({}); {node}.", r.key, shown(&r.key, v), r.source),
            };
            reasons.push(said);
        }
    }

    /// The `conntrack-oversized` finding: a limit above kube-proxy's cap with at most an eighth of it used.
    pub(super) fn oversized(&self) -> Option<Finding> {
        let m = self.max?;
        let c = self.count?;
        if m.value <= KUBE_PROXY_SCALED_CAP || (c.value as f64) > m.value as f64 * OVERSIZED_USE {
            return None;
        }
        let chains = self
            .buckets
            .filter(|b| b.value > 0)
            .map(|b| {
                format!(
                    ", and a full table walks hash chains of {:.1} entries on average ({} buckets)",
                    m.value as f64 / b.value as f64,
                    n(b.value)
                )
            })
            .unwrap_or_default();
        let message = format!(
            "nf_conntrack_max = {} ({}, line {}) is far beyond what this node uses: {} entries ({}). Before the kernel drops anything a full table holds about {} of kernel memory ({} × ~{BYTES_PER_ENTRY} B){chains}; a flood or a leak fills that instead of being stopped early. kube-proxy 1.36 caps its per-core value at {} for this reason (kubernetes#136228: 512 CPUs × 32,768 gave 16,777,216). Lower it with `sysctl -w net.netfilter.nf_conntrack_max={}` and, where kube-proxy sets it, a `conntrack.maxPerCore` (or kube-proxy 1.36 or newer) that keeps maxPerCore × CPUs at or below that.",
            n(m.value),
            m.from,
            m.line,
            n(c.value),
            pct(c.value as f64 / m.value as f64),
            bytes(m.value.saturating_mul(BYTES_PER_ENTRY)),
            n(m.value),
            n(KUBE_PROXY_SCALED_CAP),
            KUBE_PROXY_SCALED_CAP
        );
        Some(Finding::new(
            FindingCode::ConntrackOversized,
            Severity::Warning,
            None,
            vec![m.line, c.line],
            message,
        ))
    }
}

fn shown(key: &str, v: u64) -> String {
    if key.ends_with("be_liberal") {
        v.to_string()
    } else {
        secs(v)
    }
}

fn row(
    key: &str,
    kube_proxy: Option<u64>,
    source: String,
    node: Option<(u64, u32)>,
) -> KubeProxyTimeout {
    let agreement = match (kube_proxy, node) {
        (None, _) => Agreement::LeftAlone,
        (Some(_), None) => Agreement::Unknown,
        (Some(k), Some((v, _))) if k == v => Agreement::Matches,
        (Some(_), Some(_)) => Agreement::NotSetByKubeProxy,
    };
    KubeProxyTimeout {
        key: key.trim_start_matches("net.netfilter.").to_string(),
        kube_proxy,
        source,
        node: node.map(|(v, _)| v),
        node_line: node.map(|(_, l)| l),
        agreement,
    }
}
