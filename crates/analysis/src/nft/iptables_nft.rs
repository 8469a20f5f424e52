//! iptables-mode kube-proxy rules seen through `nft list ruleset`: iptables-nft writes `KUBE-SERVICES`,
//! `KUBE-SVC-…` and `KUBE-SEP-…` chains into the `ip nat` and `ip filter` tables, and nft prints them in
//! its own syntax (`meta l4proto tcp ip daddr 10.96.0.1 tcp dport 443 counter … jump KUBE-SVC-…`,
//! `meta random & 2147483647 < N` for `-m statistic`, `xt match recent` for `-m recent`, no comments).
//! This module says so and translates what it can into Services.

use crate::report::FindingCode;
use std::collections::BTreeMap;

use svcpath_syntax::nft::{Chain, Expr, NatKind, Op, Ruleset, Table, Value, Verdict};

use crate::report::{Endpoint, Finding, Mode, Protocol, Service, Severity, TrafficPolicy};
use crate::ModeAnalysis;

pub const CODE: FindingCode = FindingCode::IptablesNftListing;

/// Most chain lines a finding lists.
const MAX_FINDING_LINES: usize = 20;

/// What an `nft list ruleset` of iptables-mode rules says.
#[derive(Debug, Clone, PartialEq)]
pub struct IptablesNftListing {
    /// Always [`Mode::Iptables`]: these rules come from kube-proxy's iptables mode.
    pub mode: Mode,
    /// The tables holding `KUBE-…` chains (`ip nat`, `ip filter`, or `(no table header)` for a fragment).
    pub tables: Vec<String>,
    /// How many `KUBE-…` chains there are.
    pub kube_chains: usize,
    /// The Services translated from the chains, and the `iptables-nft-listing` finding.
    pub analysis: ModeAnalysis,
}

fn is_iptables_table(t: &Table) -> bool {
    matches!(t.family.as_str(), "ip" | "ip6" | "")
        && matches!(t.name.as_str(), "nat" | "filter" | "mangle" | "raw" | "")
}

/// Finds kube-proxy's iptables-mode chains in nft listings and explains them. `None` when there are none.
pub fn iptables_nft_chains(rulesets: &[Ruleset]) -> Option<IptablesNftListing> {
    let tables: Vec<&Table> = rulesets
        .iter()
        .flat_map(|r| r.tables.iter())
        .filter(|t| is_iptables_table(t) && t.chains.iter().any(|c| c.name.starts_with("KUBE-")))
        .collect();
    if tables.is_empty() {
        return None;
    }
    let kube_chains: Vec<&Chain> = tables
        .iter()
        .flat_map(|t| t.chains.iter())
        .filter(|c| c.name.starts_with("KUBE-"))
        .collect();
    // IPv4 and IPv6 rules carry the same chain names (kube-proxy names chains after the Service
    // port), so each family's tables are read on their own.
    let mut families: Vec<&str> = tables.iter().map(|t| t.family.as_str()).collect();
    families.sort_unstable();
    families.dedup();
    let mut services = Vec::new();
    let mut assumed = false;
    for family in families {
        let mut t = Translator::default();
        for table in tables.iter().filter(|t| t.family == family) {
            t.table(table);
        }
        let (found, assumed_here) = t.finish();
        services.extend(found);
        assumed |= assumed_here;
    }
    svcpath_syntax::stable_sort::sort_by(&mut services, |a, b| a.id.cmp(&b.id));

    let warnings: Vec<u32> = rulesets
        .iter()
        .flat_map(|r| r.iptables_nft_warnings.iter())
        .filter(|w| tables.iter().any(|t| t.label() == w.table))
        .map(|w| w.line)
        .collect();
    let mut lines: Vec<u32> = warnings.clone();
    lines.extend(kube_chains.iter().map(|c| c.line).take(MAX_FINDING_LINES));
    lines.sort_unstable();
    lines.dedup();
    let table_names: Vec<String> = tables.iter().map(|t| t.label()).collect();
    let noted = if warnings.is_empty() {
        String::new()
    } else {
        " nft itself warns that iptables-nft manages these tables.".to_string()
    };
    let odds = if assumed {
        " Some `-m statistic` matches are shown as `xt match statistic` without their probability; the odds given assume kube-proxy's usual equal split."
    } else {
        ""
    };
    let where_ = if table_names.iter().all(|t| t == "(no table header)") {
        "(listed without their table header)".to_string()
    } else {
        format!(
            "in table{} {}",
            if table_names.len() == 1 { "" } else { "s" },
            table_names.join(" and ")
        )
    };
    let finding = Finding::new(
        CODE,
        Severity::Info,
        None,
        lines,
        format!(
            "{} {} iptables-mode kube-proxy rules seen through nft: kube-proxy runs in iptables mode and writes them with iptables-nft, and `nft list ruleset` shows them translated into nft syntax (`meta random & 2147483647 < N` is `-m statistic --probability`, `xt match recent` is the session-affinity `-m recent`, and the comments naming each Service are not shown).{noted} This is not kube-proxy's nftables mode. `iptables-save` (or `iptables-nft-save`) prints the same rules with their Service names, in the form svcpath explains fully; {} Service port{} could be read from this listing.{odds}",
            if kube_chains.len() == 1 {
                format!("The KUBE-… chain {}", where_)
            } else {
                format!("These {} KUBE-… chains {}", kube_chains.len(), where_)
            },
            if kube_chains.len() == 1 { "holds" } else { "hold" },
            services.len(),
            if services.len() == 1 { "" } else { "s" },
        ),
    );
    Some(IptablesNftListing {
        mode: Mode::Iptables,
        tables: table_names,
        kube_chains: kube_chains.len(),
        analysis: ModeAnalysis {
            services,
            findings: vec![finding],
            ..ModeAnalysis::default()
        },
    })
}

