//! The snapshot: every section of a paste, parsed by the parser for its kind.

use svcpath_syntax::{
    addresses, conntrack, ipset, iptables, ipvs, kernlog, kubelog, nft,
    split::split_with_overrides, sysctl, Diagnostic, SectionKind,
};

use crate::report::{DiagnosticEntry, Fact, Mode, NodeFacts, Report, RuleStats, SectionEntry};
use crate::{Options, MAX_INPUT_BYTES};

/// The parsed content of one paste.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub sections: Vec<svcpath_syntax::Section>,
    pub iptables: Vec<iptables::Ruleset>,
    /// One merged listing per `ipvsadm` section.
    pub ipvs: Vec<ipvs::Listing>,
    /// The sets of each `ipset list` section.
    pub ipsets: Vec<Vec<ipset::IpSet>>,
    pub sysctls: Vec<sysctl::Sysctls>,
    pub conntrack_stats: Vec<conntrack::Stats>,
    pub conntrack_lists: Vec<conntrack::Listing>,
    pub kernel_logs: Vec<kernlog::KernelLog>,
    pub nft: Vec<nft::Ruleset>,
    pub diagnostics: Vec<Diagnostic>,
    /// Kernel and nft versions the paste shows (`uname -r`, `nft --version`, dmesg).
    pub versions: Vec<crate::migration::versions::ToolVersion>,
    /// kube-proxy's own records in the log sections (one per section that has any).
    pub kube_proxy_logs: Vec<kubelog::KubeProxyLog>,
    /// The interface addresses of each `ip addr` section.
    pub addresses: Vec<Vec<addresses::InterfaceAddress>>,
}

impl Snapshot {
    pub fn parse(paste: &str, options: &Options) -> Snapshot {
        let mut snapshot = Snapshot::default();
        let paste = cut_to_limit(paste, &mut snapshot.diagnostics);
        // Diagnostics from here on are made on the text the parsers read.
        let first_parsed = snapshot.diagnostics.len();
        // Terminal colour codes (`grep --color=always`, a `script` capture) are removed before reading;
        // line numbers stay those of the paste.
        let stripped = svcpath_syntax::source::strip_ansi(paste);
        let paste = match &stripped {
            Some(s) => {
                snapshot
                    .diagnostics
                    .push(ansi_note(&s.text, s.lines, s.first_line));
                s.text.as_str()
            }
            None => paste,
        };
        snapshot.sections = split_with_overrides(paste, &options.section_overrides);
        // `iptables -L` and the like: said with the command to run instead.
        let near_misses = svcpath_syntax::near_miss::find(paste);
        if near_misses.is_empty() {
            if let Some(d) = nothing_to_read(paste, &snapshot.sections) {
                snapshot.diagnostics.push(d);
            }
        }
        snapshot.diagnostics.extend(near_misses);
        for section in &snapshot.sections {
            let text = section.text(paste);
            let origin = section.origin();
            let command = section.command.as_deref();
            let diagnostics = &mut snapshot.diagnostics;
            match section.kind {
                SectionKind::Iptables => {
                    let parsed = iptables::parse_with_command(text, origin, command);
                    snapshot.iptables.push(keep(diagnostics, parsed));
                }
                SectionKind::Ipvsadm => {
                    let value = keep(diagnostics, ipvs::parse(text, origin));
                    snapshot.ipvs.push(value);
                }
                SectionKind::Ipset => {
                    let value = keep(diagnostics, ipset::parse(text, origin));
                    snapshot.ipsets.push(value);
                }
                SectionKind::Sysctl => {
                    let value = keep(
                        diagnostics,
                        sysctl::parse_with_command(text, origin, command),
                    );
                    snapshot.sysctls.push(value);
                }
                SectionKind::ConntrackStats => {
                    let parsed = conntrack::parse_stats_with_command(text, origin, command);
                    snapshot.conntrack_stats.push(keep(diagnostics, parsed));
                }
                SectionKind::ConntrackList => {
                    let parsed = conntrack::parse_list_with_command(text, origin, command);
                    snapshot.conntrack_lists.push(keep(diagnostics, parsed));
                }
                SectionKind::KernelLog => {
                    let found = crate::migration::versions::scan(text, origin, command);
                    snapshot.versions.extend(found);
                    let value = keep(diagnostics, kernlog::parse(text, origin));
                    snapshot.kernel_logs.push(value);
                    let proxy = keep(diagnostics, kubelog::parse(text, origin));
                    if !proxy.is_empty() {
                        snapshot.kube_proxy_logs.push(proxy);
                    }
                }
                SectionKind::Nft => {
                    if command.is_some_and(|c| c.contains("version") || c.contains(" -v")) {
                        let found = crate::migration::versions::scan(text, origin, command);
                        snapshot.versions.extend(found);
                    }
                    let value = keep(diagnostics, nft::parse(text, origin));
                    snapshot.nft.push(value);
                }
                SectionKind::Addresses => {
                    let value = keep(diagnostics, addresses::parse(text, origin));
                    snapshot.addresses.push(value);
                }
                SectionKind::Other => {
                    let found = crate::migration::versions::scan(text, origin, command);
                    snapshot.versions.extend(found);
                }
            }
        }
        snapshot.iptables =
            crate::iptables::merge_fragments(std::mem::take(&mut snapshot.iptables));
        if let Some(s) = &stripped {
            // Spans in the report point into what the user pasted, colour codes and all.
            for d in &mut snapshot.diagnostics[first_parsed..] {
                d.span.start = s.paste_offset(d.span.start);
                d.span.end = s.paste_offset(d.span.end).max(d.span.start);
            }
        }
        snapshot.diagnostics.sort_by_key(|d| (d.line, d.span.start));
        snapshot
    }

