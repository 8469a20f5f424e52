//! What kube-proxy's IPVS-mode iptables rules masquerade, in one place: cluster IPs, node ports, load
//! balancers, hairpin connections, and the final `KUBE-POSTROUTING` rule.

use crate::ipvs::model::Node;
use crate::ipvs::rules::ClusterIpMasquerade;
use crate::report::FindingCode;
use crate::report::{Finding, Severity};

pub const CODE: FindingCode = FindingCode::IpvsMasqueradeRules;

pub fn find(node: &Node) -> Vec<Finding> {
    let rules = &node.rules;
    if !rules.present || rules.ipvs_evidence.is_empty() {
        return Vec::new();
    }
    let mut sentences = vec![
        "In IPVS mode IPVS does the DNAT to the chosen real server; iptables only marks the packets that must leave with the \
         node's address (KUBE-MARK-MASQ) and masquerades them in KUBE-POSTROUTING."
            .to_string(),
    ];
    let mut lines = Vec::new();
    match &rules.cluster_ip_masquerade {
        Some((line, kind)) => {
            lines.push(*line);
            sentences.push(match kind {
                ClusterIpMasquerade::All => "Cluster IPs: every client is masqueraded (masqueradeAll).".to_string(),
                ClusterIpMasquerade::OffCluster(cidr) => format!(
                    "Cluster IPs: clients from outside {cidr} (the pod range) are masqueraded, so replies come back through this \
                     node; pods keep their own address."
                ),
                ClusterIpMasquerade::NodeOriginated => {
                    "Cluster IPs: only connections the node opens from a service address are masqueraded.".to_string()
                }
                ClusterIpMasquerade::Other => "Cluster IPs: masqueraded under the condition on this rule.".to_string(),
            });
        }
        None if rules.has_nat => {
            sentences.push("Cluster IPs: no rule marks their clients for masquerade.".to_string())
        }
        None => {}
    }
    if let Some(line) = rules.node_port_jump {
        lines.push(line);
        lines.extend(rules.node_port_rules.iter().map(|r| r.2));
        let local = rules
            .node_port_rules
            .iter()
            .any(|(s, t, _)| s.contains("LOCAL") && t == "RETURN");
        sentences.push(format!(
            "Node ports: packets to a local address go through KUBE-NODE-PORT, which {}.",
            if rules.node_port_rules.is_empty() {
                "has no rules in this dump (no node ports, or an older kube-proxy)".to_string()
            } else if local {
                "lets externalTrafficPolicy Local ports pass unmarked and marks the others for masquerade".to_string()
            } else {
                "marks node-port traffic for masquerade".to_string()
            }
        ));
    }
    if !rules.load_balancer_rules.is_empty() {
        lines.extend(rules.load_balancer_rules.iter().map(|r| r.2));
        sentences.push("Load-balancer IPs: KUBE-LOAD-BALANCER marks their traffic for masquerade (except Local ones).".to_string());
    }
    match rules.loopback_masquerade {
        Some(line) => {
            lines.push(line);
            sentences.push(format!(
                "Hairpin: a pod that reaches itself through a Service is masqueraded by the KUBE-LOOP-BACK rule{}.",
                if node.sets.has("KUBE-LOOP-BACK") {
                    format!(" ({} endpoint entr{} in the set)", node.sets.loopback.len(), if node.sets.loopback.len() == 1 { "y" } else { "ies" })
                } else {
                    String::new()
                }
            ));
        }
        None if !rules.postrouting_rules.is_empty() => {
            sentences.push("Hairpin: KUBE-POSTROUTING has no KUBE-LOOP-BACK rule, so hairpin connections are not masqueraded.".to_string());
        }
        None => {}
    }
    lines.extend(rules.postrouting_rules.iter());
    vec![Finding::new(
        CODE,
        Severity::Info,
        None,
        lines,
        sentences.join(" "),
    )]
}