#[derive(Debug, Default)]
struct Svc {
    id: Option<String>,
    protocol: Option<Protocol>,
    cluster_ip: Option<String>,
    port: Option<u16>,
    node_port: Option<u16>,
    external_ips: Vec<String>,
    load_balancer_ips: Vec<String>,
    source_ranges: Vec<String>,
    etp: Option<TrafficPolicy>,
    affinity: bool,
    no_endpoints: bool,
    lines: Vec<u32>,
}

#[derive(Default)]
struct Translator<'a> {
    /// Service ports by the hash kube-proxy puts after `KUBE-SVC-`, `KUBE-EXT-`, `KUBE-FW-`, `KUBE-SVL-`.
    by_hash: BTreeMap<String, Svc>,
    /// Service ports seen only by address (`has no endpoints` rejects).
    by_address: BTreeMap<String, Svc>,
    chains: BTreeMap<&'a str, Vec<&'a Chain>>,
}

fn push_unique(list: &mut Vec<String>, v: &str) {
    if !list.iter().any(|x| x == v) {
        list.push(v.to_string());
    }
}

fn host(ip: &str) -> String {
    ip.strip_suffix("/32")
        .or_else(|| ip.strip_suffix("/128"))
        .unwrap_or(ip)
        .to_string()
}

/// Destination address, port and protocol of a rule.
fn destination(
    rule: &svcpath_syntax::nft::Rule,
) -> (Option<String>, Option<u16>, Option<Protocol>) {
    let mut daddr = None;
    let mut dport = None;
    let mut proto = None;
    for m in rule
        .matches()
        .filter(|m| m.op == Op::Eq && m.left.parts.len() == 1)
    {
        let left = m.left.text();
        let Value::Single(v) = &m.right else { continue };
        if left == "ip daddr" || left == "ip6 daddr" {
            daddr = Some(host(v));
        } else if left == "meta l4proto" || left == "ip protocol" {
            proto = Protocol::parse(v);
        } else if let Some(p) = left.strip_suffix(" dport") {
            dport = v.parse().ok();
            proto = proto.or_else(|| Protocol::parse(p));
        }
    }
    (daddr, dport, proto)
}

fn suffix<'s>(chain: &'s str, prefixes: &[&str]) -> Option<&'s str> {
    prefixes.iter().find_map(|p| chain.strip_prefix(p))
}

