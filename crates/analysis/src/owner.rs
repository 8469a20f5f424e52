//! Who wrote a chain or rule: kube-proxy, a CNI plugin (by its chain and table names), Docker, the host's
//! firewall (firewalld, ufw, or the node's own rules in built-in chains), or nobody svcpath knows.
//!
//! The attribution reads names only: kube-proxy's `KUBE-*` chains and its nft table `kube-proxy`, flannel's
//! `FLANNEL-*`, Calico's `cali-*`, Cilium's `CILIUM_*`, kube-router's `KUBE-ROUTER-*`, Weave's `WEAVE-*`,
//! Antrea's `ANTREA-*`, kindnet's `KIND-*`, the CNI portmap/bridge plugins' `CNI-*`, Docker's `DOCKER*`,
//! ufw's `ufw-*`, firewalld's `INPUT_direct`-style chains and nft table `firewalld`. A rule of a built-in
//! chain (`-A INPUT …`) belongs to the owner of the chain it jumps to; a rule there that decides by itself
//! (`-A INPUT -j REJECT --reject-with icmp-host-prohibited`) is the host's, unless its comment or its
//! interfaces name a known writer (`-s 172.17.0.0/16 ! -o docker0 -j MASQUERADE` is Docker's).

use crate::fast_hash::{self, FastMap, FastSet};

use serde::{Deserialize, Serialize};

/// The program (or person) that wrote a chain or rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Owner {
    KubeProxy,
    Kubelet,
    Flannel,
    Calico,
    Cilium,
    KubeRouter,
    Weave,
    Antrea,
    Kindnet,
    /// The CNI portmap and bridge plugins (`CNI-HOSTPORT-*`, `CNI-DN-*`, `CNI-<hash>`).
    CniPlugins,
    Docker,
    Firewalld,
    Ufw,
    /// The node's own firewall rules in built-in chains (iptables.service, an administrator, a script).
    Host,
    Unknown,
}

impl Owner {
    /// Short name, e.g. `kube-proxy`, `flannel`, `host firewall`.
    pub fn name(self) -> &'static str {
        match self {
            Owner::KubeProxy => "kube-proxy",
            Owner::Kubelet => "kubelet",
            Owner::Flannel => "flannel",
            Owner::Calico => "Calico",
            Owner::Cilium => "Cilium",
            Owner::KubeRouter => "kube-router",
            Owner::Weave => "Weave Net",
            Owner::Antrea => "Antrea",
            Owner::Kindnet => "kindnet",
            Owner::CniPlugins => "CNI plugins",
            Owner::Docker => "Docker",
            Owner::Firewalld => "firewalld",
            Owner::Ufw => "ufw",
            Owner::Host => "host firewall",
            Owner::Unknown => "unknown",
        }
    }

    /// A phrase for a sentence: "the host firewall", "flannel (the CNI)", "Docker".
    pub fn describe(self) -> &'static str {
        match self {
            Owner::KubeProxy => "kube-proxy",
            Owner::Kubelet => "the kubelet",
            Owner::Flannel => "flannel (the CNI)",
            Owner::Calico => "Calico (the CNI)",
            Owner::Cilium => "Cilium (the CNI)",
            Owner::KubeRouter => "kube-router (the CNI)",
            Owner::Weave => "Weave Net (the CNI)",
            Owner::Antrea => "Antrea (the CNI)",
            Owner::Kindnet => "kindnet (the CNI)",
            Owner::CniPlugins => "the CNI portmap/bridge plugins",
            Owner::Docker => "Docker",
            Owner::Firewalld => "firewalld (the host firewall)",
            Owner::Ufw => "ufw (the host firewall)",
            Owner::Host => "the host firewall (a built-in chain's own rule)",
            Owner::Unknown => "someone svcpath does not recognise",
        }
    }

    /// Kubernetes' own node agents: their drops and rejects are how Services are meant to work.
    pub fn is_kubernetes(self) -> bool {
        matches!(self, Owner::KubeProxy | Owner::Kubelet)
    }

    /// The network plugin's rules.
    pub fn is_cni(self) -> bool {
        matches!(
            self,
            Owner::Flannel
                | Owner::Calico
                | Owner::Cilium
                | Owner::KubeRouter
                | Owner::Weave
                | Owner::Antrea
                | Owner::Kindnet
                | Owner::CniPlugins
        )
    }

    /// The node's firewall (firewalld, ufw, or rules in built-in chains).
    pub fn is_host_firewall(self) -> bool {
        matches!(self, Owner::Firewalld | Owner::Ufw | Owner::Host)
    }
}

