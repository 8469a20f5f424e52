//! The nft tables the tracer walks: each with its chains and sets indexed by name, and what the
//! rules of all of them name (the addresses `dnat` sends to, the interfaces they compare with).

use crate::fast_hash::{self, FastMap, FastSet};
use std::net::IpAddr;

use svcpath_syntax::nft::{Expr, Nat, NatKind, Set, Table, Value};

use super::super::addr;

/// An nft table with its chains and sets indexed by name.
#[derive(Debug)]
pub struct NftTable<'a> {
    pub table: &'a Table,
    /// `ip kube-proxy`.
    pub label: String,
    chains: FastMap<&'a str, usize>,
    sets: FastMap<&'a str, &'a Set>,
}

impl<'a> NftTable<'a> {
    pub(in crate::trace) fn new(table: &'a Table) -> NftTable<'a> {
        let mut chains = fast_hash::map_with_capacity(table.chains.len());
        for (i, c) in table.chains.iter().enumerate() {
            chains.entry(c.name.as_str()).or_insert(i);
        }
        let mut sets = fast_hash::map_with_capacity(table.sets.len());
        for s in &table.sets {
            sets.entry(s.name.as_str()).or_insert(s);
        }
        NftTable {
            table,
            label: table.label(),
            chains,
            sets,
        }
    }

    pub(in crate::trace) fn chain(&self, name: &str) -> Option<usize> {
        self.chains.get(name).copied()
    }

    pub(in crate::trace) fn set(&self, name: &str) -> Option<&'a Set> {
        self.sets.get(name).copied()
    }
}

/// Every address a `dnat to` statement of these tables sends to.
pub(in crate::trace) fn dnat_addresses(tables: &[NftTable<'_>]) -> Vec<IpAddr> {
    let mut out = Vec::new();
    let mut seen = FastSet::default();
    for t in tables {
        for chain in &t.table.chains {
            for rule in &chain.rules {
                for e in &rule.exprs {
                    if let Expr::Nat(n) = e {
                        if n.kind != NatKind::Dnat {
                            continue;
                        }
                        if let Some(ip) = nat_target(n).and_then(|t| t.ip) {
                            if seen.insert(ip) {
                                out.push(ip);
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// Interface names the nft rules compare with (`iifname "cni0"`, `oifname "eth*"` as `eth+`).
pub(in crate::trace) fn interface_names(tables: &[NftTable<'_>]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tables {
        for chain in &t.table.chains {
            for rule in &chain.rules {
                for m in rule.matches() {
                    let [part] = m.left.parts.as_slice() else {
                        continue;
                    };
                    if !matches!(
                        norm(part).as_str(),
                        "iifname" | "oifname" | "meta iifname" | "meta oifname"
                    ) {
                        continue;
                    }
                    let values = match &m.right {
                        Value::Single(v) => vec![v.clone()],
                        Value::List(v) => v.clone(),
                        Value::Set(els) => els
                            .iter()
                            .filter_map(|e| e.key().first().map(str::to_string))
                            .collect(),
                        Value::SetRef(_) => Vec::new(),
                    };
                    for v in values {
                        let name = iface_pattern(&v);
                        if !name.is_empty() && !out.contains(&name) {
                            out.push(name);
                        }
                    }
                }
            }
        }
    }
    out
}

/// An nft interface name as an iptables pattern: quotes dropped, a trailing `*` becomes `+`.
pub(super) fn iface_pattern(v: &str) -> String {
    let v = v.trim().trim_matches('"');
    match v.strip_suffix('*') {
        Some(prefix) => format!("{prefix}+"),
        None => v.to_string(),
    }
}

pub(super) fn nat_target(n: &Nat) -> Option<addr::NatTo> {
    if let Some(a) = &n.address {
        if let Some(ip) = addr::parse_ip(a) {
            return Some(addr::NatTo {
                ip: Some(ip),
                port: n.port,
                range: false,
            });
        }
    }
    n.to.as_deref().and_then(addr::parse_nat_to)
}

/// Whitespace collapsed.
pub(super) fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