impl<'a> Translator<'a> {
    fn table(&mut self, table: &'a Table) {
        for c in &table.chains {
            self.chains.entry(c.name.as_str()).or_default().push(c);
        }
    }

    fn svc(&mut self, hash: &str) -> &mut Svc {
        self.by_hash.entry(hash.to_string()).or_default()
    }

    fn finish(mut self) -> (Vec<Service>, bool) {
        let chains = std::mem::take(&mut self.chains);
        let get = |name: &str| chains.get(name).cloned().unwrap_or_default();
        for chain in get("KUBE-SERVICES") {
            for rule in &chain.rules {
                let (daddr, dport, proto) = destination(rule);
                let comment_id = rule.comment.as_deref().and_then(comment_id);
                match rule.verdict().and_then(Verdict::chain) {
                    Some(target) => {
                        let Some(hash) =
                            suffix(target, &["KUBE-SVC-", "KUBE-SVL-", "KUBE-EXT-", "KUBE-FW-"])
                        else {
                            continue;
                        };
                        let svc = self.svc(hash);
                        svc.lines.push(rule.line);
                        svc.protocol = svc.protocol.or(proto);
                        svc.port = svc.port.or(dport);
                        svc.id = svc.id.take().or(comment_id);
                        let Some(ip) = daddr else { continue };
                        if target.starts_with("KUBE-FW-") {
                            push_unique(&mut svc.load_balancer_ips, &ip);
                        } else if target.starts_with("KUBE-EXT-")
                            || svc.cluster_ip.as_ref().is_some_and(|c| c != &ip)
                        {
                            push_unique(&mut svc.external_ips, &ip);
                        } else {
                            svc.cluster_ip = Some(ip);
                        }
                    }
                    None => {
                        // `… ip daddr VIP tcp dport P … reject`: "has no endpoints" in the filter table.
                        let rejects = rule.exprs.iter().any(|e| matches!(e, Expr::Reject { .. }));
                        let (Some(ip), true) = (daddr, rejects) else {
                            continue;
                        };
                        let key = format!(
                            "{ip}:{}/{}",
                            dport.map(|p| p.to_string()).unwrap_or_default(),
                            proto.map(Protocol::name).unwrap_or("")
                        );
                        let svc = self.by_address.entry(key).or_default();
                        svc.cluster_ip = Some(ip);
                        svc.port = dport;
                        svc.protocol = proto;
                        svc.no_endpoints = true;
                        svc.id = svc.id.take().or(comment_id);
                        svc.lines.push(rule.line);
                    }
                }
            }
        }
        for chain in get("KUBE-NODEPORTS") {
            for rule in &chain.rules {
                let (_, dport, proto) = destination(rule);
                let Some(target) = rule.verdict().and_then(Verdict::chain) else {
                    continue;
                };
                let Some(hash) = suffix(target, &["KUBE-EXT-", "KUBE-SVC-", "KUBE-XLB-"]) else {
                    continue;
                };
                let svc = self.svc(hash);
                svc.node_port = dport.or(svc.node_port);
                svc.protocol = svc.protocol.or(proto);
                svc.lines.push(rule.line);
            }
        }
        // Service chains that no listed KUBE-SERVICES rule points to (a fragment): their masquerade rule
        // `… ip daddr VIP tcp dport P … jump KUBE-MARK-MASQ` still names the ClusterIP.
        for (name, list) in &chains {
            let Some(hash) = suffix(name, &["KUBE-SVC-", "KUBE-SVL-"]) else {
                continue;
            };
            let svc = self.svc(hash);
            for rule in list.iter().flat_map(|c| c.rules.iter()) {
                let (daddr, dport, proto) = destination(rule);
                if svc.cluster_ip.is_none()
                    && daddr.is_some()
                    && !matches!(rule.verdict().and_then(Verdict::chain), Some(t) if t.starts_with("KUBE-SEP-"))
                {
                    svc.cluster_ip = daddr;
                    svc.port = svc.port.or(dport);
                    svc.protocol = svc.protocol.or(proto);
                }
            }
        }
        let mut assumed = false;
        let mut out = Vec::new();
        let hashes: Vec<String> = self.by_hash.keys().cloned().collect();
        for hash in hashes {
            let ext = get(&format!("KUBE-EXT-{hash}"));
            let fw = get(&format!("KUBE-FW-{hash}"));
            let svc_chains = get(&format!("KUBE-SVC-{hash}"));
            let svl_chains = get(&format!("KUBE-SVL-{hash}"));
            let Some(svc) = self.by_hash.get_mut(&hash) else {
                continue;
            };
            for chain in ext.iter() {
                svc.lines.push(chain.line);
                svc.lines.extend(chain.rules.iter().map(|r| r.line));
                let local = chain.rules.iter().any(|r| {
                    r.matches().any(|m| m.left.text() == "fib saddr type")
                        || r.verdict()
                            .and_then(Verdict::chain)
                            .is_some_and(|c| c.starts_with("KUBE-SVL-"))
                });
                svc.etp = Some(if local {
                    TrafficPolicy::Local
                } else {
                    TrafficPolicy::Cluster
                });
            }
            for chain in fw.iter() {
                svc.lines.push(chain.line);
                for rule in &chain.rules {
                    svc.lines.push(rule.line);
                    for m in rule
                        .matches()
                        .filter(|m| m.left.text().ends_with(" saddr") && m.op == Op::Eq)
                    {
                        for v in m.right.values() {
                            push_unique(&mut svc.source_ranges, &host(&v));
                        }
                    }
                }
            }
            let mut endpoints: Vec<Endpoint> = Vec::new();
            let local_seps: Vec<String> = svl_chains
                .iter()
                .flat_map(|c| sep_targets(c).0)
                .map(|(s, _)| s)
                .collect();
            let odds_from = if svc_chains.is_empty() {
                &svl_chains
            } else {
                &svc_chains
            };
            // A chain listed more than once (a paste holding the listing twice) is one chain whose
            // rules follow each other, as `nft -f` would append them: the odds run on across the copies.
            let mut targets: Vec<(String, Option<f64>)> = Vec::new();
            let mut unknown = false;
            for chain in odds_from {
                svc.lines.push(chain.line);
                svc.lines.extend(chain.rules.iter().map(|r| r.line));
                let (chain_targets, affinity, chain_unknown) = sep_targets(chain);
                svc.affinity |= affinity;
                unknown |= chain_unknown;
                targets.extend(chain_targets);
            }
            let odds: Vec<f64> = if unknown {
                assumed = true;
                let n = targets.len().max(1) as f64;
                targets.iter().map(|_| 1.0 / n).collect()
            } else {
                let mut remaining = 1.0;
                targets
                    .iter()
                    .map(|(_, p)| {
                        let p = p.unwrap_or(1.0);
                        let chance = remaining * p;
                        remaining *= 1.0 - p;
                        chance
                    })
                    .collect()
            };
            for ((sep, _), chance) in targets.iter().zip(odds) {
                let mut ep = Endpoint {
                    probability: chance,
                    ..Endpoint::default()
                };
                for sep_chain in get(sep) {
                    ep.lines.push(sep_chain.line);
                    for rule in &sep_chain.rules {
                        ep.lines.push(rule.line);
                        for e in &rule.exprs {
                            if let Expr::Nat(n) = e {
                                if n.kind == NatKind::Dnat {
                                    ep.ip = n.address.clone().unwrap_or_default();
                                    ep.port = n.port;
                                }
                            }
                        }
                    }
                }
                if svc.etp == Some(TrafficPolicy::Local) || !svl_chains.is_empty() {
                    ep.local = Some(local_seps.contains(sep));
                }
                svc.lines.extend(ep.lines.iter().copied());
                // Two jumps to one endpoint chain are one endpoint with both shares.
                match endpoints
                    .iter_mut()
                    .find(|e| !e.ip.is_empty() && e.ip == ep.ip && e.port == ep.port)
                {
                    Some(same) => {
                        same.probability += ep.probability;
                        same.lines.extend(ep.lines);
                    }
                    None => endpoints.push(ep),
                }
            }
            svc.lines.sort_unstable();
            svc.lines.dedup();
            let id = svc.id.clone().unwrap_or_else(|| address_id(svc));
            out.push(service(id, svc, endpoints));
        }
        for svc in self.by_address.values_mut() {
            svc.lines.sort_unstable();
            svc.lines.dedup();
            let id = svc.id.clone().unwrap_or_else(|| address_id(svc));
            out.push(service(id, svc, Vec::new()));
        }
        svcpath_syntax::stable_sort::sort_by(&mut out, |a, b| a.id.cmp(&b.id));
        (out, assumed)
    }
}

