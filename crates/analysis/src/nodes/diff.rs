//! Diffing two moments of one node by meaning: Services added and removed, endpoints, odds, NodePort,
//! policy, affinity and masquerade changes, findings that appeared or were resolved, rule count and
//! conntrack deltas. A reordered dump or renamed chain hashes (a full resync) give an empty diff, since
//! nothing here looks at lines or chain names. A paste narrowed by `grep`, or by `ipvsadm -t|-u` to one
//! virtual service, proves no Service port added or removed, nor its findings, outside what it shows.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::facts::{same_share, service_facts, ServiceFacts};
use crate::model::Protocol;
use crate::report::{
    ConntrackVerdict, Finding, Mode, Report, SectionEntry, SectionKind, Service, TrafficPolicy,
};

/// A value before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change<T> {
    pub before: T,
    pub after: T,
}

fn change<T: PartialEq + Clone>(before: &T, after: &T) -> Option<Change<T>> {
    (before != after).then(|| Change {
        before: before.clone(),
        after: after.clone(),
    })
}

/// An endpoint whose share of new connections changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OddsChange {
    pub endpoint: String,
    pub before: f64,
    pub after: f64,
}

/// What changed for one Service port present at both moments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ServiceChange {
    pub id: String,
    pub endpoints_added: Vec<String>,
    pub endpoints_removed: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub odds: Vec<OddsChange>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub node_port: Option<Change<Option<u16>>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub external_traffic_policy: Option<Change<Option<TrafficPolicy>>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub drops_external: Option<Change<Option<bool>>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub session_affinity_seconds: Option<Change<Option<u32>>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub masquerade: Option<Change<Option<bool>>>,
    /// Set when the endpoints are unknown at one moment: why, and that no endpoint change is claimed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub endpoints_unknown: Option<String>,
}

impl ServiceChange {
    fn is_empty(&self) -> bool {
        self.endpoints_added.is_empty()
            && self.endpoints_removed.is_empty()
            && self.odds.is_empty()
            && self.node_port.is_none()
            && self.external_traffic_policy.is_none()
            && self.drops_external.is_none()
            && self.session_affinity_seconds.is_none()
            && self.masquerade.is_none()
    }
}

/// A finding that appeared or was resolved, keyed by its code and Service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingChange {
    pub code: String,
    pub service: Option<String>,
    pub message: String,
}

/// The conntrack numbers that changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ConntrackDelta {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub count: Option<Change<Option<u64>>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub max: Option<Change<Option<u64>>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub drops: Option<Change<Option<u64>>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub verdict: Option<Change<Option<ConntrackVerdict>>>,
}

/// Two moments of one node, compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Diff {
    /// Service ports only the later moment has.
    pub added: Vec<String>,
    /// Service ports only the earlier moment has.
    pub removed: Vec<String>,
    pub changed: Vec<ServiceChange>,
    /// Codes of the findings that appeared, each once.
    pub findings_added: Vec<String>,
    /// Codes of the findings that were resolved, each once.
    pub findings_resolved: Vec<String>,
    /// The findings behind those codes, one per code and Service.
    pub findings_appeared: Vec<FindingChange>,
    pub findings_gone: Vec<FindingChange>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mode: Option<Change<Mode>>,
    /// Rules of the node's mode (iptables, nft, IPVS virtual services), when the count changed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rules: Option<Change<usize>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rules_per_packet: Option<Change<Option<f64>>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub conntrack: Option<ConntrackDelta>,
    /// Service ports whose endpoints were unknown at a moment (no endpoint change claimed for them).
    pub unknown: Vec<String>,
    /// What limits the diff: a cut or partial paste, for one.
    pub notes: Vec<String>,
}

impl Diff {
    /// True when the two moments mean the same.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
            && self.findings_added.is_empty()
            && self.findings_resolved.is_empty()
            && self.mode.is_none()
            && self.rules.is_none()
            && self.rules_per_packet.is_none()
            && self.conntrack.is_none()
    }
}

