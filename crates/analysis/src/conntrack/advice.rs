//! What the conntrack section shows besides the reasons: timeouts, per-CPU counters, what fills the
//! table, the recommendations and the commands that would settle what is unknown.

use super::*;

impl Facts<'_> {
    pub(super) fn timeout(&self, key: &str) -> u64 {
        self.timeouts
            .get(key)
            .map(|t| t.value)
            .or_else(|| {
                TIMEOUTS
                    .iter()
                    .find(|(k, _, _)| *k == key)
                    .map(|(_, _, kernel)| *kernel)
            })
            .unwrap_or(0)
    }

    pub(super) fn per_cpu(&self) -> Vec<CpuCounters> {
        let Some(stats) = self.stats else {
            return Vec::new();
        };
        if stats.per_cpu.is_empty() {
            let counters: Vec<(String, u64)> = stats
                .first_cpu_only
                .iter()
                .filter(|c| c.key != "entries")
                .map(|c| (c.key.clone(), c.value))
                .collect();
            return vec![CpuCounters { cpu: 0, counters }];
        }
        stats
            .per_cpu
            .iter()
            .map(|r: &CpuRow| CpuCounters {
                cpu: r.cpu,
                counters: r
                    .counters
                    .iter()
                    .map(|c| (c.key.clone(), c.value))
                    .collect(),
            })
            .collect()
    }

    pub(super) fn timeout_entries(&self) -> Vec<TimeoutEntry> {
        TIMEOUTS
            .iter()
            .map(|(key, proxy, kernel)| TimeoutEntry {
                key: key.trim_start_matches("net.netfilter.").to_string(),
                seconds: self.timeouts.get(key).map(|t| t.value),
                kube_proxy_default: *proxy,
                kernel_default: Some(*kernel),
            })
            .collect()
    }

    pub(super) fn breakdown(&self, services: &[Service]) -> Vec<BreakdownEntry> {
        if self.entries.is_empty() {
            return Vec::new();
        }
        let mut out = vec![BreakdownEntry {
            key: "total".to_string(),
            entries: self.entries.len() as u64,
        }];
        let mut protocols: BTreeMap<String, u64> = BTreeMap::new();
        let mut states: BTreeMap<String, u64> = BTreeMap::new();
        for e in &self.entries {
            *protocols.entry(e.protocol().to_string()).or_default() += 1;
            if let Some(state) = e.state() {
                *states
                    .entry(format!("{} {state}", e.protocol()))
                    .or_default() += 1;
            }
        }
        for group in [protocols, states] {
            let mut group: Vec<_> = group.into_iter().collect();
            svcpath_syntax::stable_sort::sort_by(&mut group, |a, b| {
                b.1.cmp(&a.1).then(a.0.cmp(&b.0))
            });
            out.extend(
                group
                    .into_iter()
                    .map(|(key, entries)| BreakdownEntry { key, entries }),
            );
        }
        let count =
            |f: &dyn Fn(&EntryRef<'_>) -> bool| self.entries.iter().filter(|e| f(e)).count() as u64;
        for (key, entries) in [
            (
                "dns (port 53)",
                count(&|e| e.entry.original.dport == Some(53)),
            ),
            ("dnat (Service traffic)", count(&|e| e.is_dnat())),
            ("snat (masqueraded)", count(&|e| e.is_snat())),
            ("unreplied", count(&|e| e.has_flag("UNREPLIED"))),
        ] {
            if entries > 0 {
                out.push(BreakdownEntry {
                    key: key.to_string(),
                    entries,
                });
            }
        }
        for (dst, entries) in destinations(&self.entries)
            .into_iter()
            .take(TOP_DESTINATIONS)
        {
            let name = service_at(services, &dst)
                .map(|id| format!(" ({id})"))
                .unwrap_or_default();
            out.push(BreakdownEntry {
                key: format!("dst {dst}{name}"),
                entries,
            });
        }
        out
    }

    pub(super) fn recommend(
        &self,
        verdict: ConntrackVerdict,
        expected: Option<u64>,
        out: &mut Vec<String>,
    ) {
        let pressure = matches!(
            verdict,
            ConntrackVerdict::Critical | ConntrackVerdict::Warning
        );
        let table_pressure = pressure
            && (!self.table_full.is_empty()
                || self.total("drop").unwrap_or(0) > 0
                || self.total("early_drop").unwrap_or(0) > 0
                || self.fill().is_some_and(|f| f >= WARNING_FILL));
        match self.max {
            Some(m) if table_pressure && m.value > 0 => {
                let mut target = m.value.saturating_mul(2).max(expected.unwrap_or(0));
                if let Some(c) = self.count {
                    target = target.max(c.value.saturating_mul(2));
                }
                let target = round_up(target, KUBE_PROXY_MIN);
                out.push(format!(
                    "Raise the table to {t} entries: `sysctl -w net.netfilter.nf_conntrack_max={t}` now, and `net.netfilter.nf_conntrack_max = {t}` in a file under /etc/sysctl.d/ to keep it; where kube-proxy manages it, `--conntrack-min={t}` (config `conntrack.min`) makes kube-proxy apply it at start. Memory when full: about {} ({} × ~{BYTES_PER_ENTRY} B, an estimate), now {}.",
                    bytes(target.saturating_mul(BYTES_PER_ENTRY)),
                    n(target),
                    bytes(m.value.saturating_mul(BYTES_PER_ENTRY)),
                    t = target
                ));
                let buckets = target / KUBE_PROXY_ENTRIES_PER_BUCKET;
                if self.buckets.is_none_or(|b| b.value < buckets) {
                    out.push(format!(
                        "Give it {b} hash buckets (a quarter of max, as kube-proxy does): `echo {b} > /sys/module/nf_conntrack/parameters/hashsize` from the host's network namespace, or `options nf_conntrack hashsize={b}` in /etc/modprobe.d/; about {} ({} × {BYTES_PER_BUCKET} B), allocated at once.",
                        bytes(buckets.saturating_mul(BYTES_PER_BUCKET)),
                        n(buckets),
                        b = buckets
                    ));
                }
            }
            None if table_pressure => out.push(format!(
                "Read the limit (`sysctl net.netfilter.nf_conntrack_max`) and double it with `sysctl -w net.netfilter.nf_conntrack_max=N` (and in /etc/sysctl.d/ to keep it); each entry costs about {BYTES_PER_ENTRY} B of kernel memory when used."
            )),
            _ => {}
        }
        if !table_pressure {
            if let (Some(b), Some(m)) = (self.buckets, self.max) {
                if b.value > 0 && m.value / b.value > LONG_CHAIN {
                    let want = m.value / KUBE_PROXY_ENTRIES_PER_BUCKET;
                    out.push(format!(
                        "Give the hash {w} buckets (max / 4): `echo {w} > /sys/module/nf_conntrack/parameters/hashsize`; about {} ({} × {BYTES_PER_BUCKET} B).",
                        bytes(want.saturating_mul(BYTES_PER_BUCKET)),
                        n(want),
                        w = want
                    ));
                }
            }
        }
        if let Some(t) = self.timeouts.get(sysctl::TCP_TIMEOUT_ESTABLISHED) {
            if t.value > 86_400 {
                out.push(format!(
                    "Set `sysctl -w net.netfilter.nf_conntrack_tcp_timeout_established=86400` (kube-proxy's `--conntrack-tcp-timeout-established=24h`): entries of dead connections then leave after a day instead of {}. It costs no memory; it frees entries.",
                    secs(t.value)
                ));
            }
        }
        let total = self.entries.len() as u64;
        if total > 0 {
            let share = |k: usize| k as f64 / total as f64;
            let time_wait = self
                .entries
                .iter()
                .filter(|e| e.protocol() == "tcp" && e.state() == Some("TIME_WAIT"))
                .count();
            let time_wait_timeout = self.timeout(sysctl::TCP_TIMEOUT_TIME_WAIT);
            if share(time_wait) >= NOTABLE_SHARE {
                let mut s = "A large part of the table is TIME_WAIT: reuse connections (HTTP keep-alive, client pools)".to_string();
                if time_wait_timeout > 30 {
                    let freed = (time_wait as u64).saturating_mul(time_wait_timeout - 30)
                        / time_wait_timeout;
                    s.push_str(&format!(
                        ", or shorten it with `sysctl -w net.netfilter.nf_conntrack_tcp_timeout_time_wait=30`, which frees about {} of the {} listed (~{})",
                        entries(freed),
                        n(time_wait as u64),
                        bytes(freed.saturating_mul(BYTES_PER_ENTRY))
                    ));
                }
                s.push('.');
                out.push(s);
            }
            let udp = self
                .entries
                .iter()
                .filter(|e| e.protocol() == "udp")
                .count();
            let dns = self
                .entries
                .iter()
                .filter(|e| e.entry.original.dport == Some(53))
                .count();
            if share(dns) >= NOTABLE_SHARE {
                out.push(
                    "A large part of the table is DNS: run NodeLocal DNSCache, so that pods query a cache on the node without DNAT and the cache talks to the cluster DNS over few long-lived connections.".to_string(),
                );
            }
            if share(udp) >= NOTABLE_SHARE {
                out.push(format!(
                    "A large part of the table is UDP: shorten its timeouts with kube-proxy ≥ 1.29 `--conntrack-udp-timeout`/`--conntrack-udp-timeout-stream`, or `sysctl -w net.netfilter.nf_conntrack_udp_timeout=…` (now {}).",
                    secs(self.timeout(sysctl::UDP_TIMEOUT))
                ));
            }
        }
        if self.total("insert_failed").unwrap_or(0) > 0 {
            out.push(
                "Against the DNS race (insert_failed): run NodeLocal DNSCache, or set `options single-request-reopen` (glibc) through the pods' `dnsConfig`; newer kernels resolve most of these clashes themselves (their clash_resolve counter shows it).".to_string(),
            );
        }
        if self.stats.is_some()
            && self.first_stats.is_none()
            && (self.total("drop").unwrap_or(0) > 0 || self.total("early_drop").unwrap_or(0) > 0)
            && self.table_full.is_empty()
        {
            out.push(
                "Run `conntrack -S` again a minute later and paste both: the counters count since the module was loaded, and only a rise shows drops happening now.".to_string(),
            );
        }
    }

    pub(super) fn missing(&self, verdict: ConntrackVerdict, out: &mut Vec<String>) {
        if self.count.is_none() && self.max.is_none() {
            // One command gives the count, the limit, the buckets and the timeouts.
            out.push("sysctl -a 2>/dev/null | grep nf_conntrack".to_string());
        } else {
            for (missing, command) in [
                (
                    self.count.is_none(),
                    "sysctl net.netfilter.nf_conntrack_count",
                ),
                (self.max.is_none(), "sysctl net.netfilter.nf_conntrack_max"),
                (
                    self.buckets.is_none(),
                    "sysctl net.netfilter.nf_conntrack_buckets",
                ),
                (
                    self.timeouts.is_empty(),
                    "sysctl -a 2>/dev/null | grep 'nf_conntrack_.*timeout'",
                ),
            ] {
                if missing {
                    out.push(command.to_string());
                }
            }
        }
        if self.stats.is_none() {
            out.push("conntrack -S".to_string());
        }
        if self.stats.is_none() && self.inputs.logs.iter().all(KernelLog::is_empty) {
            out.push("dmesg -T | grep -E 'conntrack|callbacks suppressed'".to_string());
        }
        if self.entries.is_empty()
            && matches!(
                verdict,
                ConntrackVerdict::Critical | ConntrackVerdict::Warning
            )
        {
            out.push("conntrack -L".to_string());
        }
        if self.inputs.stats.iter().any(|s| s.via_exec.is_some()) {
            out.push(
                "conntrack -S (on the node itself, or in a hostNetwork pod such as kube-proxy)"
                    .to_string(),
            );
        }
        if self.inputs.stats.iter().any(|s| {
            s.errors
                .iter()
                .any(|e| e.text.contains("CAP_NET_ADMIN") || e.text.contains("root"))
        }) {
            out.push("sudo conntrack -S".to_string());
        }
        out.dedup();
    }
}
