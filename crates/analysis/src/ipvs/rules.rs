//! What the iptables rules of an IPVS-mode node say: which traffic kube-proxy masquerades (`KUBE-MARK-MASQ`
//! jumps matched on its ipsets, the `KUBE-LOOP-BACK` hairpin rule in `KUBE-POSTROUTING`), the node-port and
//! load-balancer chains, and what is left over from iptables mode (`KUBE-SVC-*`, `KUBE-SEP-*`, "has no
//! endpoints" rejects). Also the Service names the rules' comments reveal.

use std::collections::{BTreeMap, HashSet};

use svcpath_syntax::iptables::{BasicKind, Rule, Ruleset};

use super::sets::{base_name, normal_ip};

/// One rule that matters, with where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleRef {
    pub chain: String,
    pub line: u32,
}

/// A Service name found in a rule comment.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceName {
    pub namespace: String,
    pub name: String,
    pub port_name: String,
    pub line: u32,
}

/// The IPVS-mode iptables facts.
#[derive(Debug, Clone, Default)]
pub struct RuleFacts {
    /// Any iptables rules were given.
    pub present: bool,
    /// A `nat` table (or nat chains of a grep) was given.
    pub has_nat: bool,
    /// `KUBE-POSTROUTING … --match-set KUBE-LOOP-BACK dst,dst,src -j MASQUERADE`.
    pub loopback_masquerade: Option<u32>,
    /// `KUBE-POSTROUTING` rules (to know whether the chain was shown at all).
    pub postrouting_rules: Vec<u32>,
    /// `KUBE-SERVICES … --match-set KUBE-CLUSTER-IP … -j KUBE-MARK-MASQ`, with its source condition.
    pub cluster_ip_masquerade: Option<(u32, ClusterIpMasquerade)>,
    /// `KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT`.
    pub node_port_jump: Option<u32>,
    /// `KUBE-NODE-PORT` rules: `(set name, target, line)`.
    pub node_port_rules: Vec<(String, String, u32)>,
    /// `KUBE-LOAD-BALANCER` rules: `(set name or "", target, line)`.
    pub load_balancer_rules: Vec<(String, String, u32)>,
    /// `KUBE-SERVICES … --match-set KUBE-EXTERNAL-IP … -j KUBE-MARK-MASQ`.
    pub external_ip_masquerade: Option<u32>,
    /// Firewall rules for source ranges (`KUBE-FIREWALL` in nat, `KUBE-SOURCE-RANGES-FIREWALL`).
    pub firewall_rules: Vec<u32>,
    /// Iptables rules that match kube-proxy's IPVS ipsets, or jump to `KUBE-NODE-PORT`.
    pub ipvs_evidence: Vec<u32>,
    /// Left from iptables mode.
    pub leftovers: Leftovers,
    /// VIP:port/proto to Service name, from rule comments with `-d VIP --dport PORT`.
    pub names_by_vip: BTreeMap<String, ServiceName>,
    /// Endpoint `ip:port` (or bare `ip`) to Service name, from `KUBE-SEP-*` chains.
    pub names_by_endpoint: BTreeMap<String, Vec<ServiceName>>,
    /// Chain names already listed in `leftovers`, so that each is listed once.
    listed_chains: HashSet<String>,
}

/// Who is masqueraded when reaching a cluster IP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterIpMasquerade {
    /// `masqueradeAll`: every source.
    All,
    /// Sources outside the cluster's pod range (`! -s 10.244.0.0/16`).
    OffCluster(String),
    /// Only the node's own connections with a VIP source (`src,dst`).
    NodeOriginated,
    /// Some other condition, as written.
    Other,
}

/// Chains and rules of iptables mode found beside IPVS mode.
#[derive(Debug, Clone, Default)]
pub struct Leftovers {
    /// `KUBE-SVC-*`, `KUBE-SVL-*`, `KUBE-EXT-*`, `KUBE-FW-*`, `KUBE-XLB-*` chain names and lines.
    pub service_chains: Vec<(String, u32)>,
    /// `KUBE-SEP-*` chain names and lines.
    pub endpoint_chains: Vec<(String, u32)>,
    /// "has no endpoints" REJECT / DROP rules.
    pub reject_rules: Vec<u32>,
    /// Rules that jump from a built-in or `KUBE-SERVICES` chain into the leftover chains (still reachable).
    pub reachable_from: Vec<u32>,
    /// DNAT rules whose `--to-destination` was printed garbled (empty, `0.0.0.0`, `:0`, repeated).
    pub garbled_dnat: Vec<u32>,
}

impl Leftovers {
    pub fn is_empty(&self) -> bool {
        self.service_chains.is_empty()
            && self.endpoint_chains.is_empty()
            && self.reject_rules.is_empty()
    }
}