fn address_id(svc: &Svc) -> String {
    format!(
        "{}:{}/{}",
        svc.cluster_ip
            .as_deref()
            .or(svc.external_ips.first().map(String::as_str))
            .unwrap_or("?"),
        svc.port.map(|p| p.to_string()).unwrap_or_default(),
        svc.protocol.map(Protocol::name).unwrap_or("")
    )
}

/// `ns/name:port cluster IP` → `ns/name:port`.
fn comment_id(comment: &str) -> Option<String> {
    let id = comment.split_whitespace().next()?;
    id.contains('/').then(|| id.to_string())
}

fn service(id: String, svc: &Svc, endpoints: Vec<Endpoint>) -> Service {
    // Only an id read from a comment names the Service; an address id (`10.96.0.1:443/tcp`) does not.
    let named = svc.id.as_deref().and_then(|c| {
        let (ns, rest) = c.split_once('/')?;
        let (name, port) = rest.split_once(':').unwrap_or((rest, ""));
        Some((ns.to_string(), name.to_string(), port.to_string()))
    });
    let (namespace, name, port_name) = match named {
        Some((ns, n, p)) => (Some(ns), Some(n), p),
        None => (None, None, String::new()),
    };
    Service {
        id,
        namespace,
        name,
        port_name,
        protocol: svc.protocol,
        cluster_ip: svc.cluster_ip.clone(),
        port: svc.port,
        node_port: svc.node_port,
        external_ips: svc.external_ips.clone(),
        load_balancer_ips: svc.load_balancer_ips.clone(),
        load_balancer_source_ranges: svc.source_ranges.clone(),
        external_traffic_policy: svc.etp,
        session_affinity_seconds: None,
        scheduler: None,
        no_endpoints: svc.no_endpoints,
        endpoints,
        lines: svc.lines.clone(),
        endpoints_unknown: None,
        api: None,
    }
}

