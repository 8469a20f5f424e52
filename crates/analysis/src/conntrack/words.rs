//! Numbers and lists in the conntrack sentences: counts with separators, shares, sizes, durations,
//! line ranges.

use super::*;

/// The smallest multiple of `step` at or above `value`.
pub(super) fn round_up(value: u64, step: u64) -> u64 {
    value.div_ceil(step).saturating_mul(step)
}

/// `1 entry`, `5,000 entries`.
pub(super) fn entries(count: u64) -> String {
    if count == 1 {
        "1 entry".to_string()
    } else {
        format!("{} entries", n(count))
    }
}

/// `(cpu 3: 600, cpu 5: 634)` for the CPUs where a counter is above zero.
pub(super) fn per_cpu_text(stats: &Stats, key: &str) -> String {
    if stats.per_cpu.is_empty() {
        return " (first CPU only)".to_string();
    }
    let nonzero: Vec<(u32, u64)> = stats
        .per_cpu
        .iter()
        .filter_map(|r| r.get(key).filter(|v| *v > 0).map(|v| (r.cpu, v)))
        .collect();
    if nonzero.is_empty() || stats.per_cpu.len() == 1 {
        return String::new();
    }
    let mut parts: Vec<String> = nonzero
        .iter()
        .take(CPUS_NAMED)
        .map(|(cpu, v)| format!("cpu {cpu}: {}", n(*v)))
        .collect();
    if nonzero.len() > CPUS_NAMED {
        parts.push("…".to_string());
    }
    format!(" in total ({})", parts.join(", "))
}

/// CPUs where a counter is more than three times the median of all CPUs.
pub(super) fn hot_cpus(stats: &Stats, key: &str) -> Option<String> {
    let mut values: Vec<u64> = stats.per_cpu.iter().filter_map(|r| r.get(key)).collect();
    if values.len() < 3 {
        return None;
    }
    values.sort_unstable();
    let median = values[values.len() / 2];
    let hot: Vec<String> = stats
        .per_cpu
        .iter()
        .filter_map(|r| r.get(key).map(|v| (r.cpu, v)))
        .filter(|(_, v)| *v > median.saturating_mul(3) && *v > 0)
        .take(CPUS_NAMED)
        .map(|(cpu, v)| format!("cpu {cpu} ({}, median {})", n(v), n(median)))
        .collect();
    (!hot.is_empty()).then(|| hot.join(", "))
}

/// Original destinations (`10.96.0.10:53 udp`), most frequent first.
pub(super) fn destinations(entries: &[EntryRef<'_>]) -> Vec<(String, u64)> {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for e in entries {
        let key = match e.entry.original.dport {
            Some(port) => format!(
                "{} {}",
                join_host_port(&e.original().dst.to_string(), port),
                e.protocol()
            ),
            None => format!("{} {}", e.original().dst, e.protocol()),
        };
        *counts.entry(key).or_default() += 1;
    }
    let mut list: Vec<_> = counts.into_iter().collect();
    svcpath_syntax::stable_sort::sort_by(&mut list, |a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    list
}

pub(super) fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The Service whose cluster IP (or external IP) and port a destination (`ip:port proto`) is.
pub(super) fn service_at<'a>(services: &'a [Service], dst: &str) -> Option<&'a str> {
    let (addr, proto) = dst.rsplit_once(' ')?;
    let (ip, port) = addr.rsplit_once(':')?;
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    let port: u16 = port.parse().ok()?;
    services
        .iter()
        .find(|s| {
            let ips = s
                .cluster_ip
                .iter()
                .chain(s.external_ips.iter())
                .chain(s.load_balancer_ips.iter());
            s.port == Some(port)
                && s.protocol.is_none_or(|p| p.name() == proto)
                && ips
                    .map(|i| i.trim_end_matches("/32").trim_end_matches("/128"))
                    .any(|i| i == ip)
        })
        .map(|s| s.id.as_str())
}