/// What changed from `before` to `after` (two reports of one node).
pub fn diff(before: &Report, after: &Report) -> Diff {
    let old = service_facts(before);
    let new = service_facts(after);
    // A Service port one moment lacks is added or removed only if that moment's paste would show it:
    // a paste narrowed by `grep` or to some IPVS virtual services proves nothing of the others.
    let mut unknown = Vec::new();
    let mut notes = Vec::new();
    let mut presence =
        |from: &Report, to: &Report, to_ids: &BTreeMap<String, ServiceFacts>, when| {
            let mut proved = Vec::new();
            let mut hidden = 0;
            for id in from.services.iter().map(|s| &s.id) {
                if to_ids.contains_key(id) || proved.contains(id) || unknown.contains(id) {
                    continue;
                }
                let service = from.services.iter().find(|s| &s.id == id);
                if service.is_some_and(|s| would_show(to, s)) {
                    proved.push(id.clone());
                } else {
                    unknown.push(id.clone());
                    hidden += 1;
                }
            }
            if hidden > 0 {
                notes.push(narrowed_note(to, when, hidden));
            }
            svcpath_syntax::stable_sort::sort(&mut proved);
            proved
        };
    let removed = presence(before, after, &new, "later");
    let added = presence(after, before, &old, "earlier");
    // Service ports one moment may hide: their findings neither appeared nor were resolved.
    let hidden = unknown.clone();
    // Rule counts of pastes narrowed differently are not two counts of one thing.
    let comparable = narrowings(before) == narrowings(after);
    let mut changed = Vec::new();
    for (id, a) in &old {
        let Some(b) = new.get(id) else { continue };
        let c = service_change(id, a, b);
        if c.endpoints_unknown.is_some() {
            unknown.push(id.clone());
        }
        if !c.is_empty() {
            changed.push(c);
        }
    }
    for id in &added {
        if new.get(id).is_some_and(|f| f.endpoints.is_none()) {
            unknown.push(id.clone());
        }
    }
    svcpath_syntax::stable_sort::sort(&mut unknown);
    let (mut findings_appeared, mut findings_gone) =
        finding_changes(&before.findings, &after.findings);
    let shown = |f: &FindingChange| f.service.as_ref().is_none_or(|s| !hidden.contains(s));
    findings_appeared.retain(shown);
    findings_gone.retain(shown);
    let codes = |list: &[FindingChange]| {
        let mut c: Vec<String> = list.iter().map(|f| f.code.clone()).collect();
        svcpath_syntax::stable_sort::sort(&mut c);
        c.dedup();
        c
    };
    let count =
        |r: &Report| r.rules.iptables_rules + r.rules.nft_rules + r.rules.ipvs_virtual_services;
    let rules_per_packet = match (
        before.rules.mean_rules_per_packet,
        after.rules.mean_rules_per_packet,
    ) {
        (Some(a), Some(b)) if (a - b).abs() < 1e-9 => None,
        (a, b) => change(&a, &b),
    };
    if !comparable && count(before) != count(after) {
        notes.push(
            "The two pastes are narrowed differently (by grep or to some IPVS virtual services), so their rule counts are not compared.".to_string(),
        );
    }
    for (when, report) in [("earlier", before), ("later", after)] {
        let cut = report
            .services
            .iter()
            .filter(|s| s.endpoints_unknown.is_some())
            .count();
        if cut > 0 {
            notes.push(format!(
                "The {when} paste is cut or partial ({cut} Service port{} without the rules that pick {}): a Service port it does not show may still be programmed.",
                if cut == 1 { "" } else { "s" },
                if cut == 1 { "its endpoints" } else { "their endpoints" }
            ));
        }
    }
    Diff {
        notes,
        findings_added: codes(&findings_appeared),
        findings_resolved: codes(&findings_gone),
        added,
        removed,
        changed,
        findings_appeared,
        findings_gone,
        mode: change(&before.mode, &after.mode),
        rules: change(&count(before), &count(after)).filter(|_| comparable),
        rules_per_packet: rules_per_packet.filter(|_| comparable),
        conntrack: conntrack_delta(before, after),
        unknown,
    }
}

