//! The iptables side of the tracer: the rules of one address family as the walk sees them (with the
//! jumps kube-proxy installs outside the dump), whether a rule's matches match a packet, and the walk
//! of one table's base chain.

pub(super) mod eval;
pub(super) mod view;
pub(super) mod walk;
