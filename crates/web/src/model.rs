//! What the page shows, computed from a [`Report`] without touching the browser: the Services table's
//! search, filters and sort, findings per Service, and number formatting.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

use svcpath_analysis::report::{Finding, Report, Service, Severity, TrafficPolicy};

/// The Services table's search box and filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Case-insensitive text matched against name, namespace, addresses, ports and endpoints.
    pub query: String,
    pub has_findings: bool,
    pub node_port: bool,
    pub etp_local: bool,
    pub affinity: bool,
    pub no_endpoints: bool,
    /// Only this namespace; `None` for all.
    pub namespace: Option<String>,
}

/// A column the table can be sorted by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortKey {
    #[default]
    Name,
    ClusterIp,
    NodePort,
    Endpoints,
    Findings,
}

/// Findings about one Service, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FindingSummary {
    pub count: usize,
    pub worst: Option<Severity>,
}

/// Findings per Service id.
pub fn findings_by_service(report: &Report) -> HashMap<&str, FindingSummary> {
    let mut map: HashMap<&str, FindingSummary> = HashMap::new();
    for finding in &report.findings {
        if let Some(id) = finding.service.as_deref() {
            let entry = map.entry(id).or_default();
            entry.count += 1;
            entry.worst = entry.worst.max(Some(finding.severity));
        }
    }
    map
}

/// Findings, most severe first, keeping the report's order among equals.
pub fn sorted_findings(report: &Report) -> Vec<&Finding> {
    let mut findings: Vec<&Finding> = report.findings.iter().collect();
    svcpath_syntax::stable_sort::sort_by_key(&mut findings, |f| std::cmp::Reverse(f.severity));
    findings
}

/// Namespaces present, sorted.
pub fn namespaces(report: &Report) -> Vec<String> {
    let set: BTreeSet<&str> = report
        .services
        .iter()
        .filter_map(|s| s.namespace.as_deref())
        .collect();
    set.into_iter().map(str::to_string).collect()
}

/// Indices into `report.services` of the rows to show, in display order.
pub fn select(report: &Report, filter: &Filter, sort: SortKey, descending: bool) -> Vec<usize> {
    select_searching(report, filter, sort, descending, &[])
}

/// [`select`], the search also matching each Service's chain names (`chains[i]` for
/// `report.services[i]`, see [`crate::reading::service_chains`]).
pub fn select_searching(
    report: &Report,
    filter: &Filter,
    sort: SortKey,
    descending: bool,
    chains: &[Vec<String>],
) -> Vec<usize> {
    let findings = findings_by_service(report);
    let query = filter.query.trim().to_lowercase();
    let mut rows: Vec<usize> = report
        .services
        .iter()
        .enumerate()
        .filter(|(i, s)| {
            (!filter.has_findings || findings.contains_key(s.id.as_str()))
                && (!filter.node_port || s.node_port.is_some())
                && (!filter.etp_local || s.external_traffic_policy == Some(TrafficPolicy::Local))
                && (!filter.affinity || s.session_affinity_seconds.is_some())
                && (!filter.no_endpoints || s.no_endpoints || s.endpoints.is_empty())
                && filter
                    .namespace
                    .as_deref()
                    .is_none_or(|ns| s.namespace.as_deref() == Some(ns))
                && (query.is_empty()
                    || matches_query(s, &query)
                    || chains.get(*i).is_some_and(|names| {
                        names.iter().any(|n| n.to_lowercase().contains(&query))
                    }))
        })
        .map(|(i, _)| i)
        .collect();
    let services = &report.services;
    let count = |i: usize| {
        services
            .get(i)
            .and_then(|s| findings.get(s.id.as_str()))
            .map(|f| (f.worst, f.count))
            .unwrap_or_default()
    };
    svcpath_syntax::stable_sort::sort_by(&mut rows, |&a, &b| {
        let (Some(sa), Some(sb)) = (services.get(a), services.get(b)) else {
            return Ordering::Equal;
        };
        let primary = match sort {
            SortKey::Name => Ordering::Equal,
            SortKey::ClusterIp => cmp_ip(sa.cluster_ip.as_deref(), sb.cluster_ip.as_deref())
                .then(sa.port.cmp(&sb.port)),
            SortKey::NodePort => sa.node_port.cmp(&sb.node_port),
            SortKey::Endpoints => sa.endpoints.len().cmp(&sb.endpoints.len()),
            SortKey::Findings => count(a).cmp(&count(b)),
        };
        let ordering = primary.then_with(|| sa.id.cmp(&sb.id));
        if descending {
            ordering.reverse()
        } else {
            ordering
        }
    });
    rows
}

