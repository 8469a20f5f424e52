//! What a trace is made of, as every front end sees it (and as JSON): the packet traced, where it
//! starts, each way the connection can end with its verdict, and the steps on the way.

use serde::{Deserialize, Serialize};

use super::hooks::Hook;
use crate::model::Protocol;

/// Where a traced packet starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// A pod on this node: the packet enters on the pods' link.
    Pod,
    /// A process on the node itself (host network): the packet starts in OUTPUT.
    Node,
    /// A client outside the node: the packet arrives on the node's uplink.
    External,
}

/// The first packet of a new connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Packet {
    /// Source address; `None` picks one (see [`trace`](super::trace)).
    pub src: Option<String>,
    pub dst: String,
    pub dst_port: u16,
    pub protocol: Protocol,
    pub from: Origin,
    /// The client connected before and session affinity pinned it: `-m recent` lists hold it for the
    /// endpoint its first connection got.
    pub returning_client: bool,
}

/// One way the connection can end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Share of new connections that end this way (the outcomes of a trace sum to 1).
    pub probability: f64,
    /// `dnat` (sent to an endpoint), `accept` (passes without DNAT: delivered to the node or routed
    /// on unchanged), `drop`, `reject`.
    pub verdict: Verdict,
    /// `ip:port` after DNAT (also for a drop after DNAT: where it was headed).
    pub endpoint: Option<String>,
    /// The source address is rewritten (MASQUERADE/SNAT).
    pub masquerade: bool,
    /// Something on the way was assumed (see the steps) or a limit was reached.
    pub uncertain: bool,
    /// Dump lines of the rules that matched, in order (for an nft verdict map, the rule's line and then
    /// the line of the map element that decided).
    pub rules: Vec<u32>,
    pub steps: Vec<Step>,
    /// Why the outcome is `uncertain`: each assumption or limit on the way (with its rule's line), and
    /// a fact svcpath lacks (a node IP) with what to give. Empty when the outcome is certain.
    #[serde(default)]
    pub uncertain_reasons: Vec<String>,
}

/// One thing that happened to the packet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// `PREROUTING`, `INPUT`, `FORWARD`, `OUTPUT`, `POSTROUTING`, or `routing` for a routing decision.
    pub hook: Hook,
    /// `raw`, `mangle`, `nat`, `filter`, `security` (iptables), or an nft table as `FAMILY NAME`
    /// (`ip kube-proxy`); empty for a hook or routing step.
    pub table: String,
    pub chain: String,
    /// Dump line of the rule; `None` for policies, routing and rules kube-proxy installs outside the dump.
    pub line: Option<u32>,
    pub note: String,
    /// Who wrote the rule (or, for a base chain's policy, the table): kube-proxy, the CNI, Docker, the
    /// host firewall; `None` for hook and routing steps.
    #[serde(default)]
    pub owner: Option<crate::owner::Owner>,
}

/// A traced packet and its outcomes, likeliest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// The packet as traced: `src` is filled in when it was chosen by the tracer.
    pub packet: Packet,
    pub outcomes: Vec<Outcome>,
    /// What the tracer chose or assumed for the whole trace (the source address, node addresses,
    /// jumps added, interface names).
    pub notes: Vec<String>,
    /// For a packet of an existing flow (`trace --established`): the listed conntrack entry it belongs
    /// to, whose NAT mapping the kernel applies instead of the rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub established: Option<EstablishedFlow>,
}

/// The interface names the tracer takes for the pods' link and the node's uplink: the first pod-like
/// and uplink-like names the rules use (`None` when the rules name none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkNames {
    pub pod: Option<String>,
    pub uplink: Option<String>,
}

/// How a connection ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Sent to an endpoint (the destination was rewritten by DNAT).
    Dnat,
    /// Passes without DNAT: delivered to the node or routed on unchanged.
    Accept,
    Drop,
    Reject,
}

impl Verdict {
    /// `dnat`, `accept`, `drop`, `reject` (as in the JSON).
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Dnat => "dnat",
            Verdict::Accept => "accept",
            Verdict::Drop => "drop",
            Verdict::Reject => "reject",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON and the text of hooks and verdicts are the strings front ends and saved reports know.
    #[test]
    fn hooks_and_verdicts_read_as_before() {
        let hooks = [
            (Hook::Prerouting, "PREROUTING"),
            (Hook::Input, "INPUT"),
            (Hook::Forward, "FORWARD"),
            (Hook::Output, "OUTPUT"),
            (Hook::Postrouting, "POSTROUTING"),
            (Hook::Routing, "routing"),
        ];
        for (hook, name) in hooks {
            assert_eq!(serde_json::to_string(&hook).unwrap(), format!("\"{name}\""));
            assert_eq!(
                serde_json::from_str::<Hook>(&format!("\"{name}\"")).unwrap(),
                hook
            );
            assert_eq!(hook.to_string(), name);
        }
        let verdicts = [
            (Verdict::Dnat, "dnat"),
            (Verdict::Accept, "accept"),
            (Verdict::Drop, "drop"),
            (Verdict::Reject, "reject"),
        ];
        for (verdict, name) in verdicts {
            assert_eq!(
                serde_json::to_string(&verdict).unwrap(),
                format!("\"{name}\"")
            );
            assert_eq!(
                serde_json::from_str::<Verdict>(&format!("\"{name}\"")).unwrap(),
                verdict
            );
            assert_eq!(verdict.to_string(), name);
        }
        // Widths and alignment apply, as they did to the strings (`svcpath trace` aligns its columns).
        assert_eq!(format!("[{:<11}]", Hook::Input), "[INPUT      ]");
        assert_eq!(format!("[{:>6}]", Verdict::Drop), "[  drop]");
        assert_eq!(
            serde_json::to_string(&Origin::External).unwrap(),
            "\"external\""
        );
    }
}

/// The entry an existing flow of a client to a destination is pinned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EstablishedFlow {
    pub line: u32,
    pub protocol: String,
    /// `ip:port` of the client (the entry's original source).
    pub client: String,
    pub destination: String,
    /// Where the kernel sends the flow's packets: the reply's source, `ip:port`.
    pub endpoint: String,
    /// True when the entry was DNAT'd (the endpoint differs from the destination).
    pub dnat: bool,
    pub state: Option<String>,
    pub timeout: Option<u64>,
    /// The Service port of the destination, when it is one.
    pub service: Option<String>,
    /// True when the endpoint is not one of that Service's endpoints now; `null` when unknown.
    pub stale: Option<bool>,
    /// Other listed entries of the same client and destination (other source ports).
    pub other_entries: u64,
    /// True when the reply goes to another address than the client: the flow is source-NAT'd.
    pub snat: bool,
}