/// The built-in chains of the iptables tables (and of iptables-nft's tables listed by nft).
pub fn is_builtin_chain(chain: &str) -> bool {
    matches!(
        chain,
        "PREROUTING" | "INPUT" | "FORWARD" | "OUTPUT" | "POSTROUTING"
    )
}

/// The owner a chain's name says, or `None` for a built-in chain or a name no known program uses.
pub fn of_chain(chain: &str) -> Option<Owner> {
    const PREFIXES: &[(&str, Owner)] = &[
        ("KUBE-ROUTER-", Owner::KubeRouter),
        ("KUBE-NWPLCY-", Owner::KubeRouter),
        ("KUBE-POD-FW-", Owner::KubeRouter),
        ("KUBE-KUBELET-CANARY", Owner::Kubelet),
        ("KUBE-", Owner::KubeProxy),
        ("FLANNEL", Owner::Flannel),
        ("cali-", Owner::Calico),
        ("CILIUM_", Owner::Cilium),
        ("OLD_CILIUM_", Owner::Cilium),
        ("WEAVE", Owner::Weave),
        ("ANTREA-", Owner::Antrea),
        ("KIND-", Owner::Kindnet),
        ("CNI-", Owner::CniPlugins),
        ("DOCKER", Owner::Docker),
        ("ufw-", Owner::Ufw),
        ("ufw6-", Owner::Ufw),
    ];
    if let Some((_, owner)) = PREFIXES.iter().find(|(p, _)| chain.starts_with(p)) {
        return Some(*owner);
    }
    if is_firewalld_chain(chain) {
        return Some(Owner::Firewalld);
    }
    None
}

/// firewalld's iptables backend: `INPUT_direct`, `INPUT_ZONES`, `IN_public_allow`, `FWDI_…`, `PRE_…`.
fn is_firewalld_chain(chain: &str) -> bool {
    let suffixes = [
        "_direct",
        "_ZONES",
        "_ZONES_SOURCE",
        "_IN_ZONES",
        "_OUT_ZONES",
    ];
    let prefixes = ["IN_", "FWDI_", "FWDO_", "FWD_", "PRE_", "POST_", "OUT_"];
    let base = chain.split('_').next().unwrap_or("");
    (is_builtin_chain(base) && suffixes.iter().any(|s| chain.ends_with(s)))
        || prefixes.iter().any(|p| {
            chain.strip_prefix(p).is_some_and(|rest| {
                !rest.is_empty() && rest.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            })
        })
}

/// The owner a comment names (`"kubernetes service portals"`, `"flanneld masq"`, `"cali:…"`).
fn of_comment(comment: &str) -> Option<Owner> {
    let c = comment.to_ascii_lowercase();
    Some(if c.starts_with("cali:") {
        Owner::Calico
    } else if c.contains("flannel") {
        Owner::Flannel
    } else if c.contains("cilium") {
        Owner::Cilium
    } else if c.contains("kube-router") {
        Owner::KubeRouter
    } else if c.contains("antrea") {
        Owner::Antrea
    } else if c.contains("weave") {
        Owner::Weave
    } else if c.contains("kindnet") || c.contains("kind-masq-agent") {
        Owner::Kindnet
    } else if c.starts_with("kubernetes ") || c.contains("kube-proxy") {
        Owner::KubeProxy
    } else if c.contains("docker") {
        Owner::Docker
    } else {
        return None;
    })
}