    pub fn report(&self, options: &Options) -> Report {
        let mut report = self.base_report();
        report.node = self.node_facts(options);
        report.mode = self.mode();
        let mut mode_findings = Vec::new();
        match report.mode {
            Mode::Ipvs => {
                let analysis = crate::ipvs::analyze_with_unread(
                    &self.ipvs,
                    &self.ipsets,
                    &self.iptables,
                    &self.ipvs_unread_lines(),
                );
                if analysis
                    .findings
                    .iter()
                    .any(|f| f.code == "iptables-mode-leftovers")
                {
                    report.leftover_modes.push(Mode::Iptables);
                }
                report.services = analysis.services;
                mode_findings = analysis.findings;
            }
            Mode::Iptables => {
                report.services = self
                    .iptables
                    .iter()
                    .flat_map(crate::iptables::services)
                    .collect();
            }
            Mode::Nftables => {
                let analysis = crate::nft::analyze(&self.nft);
                report.layout = crate::nft::layout(&self.nft);
                report.services = analysis.services;
                mode_findings = analysis.findings;
                if self
                    .iptables
                    .iter()
                    .any(crate::iptables::has_service_chains)
                {
                    report.leftover_modes.push(Mode::Iptables);
                }
            }
            Mode::Unknown => {}
        }
        // iptables-mode rules listed through `nft list ruleset` (the iptables-nft front end).
        if report.mode != Mode::Nftables {
            if let Some(listing) = crate::nft::iptables_nft_chains(&self.nft) {
                if report.services.is_empty() && report.mode != Mode::Ipvs {
                    report.mode = listing.mode;
                    report.services = listing.analysis.services;
                }
                mode_findings.extend(listing.analysis.findings);
            }
        }
        if report.mode != Mode::Ipvs && self.ipvs.iter().any(|l| !l.services.is_empty()) {
            report.leftover_modes.push(Mode::Ipvs);
        }
        report.rules = self.rule_stats(&report.services);
        report.kube_proxy = crate::kube_proxy::summarize(&self.kube_proxy_logs);
        report.findings = mode_findings;
        report.findings = crate::findings::run(self, &report);
        report.conntrack = crate::conntrack::verdict(&self.conntrack_inputs(), &report.services);
        report.migration = crate::migration::assess(self, &report);
        if let Some(finding) = report.conntrack.as_ref().and_then(conntrack_finding) {
            report.findings.push(finding);
            crate::findings::sort(&mut report.findings);
        }
        report.diagnosis = crate::diagnosis::diagnose(self, &report);
        report
    }

