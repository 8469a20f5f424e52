//! What the scheduler means for the odds: for the least-connection family the weight share is only where
//! things end up on average (the real choice follows live counts); the hashing schedulers pick per client.

use crate::report::FindingCode;
use std::collections::BTreeMap;

use crate::ipvs::model::Node;
use crate::report::{Finding, Service, Severity};

pub const LIVE_COUNTS: FindingCode = FindingCode::IpvsSchedulerLiveCounts;
pub const HASHING: FindingCode = FindingCode::IpvsSchedulerHashing;

/// At most this many services' counts are quoted.
const MAX_QUOTED: usize = 8;

pub fn find(node: &Node, services: &[(Service, Vec<usize>)]) -> Vec<Finding> {
    let mut by_scheduler: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (_, group) in services {
        for i in group {
            if let Some(s) = &node.servers[*i].service.scheduler {
                by_scheduler.entry(s.clone()).or_default().push(*i);
            }
        }
    }
    let mut out = Vec::new();
    for (scheduler, servers) in by_scheduler {
        let rule = match scheduler.as_str() {
            "lc" => "each new connection goes to the real server with the fewest connections (active × 256 + inactive)",
            "wlc" => "each new connection goes to the real server with the fewest connections per unit of weight ((active × 256 + inactive) / weight)",
            "sed" => "each new connection goes to the real server with the shortest expected delay ((active + 1) / weight)",
            "nq" => "a new connection goes to an idle real server if there is one, otherwise to the one with the shortest expected delay",
            "lblc" | "lblcr" => "each destination address sticks to a real server until that server is overloaded (locality-based least connection)",
            "fo" => "every new connection goes to the available real server with the highest weight (weighted failover)",
            "ovf" => "new connections go to the highest-weight server until its active connections exceed its weight (overflow)",
            "sh" | "dh" | "mh" => "",
            _ => continue,
        };
        let lines: Vec<u32> = servers
            .iter()
            .map(|i| node.servers[*i].service.line)
            .collect();
        if rule.is_empty() {
            let what = if scheduler == "dh" {
                "destination"
            } else {
                "source (client)"
            };
            let message = format!(
                "{} virtual service(s) use the {scheduler} scheduler: it hashes the {what} address to pick a real server, so \
                 one client always lands on the same server while the set of servers stays the same. Over many clients the \
                 shares follow the weights (the odds shown); a single client gets no spreading at all, and adding or removing \
                 a server moves {}.",
                servers.len(),
                if scheduler == "mh" { "only a small part of the clients (Maglev hashing)" } else { "many clients to another server" }
            );
            out.push(Finding::new(HASHING, Severity::Info, None, lines, message));
            continue;
        }
        let mut quoted = Vec::new();
        for i in &servers {
            let s = &node.servers[*i];
            let counts: Vec<String> = s
                .service
                .real_servers
                .iter()
                .filter(|r| r.active_connections.is_some() || r.inactive_connections.is_some())
                .map(|r| {
                    format!(
                        "{} {}/{}",
                        r.address.text,
                        r.active_connections.unwrap_or(0),
                        r.inactive_connections.unwrap_or(0)
                    )
                })
                .collect();
            let busy = s.service.real_servers.iter().any(|r| {
                r.active_connections.unwrap_or(0) + r.inactive_connections.unwrap_or(0) > 0
            });
            if busy && quoted.len() < MAX_QUOTED {
                quoted.push(format!("{}: {}", s.id(), counts.join(", ")));
            }
        }
        let mut message = format!(
            "{} virtual service(s) use the {scheduler} scheduler: {rule}. The odds shown are the weight shares, where the \
             choice ends up on average when connections are alike; the actual choice depends on the live connection counts at \
             the moment a connection arrives, so a slow server (whose connections last longer) gets fewer new ones.",
            servers.len()
        );
        if quoted.is_empty() {
            message.push_str(" The listing shows no live connections right now, so the next choice is by weight and order.");
        } else {
            message.push_str(&format!(
                " Live counts now (active/inactive): {}.",
                quoted.join("; ")
            ));
        }
        out.push(Finding::new(
            LIVE_COUNTS,
            Severity::Info,
            None,
            lines,
            message,
        ));
    }
    out
}
