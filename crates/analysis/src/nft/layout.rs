//! Which kube-proxy release wrote this nftables table, told by what its rules do (not by chain names):
//!
//! - 1.29–1.33: filter base chains for input, forward and output at -110 (`dstnat - 10`) and a second
//!   output filter chain at -90 (`filter-output-post-dnat`); endpoint chains DNAT.
//! - 1.34–1.35: prerouting and output filter chains at -110 (`filter-…-pre-dnat`), input, forward and
//!   output filter chains at 0 (`filter`); nothing at -90.
//! - 1.36: service chains DNAT themselves with `dnat ip to numgen random mod N map { i : ADDR . PORT }`
//!   (even for one endpoint, `mod 1`), the off-cluster masquerade mark is set in the `services` chain
//!   (`ip daddr @cluster-ips ip saddr != CIDR meta mark set …`) and hairpin connections are masqueraded
//!   through a set (`ct status dnat ip saddr . ip daddr . meta l4proto . th dport @hairpin-connections`).
//! - 1.37: as 1.36, but a Service port with one endpoint DNATs with no map (`dnat ip to ADDR:PORT`).
//! - the 1.38 design: DNAT through a named map whose key holds `ct mark` (set by `ct mark set numgen …`).

use svcpath_syntax::nft::{Chain, Expr, MapRef, NatKind, Value};

use super::model::KubeTable;
use super::names::{self, ChainKind};
use crate::report::{Layout, Mode};