/// The owner an interface name points at (`docker0`, `cali1234`, `flannel.1`, `cilium_host`).
fn of_interface(name: &str) -> Option<Owner> {
    let n = name.trim_start_matches('!');
    Some(if n == "docker0" || n.starts_with("br-") {
        Owner::Docker
    } else if n.starts_with("cali") || n.starts_with("vxlan.calico") || n == "tunl0" {
        Owner::Calico
    } else if n.starts_with("flannel") {
        Owner::Flannel
    } else if n.starts_with("cilium_") || n.starts_with("lxc") {
        Owner::Cilium
    } else if n.starts_with("weave") || n.starts_with("vethwe") {
        Owner::Weave
    } else if n.starts_with("antrea-") {
        Owner::Antrea
    } else if n == "kube-bridge" {
        Owner::KubeRouter
    } else {
        return None;
    })
}

/// The owner of one rule from what it says: the chain it is in, the chain it jumps to, its comment and
/// the interfaces it names.
pub fn of_rule(
    chain: &str,
    target: Option<&str>,
    comment: Option<&str>,
    interfaces: &[&str],
) -> Owner {
    if let Some(owner) = of_chain(chain) {
        return owner;
    }
    if let Some(owner) = target.and_then(of_chain) {
        return owner;
    }
    if let Some(owner) = comment.and_then(of_comment) {
        return owner;
    }
    if let Some(owner) = interfaces.iter().find_map(|i| of_interface(i)) {
        return owner;
    }
    if is_builtin_chain(chain) {
        Owner::Host
    } else {
        Owner::Unknown
    }
}

/// The owner of an iptables rule.
pub fn of_iptables_rule(chain: &str, rule: &svcpath_syntax::iptables::Rule) -> Owner {
    use svcpath_syntax::iptables::BasicKind;
    let interfaces: Vec<&str> = rule
        .basics
        .iter()
        .filter(|b| matches!(b.kind, BasicKind::InInterface | BasicKind::OutInterface))
        .map(|b| b.value.as_str())
        .collect();
    of_rule(chain, rule.target_name(), rule.comment(), &interfaces)
}

/// The owner an nft table's name says: `kube-proxy`, `firewalld`, a CNI's table; `None` for the tables
/// iptables-nft writes (`filter`, `nat`, …: their chains decide) and names no known program uses.
pub fn of_nft_table(name: &str) -> Option<Owner> {
    let n = name.to_ascii_lowercase();
    Some(match n.as_str() {
        "kube-proxy" => Owner::KubeProxy,
        "firewalld" => Owner::Firewalld,
        "filter" | "nat" | "mangle" | "raw" | "security" => return None,
        _ if n.contains("kube-router") => Owner::KubeRouter,
        _ if n.contains("flannel") => Owner::Flannel,
        _ if n.contains("calico") || n.starts_with("cali") => Owner::Calico,
        _ if n.contains("cilium") => Owner::Cilium,
        _ if n.contains("antrea") => Owner::Antrea,
        _ if n.contains("kindnet") => Owner::Kindnet,
        _ if n.contains("weave") => Owner::Weave,
        _ if n.contains("docker") => Owner::Docker,
        _ => return None,
    })
}