/// A rule only kube-proxy's IPVS mode writes: a match on its ClusterIP or loop-back set, or a jump to
/// its NodePort chain.
fn is_ipvs_evidence(set_base_name: Option<&str>, target: &str) -> bool {
    matches!(set_base_name, Some(s) if s.starts_with("KUBE-CLUSTER-IP") || s == "KUBE-LOOP-BACK")
        || target == "KUBE-NODE-PORT"
}

/// Whether [`RuleFacts::build`] would find IPVS evidence, without building the facts: stops at the
/// first piece of evidence and allocates nothing on the way (mode detection runs on every dump).
pub fn has_ipvs_evidence(rulesets: &[Ruleset]) -> bool {
    rulesets.iter().flat_map(|r| &r.tables).any(|table| {
        table.chains.iter().any(|chain| {
            (chain.name == "KUBE-NODE-PORT" && chain.declared_at.is_some())
                || chain.rules.iter().any(|rule| {
                    let set = rule
                        .option("match-set")
                        .and_then(|o| o.values.first())
                        .map(|s| base_name(s));
                    is_ipvs_evidence(set.as_deref(), rule.target_name().unwrap_or(""))
                })
        })
    })
}

impl RuleFacts {
    pub fn build(rulesets: &[Ruleset]) -> RuleFacts {
        let mut facts = RuleFacts::default();
        for ruleset in rulesets {
            for table in &ruleset.tables {
                if table
                    .chains
                    .iter()
                    .any(|c| !c.rules.is_empty() || c.declared_at.is_some())
                {
                    facts.present = true;
                }
                if table.name == "nat" {
                    facts.has_nat = true;
                }
                for chain in &table.chains {
                    facts.chain(&table.name, &chain.name, chain.declared_at, &chain.rules);
                }
            }
        }
        facts
    }

    fn chain(&mut self, table: &str, chain: &str, declared_at: Option<u32>, rules: &[Rule]) {
        if is_leftover_service_chain(chain) {
            let line = declared_at
                .or_else(|| rules.first().map(|r| r.line))
                .unwrap_or(0);
            if self.listed_chains.insert(chain.to_string()) {
                self.leftovers
                    .service_chains
                    .push((chain.to_string(), line));
            }
        } else if chain.starts_with("KUBE-SEP-") {
            let line = declared_at
                .or_else(|| rules.first().map(|r| r.line))
                .unwrap_or(0);
            if self.listed_chains.insert(chain.to_string()) {
                self.leftovers
                    .endpoint_chains
                    .push((chain.to_string(), line));
            }
        }
        if chain == "KUBE-NODE-PORT" {
            if let Some(line) = declared_at {
                self.ipvs_evidence.push(line);
            }
        }
        for rule in rules {
            self.rule(table, chain, rule);
        }
    }

    fn rule(&mut self, table: &str, chain: &str, rule: &Rule) {
        let target = rule.target_name().unwrap_or("");
        let set = rule
            .option("match-set")
            .and_then(|o| o.values.first())
            .map(|s| base_name(s));
        let flags = rule
            .option("match-set")
            .and_then(|o| o.values.get(1))
            .map(|f| f.as_str())
            .unwrap_or_default();
        if is_ipvs_evidence(set.as_deref(), target) {
            self.ipvs_evidence.push(rule.line);
        }
        if is_leftover_service_chain(target)
            && (chain == "KUBE-SERVICES"
                || chain == "KUBE-NODEPORTS"
                || chain == "PREROUTING"
                || chain == "OUTPUT")
        {
            self.leftovers.reachable_from.push(rule.line);
        }
        let comment = rule.comment().unwrap_or("");
        if (comment.contains("has no endpoints") || comment.contains("has no local endpoints"))
            && matches!(target, "REJECT" | "DROP" | "KUBE-MARK-DROP")
        {
            self.leftovers.reject_rules.push(rule.line);
        }
        if target == "DNAT" && chain.starts_with("KUBE-SEP-") {
            let destinations: Vec<&str> = rule
                .target
                .iter()
                .flat_map(|t| t.options.iter())
                .filter(|o| o.name == "to-destination")
                .map(|o| o.value().unwrap_or(""))
                .collect();
            let garbled = destinations.len() > 1
                || destinations
                    .iter()
                    .any(|d| d.is_empty() || d.starts_with("0.0.0.0") || d.starts_with(':'));
            if garbled {
                self.leftovers.garbled_dnat.push(rule.line);
            }
        }
        self.names(chain, rule, comment, target);
        match chain {
            "KUBE-POSTROUTING" => {
                self.postrouting_rules.push(rule.line);
                if set.as_deref() == Some("KUBE-LOOP-BACK") && target == "MASQUERADE" {
                    self.loopback_masquerade.get_or_insert(rule.line);
                }
            }
            "KUBE-SERVICES" if table == "nat" || set.is_some() || target == "KUBE-NODE-PORT" => {
                if set.as_deref() == Some("KUBE-CLUSTER-IP") && target == "KUBE-MARK-MASQ" {
                    let source = rule.basic(BasicKind::Source);
                    let kind = match source {
                        Some(s) if s.negated => {
                            ClusterIpMasquerade::OffCluster(s.value.to_string())
                        }
                        Some(_) => ClusterIpMasquerade::Other,
                        None if flags == "src,dst" => ClusterIpMasquerade::NodeOriginated,
                        None => ClusterIpMasquerade::All,
                    };
                    self.cluster_ip_masquerade.get_or_insert((rule.line, kind));
                }
                if set.as_deref() == Some("KUBE-EXTERNAL-IP") && target == "KUBE-MARK-MASQ" {
                    self.external_ip_masquerade.get_or_insert(rule.line);
                }
                if target == "KUBE-NODE-PORT" {
                    self.node_port_jump.get_or_insert(rule.line);
                }
            }
            "KUBE-NODE-PORT" => {
                self.node_port_rules
                    .push((set.unwrap_or_default(), target.to_string(), rule.line));
            }
            "KUBE-LOAD-BALANCER" => {
                self.load_balancer_rules.push((
                    set.unwrap_or_default(),
                    target.to_string(),
                    rule.line,
                ));
            }
            "KUBE-FIREWALL" | "KUBE-SOURCE-RANGES-FIREWALL"
                if set
                    .as_deref()
                    .is_some_and(|s| s.starts_with("KUBE-LOAD-BALANCER"))
                    || chain == "KUBE-SOURCE-RANGES-FIREWALL" =>
            {
                self.firewall_rules.push(rule.line);
            }
            _ => {}
        }
    }