/// How the Services on this node feed the table.
pub(super) fn reason_services(reasons: &mut Vec<String>, services: &[Service]) {
    if services.is_empty() {
        reasons.push("No Service rules in the paste: add `iptables-save` (or `ipvsadm -Ln`, `nft list ruleset`) to see which Services feed the table.".to_string());
        return;
    }
    let with_endpoints = services.iter().filter(|s| !s.endpoints.is_empty()).count();
    reasons.push(format!(
        "{} Service port{} ({} with endpoints) are DNAT'd by kube-proxy: every connection to them is tracked with its NAT mapping and holds one entry for as long as the timeouts above.",
        services.len(),
        plural(services.len() as u64),
        with_endpoints
    ));
    let udp: Vec<&Service> = services
        .iter()
        .filter(|s| s.protocol == Some(Protocol::Udp))
        .collect();
    if !udp.is_empty() {
        let names: Vec<&str> = udp.iter().take(5).map(|s| s.id.as_str()).collect();
        reasons.push(format!(
            "{} of them {} UDP ({}{}): each query from a new source port is a new entry, and parallel queries from one socket can clash (insert_failed).",
            udp.len(),
            if udp.len() == 1 { "is" } else { "are" },
            names.join(", "),
            if udp.len() > 5 { ", …" } else { "" }
        ));
    }
    let node_ports: Vec<&Service> = services.iter().filter(|s| s.node_port.is_some()).collect();
    if !node_ports.is_empty() {
        let cluster = node_ports
            .iter()
            .filter(|s| s.external_traffic_policy != Some(TrafficPolicy::Local))
            .count();
        reasons.push(format!(
            "{} have a NodePort: connections from outside are tracked on the node that receives them even when the endpoint runs elsewhere (and again there); {} with externalTrafficPolicy Cluster are also masqueraded.",
            node_ports.len(),
            cluster
        ));
    }
    let local = services
        .iter()
        .filter(|s| s.endpoints.iter().any(|e| e.local == Some(true)))
        .count();
    if local > 0 {
        reasons.push(format!(
            "{local} have endpoints on this node: a pod that reaches its own Service is masqueraded (hairpin), one more source-NAT mapping that can clash."
        ));
    }
}

pub(super) fn plural(count: u64) -> &'static str {
    if count == 1 {
        ""
    } else {
        "s"
    }
}

/// `262,144`.
pub(super) fn n(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).checked_rem(3) == Some(0) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `85.0 %`.
pub(super) fn pct(ratio: f64) -> String {
    format!("{:.1} %", ratio * 100.0)
}

/// `80.0 MiB`.
pub(super) fn bytes(value: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    let v = value as f64;
    if v >= 1024.0 * MIB {
        format!("{:.1} GiB", v / (1024.0 * MIB))
    } else if v >= MIB / 10.0 {
        format!("{:.1} MiB", v / MIB)
    } else {
        format!("{:.1} KiB", v / 1024.0)
    }
}

/// `432000 s (5 days)`.
pub(super) fn secs(value: u64) -> String {
    let human = if value >= 86_400 && value.checked_rem(86_400) == Some(0) {
        let d = value / 86_400;
        format!(" ({d} day{})", plural(d))
    } else if value >= 3_600 && value.checked_rem(3_600) == Some(0) {
        let h = value / 3_600;
        format!(" ({h} hour{})", plural(h))
    } else {
        String::new()
    };
    format!("{} s{human}", n(value))
}

/// `1–14` for consecutive lines, else `1, 5, 9` (at most 8 named).
pub(super) fn line_list(lines: impl Iterator<Item = u32>) -> String {
    let lines: Vec<u32> = lines.collect();
    let (Some(first), Some(last)) = (lines.first(), lines.last()) else {
        return String::new();
    };
    if lines.len() > 1 && lines.windows(2).all(|w| w[0].checked_add(1) == Some(w[1])) {
        return format!("{first}–{last}");
    }
    let mut parts: Vec<String> = lines.iter().take(CPUS_NAMED).map(u32::to_string).collect();
    if lines.len() > CPUS_NAMED {
        parts.push("…".to_string());
    }
    parts.join(", ")
}