/// The owner of an nft rule in `table` (`FAMILY NAME` or `NAME`), chain `chain`, written as `text`.
pub fn of_nft_rule(table: &str, chain: &str, text: &str, comment: Option<&str>) -> Owner {
    let name = table.rsplit(' ').next().unwrap_or(table);
    if let Some(owner) = of_nft_table(name) {
        return owner;
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let target = words
        .windows(2)
        .find(|w| w[0] == "jump" || w[0] == "goto")
        .map(|w| w[1].trim_matches('"'));
    let interfaces: Vec<&str> = words
        .windows(2)
        .filter(|w| matches!(w[0], "iifname" | "oifname" | "iif" | "oif"))
        .map(|w| w[1].trim_matches('"'))
        .collect();
    // iptables-nft writes its tables in the ip and ip6 families only.
    let iptables_nft = matches!(name, "filter" | "nat" | "mangle" | "raw" | "security")
        && !table.starts_with("inet ")
        && !table.starts_with("bridge ");
    if iptables_nft {
        return of_rule(chain, target, comment, &interfaces);
    }
    // A table of its own that no known program writes: the node's nftables configuration.
    let owner = of_rule(chain, target, comment, &interfaces);
    if owner == Owner::Unknown {
        Owner::Host
    } else {
        owner
    }
}

/// The owner of every rule line of a paste.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Owners {
    by_line: FastMap<u32, Owner>,
    /// nft rules by table (`FAMILY NAME`), chain and line, for the lines that hold many rules (`nft -j`
    /// prints a whole ruleset on one line); a line of one rule is in `by_line` alone.
    by_nft_rule: FastMap<(String, String, u32), Owner>,
    /// Lines that hold several nft rules: no one owner is named for them.
    shared_lines: FastSet<u32>,
}

impl Owners {
    pub fn build(
        iptables: &[&svcpath_syntax::iptables::Ruleset],
        nft: &[&svcpath_syntax::nft::Ruleset],
    ) -> Owners {
        // Sized once for the iptables rules (one entry each); growing rule by rule rehashes them all
        // again at each doubling.
        let iptables_rules: usize = iptables
            .iter()
            .flat_map(|r| r.tables.iter())
            .flat_map(|t| t.chains.iter())
            .map(|c| c.rules.len())
            .sum();
        let mut by_line = fast_hash::map_with_capacity(iptables_rules);
        let mut shared_lines = FastSet::default();
        for ruleset in iptables {
            for table in &ruleset.tables {
                for chain in &table.chains {
                    for rule in &chain.rules {
                        by_line.insert(rule.line, of_iptables_rule(&chain.name, rule));
                    }
                }
            }
        }
        // Each nft rule by where it is (ruleset, table, chain); named by strings below only if its
        // line holds other rules too, since a line of one rule is answered by `by_line`.
        let mut nft_rules: Vec<(u32, [usize; 3], Owner)> = Vec::new();
        for (r, ruleset) in nft.iter().enumerate() {
            for (t, table) in ruleset.tables.iter().enumerate() {
                let label = format!("{} {}", table.family, table.name);
                for (c, chain) in table.chains.iter().enumerate() {
                    if let Some(base) = &chain.base {
                        let owner =
                            of_nft_table(&table.name).unwrap_or(if is_builtin_chain(&chain.name) {
                                Owner::Host
                            } else {
                                of_chain(&chain.name).unwrap_or(Owner::Host)
                            });
                        if by_line.insert(base.line, owner).is_some() {
                            shared_lines.insert(base.line);
                        }
                        nft_rules.push((base.line, [r, t, c], owner));
                    }
                    for rule in &chain.rules {
                        let owner =
                            of_nft_rule(&label, &chain.name, &rule.text, rule.comment.as_deref());
                        if by_line.insert(rule.line, owner).is_some() {
                            shared_lines.insert(rule.line);
                        }
                        nft_rules.push((rule.line, [r, t, c], owner));
                    }
                }
            }
        }
        let mut by_nft_rule = FastMap::default();
        for (line, [r, t, c], owner) in nft_rules {
            if shared_lines.contains(&line) {
                let table = &nft[r].tables[t];
                let label = format!("{} {}", table.family, table.name);
                by_nft_rule.insert((label, table.chains[c].name.clone(), line), owner);
            }
        }
        Owners {
            by_line,
            by_nft_rule,
            shared_lines,
        }
    }

