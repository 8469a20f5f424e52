//! The diagnosis in the report: one cause of what is wrong, with the rule and the trace that prove it.

use serde::{Deserialize, Serialize};

use super::Severity;
use crate::owner::Owner;
use crate::trace::{Packet, Step};

/// One cause of what is wrong on the node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cause {
    pub severity: Severity,
    /// The findings' code, e.g. `service-blocked-by-foreign-rule`.
    pub code: super::FindingCode,
    /// One sentence: what is wrong, with the count when the cause covers several findings.
    pub summary: String,
    /// The first finding's message in full.
    pub detail: String,
    /// The Services it concerns (ids), in report order.
    pub services: Vec<String>,
    /// How many findings the cause groups.
    pub findings: usize,
    /// The one rule line that proves it, its text and its owner.
    pub line: Option<u32>,
    pub rule: Option<String>,
    pub owner: Option<Owner>,
    /// Every line of the grouped findings.
    pub lines: Vec<u32>,
    /// The trace that shows it, when a packet does.
    pub trace: Option<CauseTrace>,
}

/// The deciding trace of a cause: the packet, how the likeliest outcome touching the cause's line
/// ends (with the share of new connections that end so at that line, over all endpoints), and its steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CauseTrace {
    pub label: String,
    pub packet: Packet,
    pub verdict: String,
    pub endpoint: Option<String>,
    pub probability: f64,
    pub steps: Vec<Step>,
}
