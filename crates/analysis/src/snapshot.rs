//! The snapshot: every section of a paste, parsed by the parser for its kind.

use svcpath_syntax::{iptables, split::split_with_overrides, Diagnostic, SectionKind};

use crate::report::{DiagnosticEntry, Fact, Mode, NodeFacts, Report, RuleStats, SectionEntry};
use crate::{Options, MAX_INPUT_BYTES};

/// The parsed content of one paste.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub sections: Vec<svcpath_syntax::Section>,
    pub iptables: Vec<iptables::Ruleset>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Snapshot {
    pub fn parse(paste: &str, options: &Options) -> Snapshot {
        let mut snapshot = Snapshot::default();
        let paste = cut_to_limit(paste, &mut snapshot.diagnostics);
        snapshot.sections = split_with_overrides(paste, &options.section_overrides);
        for section in &snapshot.sections {
            let text = section.text(paste);
            let origin = section.origin();
            match section.kind {
                SectionKind::Iptables => {
                    let parsed = iptables::parse(text, origin);
                    snapshot.diagnostics.extend(parsed.diagnostics);
                    snapshot.iptables.push(parsed.value);
                }
                _ => {}
            }
        }
        snapshot.iptables =
            crate::iptables::merge_fragments(std::mem::take(&mut snapshot.iptables));
        snapshot.diagnostics.sort_by_key(|d| (d.line, d.span.start));
        snapshot
    }

    pub fn report(&self, options: &Options) -> Report {
        let mut report = self.base_report();
        report.node = self.node_facts(options);
        report.mode = self.mode();
        let iptables_services: Vec<_> = self
            .iptables
            .iter()
            .flat_map(crate::iptables::services)
            .collect();
        if report.mode == Mode::Iptables {
            report.services = iptables_services;
        } else if !iptables_services.is_empty() {
            report.leftover_modes.push(Mode::Iptables);
        }
        report.rules = self.rule_stats(&report.services);
        report.findings = crate::findings::run(self, &report);
        report
    }

    /// The proxy mode: decided by what kube-proxy's own structures say, not by section kinds alone.
    pub fn mode(&self) -> Mode {
        if self
            .iptables
            .iter()
            .any(crate::iptables::has_service_chains)
        {
            return Mode::Iptables;
        }
        Mode::Unknown
    }

    fn node_facts(&self, options: &Options) -> NodeFacts {
        let mut node = NodeFacts::default();
        for ip in &options.node_ips {
            node.node_ips.push(Fact {
                value: ip.clone(),
                source: "given by the user".to_string(),
                lines: Vec::new(),
            });
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
            if ruleset.ipv6 && node.ip_family.is_none() {
                node.ip_family = Some("ipv6".to_string());
            }
        }
        if node.ip_family.is_none() && !self.iptables.is_empty() {
            node.ip_family = Some("ipv4".to_string());
        }
        node
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
        let per_packet = crate::cost::rules_per_packet(self, services);
        stats.mean_rules_per_packet = per_packet.mean;
        stats.max_rules_per_packet = per_packet.max;
        stats.nftables_rules_per_packet = per_packet.nftables_equivalent;
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

fn serde_plain<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
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
