//! Real servers with weight 0 that still hold connections: terminating endpoints being drained.

use crate::ipvs::model::Node;
use crate::report::FindingCode;
use crate::report::{Finding, Service, Severity};

pub const CODE: FindingCode = FindingCode::IpvsWeightZeroDraining;

pub fn find(node: &Node, services: &[(Service, Vec<usize>)]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (service, group) in services {
        for i in group {
            let server = &node.servers[*i];
            for r in &server.service.real_servers {
                if r.weight != Some(0) {
                    continue;
                }
                let active = r.active_connections.unwrap_or(0);
                let inactive = r.inactive_connections.unwrap_or(0);
                if active == 0 && inactive == 0 {
                    continue;
                }
                let mut message = format!(
                    "{}: the real server {} of {} has weight 0 but still holds {active} active and {inactive} inactive \
                     connection(s). Weight 0 is how kube-proxy drains an endpoint that is terminating: IPVS sends it no new \
                     connections, the existing ones run to their end, and kube-proxy deletes the real server once both counts \
                     reach 0.",
                    service.id,
                    r.address.text,
                    server.id()
                );
                if active > 0 {
                    message.push_str(
                        " Active connections on a draining endpoint are long-lived ones (keep-alive, gRPC, database pools); they \
                         break when the pod finally exits unless the client reconnects.",
                    );
                }
                if server.service.persistent_seconds.is_some() {
                    message.push_str(
                        " The service is persistent: kube-proxy sets net.ipv4.vs.expire_quiescent_template=1 so that affinity \
                         entries pointing at a weight-0 server expire instead of sending returning clients to it.",
                    );
                }
                let severity = if active > 0 {
                    Severity::Warning
                } else {
                    Severity::Info
                };
                let mut lines = r.lines.to_vec();
                lines.push(server.service.line);
                out.push(Finding::new(
                    CODE,
                    severity,
                    Some(&service.id),
                    lines,
                    message,
                ));
            }
        }
    }
    out
}