fn service_change(id: &str, a: &ServiceFacts, b: &ServiceFacts) -> ServiceChange {
    let mut c = ServiceChange {
        id: id.to_string(),
        ..ServiceChange::default()
    };
    match (&a.endpoints, &b.endpoints) {
        (Some(x), Some(y)) => {
            c.endpoints_added = y.iter().filter(|e| !x.contains(e)).cloned().collect();
            c.endpoints_removed = x.iter().filter(|e| !y.contains(e)).cloned().collect();
            for (ep, before) in &a.odds {
                if let Some(after) = b.odds.get(ep) {
                    if !same_share(*before, *after) {
                        c.odds.push(OddsChange {
                            endpoint: ep.clone(),
                            before: *before,
                            after: *after,
                        });
                    }
                }
            }
        }
        _ => {
            let (when, why) = match (&a.endpoints_unknown, &b.endpoints_unknown) {
                (Some(why), _) => ("before", why.clone()),
                (_, Some(why)) => ("after", why.clone()),
                _ => ("", String::new()),
            };
            c.endpoints_unknown = Some(format!(
                "endpoints unknown {when}: {why}; no endpoint change is claimed"
            ));
        }
    }
    c.node_port = change(&a.node_port, &b.node_port);
    c.external_traffic_policy = change(&a.external_traffic_policy, &b.external_traffic_policy);
    c.drops_external = known_change(a.drops_external, b.drops_external);
    c.session_affinity_seconds = change(&a.session_affinity_seconds, &b.session_affinity_seconds);
    c.masquerade = known_change(a.masquerade, b.masquerade);
    c
}

/// A change between two known values only: unknown at one moment is not a change.
fn known_change(a: Option<bool>, b: Option<bool>) -> Option<Change<Option<bool>>> {
    match (a, b) {
        (Some(x), Some(y)) if x != y => Some(Change {
            before: a,
            after: b,
        }),
        _ => None,
    }
}

/// Findings keyed by code and Service: those only `after` has, and those only `before` has (counted,
/// so two findings of one code on no Service are two).
fn finding_changes(
    before: &[Finding],
    after: &[Finding],
) -> (Vec<FindingChange>, Vec<FindingChange>) {
    let key = |f: &Finding| (f.code.as_str().to_string(), f.service.clone());
    let mut old: BTreeMap<(String, Option<String>), Vec<&Finding>> = BTreeMap::new();
    for f in before {
        old.entry(key(f)).or_default().push(f);
    }
    let mut new: BTreeMap<(String, Option<String>), Vec<&Finding>> = BTreeMap::new();
    for f in after {
        new.entry(key(f)).or_default().push(f);
    }
    let extra = |this: &BTreeMap<_, Vec<&Finding>>, other: &BTreeMap<_, Vec<&Finding>>| {
        let mut out = Vec::new();
        for (k, list) in this {
            let others = other.get(k).map_or(0, Vec::len);
            for f in list.iter().skip(others) {
                out.push(FindingChange {
                    code: f.code.as_str().to_string(),
                    service: f.service.clone(),
                    message: f.message.clone(),
                });
            }
        }
        out
    };
    (extra(&new, &old), extra(&old, &new))
}

fn conntrack_delta(before: &Report, after: &Report) -> Option<ConntrackDelta> {
    let a = before.conntrack.as_ref();
    let b = after.conntrack.as_ref();
    let delta = ConntrackDelta {
        count: change(&a.and_then(|c| c.count), &b.and_then(|c| c.count)),
        max: change(&a.and_then(|c| c.max), &b.and_then(|c| c.max)),
        drops: change(&a.and_then(|c| c.drops), &b.and_then(|c| c.drops)),
        verdict: change(&a.map(|c| c.verdict), &b.map(|c| c.verdict)),
    };
    (delta != ConntrackDelta::default()).then_some(delta)
}

/// How a rule section was narrowed to part of the node's rules, read from the command above it.
#[derive(Debug, Clone, PartialEq)]
enum Narrowing {
    /// `… | grep …`: only the matching lines, so any Service port may be missing.
    Grep,
    /// `ipvsadm -L -t|-u ADDRESS:PORT`: that one virtual service, shown whole.
    IpvsService {
        protocol: Protocol,
        address: String,
        port: u16,
    },
    /// `ipvsadm -L -f MARK`, or a selector not read: some virtual services only.
    IpvsOther,
}