    /// Lines of the `ipvsadm` sections the parser could not read, by the virtual service they follow.
    fn ipvs_unread_lines(
        &self,
    ) -> std::collections::BTreeMap<u32, Vec<crate::ipvs::unknown::UnreadLine>> {
        let sections: Vec<(u32, u32)> = self
            .sections
            .iter()
            .filter(|s| s.kind == SectionKind::Ipvsadm)
            .map(|s| (s.first_line, s.last_line))
            .collect();
        let unread: Vec<_> = self
            .diagnostics
            .iter()
            .filter(|d| d.severity != svcpath_syntax::Severity::Info)
            .map(|d| crate::ipvs::unknown::UnreadLine {
                line: d.line,
                message: d.message.clone(),
            })
            .collect();
        crate::ipvs::unknown::unread_by_virtual_service(&self.ipvs, &sections, &unread)
    }

    /// The conntrack-related sections, for [`crate::conntrack::verdict`].
    pub fn conntrack_inputs(&self) -> crate::conntrack::Inputs<'_> {
        crate::conntrack::Inputs {
            sysctls: &self.sysctls,
            stats: &self.conntrack_stats,
            listings: &self.conntrack_lists,
            logs: &self.kernel_logs,
        }
    }

    /// The proxy mode: decided by what kube-proxy's own structures say, not by section kinds alone.
    pub fn mode(&self) -> Mode {
        if crate::ipvs::is_ipvs_node(&self.ipvs, &self.ipsets, &self.iptables) {
            return Mode::Ipvs;
        }
        if crate::nft::is_nftables_node(&self.nft) {
            return Mode::Nftables;
        }
        if self
            .iptables
            .iter()
            .any(crate::iptables::has_service_chains)
        {
            return Mode::Iptables;
        }
        Mode::Unknown
    }

    /// Node addresses (given, then inferred from the dumps), pod CIDRs, IP family and iptables backend.
    pub fn node_facts(&self, options: &Options) -> NodeFacts {
        let mut node = NodeFacts::default();
        for ip in &options.node_ips {
            let ip = ip.trim();
            if !ip.is_empty() && !node.node_ips.iter().any(|f| f.value == ip) {
                node.node_ips.push(given(ip));
            }
        }
        for cidr in &options.pod_cidrs {
            let cidr = cidr.trim();
            if !cidr.is_empty() && !node.pod_cidrs.iter().any(|f| f.value == cidr) {
                node.pod_cidrs.push(given(cidr));
            }
        }
        for ruleset in &self.iptables {
            for fact in crate::iptables::node_ips(ruleset) {
                if !node.node_ips.iter().any(|f| f.value == fact.value) {
                    node.node_ips.push(fact);
                }
            }
            for fact in crate::iptables::pod_cidrs(ruleset) {
                if !node.pod_cidrs.iter().any(|f| f.value == fact.value) {
                    node.pod_cidrs.push(fact);
                }
            }
            if node.iptables_backend.is_none() {
                node.iptables_backend = ruleset.generator.as_deref().map(|g| {
                    if g.contains("nf_tables") {
                        "nf_tables".to_string()
                    } else if g.contains("legacy") {
                        "legacy".to_string()
                    } else {
                        g.to_string()
                    }
                });
            }
        }
        node.ip_family = self.ip_family();
        // kube-proxy's nftables table: the NodePort address set and the pod CIDR it masquerades by.
        for fact in crate::nft::facts::node_ips(&self.nft) {
            if !node.node_ips.iter().any(|f| f.value == fact.value) {
                node.node_ips.push(fact);
            }
        }
        for fact in crate::nft::facts::pod_cidrs(&self.nft) {
            if !node.pod_cidrs.iter().any(|f| f.value == fact.value) {
                node.pod_cidrs.push(fact);
            }
        }
        // The node's interface addresses, and its node IPs among them.
        for fact in self.interface_facts() {
            if !node.node_ips.iter().any(|f| f.value == fact.value) {
                node.node_ips.push(fact);
            }
        }
        for list in &self.addresses {
            for a in list {
                node.addresses.push(Fact {
                    value: a.address.clone(),
                    source: format!(
                        "{} in the `ip addr` section (line {}){}",
                        a.interface,
                        a.line,
                        a.scope
                            .as_deref()
                            .map(|s| format!(", scope {s}"))
                            .unwrap_or_default()
                    ),
                    lines: vec![a.line],
                });
            }
        }
        // Endpoints on this node outside the pod network are host-network pods: on a node address.
        for ruleset in &self.iptables {
            for fact in host_network_endpoints(ruleset, &node.pod_cidrs) {
                if !node.node_ips.iter().any(|f| f.value == fact.value) {
                    node.node_ips.push(fact);
                }
            }
        }
        node
    }

    /// Node IPs among the interface addresses: global addresses of the node's own links — not
    /// loopback, not link-local, not the pods' bridges and tunnels, not `kube-ipvs0` (which holds the
    /// Service addresses in IPVS mode) or Docker's bridge.
    fn interface_facts(&self) -> Vec<Fact> {
        let mut facts: Vec<Fact> = Vec::new();
        for a in self.addresses.iter().flatten() {
            let Some(ip) = crate::net::parse_ip(a.ip()) else {
                continue;
            };
            let link_local = match ip {
                std::net::IpAddr::V4(v4) => v4.is_link_local(),
                std::net::IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
            };
            let scope_ok = a.scope.as_deref().is_none_or(|s| s == "global");
            if ip.is_loopback() || link_local || !scope_ok || !node_link(&a.interface) {
                continue;
            }
            if facts.iter().any(|f| f.value == ip.to_string()) {
                continue;
            }
            facts.push(Fact {
                value: ip.to_string(),
                source: format!(
                    "address of {} in the `ip addr` section (line {})",
                    a.interface, a.line
                ),
                lines: vec![a.line],
            });
        }
        facts
    }

    /// `ipv4`, `ipv6` or `dual-stack`: the families whose rules hold kube-proxy's Services (or, when
    /// none does, any rule at all). An empty `ip6tables-save` after the IPv4 dump does not make an IPv6
    /// node.
    fn ip_family(&self) -> Option<String> {
        let with_rules = |r: &iptables::Ruleset| {
            r.tables
                .iter()
                .any(|t| t.chains.iter().any(|c| !c.rules.is_empty()))
        };
        let families = |keep: &dyn Fn(&iptables::Ruleset) -> bool| {
            let v4 = self.iptables.iter().any(|r| !r.ipv6 && keep(r));
            let v6 = self.iptables.iter().any(|r| r.ipv6 && keep(r));
            (v4, v6)
        };
        let (mut v4, mut v6) = families(&crate::iptables::has_service_chains);
        if !v4 && !v6 {
            (v4, v6) = families(&with_rules);
        }
        if !v4 && !v6 {
            // Nothing but empty tables: the family of the first dump.
            match self.iptables.first() {
                Some(r) => (v4, v6) = (!r.ipv6, r.ipv6),
                None => return None,
            }
        }
        match (v4, v6) {
            (true, true) => Some("dual-stack".to_string()),
            (true, false) => Some("ipv4".to_string()),
            (false, true) => Some("ipv6".to_string()),
            (false, false) => None,
        }
    }

    /// nft rules that are not the iptables-nft view of a table the paste also shows as iptables-save
    /// (the same rules listed twice are counted once, as iptables rules).
    fn nft_rule_count(&self) -> usize {
        let mut count = 0;
        for ruleset in &self.nft {
            for table in &ruleset.tables {
                let ipv6 = match table.family.as_str() {
                    "ip" => Some(false),
                    "ip6" => Some(true),
                    _ => None,
                };
                let mirrored = ipv6.is_some_and(|v6| {
                    self.iptables
                        .iter()
                        .any(|r| r.ipv6 == v6 && r.table(&table.name).is_some())
                });
                if !mirrored {
                    count += table.chains.iter().map(|c| c.rules.len()).sum::<usize>();
                }
            }
        }
        count
    }

    fn rule_stats(&self, services: &[crate::report::Service]) -> RuleStats {
        let mut stats = RuleStats::default();
        for ruleset in &self.iptables {
            for table in &ruleset.tables {
                stats.iptables_chains += table.chains.len();
                for chain in &table.chains {
                    stats.iptables_rules += chain.rules.len();
                    if chain.name.starts_with("KUBE-") {
                        stats.kube_rules += chain.rules.len();
                    }
                    if table.name == "nat" {
                        stats.nat_rules += chain.rules.len();
                    }
                }
            }
        }
        stats.ipvs_virtual_services = self.ipvs.iter().map(|l| l.services.len()).sum();
        stats.ipvs_real_servers = self.ipvs.iter().map(|l| l.real_server_count()).sum();
        stats.nft_rules = self.nft_rule_count();
        let per_packet = crate::cost::rules_per_packet(self, services);
        stats.mean_rules_per_packet = per_packet.mean;
        stats.max_rules_per_packet = per_packet.max;
        stats.nftables_rules_per_packet = per_packet.nftables_equivalent;
        let nft_cost = crate::nft::nftables_lookups_per_packet(&self.nft);
        if nft_cost.mean_rules.is_some() {
            // An nftables-mode node: its own measured path, not the estimate.
            stats.nftables_rules_per_packet = nft_cost.mean_rules;
            stats.mean_rules_per_packet = nft_cost.mean_rules;
            stats.max_rules_per_packet = nft_cost.max_rules;
        }
        stats
    }

    fn base_report(&self) -> Report {
        Report {
            sections: self
                .sections
                .iter()
                .map(|s| SectionEntry {
                    kind: s.kind.name().to_string(),
                    detection: serde_plain(&s.detection),
                    command: s.command.clone(),
                    first_line: s.first_line,
                    last_line: s.last_line,
                })
                .collect(),
            diagnostics: self
                .diagnostics
                .iter()
                .map(|d| DiagnosticEntry {
                    line: d.line,
                    severity: serde_plain(&d.severity),
                    message: d.message.clone(),
                    start: d.span.start,
                    end: d.span.end,
                })
                .collect(),
            ..Report::default()
        }
    }
}

