//! The nftables walker: one nft base chain for a branch (`walk.rs`) — matches on addresses,
//! protocols, ports, marks, conntrack state and `fib`, named and anonymous sets and maps with
//! concatenations and intervals (`values.rs`), verdict maps, `numgen` splits with exact odds, NAT
//! (`nat.rs`), mark and set-update statements — over the tables indexed by name (`tables.rs`). Which
//! base chains run, in which order, is the schedule in `hooks.rs`.
//!
//! What cannot be evaluated (an unknown expression, an `xt` match, a source port) is assumed, shown in
//! the steps, and the outcome marked `uncertain`.

pub(super) mod nat;
pub(super) mod tables;
pub(super) mod values;
pub(super) mod walk;

/// What a rule's walk does next.
pub(super) enum Act {
    /// The rule did not match, or matched without a verdict: the next rule.
    Next,
    /// `accept` (or a NAT statement): this base chain lets the packet pass.
    Accept,
    Drop,
    Reject,
    Return,
    Jump(String),
    Goto(String),
}

/// Where a piece of work resumes.
#[derive(Default)]
pub(super) enum Resume {
    /// At the next rule of the top frame.
    #[default]
    NextRule,
    /// Apply this verdict (chosen by a verdict map), the rule's line already recorded.
    Apply(Act),
    /// Go on with the rule just run, at this expression (after a statement that split the branch,
    /// like `ct mark set numgen random mod 2`).
    Within(usize),
}