/// The layout of kube-proxy's nftables tables in these sections, when they show one.
pub fn layout(tables: &[KubeTable<'_>]) -> Option<Layout> {
    let mut facts = Facts::default();
    for kt in tables {
        facts.read(kt);
    }
    facts.decide()
}

#[derive(Default)]
struct Facts {
    /// `dnat … map` keyed by `ct mark` (named maps, the 1.38 design).
    ct_mark_maps: Vec<u32>,
    /// `dnat ip to numgen … map { … }` in a service or local chain.
    dnat_maps: Vec<u32>,
    /// The same with `mod 1` (1.36 writes it for one endpoint).
    dnat_maps_mod1: Vec<u32>,
    /// One `dnat ip to ADDR:PORT` in a service or local chain (1.37+).
    single_dnat: Vec<u32>,
    /// `… @SET masquerade` with a 4-part key (the hairpin set).
    hairpin_set: Vec<u32>,
    /// `ip daddr @cluster-ips ip saddr != CIDR meta mark set …` in a chain of the nat hooks.
    services_mark: Vec<u32>,
    /// Filter base chains at -90 (1.29–1.33's `filter-output-post-dnat`).
    filter_minus_90: Vec<u32>,
    /// input/forward filter base chains at -110 (1.29–1.33).
    filter_input_minus_110: Vec<u32>,
    /// input/forward filter base chains at 0 (1.34+).
    filter_input_zero: Vec<u32>,
    /// Endpoint chains that DNAT (up to 1.35, and Services with affinity later).
    endpoint_chain_dnat: Vec<u32>,
    base_chains: usize,
}

impl Facts {
    fn read(&mut self, kt: &KubeTable<'_>) {
        for chain in &kt.table.chains {
            if let Some(base) = &chain.base {
                self.base_chains += 1;
                let prio = base.priority;
                if base.kind == "filter" {
                    match (base.hook.as_str(), prio) {
                        ("output", Some(-90)) => self.filter_minus_90.push(base.line),
                        ("input" | "forward", Some(-110)) => {
                            self.filter_input_minus_110.push(base.line)
                        }
                        ("input" | "forward", Some(0)) => self.filter_input_zero.push(base.line),
                        _ => {}
                    }
                }
            }
            self.read_rules(chain);
        }
    }

    fn read_rules(&mut self, chain: &Chain) {
        let kind = names::parse(&chain.name).map(|c| c.kind);
        for rule in &chain.rules {
            let mut has_mark_set = false;
            let mut cluster_ips_daddr = false;
            let mut saddr_ne = false;
            for e in &rule.exprs {
                match e {
                    Expr::Nat(n) if n.kind == NatKind::Dnat => match &n.map {
                        Some(m) if m.key.parts.iter().any(|p| p.trim() == "ct mark") => {
                            self.ct_mark_maps.push(rule.line)
                        }
                        Some(m)
                            if m.key.numgen.is_some()
                                && matches!(m.map, MapRef::Anonymous(_))
                                && matches!(
                                    kind,
                                    Some(ChainKind::Service | ChainKind::Local) | None
                                ) =>
                        {
                            self.dnat_maps.push(rule.line);
                            if m.key.numgen.is_some_and(|g| g.modulus == 1) {
                                self.dnat_maps_mod1.push(rule.line);
                            }
                        }
                        None if n.address.is_some() => match kind {
                            Some(ChainKind::Endpoint) => self.endpoint_chain_dnat.push(rule.line),
                            Some(ChainKind::Service | ChainKind::Local) => {
                                self.single_dnat.push(rule.line)
                            }
                            _ => {}
                        },
                        _ => {}
                    },
                    Expr::Nat(n) if n.kind == NatKind::Masquerade => {
                        let four_part_set = rule.matches().any(|m| {
                            m.left.parts.len() == 4 && matches!(m.right, Value::SetRef(_))
                        });
                        if four_part_set {
                            self.hairpin_set.push(rule.line);
                        }
                    }
                    Expr::Assign { target, .. } if target.trim().ends_with("mark") => {
                        has_mark_set = true
                    }
                    Expr::Match(m) => {
                        let left = m.left.text();
                        if left.ends_with("daddr") && matches!(m.right, Value::SetRef(_)) {
                            cluster_ips_daddr = true;
                        }
                        if left.ends_with("saddr") && m.op == svcpath_syntax::nft::Op::Ne {
                            saddr_ne = true;
                        }
                    }
                    _ => {}
                }
            }
            if has_mark_set && cluster_ips_daddr && saddr_ne {
                self.services_mark.push(rule.line);
            }
        }
    }

    fn decide(self) -> Option<Layout> {
        let first = |v: &[u32]| v.iter().copied().min().into_iter().collect::<Vec<u32>>();
        let mut evidence: Vec<u32>;
        let summary_text: String;
        let (name, summary) = if !self.ct_mark_maps.is_empty() {
            evidence = first(&self.ct_mark_maps);
            (
                "nftables 1.38 design",
                "endpoints picked through a named map keyed by `ct mark` (set by `ct mark set numgen …`)",
            )
        } else if !self.single_dnat.is_empty()
            || !self.dnat_maps.is_empty()
            || !self.hairpin_set.is_empty()
            || !self.services_mark.is_empty()
        {
            let mut seen = Vec::new();
            if !self.dnat_maps.is_empty() {
                seen.push("service chains DNAT with `dnat ip to numgen random mod N map { i : ADDR . PORT }`");
            }
            if !self.dnat_maps_mod1.is_empty() {
                seen.push("one endpoint through `numgen random mod 1`");
            }
            if !self.single_dnat.is_empty() {
                seen.push("one endpoint DNATed with no map");
            }
            if !self.services_mark.is_empty() {
                seen.push("off-cluster masquerade mark in the `services` chain");
            }
            if !self.hairpin_set.is_empty() {
                seen.push("hairpin connections masqueraded through a set");
            }
            evidence = first(&self.single_dnat);
            evidence.extend(first(&self.dnat_maps_mod1));
            if evidence.is_empty() {
                evidence = first(&self.dnat_maps);
            }
            evidence.extend(first(&self.hairpin_set));
            evidence.extend(first(&self.services_mark));
            summary_text = format!("no endpoint chains: {}", seen.join(", "));
            let name = if !self.single_dnat.is_empty() {
                "nftables 1.37+"
            } else if !self.dnat_maps_mod1.is_empty() {
                "nftables 1.36"
            } else {
                "nftables 1.36+"
            };
            (name, summary_text.as_str())
        } else if !self.filter_input_zero.is_empty() && self.filter_minus_90.is_empty() {
            evidence = first(&self.filter_input_zero);
            (
                "nftables 1.34–1.35",
                "filter chains before DNAT at -110 (prerouting, output) and at 0 (input, forward, output); endpoint chains DNAT",
            )
        } else if !self.filter_minus_90.is_empty() || !self.filter_input_minus_110.is_empty() {
            evidence = first(&self.filter_input_minus_110);
            evidence.extend(first(&self.filter_minus_90));
            (
                "nftables 1.29–1.33",
                "filter chains at -110 for input, forward and output and a post-DNAT output filter at -90; endpoint chains DNAT",
            )
        } else if !self.endpoint_chain_dnat.is_empty() {
            evidence = first(&self.endpoint_chain_dnat);
            (
                "nftables up to 1.35 (fragment)",
                "endpoint chains DNAT (kube-proxy up to 1.35, or a Service with affinity later); the base chains that tell the release apart are not in the paste",
            )
        } else {
            return None;
        };
        evidence.sort_unstable();
        evidence.dedup();
        Some(Layout {
            mode: Mode::Nftables,
            name: name.to_string(),
            summary: summary.to_string(),
            evidence,
        })
    }
}