/// The conntrack verdict among the findings when it calls for action (`conntrack-critical`,
/// `conntrack-warning`), so that it is sorted with the rest.
fn conntrack_finding(c: &crate::report::ConntrackReport) -> Option<crate::report::Finding> {
    use crate::report::{ConntrackVerdict, Severity};
    let (code, severity) = match c.verdict {
        ConntrackVerdict::Critical => ("conntrack-critical", Severity::Critical),
        ConntrackVerdict::Warning => ("conntrack-warning", Severity::Warning),
        ConntrackVerdict::Ok | ConntrackVerdict::Unknown => return None,
    };
    let mut message = c.summary.clone();
    if let Some(first) = c.recommendations.first() {
        message.push_str(" What to do: ");
        message.push_str(first);
    }
    Some(crate::findings::finding(
        code,
        severity,
        None,
        c.table_full_lines.clone(),
        message,
    ))
}

/// Keeps a parser's diagnostics and hands back its value.
fn keep<T>(diagnostics: &mut Vec<Diagnostic>, parsed: svcpath_syntax::Parsed<T>) -> T {
    diagnostics.extend(parsed.diagnostics);
    parsed.value
}

fn serde_plain<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The note that terminal escape sequences were removed.
fn ansi_note(text: &str, lines: u32, first_line: u32) -> Diagnostic {
    let span = svcpath_syntax::source::lines(text, svcpath_syntax::Origin::START)
        .nth(first_line.saturating_sub(1) as usize)
        .map(|l| l.span)
        .unwrap_or_default();
    Diagnostic {
        line: first_line,
        span,
        severity: svcpath_syntax::Severity::Info,
        message: format!(
            "terminal colour codes (ANSI escape sequences, as `grep --color=always` writes) were removed from {lines} \
             line(s) before reading"
        ),
    }
}

