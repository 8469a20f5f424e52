//! Which entries of a Service port are stale, what that means and the command that clears them.
//!
//! An entry is stale when its reply source (the DNAT target) is not one of the Service's current
//! endpoints — the endpoint went away and the entry outlived it — or when the reply comes from the
//! Service address itself: the flow was never DNAT'd (it started before kube-proxy's rules existed) and
//! keeps bypassing them while the entry lives. The kernel sends every further packet of such a flow to
//! the same target until the entry expires; kube-proxy deletes these entries for UDP when endpoints
//! change, so a stale UDP entry means that cleanup did not happen (kubernetes#125467, #126130).
//!
//! Nothing is called stale when the Service's endpoints are unknown, except entries never DNAT'd
//! (which the entry alone shows).

use std::net::IpAddr;

use super::join::{host_port, parse_ip};
use crate::report::{Service, StaleEntry, StaleKind};

/// One entry of a Service port as the join sees it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Candidate {
    pub(super) protocol: &'static str,
    pub(super) client: (IpAddr, Option<u16>),
    pub(super) destination: (IpAddr, u16),
    /// The reply's source: where the flow goes.
    pub(super) target: (IpAddr, Option<u16>),
    pub(super) line: u32,
    pub(super) timeout: Option<u64>,
    pub(super) unreplied: bool,
}

/// True when `target` is one of the Service's endpoints (by address, and by port when both say one).
pub(super) fn is_endpoint(service: &Service, target: (IpAddr, Option<u16>)) -> bool {
    service.endpoints.iter().any(|ep| {
        parse_ip(&ep.ip) == Some(target.0)
            && match (ep.port, target.1) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            }
    })
}

/// Why the entry is stale, or `None` when it is current (or its staleness is unknown).
pub(super) fn judge(service: &Service, c: &Candidate) -> Option<StaleKind> {
    if c.target.0 == c.destination.0 && c.target.1.is_none_or(|p| p == c.destination.1) {
        return Some(StaleKind::NeverDnat);
    }
    if service.endpoints_unknown.is_some() {
        return None;
    }
    (!is_endpoint(service, c.target)).then_some(StaleKind::EndpointGone)
}

/// The command that deletes the entries of this kind for this destination.
pub(super) fn clearing_command(c: &Candidate) -> String {
    let family = if c.destination.0.is_ipv6() {
        " -f ipv6"
    } else {
        ""
    };
    format!(
        "conntrack -D{family} -p {} --orig-dst {} --reply-src {}",
        c.protocol, c.destination.0, c.target.0
    )
}

/// The stale entry as the report lists it.
pub(super) fn entry(service: &Service, c: &Candidate, kind: StaleKind) -> StaleEntry {
    let target = host_port(c.target.0, c.target.1);
    let expires = match c.timeout {
        Some(t) => format!("until the entry expires (in {t} s unless traffic renews it)"),
        None => "until the entry expires".to_string(),
    };
    let meaning = match kind {
        StaleKind::EndpointGone => format!(
            "the client's next packets on this flow keep going to {target}, which is not an endpoint of {} now, {expires}; kube-proxy should have deleted the entry when the endpoint went away{}",
            service.id,
            if c.unreplied { " (no reply came back: the target is gone)" } else { "" }
        ),
        StaleKind::NeverDnat => format!(
            "this flow was never DNAT'd: it reached {} before kube-proxy's rules for {} existed and keeps bypassing them {expires}",
            host_port(c.destination.0, Some(c.destination.1)),
            service.id
        ),
    };
    StaleEntry {
        service: service.id.clone(),
        protocol: c.protocol.to_string(),
        client: host_port(c.client.0, c.client.1),
        destination: host_port(c.destination.0, Some(c.destination.1)),
        translated_to: target,
        kind,
        line: c.line,
        timeout: c.timeout,
        meaning,
        command: clearing_command(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Endpoint, Unknown};

    fn dns(unknown: bool) -> Service {
        Service {
            id: "kube-system/kube-dns:dns".to_string(),
            endpoints: vec![Endpoint {
                ip: "10.244.1.7".to_string(),
                port: Some(53),
                ..Endpoint::default()
            }],
            endpoints_unknown: unknown.then(|| Unknown {
                reason: "the chain is cut".to_string(),
                lines: vec![3],
            }),
            ..Service::default()
        }
    }

    fn candidate(target: &str) -> Candidate {
        Candidate {
            protocol: "udp",
            client: ("10.244.1.9".parse().unwrap(), Some(43000)),
            destination: ("10.96.0.10".parse().unwrap(), 53),
            target: (target.parse().unwrap(), Some(53)),
            line: 9,
            timeout: Some(30),
            unreplied: true,
        }
    }

    #[test]
    fn stale_only_when_the_endpoints_are_known() {
        assert_eq!(judge(&dns(false), &candidate("10.244.1.7")), None);
        assert_eq!(
            judge(&dns(false), &candidate("10.244.3.9")),
            Some(StaleKind::EndpointGone)
        );
        // Unknown endpoints: a DNAT to any address proves nothing …
        assert_eq!(judge(&dns(true), &candidate("10.244.3.9")), None);
        // … but an entry never DNAT'd shows it by itself.
        assert_eq!(
            judge(&dns(true), &candidate("10.96.0.10")),
            Some(StaleKind::NeverDnat)
        );
        let v6 = Candidate {
            destination: ("fd00::a".parse().unwrap(), 53),
            target: ("fd00::9".parse().unwrap(), Some(53)),
            ..candidate("10.244.3.9")
        };
        assert_eq!(
            clearing_command(&v6),
            "conntrack -D -f ipv6 -p udp --orig-dst fd00::a --reply-src fd00::9"
        );
    }
}