fn matches_query(service: &Service, query: &str) -> bool {
    let contains = |text: &str| text.to_lowercase().contains(query);
    contains(&service.id)
        || service.cluster_ip.as_deref().is_some_and(contains)
        || service.port.is_some_and(|p| p.to_string() == query)
        || service.node_port.is_some_and(|p| p.to_string() == query)
        || service.external_ips.iter().any(|ip| contains(ip))
        || service.load_balancer_ips.iter().any(|ip| contains(ip))
        || service.endpoints.iter().any(|e| contains(&e.ip))
}

fn cmp_ip(a: Option<&str>, b: Option<&str>) -> Ordering {
    let parse = |s: Option<&str>| s.and_then(|s| s.parse::<IpAddr>().ok());
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(&b),
    }
}

/// `ClusterIP:port/proto` as shown in the table (IPv6 in brackets).
pub fn service_address(service: &Service) -> String {
    let ip = service.cluster_ip.as_deref().unwrap_or("—");
    let ip = if ip.contains(':') {
        format!("[{ip}]")
    } else {
        ip.to_string()
    };
    let port = service.port.map(|p| format!(":{p}")).unwrap_or_default();
    let proto = service
        .protocol
        .map(|p| format!("/{}", p.name()))
        .unwrap_or_default();
    format!("{ip}{port}{proto}")
}

/// A Service's display name: `namespace/name:port` or its id.
pub fn service_title(service: &Service) -> String {
    match (&service.namespace, &service.name) {
        (Some(ns), Some(name)) if service.port_name.is_empty() => format!("{ns}/{name}"),
        (Some(ns), Some(name)) => format!("{ns}/{name}:{}", service.port_name),
        _ => service.id.clone(),
    }
}

/// Bytes in a human unit: `1.2 MB`.
/// What the worker is doing, in the status line, after the last report stage it finished.
pub fn analysing_words(stage: Option<svcpath_analysis::ReportStage>) -> &'static str {
    use svcpath_analysis::ReportStage;
    match stage {
        None => "Parsing",
        Some(ReportStage::Services) => "Services shown; working out the findings of",
        Some(ReportStage::Findings) => "Findings done; joining conntrack for",
        Some(ReportStage::Conntrack | ReportStage::Diagnosis) => "Working out the diagnosis of",
    }
}

/// How many of the report's stages are done once `stage` is: the progress bar's value.
pub fn stages_done(stage: svcpath_analysis::ReportStage) -> usize {
    svcpath_analysis::ReportStage::ALL
        .iter()
        .position(|s| *s == stage)
        .map_or(0, |i| i + 1)
}

pub fn bytes(n: usize) -> String {
    let n = n as f64;
    if n >= 1024.0 * 1024.0 {
        format!("{:.1} MB", n / (1024.0 * 1024.0))
    } else if n >= 1024.0 {
        format!("{:.1} KB", n / 1024.0)
    } else {
        format!("{n} B")
    }
}

/// The window of rows a scrolled table shows: `(first, count)` for a viewport of `height` pixels
/// scrolled by `scroll_top`, rows of `row_height` pixels, and `overscan` extra rows either side.
pub fn visible_rows(
    total: usize,
    scroll_top: f64,
    height: f64,
    row_height: f64,
    overscan: usize,
) -> (usize, usize) {
    if total == 0 || row_height <= 0.0 || !scroll_top.is_finite() || !height.is_finite() {
        return (0, total.min(overscan * 2 + 1));
    }
    let first = (scroll_top.max(0.0) / row_height).floor() as usize;
    let first = first.saturating_sub(overscan).min(total.saturating_sub(1));
    let shown = (height.max(0.0) / row_height).ceil() as usize + 2 * overscan + 1;
    (first, shown.min(total - first))
}

#[cfg(test)]
mod tests {
    use super::*;
    use svcpath_analysis::report::Endpoint;

    fn service(id: &str, ns: &str, ip: &str, node_port: Option<u16>, endpoints: usize) -> Service {
        Service {
            id: id.into(),
            namespace: Some(ns.into()),
            name: Some(id.split('/').nth(1).unwrap_or(id).into()),
            cluster_ip: Some(ip.into()),
            port: Some(80),
            node_port,
            endpoints: (0..endpoints)
                .map(|i| Endpoint {
                    ip: format!("10.244.0.{i}"),
                    probability: 1.0 / endpoints as f64,
                    ..Endpoint::default()
                })
                .collect(),
            no_endpoints: endpoints == 0,
            ..Service::default()
        }
    }

