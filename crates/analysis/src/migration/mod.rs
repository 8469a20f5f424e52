//! The move to nftables mode, for an iptables- or IPVS-mode node: what kube-proxy's nftables mode would
//! change here (per-packet work, the objects it would create) and the blockers and behaviour changes its
//! documentation lists, each shown only where the paste proves it, with the lines.
//!
//! Sources: the Kubernetes documentation "Virtual IPs and Service Proxies" (nftables proxy mode,
//! "Migrating from iptables mode to nftables"), kube-proxy's `pkg/proxy/nftables` and the KEPs named in
//! [`version_notes`].

pub mod blockers;
pub mod objects;

pub use crate::report::{Migration, MigrationItem};
use crate::report::{Mode, Report, Severity};
use crate::snapshot::Snapshot;
pub use crate::versions;

/// The migration section for an iptables- or IPVS-mode node; `None` for other modes.
pub fn assess(snapshot: &Snapshot, report: &Report) -> Option<Migration> {
    if !matches!(report.mode, Mode::Iptables | Mode::Ipvs) {
        return None;
    }
    let objects = objects::count(&report.services);
    let mut items = blockers::all(snapshot, report);
    svcpath_syntax::stable_sort::sort_by(&mut items, |a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.lines.first().cmp(&b.lines.first()))
            .then(a.code.cmp(&b.code))
    });
    let blocking = items
        .iter()
        .filter(|i| i.severity == Severity::Critical)
        .count();
    let changes = items.len() - blocking;
    let mode = match report.mode {
        Mode::Ipvs => "IPVS",
        _ => "iptables",
    };
    let summary = match (blocking, changes) {
        (0, 0) => format!(
            "Nothing in this paste stands in the way of moving from {mode} mode to nftables mode; what the \
             paste does not show (other nodes, the kernel and nft versions when not pasted) is not judged."
        ),
        (0, n) => format!(
            "No blocker in this paste; {n} behaviour change(s) to check before moving from {mode} mode to \
             nftables mode."
        ),
        (b, n) => format!(
            "{b} blocker(s) and {n} other change(s) to settle before moving from {mode} mode to nftables mode."
        ),
    };
    Some(Migration {
        from: report.mode,
        summary,
        rules_per_packet_now: report.rules.mean_rules_per_packet,
        rules_per_packet_nftables: report.rules.nftables_rules_per_packet,
        objects,
        items,
        notes: version_notes(report),
    })
}

/// Release facts that change the explanation for this node.
pub fn version_notes(report: &Report) -> Vec<String> {
    let mut notes = vec![
        "nftables mode is stable since Kubernetes 1.33 (KEP-3866) and becomes kube-proxy's default mode in 1.40 \
         (KEP-5343); it needs Linux 5.13 or later and the nft command 1.0.1 or later."
            .to_string(),
    ];
    if report.mode == Mode::Ipvs {
        notes.push(
            "IPVS mode is deprecated since Kubernetes 1.35 (kube-proxy logs a warning at start) and is removed in \
             1.43 (KEP-5495): this node has to move before then."
                .to_string(),
        );
    }
    let external = report
        .services
        .iter()
        .filter(|s| !s.external_ips.is_empty())
        .count();
    if external > 0 {
        notes.push(format!(
            "{external} Service port(s) here use externalIPs, which are deprecated since Kubernetes 1.36 \
             (KEP-5707) and stop being programmed around 1.40 in every mode: moving to nftables does not keep \
             them; plan a LoadBalancer or Gateway instead."
        ));
    }
    notes.push(
        "From 1.36 nftables mode writes no endpoint chains for Services without session affinity (the Service \
         chain DNATs through a map): the object counts give the 1.33–1.35 layout and the later one."
            .to_string(),
    );
    notes
}