/// The narrowing of one section, `None` when it shows its whole output (or no command says).
fn narrowing(section: &SectionEntry) -> Option<Narrowing> {
    let command = section.command.as_deref()?;
    let words: Vec<&str> = command
        .split(|c: char| c.is_whitespace() || c == '|')
        .filter(|w| !w.is_empty())
        .collect();
    if words
        .iter()
        .any(|w| matches!(*w, "grep" | "egrep" | "fgrep" | "zgrep" | "rg"))
    {
        return Some(Narrowing::Grep);
    }
    if section.kind != SectionKind::Ipvsadm {
        return None;
    }
    let start = words.iter().position(|w| *w == "ipvsadm")?;
    let args = &words[start + 1..];
    for (i, arg) in args.iter().enumerate() {
        let protocol = match *arg {
            "--tcp-service" => Some(Protocol::Tcp),
            "--udp-service" => Some(Protocol::Udp),
            "--sctp-service" => Some(Protocol::Sctp),
            "--fwmark-service" => return Some(Narrowing::IpvsOther),
            a if a.starts_with('-') && !a.starts_with("--") => match a.chars().last() {
                Some('t') => Some(Protocol::Tcp),
                Some('u') => Some(Protocol::Udp),
                Some('f') => return Some(Narrowing::IpvsOther),
                _ => None,
            },
            _ => None,
        };
        let Some(protocol) = protocol else { continue };
        let Some((address, port)) = args.get(i + 1).and_then(|a| a.rsplit_once(':')) else {
            return Some(Narrowing::IpvsOther);
        };
        let address = address.trim_start_matches('[').trim_end_matches(']');
        return Some(match port.parse() {
            Ok(port) if !address.is_empty() => Narrowing::IpvsService {
                protocol,
                address: address.to_string(),
                port,
            },
            _ => Narrowing::IpvsOther,
        });
    }
    None
}

/// The rule sections of `report` that are narrowed, with no whole section of the same kind beside
/// them (a whole `iptables-save` next to a grep of it still shows everything).
fn narrowed_sections(report: &Report) -> Vec<(&SectionEntry, Narrowing)> {
    let rules = |kind: SectionKind| {
        matches!(
            kind,
            SectionKind::Iptables | SectionKind::Ipvsadm | SectionKind::Nft
        )
    };
    let whole = |kind: SectionKind| {
        report
            .sections
            .iter()
            .any(|s| s.kind == kind && narrowing(s).is_none())
    };
    report
        .sections
        .iter()
        .filter(|s| rules(s.kind) && !whole(s.kind))
        .filter_map(|s| narrowing(s).map(|n| (s, n)))
        .collect()
}

/// The narrowings of `report`'s rule sections, in order (empty for a whole paste).
fn narrowings(report: &Report) -> Vec<Narrowing> {
    narrowed_sections(report)
        .into_iter()
        .map(|(_, n)| n)
        .collect()
}

/// Whether `report`'s paste would show `service` (of the other moment) if the node programmed it.
fn would_show(report: &Report, service: &Service) -> bool {
    let narrowed = narrowed_sections(report);
    if narrowed.is_empty() {
        return true;
    }
    narrowed.iter().any(|(_, n)| match n {
        Narrowing::IpvsService {
            protocol,
            address,
            port,
        } => {
            service.protocol == Some(*protocol)
                && ((service.port == Some(*port)
                    && service
                        .cluster_ip
                        .iter()
                        .chain(&service.external_ips)
                        .chain(&service.load_balancer_ips)
                        .any(|a| a == address))
                    || service.id == format!("{address}:{port}/{}", protocol_name(*protocol))
                    || service.id == format!("[{address}]:{port}/{}", protocol_name(*protocol)))
        }
        Narrowing::Grep | Narrowing::IpvsOther => false,
    })
}

fn protocol_name(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Tcp => "tcp",
        Protocol::Udp => "udp",
        Protocol::Sctp => "sctp",
    }
}

/// Why `hidden` Service ports of the other moment are unknown rather than added or removed.
fn narrowed_note(report: &Report, when: &str, hidden: usize) -> String {
    let shown: Vec<String> = narrowed_sections(report)
        .iter()
        .map(|(s, _)| {
            let command = s.command.as_deref().unwrap_or_default();
            let line = s.first_line.saturating_sub(1).max(1);
            format!("`{command}` (line {line})")
        })
        .collect();
    let (plural, verb) = if hidden == 1 {
        ("", "is")
    } else {
        ("s", "are")
    };
    format!(
        "The {when} paste shows only part of the rules ({}): {hidden} Service port{plural} it does not show {verb} unknown at that moment, not {}.",
        shown.join(", "),
        if when == "later" { "removed" } else { "added" }
    )
}
