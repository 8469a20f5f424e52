//! `session-affinity`: a Service port with `sessionAffinity: ClientIP`, and how this mode implements it.
//!
//! iptables mode: `-A KUBE-SVC-… -m recent --name KUBE-SEP-… --rcheck --seconds 10800 --reap -j
//! KUBE-SEP-…`. Affinity keys on the source address the node sees, so clients behind one SNAT all stick
//! to one endpoint; and `xt_recent` keeps at most `ip_list_tot` (100 by default) addresses per list — one
//! list per endpoint — so past that many recent clients per endpoint, affinity silently stops sticking.
//! nftables mode: an `affinity-…` set with a timeout per endpoint, filled by `update @affinity-…`.

use crate::report::{Finding, FindingCode, Service, Severity, TrafficPolicy};

pub const CODE: FindingCode = FindingCode::SessionAffinity;

fn duration(seconds: u64) -> String {
    if seconds >= 3600 && seconds.is_multiple_of(3600) {
        format!("{seconds} s ({} h)", seconds / 3600)
    } else if seconds >= 60 && seconds.is_multiple_of(60) {
        format!("{seconds} s ({} min)", seconds / 60)
    } else {
        format!("{seconds} s")
    }
}

/// nftables mode: the Service port `id` has `sets` affinity sets (timeout `seconds` when the paste
/// shows it), checked and updated at `lines`.
pub(crate) fn nft(id: &str, sets: usize, seconds: Option<u64>, lines: Vec<u32>) -> Finding {
    Finding::new(
        CODE,
        Severity::Info,
        Some(id),
        lines,
        format!(
            "{} uses sessionAffinity: ClientIP. Each endpoint has a set of client addresses ({} set{}); the endpoint chain adds the client with `update @affinity-… {{ ip saddr }}`, and the Service chain first sends a client found in a set back to that endpoint (`ip saddr @affinity-… goto endpoint-…`). An address stays in a set for {} after its last new connection. Only clients not in any set are spread by the numgen odds, so the load can look uneven.",
            id,
            sets,
            if sets == 1 { "" } else { "s" },
            seconds.map(duration).unwrap_or_else(|| "the set's timeout".into()),
        ),
    )
}

/// From the report's Service: its affinity timeout, with the `xt_recent` limit when iptables
/// implements it (no IPVS scheduler).
pub(crate) fn from_service(s: &Service) -> Option<Finding> {
    let seconds = s.session_affinity_seconds?;
    let snat_note = match s.external_traffic_policy {
        Some(TrafficPolicy::Cluster) => " External traffic to it is masqueraded first, so every outside client looks like this node and all of them stick to the same endpoint.",
        _ => "",
    };
    let limit_note = if s.scheduler.is_none() {
        " iptables implements it with one `xt_recent` list per endpoint, which holds at most `ip_list_tot` \
          addresses (100 by default, a module parameter): once more clients than that have used an \
          endpoint within the timeout, the oldest lose their affinity without any error."
    } else {
        ""
    };
    Some(Finding::new(
        FindingCode::SessionAffinity,
        Severity::Info,
        Some(&s.id),
        s.lines.clone(),
        format!(
            "{} has sessionAffinity: ClientIP for {} s: a client's first connection is balanced by the odds \
             shown, and later connections from the same source address go to the same endpoint. Clients \
             behind one NAT share one source address and so one endpoint, which can skew the load.{}{}",
            s.id, seconds, snat_note, limit_note
        ),
    ))
}