    /// The owner of the rule on this line, if a rule is there.
    pub fn line(&self, line: u32) -> Option<Owner> {
        if self.shared_lines.contains(&line) {
            return None;
        }
        self.by_line.get(&line).copied()
    }

    /// The owner of one trace step: its rule's, or for a base chain's policy the table's (iptables
    /// built-in chains: the host's).
    pub fn step(&self, table: &str, chain: &str, line: Option<u32>) -> Option<Owner> {
        if let Some(owner) = line.and_then(|l| {
            self.by_nft_rule
                .get(&(table.to_string(), chain.to_string(), l))
                .copied()
        }) {
            return Some(owner);
        }
        if let Some(owner) = line.and_then(|l| self.line(l)) {
            return Some(owner);
        }
        if chain.is_empty() || line.is_some() {
            return None;
        }
        if matches!(table, "raw" | "mangle" | "nat" | "filter" | "security") {
            return is_builtin_chain(chain).then_some(Owner::Host);
        }
        let name = table.rsplit(' ').next().unwrap_or(table);
        Some(of_nft_table(name).unwrap_or(Owner::Host))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_by_prefix() {
        assert_eq!(of_chain("KUBE-SVC-ABC"), Some(Owner::KubeProxy));
        assert_eq!(of_chain("KUBE-ROUTER-INPUT"), Some(Owner::KubeRouter));
        assert_eq!(of_chain("FLANNEL-FWD"), Some(Owner::Flannel));
        assert_eq!(of_chain("cali-FORWARD"), Some(Owner::Calico));
        assert_eq!(of_chain("CILIUM_FORWARD"), Some(Owner::Cilium));
        assert_eq!(of_chain("WEAVE-NPC"), Some(Owner::Weave));
        assert_eq!(of_chain("ANTREA-POSTROUTING"), Some(Owner::Antrea));
        assert_eq!(of_chain("KIND-MASQ-AGENT"), Some(Owner::Kindnet));
        assert_eq!(of_chain("CNI-HOSTPORT-DNAT"), Some(Owner::CniPlugins));
        assert_eq!(of_chain("DOCKER-USER"), Some(Owner::Docker));
        assert_eq!(of_chain("ufw-before-input"), Some(Owner::Ufw));
        assert_eq!(of_chain("INPUT_direct"), Some(Owner::Firewalld));
        assert_eq!(of_chain("IN_public_allow"), Some(Owner::Firewalld));
        assert_eq!(of_chain("INPUT"), None);
        assert_eq!(of_chain("my-chain"), None);
    }

    #[test]
    fn builtin_chain_rules() {
        assert_eq!(of_rule("INPUT", Some("REJECT"), None, &[]), Owner::Host);
        assert_eq!(
            of_rule("INPUT", Some("KUBE-FIREWALL"), None, &[]),
            Owner::KubeProxy
        );
        assert_eq!(
            of_rule("FORWARD", Some("ACCEPT"), Some("flanneld forward"), &[]),
            Owner::Flannel
        );
        assert_eq!(
            of_rule("POSTROUTING", Some("MASQUERADE"), None, &["docker0"]),
            Owner::Docker
        );
        assert_eq!(of_rule("my-chain", Some("DROP"), None, &[]), Owner::Unknown);
    }

    #[test]
    fn nft_tables() {
        assert_eq!(
            of_nft_rule("ip kube-proxy", "services", "ip daddr 10.0.0.1 drop", None),
            Owner::KubeProxy
        );
        assert_eq!(
            of_nft_rule("inet firewalld", "filter_INPUT", "reject", None),
            Owner::Firewalld
        );
        assert_eq!(
            of_nft_rule("ip filter", "INPUT", "counter reject", None),
            Owner::Host
        );
        assert_eq!(
            of_nft_rule("ip filter", "FORWARD", "counter jump FLANNEL-FWD", None),
            Owner::Flannel
        );
        assert_eq!(
            of_nft_rule("inet filter", "input", "tcp dport 22 accept", None),
            Owner::Host
        );
    }
}