/// A diagnostic for a paste that is empty or holds nothing svcpath reads.
fn nothing_to_read(paste: &str, sections: &[svcpath_syntax::Section]) -> Option<Diagnostic> {
    let message = if paste.trim().is_empty() {
        "the input is empty: paste the output of `iptables-save` (or `ipvsadm -Ln`, `nft list ruleset`, \
         `ipset list`, `sysctl`, `conntrack -S`, `dmesg`) to have it explained"
    } else if sections.iter().all(|s| s.kind == SectionKind::Other) {
        "nothing in the input looks like the output of iptables-save, ipvsadm, ipset, nft, sysctl, conntrack \
         or dmesg: there is nothing to explain (is this the right file?)"
    } else {
        return None;
    };
    let span = svcpath_syntax::source::lines(paste, svcpath_syntax::Origin::START)
        .next()
        .map(|l| l.span)
        .unwrap_or_default();
    Some(Diagnostic {
        line: 1,
        span,
        severity: svcpath_syntax::Severity::Error,
        message: message.to_string(),
    })
}

fn cut_to_limit<'a>(paste: &'a str, diagnostics: &mut Vec<Diagnostic>) -> &'a str {
    if paste.len() <= MAX_INPUT_BYTES {
        return paste;
    }
    let mut end = MAX_INPUT_BYTES;
    while !paste.is_char_boundary(end) {
        end -= 1;
    }
    let cut = paste[..end].rfind('\n').map(|i| i + 1).unwrap_or(end);
    let line = svcpath_syntax::source::count_lines(&paste[..cut]) + 1;
    diagnostics.push(Diagnostic {
        line,
        span: svcpath_syntax::Span::new(cut, paste.len()),
        severity: svcpath_syntax::Severity::Error,
        message: format!(
            "the paste is {} MB; svcpath reads the first {} MB (up to line {}) and ignores the rest",
            paste.len() / (1024 * 1024),
            MAX_INPUT_BYTES / (1024 * 1024),
            line - 1
        ),
    });
    &paste[..cut]
}