    fn names(&mut self, chain: &str, rule: &Rule, comment: &str, target: &str) {
        let Some(name) = service_name(comment, rule.line) else {
            return;
        };
        let protocol = rule
            .basic(BasicKind::Protocol)
            .map(|p| p.value.to_ascii_lowercase());
        let dport = rule
            .option("dport")
            .and_then(|o| o.value())
            .and_then(|p| p.parse::<u16>().ok());
        if let (Some(d), Some(port), Some(protocol)) =
            (rule.basic(BasicKind::Destination), dport, &protocol)
        {
            if !d.negated {
                let ip = normal_ip(d.value.trim_end_matches("/32").trim_end_matches("/128"));
                let key = if ip.contains(':') {
                    format!("[{ip}]:{port}/{protocol}")
                } else {
                    format!("{ip}:{port}/{protocol}")
                };
                self.names_by_vip.entry(key).or_insert_with(|| name.clone());
            }
        }
        if chain.starts_with("KUBE-SEP-") {
            let mut keys = Vec::new();
            if target == "DNAT" {
                if let Some(dest) = rule
                    .target
                    .as_ref()
                    .and_then(|t| t.option("to-destination"))
                    .and_then(|o| o.value())
                {
                    if !dest.is_empty() && !dest.starts_with("0.0.0.0") && !dest.starts_with(':') {
                        keys.push(dest.to_string());
                    }
                }
            }
            if target == "KUBE-MARK-MASQ" {
                if let Some(s) = rule.basic(BasicKind::Source).filter(|s| !s.negated) {
                    keys.push(normal_ip(
                        s.value.trim_end_matches("/32").trim_end_matches("/128"),
                    ));
                }
            }
            for key in keys {
                let list = self.names_by_endpoint.entry(key).or_default();
                if !list.iter().any(|n| {
                    n.namespace == name.namespace
                        && n.name == name.name
                        && n.port_name == name.port_name
                }) {
                    list.push(name.clone());
                }
            }
        }
    }
}

/// `KUBE-SVC-*` and the other per-Service chains of iptables mode.
pub fn is_leftover_service_chain(chain: &str) -> bool {
    [
        "KUBE-SVC-",
        "KUBE-SVL-",
        "KUBE-EXT-",
        "KUBE-FW-",
        "KUBE-XLB-",
    ]
    .iter()
    .any(|p| chain.starts_with(p))
}

/// Reads `ns/name:port …` (or `ns/name …`) from a kube-proxy comment.
pub fn service_name(comment: &str, line: u32) -> Option<ServiceName> {
    let first = comment.split_whitespace().next()?;
    let (namespace, rest) = first.split_once('/')?;
    let (name, port_name) = match rest.split_once(':') {
        Some((n, p)) => (n, p),
        None => (rest, ""),
    };
    let valid = |s: &str| {
        !s.is_empty()
            && s.len() <= 253
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    };
    if !valid(namespace) || !valid(name) || !(port_name.is_empty() || valid(port_name)) {
        return None;
    }
    Some(ServiceName {
        namespace: namespace.to_string(),
        name: name.to_string(),
        port_name: port_name.to_string(),
        line,
    })
}
