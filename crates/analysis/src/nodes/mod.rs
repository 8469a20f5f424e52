//! Several nodes and two moments: [`compare`] puts the reports of a cluster's nodes side by side (one
//! row per Service port, one column per node, cross-node findings naming the nodes), [`diff`] says what
//! changed between two reports of one node by meaning, not by line. Pure, over finished `Report`s.

mod compare;
mod diff;
mod facts;
mod findings;
pub mod render;

pub use compare::{compare, unique_names, Aspect, Comparison, NodeSummary, ServiceRow};
pub use diff::{diff, Change, ConntrackDelta, Diff, FindingChange, OddsChange, ServiceChange};
pub use facts::{service_facts, ServiceFacts};
pub use findings::{NodeFinding, NodeFindingCode};
