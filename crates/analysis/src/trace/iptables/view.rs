//! The rules the tracer walks: the dump's tables for one address family, with the base-chain jumps
//! kube-proxy and the kubelet install outside `iptables-restore` added when a dump lacks them, and the
//! interface names the rules use.

use crate::fast_hash::{self, FastMap, FastSet};
use std::borrow::Cow;

use svcpath_syntax::iptables::{build_rule, BasicKind, Rule, Ruleset, Token};

use super::super::addr;
use super::super::links::Interfaces;

/// One table as the tracer sees it.
#[derive(Debug)]
pub struct TableView<'a> {
    pub name: &'a str,
    pub chains: Vec<ChainView<'a>>,
    index: FastMap<&'a str, usize>,
}

impl<'a> TableView<'a> {
    pub fn chain_index(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
}

#[derive(Debug)]
pub struct ChainView<'a> {
    pub name: &'a str,
    pub policy: Option<&'a str>,
    /// The rules in order; rules added by the tracer have line 0.
    pub rules: Vec<Cow<'a, Rule>>,
}

/// A jump added because the dump does not show it (see [`Net::build`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedJump {
    pub table: String,
    pub base: String,
    pub chain: String,
}

/// The ruleset for one address family.
#[derive(Debug)]
pub struct Net<'a> {
    pub tables: Vec<TableView<'a>>,
    pub added_jumps: Vec<AddedJump>,
    /// Notes about how the view was built (several sections, tables seen twice).
    pub notes: Vec<String>,
    pub interfaces: Interfaces,
}

/// kube-proxy's `iptablesJumpChains` (proxier.go), in its order: table, chain, base chain, comment,
/// whether the jump carries `-m conntrack --ctstate NEW`. kube-proxy prepends each jump, so later
/// entries end up above earlier ones.
const KUBE_JUMPS: &[(&str, &str, &str, &str, bool)] = &[
    (
        "filter",
        "KUBE-EXTERNAL-SERVICES",
        "INPUT",
        "kubernetes externally-visible service portals",
        true,
    ),
    (
        "filter",
        "KUBE-EXTERNAL-SERVICES",
        "FORWARD",
        "kubernetes externally-visible service portals",
        true,
    ),
    (
        "filter",
        "KUBE-NODEPORTS",
        "INPUT",
        "kubernetes health check service ports",
        false,
    ),
    (
        "filter",
        "KUBE-SERVICES",
        "FORWARD",
        "kubernetes service portals",
        true,
    ),
    (
        "filter",
        "KUBE-SERVICES",
        "OUTPUT",
        "kubernetes service portals",
        true,
    ),
    (
        "filter",
        "KUBE-FORWARD",
        "FORWARD",
        "kubernetes forwarding rules",
        false,
    ),
    (
        "filter",
        "KUBE-PROXY-FIREWALL",
        "INPUT",
        "kubernetes load balancer firewall",
        true,
    ),
    (
        "filter",
        "KUBE-PROXY-FIREWALL",
        "OUTPUT",
        "kubernetes load balancer firewall",
        true,
    ),
    (
        "filter",
        "KUBE-PROXY-FIREWALL",
        "FORWARD",
        "kubernetes load balancer firewall",
        true,
    ),
    (
        "nat",
        "KUBE-SERVICES",
        "OUTPUT",
        "kubernetes service portals",
        false,
    ),
    (
        "nat",
        "KUBE-SERVICES",
        "PREROUTING",
        "kubernetes service portals",
        false,
    ),
    (
        "nat",
        "KUBE-POSTROUTING",
        "POSTROUTING",
        "kubernetes postrouting rules",
        false,
    ),
];

/// The kubelet's jumps, appended after kube-proxy's.
const KUBELET_JUMPS: &[(&str, &str, &str)] = &[
    ("filter", "KUBE-FIREWALL", "INPUT"),
    ("filter", "KUBE-FIREWALL", "OUTPUT"),
];

