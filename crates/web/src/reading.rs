//! What the page needs to read a report quickly, computed without the browser: each Service's chain
//! names (for the search), the Services table's extra columns, the rule that decides a trace, and the
//! Trace form's defaults from the paste on screen.

use svcpath_analysis::report::{Report, Service, TrafficPolicy};
use svcpath_analysis::trace::{Outcome, Step, Verdict};

use crate::route::TraceQuery;

/// Up to this many rows the Services table draws every row and scrolls with the page; past it only the
/// rows in the window are drawn.
pub const DRAW_ALL_ROWS_UP_TO: usize = 300;

/// Prefixes of the chains kube-proxy writes for one Service or endpoint: iptables
/// (`KUBE-SVC-HASH`, …) and nftables (`service-HASH-ns/name/proto/port`, …).
const CHAIN_PREFIXES: [&str; 9] = [
    "KUBE-SVC-",
    "KUBE-SVL-",
    "KUBE-SEP-",
    "KUBE-EXT-",
    "KUBE-FW-",
    "KUBE-XLB-",
    "service-",
    "endpoint-",
    "external-",
];

/// The per-Service chain names on these dump lines, in first-seen order, each once.
pub fn chain_names<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for line in lines {
        for token in line.split(|c: char| c.is_whitespace() || matches!(c, ',' | '{' | '}' | '"')) {
            let token = token.trim_end_matches(';');
            let Some(prefix) = CHAIN_PREFIXES.iter().find(|p| token.starts_with(**p)) else {
                continue;
            };
            if token.len() > prefix.len() && !names.iter().any(|n| n == token) {
                names.push(token.to_string());
            }
        }
    }
    names
}

/// The chain names on the lines that define `service` and its endpoints; `line` gives the text of a
/// 1-based dump line.
pub fn service_chains<'a>(service: &Service, line: impl Fn(u32) -> &'a str) -> Vec<String> {
    let numbers = service
        .lines
        .iter()
        .chain(service.endpoints.iter().flat_map(|e| e.lines.iter()));
    chain_names(numbers.map(|n| line(*n)))
}

/// The table's external column: external and load-balancer IPs, `—` when none.
pub fn external_addresses(service: &Service) -> String {
    let all: Vec<&str> = service
        .external_ips
        .iter()
        .chain(service.load_balancer_ips.iter())
        .map(String::as_str)
        .collect();
    if all.is_empty() {
        "—".to_string()
    } else {
        all.join(", ")
    }
}

/// The table's eTP column: `Local`, `Cluster`, or `—` when the dump does not say (no external entry).
pub fn traffic_policy(service: &Service) -> &'static str {
    match service.external_traffic_policy {
        Some(TrafficPolicy::Local) => "Local",
        Some(TrafficPolicy::Cluster) => "Cluster",
        None => "—",
    }
}

/// The table's "endpoint on this node" column: `yes (2 of 3)`, `no`, or `?` when the dump does not
/// show where the endpoints run (never a "no" it cannot prove).
pub fn local_endpoints(service: &Service) -> String {
    let total = service.endpoints.len();
    let local = service
        .endpoints
        .iter()
        .filter(|e| e.local == Some(true))
        .count();
    let known = service.endpoints.iter().all(|e| e.local.is_some());
    match (total, local, known) {
        (0, _, _) => "—".to_string(),
        (_, 0, true) => "no".to_string(),
        (_, 0, false) => "?".to_string(),
        (t, l, true) => format!("yes ({l} of {t})"),
        (t, l, false) => format!("yes ({l} of {t}, others ?)"),
    }
}

/// The step whose rule decides an outcome: the DNAT for one sent to an endpoint, the DROP or REJECT
/// rule for one stopped, the ACCEPT rule (if the dump has one) for one let through. `None` when no
/// rule in the dump decided (a chain's policy, or nothing matched).
pub fn deciding_step(outcome: &Outcome) -> Option<&Step> {
    let with_line = || outcome.steps.iter().rev().filter(|s| s.line.is_some());
    let starts = |s: &Step, words: &[&str]| {
        let note = s.note.trim_start().to_ascii_lowercase();
        words.iter().any(|w| note.starts_with(w))
    };
    match outcome.verdict {
        Verdict::Dnat => with_line()
            .find(|s| starts(s, &["dnat", "redirect", "masquerade to", "ipvs"]))
            .or_else(|| with_line().next()),
        Verdict::Drop | Verdict::Reject => with_line().next(),
        Verdict::Accept => with_line().find(|s| starts(s, &["accept"])),
    }
}

