//! Diffing two moments of one node by meaning: Services added and removed, endpoints, odds, NodePort,
//! policy, affinity and masquerade changes, findings that appeared or were resolved, rule count and
//! conntrack deltas. A reordered dump or renamed chain hashes (a full resync) give an empty diff, since
//! nothing here looks at lines or chain names.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::facts::{same_share, service_facts, ServiceFacts};
use crate::report::{ConntrackVerdict, Finding, Mode, Report, TrafficPolicy};

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
    let added: Vec<String> = new
        .keys()
        .filter(|k| !old.contains_key(*k))
        .cloned()
        .collect();
    let removed: Vec<String> = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    let mut changed = Vec::new();
    let mut unknown = Vec::new();
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
    unknown.sort();
    let (findings_appeared, findings_gone) = finding_changes(&before.findings, &after.findings);
    let codes = |list: &[FindingChange]| {
        let mut c: Vec<String> = list.iter().map(|f| f.code.clone()).collect();
        c.sort();
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
    let mut notes = Vec::new();
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
        rules: change(&count(before), &count(after)),
        rules_per_packet,
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
