//! kube-proxy's nftables mode (GA since Kubernetes 1.33), read from `nft list ruleset`, `nft list table ip
//! kube-proxy` or the `nft -f` transaction kube-proxy writes; and iptables-mode rules that show up in an nft
//! listing through the iptables-nft front end.
//!
//! - [`analyze`]: the Service ports of kube-proxy's nftables tables, with endpoints and their odds, and
//!   the findings for them.
//! - [`is_nftables_node`]: whether the dumps show kube-proxy's nftables mode.
//! - [`iptables_nft_chains`]: iptables-mode `KUBE-…` chains seen through nft.
//! - [`nftables_lookups_per_packet`]: the rules and lookups the first packet of a connection costs.
//!
//! How kube-proxy lays out its table: packets to a ClusterIP, external IP or load-balancer IP are looked
//! up in the `service-ips` verdict map (`ip daddr . meta l4proto . th dport`), NodePorts in
//! `service-nodeports`; each element jumps to the port's `service-…` chain (or `external-…` for
//! traffic from outside, then `local-…` with `externalTrafficPolicy: Local`). That chain picks an
//! `endpoint-…` chain with `numgen random mod N vmap { 0 : goto …, … }`, and the endpoint chain DNATs.
//! Ports without usable endpoints get an element in `no-endpoint-services` / `no-endpoint-nodeports`
//! (`drop`, or `goto reject-chain`), checked by the filter base chains. `firewall-ips` sends
//! load-balancer IPs with `loadBalancerSourceRanges` to a `firewall-…` chain. With ClientIP affinity each
//! endpoint has an `affinity-…` set with a timeout.
//!
//! The rules do not tell an external IP from a load-balancer IP: an address is listed as a load-balancer
//! IP when `firewall-ips` has it (the Service has `loadBalancerSourceRanges`), as an external IP otherwise.
//! With dual-stack, the `ip` and `ip6` tables each give their own entry for a Service port (same id).

pub mod affinity;
pub mod cost;
pub mod etp_local;
pub mod facts;
pub mod hairpin;
pub mod iptables_nft;
pub mod layout;
pub mod model;
pub mod names;
pub mod no_endpoints;
pub mod partial;
pub mod picks;
mod traced;

use svcpath_syntax::nft::Ruleset;

pub use cost::{nftables_lookups_per_packet, NftablesCost, PacketCost};
pub use iptables_nft::{iptables_nft_chains, IptablesNftListing};
pub use layout::layout;

use crate::report::Fact;
use crate::ModeAnalysis;

/// kube-proxy's nftables tables in a paste, with each table's Service model and the node facts they
/// show: read once per report and shared by detection, analysis, layout and cost.
pub struct NftNode<'a> {
    pub rulesets: &'a [Ruleset],
    pub tables: Vec<model::KubeTable<'a>>,
    /// [`model::services`] of each table, in the order of `tables`.
    pub services: Vec<Vec<model::ServiceModel>>,
    /// [`facts::node_ips`] of the tables.
    pub node_ips: Vec<Fact>,
    /// [`facts::pod_cidrs`] of the tables.
    pub pod_cidrs: Vec<Fact>,
}

impl<'a> NftNode<'a> {
    /// Finds kube-proxy's tables in these nft sections and reads their Services and node facts.
    pub fn read(rulesets: &'a [Ruleset]) -> NftNode<'a> {
        let tables = model::kube_proxy_tables(rulesets);
        let services = tables.iter().map(model::services).collect();
        let node_ips = facts::node_ips(&tables);
        let pod_cidrs = facts::pod_cidrs(&tables);
        NftNode {
            rulesets,
            tables,
            services,
            node_ips,
            pod_cidrs,
        }
    }

    /// True when the dumps show kube-proxy's nftables mode: a `kube-proxy` table with chains or maps, or
    /// chains (or map elements going to chains) with kube-proxy's nftables names.
    pub fn detect(&self) -> bool {
        self.tables
            .iter()
            .any(|kt| !kt.table.chains.is_empty() || !kt.table.sets.is_empty())
    }

    /// The Service ports and findings of kube-proxy's nftables mode, the release layout and the cost of
    /// a first packet.
    pub fn analyze(&self) -> ModeAnalysis {
        let mut out = ModeAnalysis::default();
        let node_ips: Vec<String> = self.node_ips.iter().map(|f| f.value.clone()).collect();
        for (kt, services) in self.tables.iter().zip(&self.services) {
            let hairpin_set = hairpin::has_hairpin_set(kt);
            // The set and its keys are read once per table, not once per Service port.
            let hairpin_keys =
                hairpin::hairpin_set(kt).map(|(set, line)| (hairpin::SetKeys::of(set), line));
            for s in services {
                out.findings.extend(no_endpoints::find(s));
                // Which endpoints are local says nothing while the endpoints themselves are unknown.
                if s.endpoints_unknown.is_none() {
                    out.findings.extend(etp_local::find(s));
                }
                if !hairpin_set {
                    out.findings.extend(hairpin::find(s));
                }
                if let Some((keys, line)) = &hairpin_keys {
                    out.findings
                        .extend(hairpin::find_in_keys(s, keys, *line, &node_ips));
                }
                out.findings.extend(affinity::find(s));
                out.findings.extend(partial::find(s));
            }
            out.findings.extend(hairpin::find_table(kt, services));
            out.services
                .extend(services.iter().map(model::ServiceModel::to_service));
        }
        traced::fill(self, &mut out.services);
        let still_unknown: std::collections::HashSet<&str> = out
            .services
            .iter()
            .filter(|s| s.endpoints_unknown.is_some())
            .map(|s| s.id.as_str())
            .collect();
        // A Service whose endpoints the tracer proved keeps no "unknown" finding.
        out.findings.retain(|f| {
            f.code != partial::CODE_UNKNOWN
                || f.service
                    .as_deref()
                    .is_some_and(|id| still_unknown.contains(id))
        });
        svcpath_syntax::stable_sort::sort_by(&mut out.services, |a, b| {
            a.id.cmp(&b.id)
                .then_with(|| a.cluster_ip.cmp(&b.cluster_ip))
        });
        svcpath_syntax::stable_sort::sort_by(&mut out.findings, |a, b| {
            (&a.service, &a.code, &a.lines).cmp(&(&b.service, &b.code, &b.lines))
        });
        out.layout = layout::layout(&self.tables);
        out.cost = self.cost().into();
        out
    }

    /// The rules and lookups of a first packet to each Service port's ClusterIP.
    pub fn cost(&self) -> NftablesCost {
        cost::lookups_per_packet(&self.tables, &self.services)
    }
}

/// The Service ports and findings of kube-proxy's nftables mode in these nft sections.
pub fn analyze(rulesets: &[Ruleset]) -> ModeAnalysis {
    NftNode::read(rulesets).analyze()
}

/// True when the dumps show kube-proxy's nftables mode: a `kube-proxy` table with chains or maps, or
/// chains (or map elements going to chains) with kube-proxy's nftables names.
pub fn is_nftables_node(rulesets: &[Ruleset]) -> bool {
    NftNode::read(rulesets).detect()
}