/// The Trace form's packet when nothing is asked yet: the first Service of this paste (by name) that
/// has a ClusterIP and port, from a pod; empty when the paste has none.
pub fn default_trace(report: &Report) -> TraceQuery {
    let service = report
        .services
        .iter()
        .filter(|s| s.cluster_ip.is_some() && s.port.is_some())
        .min_by(|a, b| a.id.cmp(&b.id));
    match service {
        Some(s) => TraceQuery {
            dst: s.cluster_ip.clone().unwrap_or_default(),
            port: s.port.map(|p| p.to_string()).unwrap_or_default(),
            protocol: s
                .protocol
                .unwrap_or(svcpath_analysis::report::Protocol::Tcp),
            ..TraceQuery::default()
        },
        None => TraceQuery::default(),
    }
}

/// Index of the Service whose ClusterIP, port and protocol the query names, if one does.
pub fn service_for_query(report: &Report, query: &TraceQuery) -> Option<usize> {
    report.services.iter().position(|s| {
        s.cluster_ip.as_deref() == Some(query.dst.trim())
            && s.port.map(|p| p.to_string()).as_deref() == Some(query.port.trim())
            && s.protocol
                .unwrap_or(svcpath_analysis::report::Protocol::Tcp)
                == query.protocol
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use svcpath_analysis::report::{Endpoint, Protocol};
    use svcpath_analysis::trace::Hook;

    #[test]
    fn finds_iptables_and_nft_chain_names() {
        let lines = [
            "-A KUBE-SERVICES -d 172.30.0.42/32 -p tcp -m comment --comment \"ns2/svc2:p80 cluster IP\" -j KUBE-SVC-GNZBNJ2PO5MGZ6GT",
            "-A KUBE-SVC-GNZBNJ2PO5MGZ6GT -m comment --comment \"ns2/svc2:p80 -> 10.180.0.2:80\" -j KUBE-SEP-RS4RBKLTHTF2IUXJ",
            "-A KUBE-SVC-GNZBNJ2PO5MGZ6GT -j KUBE-SEP-RS4RBKLTHTF2IUXJ",
            "    10.43.0.10 . udp . 53 : goto service-FY5PMXPG-kube-system/kube-dns/udp/dns,",
            "  numgen random mod 1 vmap { 0 : goto endpoint-S4FSIJI2-kube-system/kube-dns/udp/dns__10.42.0.171/53 }",
            "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000",
            "chain service- {",
        ];
        assert_eq!(
            chain_names(lines),
            vec![
                "KUBE-SVC-GNZBNJ2PO5MGZ6GT",
                "KUBE-SEP-RS4RBKLTHTF2IUXJ",
                "service-FY5PMXPG-kube-system/kube-dns/udp/dns",
                "endpoint-S4FSIJI2-kube-system/kube-dns/udp/dns__10.42.0.171/53",
            ]
        );
    }

    #[test]
    fn service_chains_read_the_service_and_endpoint_lines() {
        let text = [
            "",
            "-A KUBE-SERVICES -j KUBE-SVC-AAAA",
            "x",
            "-A KUBE-SEP-BBBB -j DNAT",
        ];
        let service = Service {
            lines: vec![2],
            endpoints: vec![Endpoint {
                lines: vec![4, 99],
                ..Endpoint::default()
            }],
            ..Service::default()
        };
        let chains = service_chains(&service, |n| {
            text.get(n as usize - 1).copied().unwrap_or("")
        });
        assert_eq!(chains, vec!["KUBE-SVC-AAAA", "KUBE-SEP-BBBB"]);
    }

    fn endpoint(local: Option<bool>) -> Endpoint {
        Endpoint {
            ip: "10.244.0.1".into(),
            local,
            ..Endpoint::default()
        }
    }

    #[test]
    fn table_columns() {
        let mut s = Service::default();
        assert_eq!(
            (
                external_addresses(&s),
                traffic_policy(&s),
                local_endpoints(&s)
            ),
            ("—".to_string(), "—", "—".to_string())
        );
        s.external_ips = vec!["192.168.99.22".into()];
        s.load_balancer_ips = vec!["1.2.3.4".into()];
        s.external_traffic_policy = Some(TrafficPolicy::Local);
        s.endpoints = vec![endpoint(Some(true)), endpoint(Some(false))];
        assert_eq!(external_addresses(&s), "192.168.99.22, 1.2.3.4");
        assert_eq!(traffic_policy(&s), "Local");
        assert_eq!(local_endpoints(&s), "yes (1 of 2)");
        s.endpoints = vec![endpoint(Some(false))];
        assert_eq!(local_endpoints(&s), "no");
        // Where the dump does not show it, the column does not claim "no".
        s.endpoints = vec![endpoint(None), endpoint(Some(false))];
        assert_eq!(local_endpoints(&s), "?");
        s.endpoints = vec![endpoint(None), endpoint(Some(true))];
        assert_eq!(local_endpoints(&s), "yes (1 of 2, others ?)");
    }

    fn step(line: Option<u32>, note: &str) -> Step {
        Step {
            hook: Hook::Prerouting,
            table: "nat".into(),
            chain: "KUBE-X".into(),
            line,
            note: note.into(),
            owner: None,
        }
    }

    fn outcome(verdict: Verdict, steps: Vec<Step>) -> Outcome {
        Outcome {
            probability: 1.0,
            verdict,
            endpoint: None,
            masquerade: false,
            uncertain: false,
            rules: steps.iter().filter_map(|s| s.line).collect(),
            steps,
            uncertain_reasons: Vec::new(),
        }
    }

    #[test]
    fn the_deciding_rule() {
        let dnat = outcome(
            Verdict::Dnat,
            vec![
                step(Some(47), "jump to KUBE-SVC-X"),
                step(Some(78), "DNAT to 10.180.0.2:80"),
                step(Some(68), "RETURN"),
            ],
        );
        assert_eq!(deciding_step(&dnat).and_then(|s| s.line), Some(78));
        let drop = outcome(
            Verdict::Drop,
            vec![
                step(Some(49), "jump to KUBE-EXT-X"),
                step(Some(11), "DROP — \"no local endpoints\""),
            ],
        );
        assert_eq!(deciding_step(&drop).and_then(|s| s.line), Some(11));
        // Accepted by a policy: no rule of the dump decided.
        let accept = outcome(
            Verdict::Accept,
            vec![step(Some(3), "RETURN"), step(None, "policy ACCEPT")],
        );
        assert_eq!(deciding_step(&accept), None);
        let accept = outcome(
            Verdict::Accept,
            vec![step(Some(3), "ACCEPT"), step(Some(4), "RETURN")],
        );
        assert_eq!(deciding_step(&accept).and_then(|s| s.line), Some(3));
    }

    #[test]
    fn trace_defaults_come_from_the_paste() {
        let service = |id: &str, ip: Option<&str>, port: Option<u16>| Service {
            id: id.into(),
            cluster_ip: ip.map(str::to_string),
            port,
            protocol: Some(Protocol::Udp),
            ..Service::default()
        };
        let report = Report {
            services: vec![
                service("b/web:http", Some("10.43.0.20"), Some(80)),
                service("a/headless:x", None, Some(80)),
                service("a/dns:dns", Some("10.43.0.10"), Some(53)),
            ],
            ..Report::default()
        };
        let q = default_trace(&report);
        assert_eq!(
            (q.dst.as_str(), q.port.as_str(), q.protocol),
            ("10.43.0.10", "53", Protocol::Udp)
        );
        assert_eq!(service_for_query(&report, &q), Some(2));
        assert_eq!(default_trace(&Report::default()), TraceQuery::default());
        let other = TraceQuery {
            port: "54".into(),
            ..q
        };
        assert_eq!(service_for_query(&report, &other), None);
    }
}
