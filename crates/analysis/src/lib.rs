//! svcpath's analysis: from a paste to a [`Report`] — the node model, the packet tracer, odds, findings
//! and the conntrack verdict. Pure: no I/O, no clock, no randomness; the same paste gives the same report.
#![forbid(unsafe_code)]
// Unit tests read the corpus from disk; the crate itself may not (clippy.toml).
#![cfg_attr(test, allow(clippy::disallowed_methods))]

mod api;
mod build;
pub mod conntrack;
pub mod diagnosis;
pub mod explain;
mod fast_hash;
pub mod findings;
mod fragments;
pub mod input;
pub mod iptables;
pub mod ipvs;
pub mod kube_proxy;
pub mod migration;
pub mod model;
pub mod net;
pub mod nft;
pub mod nodes;
pub mod owner;
mod parallel;
pub mod preview;
pub mod redact;
pub mod render;
pub mod report;
mod service_findings;
pub mod snapshot;
pub mod trace;
pub mod versions;
pub mod words;

pub use build::ReportStage;
pub use report::Report;
pub use snapshot::Snapshot;

/// What one proxy mode's analysis contributes to the report: every mode folder (`iptables`, `ipvs`,
/// `nft`) hands back this shape.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModeAnalysis {
    pub services: Vec<report::Service>,
    pub findings: Vec<report::Finding>,
    /// The rules a first packet to a Service passes in this mode, when the rules show it.
    pub cost: Cost,
    /// The kube-proxy release layout recognised (nftables mode only, so far).
    pub layout: Option<report::Layout>,
    /// Other modes' rules this mode's analysis found left beside it.
    pub leftover_modes: Vec<report::Mode>,
}

/// The rules a first packet to a Service passes: mean over the Services and the most for one.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cost {
    pub mean_rules: Option<f64>,
    pub max_rules: Option<usize>,
}

/// What the user told us besides the paste.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Section kinds chosen by the user: a section's first line and the kind to read it as.
    pub section_overrides: Vec<(u32, svcpath_syntax::SectionKind)>,
    /// Node addresses the user gave (in addition to those inferred from the dumps).
    pub node_ips: Vec<String>,
    /// Pod CIDRs the user gave (in addition to those inferred from the dumps).
    pub pod_cidrs: Vec<String>,
}

/// Largest paste svcpath analyses, in bytes. Larger input is cut at a line boundary below this size and
/// a diagnostic says so.
pub const MAX_INPUT_BYTES: usize = 256 * 1024 * 1024;

/// Deepest nesting of chain jumps svcpath follows. A walk through the rules (the tracer, the
/// `jump-depth` finding) stops there and says so; kube-proxy's own rules nest about 6 deep. Loops are
/// found and reported (`jump-loop`) rather than followed.
pub const MAX_JUMP_DEPTH: usize = 32;

/// Reads a paste and explains it.
pub fn analyze(paste: &str, options: &Options) -> Report {
    let snapshot = Snapshot::parse(paste, options);
    snapshot.report(options)
}
