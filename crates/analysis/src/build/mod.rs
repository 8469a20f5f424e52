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
use crate::Options;

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
        self.report_in_stages(options, |_, _| {})
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