/// A fact the user gave.
fn given(value: &str) -> Fact {
    Fact {
        value: value.to_string(),
        source: crate::report::GIVEN_BY_USER.to_string(),
        lines: Vec::new(),
    }
}

/// Node addresses shown by host-network endpoints: an endpoint that kube-proxy lists as local to
/// this node (in a Service's `KUBE-SVL-` chain) and that lies outside every known pod CIDR runs in the
/// node's own network namespace, on one of the node's addresses. Nothing without a known pod CIDR.
fn host_network_endpoints(ruleset: &iptables::Ruleset, pod_cidrs: &[Fact]) -> Vec<Fact> {
    let cidrs: Vec<&str> = pod_cidrs
        .iter()
        .map(|f| f.value.as_str())
        .filter(|c| crate::net::parse_cidr(c).is_some())
        .collect();
    let mut facts: Vec<Fact> = Vec::new();
    let Some(nat) = ruleset.table("nat").filter(|_| !cidrs.is_empty()) else {
        return facts;
    };
    for chain in nat
        .chains
        .iter()
        .filter(|c| c.name.starts_with("KUBE-SVL-"))
    {
        for rule in &chain.rules {
            let Some(sep) = rule.target_name().filter(|t| t.starts_with("KUBE-SEP-")) else {
                continue;
            };
            let Some(sep_chain) = nat.chain(sep) else {
                continue;
            };
            for dnat in sep_chain
                .rules
                .iter()
                .filter(|r| r.target_name() == Some("DNAT"))
            {
                let Some(to) = dnat
                    .target
                    .as_ref()
                    .and_then(|t| t.option("to-destination"))
                    .and_then(|o| o.value())
                else {
                    continue;
                };
                let host = crate::net::host_of_endpoint(to);
                let Some(ip) = crate::net::parse_ip(host) else {
                    continue;
                };
                let known = cidrs
                    .iter()
                    .filter_map(|c| crate::net::cidr_contains(c, host));
                let (mut same_family, mut in_pods) = (false, false);
                for inside in known {
                    same_family = true;
                    in_pods |= inside;
                }
                if !same_family
                    || in_pods
                    || ip.is_loopback()
                    || facts.iter().any(|f| f.value == ip.to_string())
                {
                    continue;
                }
                facts.push(Fact {
                    value: ip.to_string(),
                    source: format!(
                        "a host-network endpoint: {sep} (line {}) is local to this node ({}) and {ip} lies outside the pod CIDRs",
                        dnat.line, chain.name
                    ),
                    lines: vec![rule.line, dnat.line],
                });
            }
        }
    }
    facts
}

/// Whether an interface is one of the node's own links rather than a pod bridge, an overlay tunnel, a
/// container link or kube-proxy's IPVS dummy interface.
fn node_link(name: &str) -> bool {
    const NOT_NODE: &[&str] = &[
        "lo",
        "cni",
        "cbr",
        "docker",
        "flannel",
        "cali",
        "veth",
        "vxlan",
        "tunl",
        "cilium",
        "lxc",
        "weave",
        "datapath",
        "kube-",
        "nodelocaldns",
        "genev",
        "antrea",
        "br-",
        "virbr",
        "tun",
        "tap",
        "wg",
        "ovs",
        "nerdctl",
        "podman",
    ];
    !NOT_NODE.iter().any(|p| name.starts_with(p))
}
