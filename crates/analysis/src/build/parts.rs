//! The report in parts: the same stages as [`Snapshot::report`], handing the report built so far to
//! the caller after each, so a page can show the Services while the findings, the conntrack join and
//! the diagnosis's traces are still being worked out.

use crate::report::{Mode, Report};
use crate::snapshot::Snapshot;
use crate::{ModeAnalysis, Options};

use super::{base_report, conntrack_finding, ipvs_unread_lines, node, stats, Models};

/// A stage of the report that is complete once the caller is handed it. The report handed over holds
/// that stage and every one before it; the fields of the stages after are still empty, which says
/// nothing about the input.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ReportStage {
    /// Sections, diagnostics, node facts, the mode and its layout, the Services, the rule counts and
    /// kube-proxy's log summary.
    Services,
    /// The findings of the mode and of the mode-neutral checks.
    Findings,
    /// The conntrack verdict joined to the Services, its finding, and the migration assessment.
    Conntrack,
    /// The diagnosis: causes ranked, each with the trace that decides it. The report is complete.
    Diagnosis,
}

impl ReportStage {
    /// Every stage, in the order they complete.
    pub const ALL: [ReportStage; 4] = [
        ReportStage::Services,
        ReportStage::Findings,
        ReportStage::Conntrack,
        ReportStage::Diagnosis,
    ];
}

impl Snapshot {
    /// Explains the parsed paste as [`Snapshot::report`] does, calling `on_stage` with the report so
    /// far as each [`ReportStage`] completes (the last call holds the complete report), and returns
    /// the complete report.
    pub fn report_in_stages(
        &self,
        options: &Options,
        mut on_stage: impl FnMut(ReportStage, &Report),
    ) -> Report {
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
        // The API objects name the Services of an IPVS node: joined before the Services are handed over.
        let api_findings = crate::api::join(&self.kube_api, &mut report);
        on_stage(ReportStage::Services, &report);

        report.findings = mode_findings;
        report.findings.extend(api_findings);
        report.findings = crate::findings::run(self, &report);
        on_stage(ReportStage::Findings, &report);

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
        on_stage(ReportStage::Conntrack, &report);

        report.diagnosis = crate::diagnosis::diagnose(self, &report);
        on_stage(ReportStage::Diagnosis, &report);
        report
    }
}