/// The `KUBE-SEP-…` chains a service chain jumps to, in order, each with the probability of its rule
/// (`None` for an unconditional rule); whether affinity (`xt match recent`) rules are present; and whether
/// some probability could not be read.
fn sep_targets(chain: &Chain) -> (Vec<(String, Option<f64>)>, bool, bool) {
    let mut out: Vec<(String, Option<f64>)> = Vec::new();
    let mut affinity = false;
    let mut unknown = false;
    for rule in &chain.rules {
        let Some(target) = rule.verdict().and_then(Verdict::chain) else {
            continue;
        };
        if !target.starts_with("KUBE-SEP-") {
            continue;
        }
        if rule
            .exprs
            .iter()
            .any(|e| matches!(e, Expr::Xt { name, .. } if name == "recent"))
        {
            affinity = true;
            continue;
        }
        if rule
            .exprs
            .iter()
            .any(|e| matches!(e, Expr::Xt { name, .. } if name == "statistic"))
        {
            unknown = true;
            out.push((target.to_string(), None));
            continue;
        }
        let p = rule
            .matches()
            .find(|m| m.left.text() == "meta random")
            .and_then(|m| {
                let Value::Single(v) = &m.right else {
                    return None;
                };
                let n: f64 = v.parse().ok()?;
                // `meta random & 2147483647 < N`: N out of 2^31.
                (m.op == Op::Lt).then_some((n / 2_147_483_648.0).clamp(0.0, 1.0))
            });
        out.push((target.to_string(), p));
    }
    (out, affinity, unknown)
}
