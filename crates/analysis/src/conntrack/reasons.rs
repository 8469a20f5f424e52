//! The reasoning behind the conntrack verdict, one sentence a step: fill, kernel logs, counters,
//! kube-proxy's sizing, the hash table, timeouts, the listing and notes.

use super::*;

impl Facts<'_> {
    pub(super) fn reason_fill(&self, reasons: &mut Vec<String>) {
        match (self.count, self.max) {
            (Some(c), Some(m)) if m.value > 0 => {
                let f = c.value as f64 / m.value as f64;
                let mut s = format!(
                    "{} of {}: the table is {} full (svcpath warns from {}).",
                    c.describe("nf_conntrack_count"),
                    m.describe("nf_conntrack_max"),
                    pct(f),
                    pct(WARNING_FILL)
                );
                if c.value > m.value {
                    s.push_str(" The count is above the limit: the two numbers were read at different times or in different network namespaces.");
                }
                if c.from == "conntrack -L" {
                    s.push_str(" (The count is the number of listed entries, which is the table size only when `conntrack -L` ran without a filter.)");
                }
                reasons.push(s);
            }
            (count, Some(m)) if m.value == 0 => reasons.push(format!(
                "{}: the kernel sets no limit; the table grows until memory runs out{}.",
                m.describe("nf_conntrack_max"),
                count
                    .map(|c| format!(" ({} now)", c.describe("nf_conntrack_count")))
                    .unwrap_or_default()
            )),
            (Some(c), None) => reasons.push(format!(
                "{}, but the limit is not in the paste.",
                c.describe("nf_conntrack_count")
            )),
            (None, Some(m)) => reasons.push(format!(
                "{}, but the number of entries now is not in the paste.",
                m.describe("nf_conntrack_max")
            )),
            _ => {}
        }
        for key in [sysctl::MAX, sysctl::BUCKETS, sysctl::HASHSIZE] {
            let values: Vec<_> = self
                .inputs
                .sysctls
                .iter()
                .flat_map(|s| s.all(key))
                .filter_map(|v| v.number.map(|n| (n, v.line)))
                .collect();
            if let (Some(first), Some(last)) = (values.first(), values.last()) {
                if first.0 != last.0 {
                    reasons.push(format!(
                        "{} changed within the paste: {} (line {}), then {} (line {}); svcpath uses the last.",
                        key.rsplit(['.', '/']).next().unwrap_or(key),
                        n(first.0),
                        first.1,
                        n(last.0),
                        last.1
                    ));
                }
            }
        }
        if let (Some(m), Some(p)) = (self.max, self.proxy_max) {
            if m.from == "sysctl" && p.value != m.value {
                reasons.push(format!(
                    "The proxy logged setting nf_conntrack_max to {} (line {}), but it is {} now (line {}): something changed it after kube-proxy started.",
                    n(p.value),
                    p.line,
                    n(m.value),
                    m.line
                ));
            }
        }
        if let (Some(m), Some(k)) = (self.max, self.kernel_max) {
            if m.from != "kernel log" && k.value != m.value {
                reasons.push(format!(
                    "The kernel started with nf_conntrack_max = {} (line {}); it was changed to {} since.",
                    n(k.value),
                    k.line,
                    n(m.value)
                ));
            }
        }
    }

    pub(super) fn reason_logs(&self, reasons: &mut Vec<String>) {
        if let (Some(first), Some(last)) = (self.table_full.first(), self.table_full.last()) {
            let span = match (&first.time, &last.time) {
                (Some(a), Some(b)) if a != b => format!(", from [{a}] to [{b}]"),
                (Some(a), _) => format!(", at [{a}]"),
                _ => String::new(),
            };
            reasons.push(format!(
                "{} kernel line{} say \"table full, dropping packet\" (line{} {}{span}): each time the table was at nf_conntrack_max and a new connection's first packet was dropped.",
                self.table_full.len(),
                plural(self.table_full.len() as u64),
                plural(self.table_full.len() as u64),
                line_list(self.table_full.iter().map(|e| e.line))
            ));
        }
        if self.suppressed > 0 {
            reasons.push(format!(
                "The kernel's rate limiter hid {} more message{} (\"callbacks suppressed\", line{} {}): the log shows only part of the drops.",
                n(self.suppressed),
                plural(self.suppressed),
                plural(self.suppressed_lines.len() as u64),
                line_list(self.suppressed_lines.iter().copied())
            ));
        }
    }

    pub(super) fn reason_counters(&self, reasons: &mut Vec<String>) {
        let Some(stats) = self.stats else { return };
        let old_form = stats.per_cpu.is_empty();
        if old_form {
            reasons.push(format!(
                "`conntrack -S` printed the old one-key-a-line form (line {}): conntrack-tools showed only the first CPU's counters that way, so the totals below are a lower bound.",
                stats.first_cpu_only.first().map(|c| c.line).unwrap_or(0)
            ));
        } else if let Some((cpus, line)) = self.cpus() {
            reasons.push(format!(
                "`conntrack -S` lists {cpus} CPU{} (line {line}); its counters run since the conntrack module was loaded.",
                plural(u64::from(cpus))
            ));
        }
        let explain = [
            ("drop", "packets dropped because no entry could be made (the table was full and nothing could be evicted)"),
            ("early_drop", "entries evicted to make room for new ones: the table reached nf_conntrack_max"),
            ("chaintoolong", "packets dropped because a hash chain grew too long (too few buckets for the load)"),
        ];
        for (key, meaning) in explain {
            if let Some(total) = self.total(key).filter(|v| *v > 0) {
                reasons.push(format!(
                    "{key} = {}{}: {meaning}.",
                    n(total),
                    per_cpu_text(stats, key)
                ));
            }
        }
        if let Some(total) = self.total("insert_failed").filter(|v| *v > 0) {
            let resolved = self.total("clash_resolve");
            let meaning = if resolved.is_some() {
                "packets dropped because two packets of new connections raced to insert the same entry and the clash could not be resolved"
            } else {
                "races of two new connections inserting the same entry (kernels before 5.10 count clashes they resolved here too)"
            };
            reasons.push(format!(
                "insert_failed = {}{}: {meaning}. With UDP this is the DNS race: a resolver sends the A and AAAA queries at once from one socket, both are DNAT'd to a DNS Service, and one is lost (a 5 s resolver timeout).",
                n(total),
                per_cpu_text(stats, "insert_failed")
            ));
        }
        if let Some(resolved) = self.total("clash_resolve").filter(|v| *v > 0) {
            reasons.push(format!(
                "clash_resolve = {}: clashes of that kind the kernel resolved without dropping.",
                n(resolved)
            ));
        }
        if let Some(restarts) = self.total("search_restart").filter(|v| *v > 0) {
            let mut s = format!(
                "search_restart = {}: lookups restarted because the table changed under them (resizes, heavy churn); harmless unless it grows fast.",
                n(restarts)
            );
            if let Some(hot) = hot_cpus(stats, "search_restart") {
                s.push_str(&format!(" It is concentrated on {hot}."));
            }
            reasons.push(s);
        }
        if let Some(first) = self.first_stats {
            let mut rises = Vec::new();
            for key in ["drop", "early_drop", "insert_failed"] {
                if let (Some(a), Some(b)) = (first.total(key), stats.total(key)) {
                    if b > a {
                        rises.push(format!("{key} +{}", n(b - a)));
                    }
                }
            }
            let line_a = first.per_cpu.first().map(|r| r.line).unwrap_or(0);
            let line_b = stats.per_cpu.first().map(|r| r.line).unwrap_or(0);
            if rises.is_empty() {
                reasons.push(format!(
                    "Between the two `conntrack -S` runs (lines {line_a} and {line_b}) drop, early_drop and insert_failed did not grow: nothing was dropped in between."
                ));
            } else {
                reasons.push(format!(
                    "Between the two `conntrack -S` runs (lines {line_a} and {line_b}): {}: drops are happening now.",
                    rises.join(", ")
                ));
            }
        }
    }

    pub(super) fn reason_hash(&self, reasons: &mut Vec<String>) {
        let (Some(b), Some(m)) = (self.buckets, self.max) else {
            if let Some(b) = self.buckets {
                reasons.push(format!("{}.", b.describe("hash buckets")));
            }
            return;
        };
        if b.value == 0 || m.value == 0 {
            return;
        }
        let chain = m.value as f64 / b.value as f64;
        let verdict = if chain > LONG_CHAIN as f64 {
            "long: every lookup in a full table walks that many entries; give it more buckets"
        } else if chain > KUBE_PROXY_ENTRIES_PER_BUCKET as f64 {
            "longer than kube-proxy's 4, still fine"
        } else {
            "short enough"
        };
        reasons.push(format!(
            "{} for nf_conntrack_max = {}: a full table has chains of {:.1} entries per bucket on average, {verdict}. The buckets take about {} now.",
            b.describe("hash buckets"),
            n(m.value),
            chain,
            bytes(b.value.saturating_mul(BYTES_PER_BUCKET))
        ));
    }

    pub(super) fn reason_timeouts(&self, reasons: &mut Vec<String>) {
        for (key, proxy, kernel) in TIMEOUTS {
            let Some(t) = self.timeouts.get(key) else {
                continue;
            };
            let short = key.trim_start_matches("net.netfilter.");
            let is_kernel_default =
                t.value == kernel || (key == sysctl::UDP_TIMEOUT_STREAM && t.value == 180);
            let kernel_text = if key == sysctl::UDP_TIMEOUT_STREAM {
                "120 s since Linux 5.0, 180 s before".to_string()
            } else {
                secs(kernel)
            };
            // Only the UDP stream default changed between kernels; the others need no repeating.
            let default_note = if key == sysctl::UDP_TIMEOUT_STREAM {
                format!(" ({kernel_text})")
            } else {
                String::new()
            };
            let which = match proxy {
                Some(p) if t.value == p => {
                    format!("kube-proxy's value; the kernel's default is {kernel_text}")
                }
                Some(p) if is_kernel_default => format!(
                    "the kernel's default{default_note}; kube-proxy sets {}",
                    secs(p)
                ),
                Some(p) => format!(
                    "kube-proxy sets {}, the kernel's default is {kernel_text}",
                    secs(p)
                ),
                None if is_kernel_default => {
                    format!("the kernel's default{default_note}, which kube-proxy leaves alone")
                }
                None => format!(
                    "changed from the kernel's default ({kernel_text}); kube-proxy leaves it alone"
                ),
            };
            let held = |per_second: u64| {
                let e = per_second.saturating_mul(t.value);
                format!(
                    "{} (~{})",
                    entries(e),
                    bytes(e.saturating_mul(BYTES_PER_ENTRY))
                )
            };
            let cost = match key {
                sysctl::TCP_TIMEOUT_ESTABLISHED => format!(
                    "a connection left idle after its peer vanished (no FIN, no RST) keeps its entry this long; 1,000 such connections a day add up to {}",
                    entries(1000u64.saturating_mul(t.value) / 86_400)
                ),
                sysctl::TCP_TIMEOUT_CLOSE_WAIT => {
                    "a connection the peer half-closed keeps its entry this long while the local side does not close it".to_string()
                }
                sysctl::TCP_TIMEOUT_TIME_WAIT => format!(
                    "every closed TCP connection keeps its entry this long; 100 new connections a second hold {}",
                    held(100)
                ),
                sysctl::UDP_TIMEOUT => format!(
                    "a UDP flow that is not a stream (a DNS query) keeps its entry this long; 100 queries a second from new ports hold {}",
                    held(100)
                ),
                _ => "a UDP flow that kept exchanging packets for more than 2 s keeps its entry this long after its last packet".to_string(),
            };
            reasons.push(format!(
                "{short} = {} ({}, line {}): {which}. Cost: {cost}.",
                secs(t.value),
                t.from,
                t.line
            ));
        }
    }

    pub(super) fn reason_listing(&self, reasons: &mut Vec<String>, services: &[Service]) {
        let total = self.entries.len() as u64;
        if total == 0 {
            return;
        }
        let mut protocols: BTreeMap<&str, u64> = BTreeMap::new();
        for e in &self.entries {
            *protocols.entry(e.protocol()).or_default() += 1;
        }
        let mut by_proto: Vec<_> = protocols.into_iter().collect();
        svcpath_syntax::stable_sort::sort_by(&mut by_proto, |a, b| {
            b.1.cmp(&a.1).then(a.0.cmp(b.0))
        });
        let mut s = format!(
            "`conntrack -L` lists {} entr{}: {}",
            n(total),
            if total == 1 { "y" } else { "ies" },
            by_proto
                .iter()
                .map(|(p, c)| format!("{p} {}", n(*c)))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if let Some(c) = self
            .count
            .filter(|c| c.value > total && c.from != "conntrack -L")
        {
            s.push_str(&format!(" (a part: the table holds {})", n(c.value)));
        } else if let Some(l) = self.listed_total.filter(|l| l.value > total) {
            s.push_str(&format!(
                " (a part of the {} the listing counted)",
                n(l.value)
            ));
        }
        s.push('.');
        reasons.push(s);
        let share = |k: u64| k as f64 / total as f64;
        let time_wait = self
            .entries
            .iter()
            .filter(|e| e.protocol() == "tcp" && e.state() == Some("TIME_WAIT"))
            .count() as u64;
        if share(time_wait) >= NOTABLE_SHARE {
            reasons.push(format!(
                "{} of them ({}) are TCP TIME_WAIT: short-lived connections, each kept nf_conntrack_tcp_timeout_time_wait ({}) after it closed.",
                n(time_wait),
                pct(share(time_wait)),
                secs(self.timeout(sysctl::TCP_TIMEOUT_TIME_WAIT))
            ));
        }
        let udp = self
            .entries
            .iter()
            .filter(|e| e.protocol() == "udp")
            .count() as u64;
        let dns = self
            .entries
            .iter()
            .filter(|e| e.entry.original.dport == Some(53))
            .count() as u64;
        if share(udp) >= NOTABLE_SHARE {
            reasons.push(format!(
                "{} ({}) are UDP: each query from a new source port is its own entry for nf_conntrack_udp_timeout ({}).",
                n(udp),
                pct(share(udp)),
                secs(self.timeout(sysctl::UDP_TIMEOUT))
            ));
        }
        if share(dns) >= NOTABLE_SHARE {
            reasons.push(format!(
                "{} ({}) go to port 53: DNS traffic is a large user of the table (NodeLocal DNSCache takes it off the Service path).",
                n(dns),
                pct(share(dns))
            ));
        }
        let unreplied = self
            .entries
            .iter()
            .filter(|e| e.has_flag("UNREPLIED"))
            .count() as u64;
        if share(unreplied) >= 0.2 {
            reasons.push(format!(
                "{} ({}) never saw a reply (UNREPLIED): connections to dead endpoints, scans or dropped traffic.",
                n(unreplied),
                pct(share(unreplied))
            ));
        }
        let dnat = self.entries.iter().filter(|e| e.is_dnat()).count() as u64;
        if dnat > 0 {
            reasons.push(format!(
                "{} ({}) are DNAT'd: traffic to a Service, NodePort or hostPort, translated by the rules.",
                n(dnat),
                pct(share(dnat))
            ));
        }
        if let Some((dst, count)) = destinations(&self.entries).into_iter().next() {
            if share(count) >= NOTABLE_SHARE && count > 1 {
                let name = service_at(services, &dst)
                    .map(|id| format!(" ({id})"))
                    .unwrap_or_default();
                reasons.push(format!(
                    "The largest single destination is {dst}{name}: {} entries ({}).",
                    n(count),
                    pct(share(count))
                ));
            }
        }
    }

    pub(super) fn reason_notes(&self, reasons: &mut Vec<String>) {
        for stats in self.inputs.stats {
            if let Some(exec) = &stats.via_exec {
                reasons.push(format!(
                    "`conntrack` ran through `{}` (line {}): unless that pod uses the host network, its counters and count are the pod's network namespace, not the node's.",
                    exec.text.trim_start_matches(['$', '#', ' ']),
                    exec.line
                ));
            }
            for error in &stats.errors {
                reasons.push(format!(
                    "line {}: the command reported \"{}\".",
                    error.line, error.text
                ));
            }
        }
        for log in self.inputs.logs {
            for note in &log.notes {
                let meaning = match note.kind {
                    NoteKind::HashsizeNotWritable => "kube-proxy could not set the hash size (it must run in the host's network namespace with /sys writable); the kernel's size stays",
                    NoteKind::ReadOnlySysfs => "/sys is read-only for kube-proxy: it cannot change the conntrack limits",
                    NoteKind::UsedConntrackMin => "kube-proxy took its max from `--conntrack-min` (max-per-core × CPUs was smaller)",
                    NoteKind::UsedMaxPerCore => "kube-proxy took its max from `--conntrack-max-per-core` × CPUs",
                    NoteKind::CappedMaxPerCore => "kube-proxy capped max-per-core × CPUs at 1,048,576",
                    NoteKind::ExpectationTableFull => "the expectation table (for helpers like FTP or SIP) is full",
                    NoteKind::Other => "a conntrack message",
                };
                reasons.push(format!("line {}: {meaning}.", note.line));
            }
        }
        for sysctls in self.inputs.sysctls {
            for p in sysctls
                .problems
                .iter()
                .filter(|p| p.key.as_deref().is_none_or(sysctl::is_conntrack_key))
            {
                let meaning = match p.kind {
                    sysctl::ProblemKind::PermissionDenied => "a change needs root (and the host's network namespace)",
                    sysctl::ProblemKind::NoSuchKey => "the key does not exist: the nf_conntrack module is not loaded, or this is not the host's network namespace",
                    sysctl::ProblemKind::ReadOnly => "/proc/sys is read-only here (a container)",
                    sysctl::ProblemKind::Other => "the command failed",
                };
                reasons.push(format!("line {}: {meaning} ({}).", p.line, p.message));
            }
        }
    }
}

/// What kube-proxy sets on this node, compared with what is set (see `sizing.rs`). Returns kube-proxy's
/// max, when known.
pub(super) fn reason_kube_proxy(
    expected: Option<&crate::report::ExpectedMax>,
    reasons: &mut Vec<String>,
) -> Option<u64> {
    let expected = expected?;
    reasons.push(expected.summary.clone());
    expected.value
}
