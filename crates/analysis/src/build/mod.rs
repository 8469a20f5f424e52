//! Building the [`Report`] from a [`Snapshot`]: each proxy mode's model is read once, the active mode is
//! analysed, and the mode-neutral checks, conntrack, migration and diagnosis follow.

mod node;
mod parts;
mod stats;

pub use parts::ReportStage;

use crate::report::FindingCode;
use svcpath_syntax::SectionKind;

use crate::iptables::IptablesNode;
use crate::nft::NftNode;
use crate::report::{DiagnosticEntry, Mode, Report, SectionEntry};
use crate::snapshot::Snapshot;
use crate::{ModeAnalysis, Options};

/// Each proxy mode's model of one paste, read once and shared by every later stage.
pub(crate) struct Models<'a> {
    pub iptables: IptablesNode<'a>,
    pub nft: NftNode<'a>,
}

impl<'a> Models<'a> {
    pub fn read(snapshot: &'a Snapshot) -> Models<'a> {
        Models {
            iptables: IptablesNode::read(&snapshot.iptables),
            nft: NftNode::read(&snapshot.nft),
        }
    }

    /// The proxy mode: decided by what kube-proxy's own structures say, not by section kinds alone.
    /// IPVS mode first (it keeps iptables chains of its own), then nftables, then iptables.
    fn mode(&self, snapshot: &Snapshot) -> Mode {
        if crate::ipvs::detect(&snapshot.ipvs, &snapshot.ipsets, &snapshot.iptables) {
            Mode::Ipvs
        } else if self.nft.detect() {
            Mode::Nftables
        } else if self.iptables.detect() {
            Mode::Iptables
        } else {
            Mode::Unknown
        }
    }
}

impl Snapshot {
    /// Explains the parsed paste: the whole [`Report`].
    pub fn report(&self, options: &Options) -> Report {
        let models = Models::read(self);
        let mut report = base_report(self);
        report.node = node::facts(self, options, &models);
        report.mode = models.mode(self);
        report.configured_mode = node::configured_mode(self);
        let analysis = match report.mode {
            Mode::Ipvs => crate::ipvs::analyze_with_unread(
                &self.ipvs,
                &self.ipsets,
                &self.iptables,
                &ipvs_unread_lines(self),
            ),
            Mode::Iptables => models.iptables.analyze(),
            Mode::Nftables => models.nft.analyze(),
            Mode::Unknown => ModeAnalysis::default(),
        };
        // Each mode's cost: the active mode's from its analysis, the others' from their models.
        let iptables_cost = match report.mode {
            Mode::Iptables => analysis.cost,
            _ => models.iptables.cost(),
        };
        let nft_cost = match report.mode {
            Mode::Nftables => analysis.cost,
            _ => models.nft.cost().into(),
        };
        report.leftover_modes = analysis.leftover_modes;
        if report.mode == Mode::Nftables && models.iptables.detect() {
            report.leftover_modes.push(Mode::Iptables);
        }
        report.layout = analysis.layout;
        report.services = analysis.services;
        let mut mode_findings = analysis.findings;
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
        report.rules = stats::rule_stats(self, &report.services, iptables_cost, nft_cost);
        report.kube_proxy = crate::kube_proxy::summarize(&self.kube_proxy_logs);
        report.findings = mode_findings;
        let api_findings = crate::api::join(&self.kube_api, &mut report);
        report.findings.extend(api_findings);
        report.findings = crate::findings::run(self, &report);
        let mut conntrack_inputs = self.conntrack_inputs();
        if let Some(log) = &report.kube_proxy {
            conntrack_inputs.kube_proxy_version = log
                .version
                .as_deref()
                .map(|v| (v, log.version_line.unwrap_or(0)));
        }
        report.conntrack = crate::conntrack::verdict(&conntrack_inputs, &report.services);
        report
            .findings
            .extend(crate::conntrack::findings(&conntrack_inputs));
        report.migration = crate::migration::assess(self, &report);
        if let Some(finding) = report.conntrack.as_ref().and_then(conntrack_finding) {
            report.findings.push(finding);
            crate::findings::sort(&mut report.findings);
        }
        if let Some(conntrack) = report.conntrack.as_mut() {
            let joined = crate::conntrack::join::join(
                &self.conntrack_lists,
                &self.ipvs,
                &report.services,
                &report.node,
            );
            conntrack.table = joined.table;
            conntrack.services = joined.services;
            conntrack.stale = joined.stale;
            let found = crate::findings::conntrack_entries::find(conntrack, &report.services);
            if !found.is_empty() {
                report.findings.extend(found);
                crate::findings::sort(&mut report.findings);
            }
        }
        report.diagnosis = crate::diagnosis::diagnose(self, &report);
        report
    }

    /// The proxy mode: decided by what kube-proxy's own structures say, not by section kinds alone.
    pub fn mode(&self) -> Mode {
        Models::read(self).mode(self)
    }

    /// Node addresses (given, then inferred from the dumps), pod CIDRs, IP family and iptables backend.
    pub fn node_facts(&self, options: &Options) -> crate::report::NodeFacts {
        node::facts(self, options, &Models::read(self))
    }
}

/// Lines of the `ipvsadm` sections the parser could not read, by the virtual service they follow.
fn ipvs_unread_lines(
    snapshot: &Snapshot,
) -> std::collections::BTreeMap<u32, Vec<crate::ipvs::unknown::UnreadLine>> {
    let sections: Vec<(u32, u32)> = snapshot
        .sections
        .iter()
        .filter(|s| s.kind == SectionKind::Ipvsadm)
        .map(|s| (s.first_line, s.last_line))
        .collect();
    let unread: Vec<_> = snapshot
        .diagnostics
        .iter()
        .filter(|d| d.severity != svcpath_syntax::Severity::Info)
        .map(|d| crate::ipvs::unknown::UnreadLine {
            line: d.line,
            message: d.message.clone(),
        })
        .collect();
    crate::ipvs::unknown::unread_by_virtual_service(&snapshot.ipvs, &sections, &unread)
}

fn base_report(snapshot: &Snapshot) -> Report {
    Report {
        sections: snapshot
            .sections
            .iter()
            .map(|s| SectionEntry {
                kind: s.kind,
                detection: s.detection.into(),
                command: s.command.clone(),
                first_line: s.first_line,
                last_line: s.last_line,
            })
            .collect(),
        diagnostics: snapshot
            .diagnostics
            .iter()
            .map(|d| DiagnosticEntry {
                line: d.line,
                severity: d.severity.into(),
                message: d.message.clone(),
                start: d.span.start,
                end: d.span.end,
            })
            .collect(),
        ..Report::default()
    }
}

/// The conntrack verdict among the findings when it calls for action (`conntrack-critical`,
/// `conntrack-warning`), so that it is sorted with the rest.
fn conntrack_finding(c: &crate::report::ConntrackReport) -> Option<crate::report::Finding> {
    use crate::report::{ConntrackVerdict, Severity};
    let (code, severity) = match c.verdict {
        ConntrackVerdict::Critical => (FindingCode::ConntrackCritical, Severity::Critical),
        ConntrackVerdict::Warning => (FindingCode::ConntrackWarning, Severity::Warning),
        ConntrackVerdict::Ok | ConntrackVerdict::Unknown => return None,
    };
    let mut message = c.summary.clone();
    if let Some(first) = c.recommendations.first() {
        message.push_str(" What to do: ");
        message.push_str(first);
    }
    Some(crate::report::Finding::new(
        code,
        severity,
        None,
        c.table_full_lines.clone(),
        message,
    ))
}