impl<'a> Net<'a> {
    /// Builds the view from the rulesets of one family (`ipv6`). When several sections hold the same
    /// table, the first one is used and a note says so. A chain that the dump declares (`:CHAIN`) but
    /// that no rule of its base chain jumps to gets the jump kube-proxy (or the kubelet) installs with
    /// `iptables -I` — kube-proxy's own restore input and its tests' expected dumps never show those
    /// jumps, while a node always has them.
    pub fn build(rulesets: &[&'a Ruleset]) -> Net<'a> {
        let mut tables: Vec<TableView<'a>> = Vec::new();
        let mut notes = Vec::new();
        let mut declared: FastMap<(&'a str, &'a str), bool> = FastMap::default();
        for ruleset in rulesets {
            for table in &ruleset.tables {
                if tables.iter().any(|t| t.name == table.name) {
                    notes.push(format!(
                        "the {} table appears in more than one section; the first one is traced",
                        table.name
                    ));
                    continue;
                }
                let mut view = TableView {
                    name: &table.name,
                    chains: Vec::new(),
                    index: fast_hash::map_with_capacity(table.chains.len()),
                };
                for chain in &table.chains {
                    if view.index.contains_key(chain.name.as_str()) {
                        continue;
                    }
                    declared.insert((&table.name, &chain.name), chain.declared_at.is_some());
                    view.index.insert(&chain.name, view.chains.len());
                    view.chains.push(ChainView {
                        name: &chain.name,
                        policy: chain.policy.as_deref(),
                        rules: chain.rules.iter().map(Cow::Borrowed).collect(),
                    });
                }
                tables.push(view);
            }
        }
        let mut added_jumps = Vec::new();
        for &(table, chain, base, comment, ctstate_new) in KUBE_JUMPS.iter() {
            if let Some(jump) = add_jump(
                &mut tables,
                &declared,
                table,
                chain,
                base,
                Some(comment),
                ctstate_new,
                true,
            ) {
                added_jumps.push(jump);
            }
        }
        for &(table, chain, base) in KUBELET_JUMPS.iter() {
            if let Some(jump) = add_jump(
                &mut tables,
                &declared,
                table,
                chain,
                base,
                None,
                false,
                false,
            ) {
                added_jumps.push(jump);
            }
        }
        let interfaces = interfaces_of(&tables);
        Net {
            tables,
            added_jumps,
            notes,
            interfaces,
        }
    }

    pub fn table(&self, name: &str) -> Option<&TableView<'a>> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// Every `--to-destination` address of a DNAT rule (the endpoints).
    /// Service addresses the rules name: the destination of kube-proxy's "cluster IP" and "has no
    /// endpoints" rules. None of them is an address of the node.
    pub fn service_addresses(&self) -> Vec<std::net::IpAddr> {
        let mut out = Vec::new();
        let mut seen = FastSet::default();
        for table in &self.tables {
            for chain in &table.chains {
                for rule in &chain.rules {
                    let Some(comment) = rule.comment() else {
                        continue;
                    };
                    if !(comment.ends_with(" cluster IP") || comment.ends_with(" has no endpoints"))
                    {
                        continue;
                    }
                    let Some(d) = rule.basic(BasicKind::Destination).filter(|d| !d.negated) else {
                        continue;
                    };
                    if let Some(ip) = addr::parse_ip(&d.value) {
                        if seen.insert(ip) {
                            out.push(ip);
                        }
                    }
                }
            }
        }
        out
    }

    pub fn dnat_addresses(&self) -> Vec<std::net::IpAddr> {
        let mut out = Vec::new();
        let mut seen = FastSet::default();
        for table in &self.tables {
            for chain in &table.chains {
                for rule in &chain.rules {
                    let Some(target) = &rule.target else { continue };
                    if target.name != "DNAT" {
                        continue;
                    }
                    if let Some(to) = target.option("to-destination").and_then(|o| o.value()) {
                        if let Some(ip) = addr::parse_nat_to(to).and_then(|n| n.ip) {
                            if seen.insert(ip) {
                                out.push(ip);
                            }
                        }
                    }
                }
            }
        }
        out
    }
}

#[allow(clippy::too_many_arguments)]
fn add_jump<'a>(
    tables: &mut [TableView<'a>],
    declared: &FastMap<(&'a str, &'a str), bool>,
    table: &str,
    chain: &str,
    base: &str,
    comment: Option<&str>,
    ctstate_new: bool,
    prepend: bool,
) -> Option<AddedJump> {
    let view = tables.iter_mut().find(|t| t.name == table)?;
    // Each (table, chain) is declared once (a chain seen again in its table is skipped above).
    if declared.get(&(table, chain)) != Some(&true) {
        return None;
    }
    let base_index = view.chain_index(base)?;
    let base_chain = view.chains.get_mut(base_index)?;
    if base_chain
        .rules
        .iter()
        .any(|r| r.target_name() == Some(chain))
    {
        return None;
    }
    let word = |text: &'a str, quoted: bool| Token {
        text: Cow::Borrowed(text),
        quoted,
    };
    let mut words: Vec<Token<'_>> = Vec::new();
    if ctstate_new {
        words.extend(["-m", "conntrack", "--ctstate", "NEW"].map(|w| word(w, false)));
    }
    if let Some(comment) = comment {
        words.extend(["-m", "comment", "--comment"].map(|w| word(w, false)));
        words.push(Token {
            text: Cow::Owned(comment.to_string()),
            quoted: true,
        });
    }
    words.push(word("-j", false));
    words.push(Token {
        text: Cow::Owned(chain.to_string()),
        quoted: false,
    });
    let (rule, _) = build_rule(&words);
    if prepend {
        base_chain.rules.insert(0, Cow::Owned(rule));
    } else {
        // After the jumps added above, else first (the kubelet prepends its jump too).
        let after = base_chain
            .rules
            .iter()
            .rposition(|r| r.line == 0)
            .map(|i| i + 1)
            .unwrap_or(0);
        base_chain
            .rules
            .insert(after.min(base_chain.rules.len()), Cow::Owned(rule));
    }
    Some(AddedJump {
        table: table.to_string(),
        base: base.to_string(),
        chain: chain.to_string(),
    })
}

/// The interface names the iptables rules use in `-i`/`-o`, and the names taken among them.
fn interfaces_of(tables: &[TableView<'_>]) -> Interfaces {
    let mut referenced: Vec<String> = Vec::new();
    for table in tables {
        for chain in &table.chains {
            for rule in &chain.rules {
                for b in &rule.basics {
                    if matches!(b.kind, BasicKind::InInterface | BasicKind::OutInterface)
                        && !referenced.iter().any(|r| *r == b.value)
                    {
                        referenced.push(b.value.to_string());
                    }
                }
            }
        }
    }
    Interfaces::from_names(referenced)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::links::{classify, pattern_matches, LinkClass};
    use svcpath_syntax::{iptables, Origin};

    #[test]
    fn adds_kube_proxy_jumps_in_kube_proxy_order() {
        let parsed = iptables::parse(
            "*filter\n:KUBE-SERVICES - [0:0]\n:KUBE-EXTERNAL-SERVICES - [0:0]\n:KUBE-NODEPORTS - [0:0]\n:KUBE-FIREWALL - [0:0]\n:KUBE-PROXY-FIREWALL - [0:0]\nCOMMIT\n*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-POSTROUTING - [0:0]\n-A PREROUTING -j KUBE-SERVICES\nCOMMIT\n",
            Origin::START,
        );
        let net = Net::build(&[&parsed.value]);
        let filter = net.table("filter").unwrap();
        let input: Vec<_> = filter.chains[filter.chain_index("INPUT").unwrap()]
            .rules
            .iter()
            .map(|r| r.target_name().unwrap().to_string())
            .collect();
        assert_eq!(
            input,
            [
                "KUBE-PROXY-FIREWALL",
                "KUBE-NODEPORTS",
                "KUBE-EXTERNAL-SERVICES",
                "KUBE-FIREWALL"
            ]
        );
        let nat = net.table("nat").unwrap();
        // PREROUTING already jumps to KUBE-SERVICES; OUTPUT and POSTROUTING get theirs.
        assert_eq!(
            nat.chains[nat.chain_index("PREROUTING").unwrap()]
                .rules
                .len(),
            1
        );
        assert_eq!(
            nat.chains[nat.chain_index("OUTPUT").unwrap()].rules.len(),
            1
        );
        assert_eq!(
            nat.chains[nat.chain_index("POSTROUTING").unwrap()].rules[0].target_name(),
            Some("KUBE-POSTROUTING")
        );
        assert!(net
            .added_jumps
            .iter()
            .any(|j| j.table == "nat" && j.base == "OUTPUT"));
        assert!(!net
            .added_jumps
            .iter()
            .any(|j| j.table == "nat" && j.base == "PREROUTING"));
    }

    #[test]
    fn interface_names() {
        assert_eq!(classify("docker0"), LinkClass::Other);
        assert_eq!(classify("cni0"), LinkClass::Pod);
        assert_eq!(classify("veth+"), LinkClass::Pod);
        assert_eq!(classify("eth0"), LinkClass::Uplink);
        assert_eq!(classify("flannel.1"), LinkClass::Overlay);
        assert_eq!(classify("lo"), LinkClass::Loopback);
        assert_eq!(classify("foo7"), LinkClass::Unknown);
        assert!(pattern_matches("veth+", "veth0"));
        assert!(!pattern_matches("veth", "veth0"));
        let parsed = iptables::parse(
            "*filter\n-A FORWARD -i docker0 ! -o docker0 -j ACCEPT\n-A FORWARD -i cali+ -j ACCEPT\n-A FORWARD -o eth0 -j ACCEPT\nCOMMIT\n",
            Origin::START,
        );
        let net = Net::build(&[&parsed.value]);
        assert_eq!(net.interfaces.pod.as_deref(), Some("cali0"));
        assert_eq!(net.interfaces.uplink.as_deref(), Some("eth0"));
        assert!(!net.interfaces.pod_ambiguous);
    }
}