    fn report() -> Report {
        Report {
            services: vec![
                service("b/web:http", "b", "10.96.0.20", Some(30080), 3),
                service("a/db:pg", "a", "10.96.0.3", None, 0),
                service("a/api:http", "a", "10.96.1.1", None, 1),
            ],
            findings: vec![
                Finding {
                    code: svcpath_analysis::report::FindingCode::SkewedOdds,
                    severity: Severity::Info,
                    service: Some("b/web:http".into()),
                    lines: vec![],
                    message: String::new(),
                },
                Finding {
                    code: svcpath_analysis::report::FindingCode::NoEndpoints,
                    severity: Severity::Critical,
                    service: Some("a/db:pg".into()),
                    lines: vec![],
                    message: String::new(),
                },
            ],
            ..Report::default()
        }
    }

    #[test]
    fn sorts_by_each_column() {
        let r = report();
        let f = Filter::default();
        assert_eq!(select(&r, &f, SortKey::Name, false), vec![2, 1, 0]);
        assert_eq!(select(&r, &f, SortKey::Name, true), vec![0, 1, 2]);
        // 10.96.0.3 < 10.96.0.20 < 10.96.1.1 numerically, not as text.
        assert_eq!(select(&r, &f, SortKey::ClusterIp, false), vec![1, 0, 2]);
        assert_eq!(select(&r, &f, SortKey::NodePort, true), vec![0, 1, 2]);
        assert_eq!(select(&r, &f, SortKey::Endpoints, true), vec![0, 2, 1]);
        assert_eq!(select(&r, &f, SortKey::Findings, true), vec![1, 0, 2]);
    }

    #[test]
    fn filters_and_search() {
        let r = report();
        let only = |f: Filter| select(&r, &f, SortKey::Name, false);
        assert_eq!(
            only(Filter {
                has_findings: true,
                ..Filter::default()
            }),
            vec![1, 0]
        );
        assert_eq!(
            only(Filter {
                node_port: true,
                ..Filter::default()
            }),
            vec![0]
        );
        assert_eq!(
            only(Filter {
                no_endpoints: true,
                ..Filter::default()
            }),
            vec![1]
        );
        assert_eq!(
            only(Filter {
                namespace: Some("a".into()),
                ..Filter::default()
            }),
            vec![2, 1]
        );
        assert_eq!(
            only(Filter {
                query: "WEB".into(),
                ..Filter::default()
            }),
            vec![0]
        );
        assert_eq!(
            only(Filter {
                query: "10.244.0.2".into(),
                ..Filter::default()
            }),
            vec![0]
        );
        assert_eq!(
            only(Filter {
                query: "30080".into(),
                ..Filter::default()
            }),
            vec![0]
        );
        // Chain names, as people have them from a log line, find their Service.
        let chains = vec![
            vec!["KUBE-SVC-GNZBNJ2PO5MGZ6GT".to_string()],
            vec![],
            vec!["service-FY5PMXPG-a/api/tcp/http".to_string()],
        ];
        let find = |q: &str| {
            let f = Filter {
                query: q.into(),
                ..Filter::default()
            };
            select_searching(&r, &f, SortKey::Name, false, &chains)
        };
        assert_eq!(find("kube-svc-gnzbnj"), vec![0]);
        assert_eq!(find("service-FY5PMXPG"), vec![2]);
        assert_eq!(find("KUBE-SEP-"), Vec::<usize>::new());
        assert_eq!(namespaces(&r), vec!["a".to_string(), "b".to_string()]);
        let summary = findings_by_service(&r);
        assert_eq!(summary["a/db:pg"].worst, Some(Severity::Critical));
        assert_eq!(
            sorted_findings(&r)[0].code,
            svcpath_analysis::report::FindingCode::NoEndpoints
        );
    }

    #[test]
    fn formats() {
        let r = report();
        assert_eq!(service_address(&r.services[0]), "10.96.0.20:80");
        assert_eq!(bytes(2048), "2.0 KB");
    }

    #[test]
    fn visible_window() {
        assert_eq!(visible_rows(10_000, 0.0, 600.0, 30.0, 5), (0, 31));
        assert_eq!(visible_rows(10_000, 3000.0, 600.0, 30.0, 5), (95, 31));
        assert_eq!(visible_rows(10, 3000.0, 600.0, 30.0, 5), (9, 1));
        assert_eq!(visible_rows(0, 0.0, 600.0, 30.0, 5), (0, 0));
    }
}
