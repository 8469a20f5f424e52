//! The state of a trace: one branch (a possible path of the packet, with its odds and what happened
//! to it), the context every match reads (node addresses, the rules' views), the limits that bound a
//! trace, and the reasons an outcome is uncertain.

use crate::fast_hash::FastMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::addr::{self, Cidr};
use super::hooks::{Hook, Hooks};
use super::iptables::view::Net;
use super::links::Link;
use super::model::{Origin, Step, Verdict};
use crate::model::Protocol;

/// Most branches one trace follows; further splits follow the likelier side only (and say so).
pub const MAX_BRANCHES: usize = 4096;
/// Deepest chain stack; deeper ends the branch as uncertain.
pub const MAX_DEPTH: usize = 64;
/// Most rule evaluations in one trace.
pub const MAX_WORK: usize = 4_000_000;
/// Most table traversals along one path (a path needs fewer than 25).
pub(super) const MAX_ROUNDS: usize = 64;

/// What the walk knows besides the rules.
#[derive(Debug)]
pub struct Ctx<'a> {
    pub net: &'a Net<'a>,
    pub protocol: Protocol,
    /// Addresses of the node (node IPs, and a host-originated packet's own source).
    pub local: Vec<IpAddr>,
    pub pod_cidrs: Vec<Cidr>,
    /// DNAT target addresses in the dump.
    pub endpoints: Vec<IpAddr>,
    pub node_ips: Vec<IpAddr>,
    /// Service addresses the rules name (ClusterIPs): never the node's own.
    pub service_ips: Vec<IpAddr>,
    /// Sets from `ipset list` sections of the paste.
    pub ipsets: Vec<&'a svcpath_syntax::ipset::IpSet>,
    /// nftables base chains (with the iptables tables placed among them by priority), when the paste
    /// holds nft rules; `None` walks the iptables tables alone.
    pub hooks: Option<&'a Hooks<'a>>,
}

impl Ctx<'_> {
    /// `--dst-type LOCAL`: a node IP or a loopback address.
    pub fn is_local(&self, ip: IpAddr) -> bool {
        addr::is_loopback(ip) || self.local.contains(&ip)
    }

    /// An endpoint outside the known pod CIDRs while no node IP of its family is known: it may be a
    /// host-network endpoint on the node's own address, which the tracer cannot tell.
    pub fn endpoint_may_be_node(&self, ip: IpAddr) -> bool {
        self.node_ips.is_empty()
            && !self.pod_cidrs.is_empty()
            && !self.is_local(ip)
            && !self.pod_cidrs.iter().any(|c| c.contains(ip))
    }

    /// The link a non-local destination is routed out on.
    pub(super) fn link_for(&self, ip: IpAddr) -> Link {
        let pod = if self.pod_cidrs.is_empty() {
            self.endpoints.contains(&ip)
        } else {
            self.pod_cidrs.iter().any(|c| c.contains(ip))
        };
        if pod {
            Link::Pod
        } else {
            Link::Uplink
        }
    }

    /// Where REDIRECT sends a packet: the loopback address for host-originated packets, else the
    /// address of the link it came in on (a node IP is shown).
    pub(super) fn redirect_address(&self, b: &Branch) -> IpAddr {
        if b.sent_by_node() || b.in_link == Link::Loopback {
            if b.dst.is_ipv4() {
                IpAddr::V4(Ipv4Addr::LOCALHOST)
            } else {
                IpAddr::V6(Ipv6Addr::LOCALHOST)
            }
        } else {
            self.node_ips
                .iter()
                .copied()
                .find(|ip| ip.is_ipv4() == b.dst.is_ipv4())
                .unwrap_or(b.dst)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    pub chain: usize,
    pub next: usize,
}

/// One frame of the nft chain stack: a chain of a table and the next rule to run in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NftFrame {
    pub table: usize,
    pub chain: usize,
    pub next: usize,
}

/// One possible path of the packet, with its probability and everything that happened to it.
#[derive(Debug, Clone)]
pub struct Branch {
    pub prob: f64,
    pub from: Origin,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub dport: u16,
    pub orig_dst: IpAddr,
    pub orig_dport: u16,
    pub mark: u32,
    pub ctmark: u32,
    pub dnat: bool,
    pub snat: bool,
    pub untracked: bool,
    pub in_link: Link,
    pub out_link: Link,
    /// A host-originated packet to a local address, now coming back in on lo.
    pub looped: bool,
    pub hook: Hook,
    /// Index of the next table (or base chain) of the hook to run.
    pub(super) table: usize,
    pub(super) frames: Vec<Frame>,
    pub(super) base: usize,
    /// The nft chain stack while an nft base chain is walked.
    pub(super) nft_frames: Vec<NftFrame>,
    /// `-m recent` lists holding this client (a returning client's first connection).
    pub history: Vec<String>,
    /// `-m recent --set` lists this connection was added to.
    pub recent_set: Vec<String>,
    pub uncertain: bool,
    /// Why the branch is uncertain: each assumption or limit, once.
    pub uncertain_reasons: Vec<String>,
    pub rules: Vec<u32>,
    pub steps: Vec<Step>,
    pub verdict: Option<Verdict>,
}

/// What [`Branch::rewrite_destination`] did.
pub(super) enum Rewrite {
    /// The new address is of the other family: nothing changed, the branch is uncertain.
    OtherFamily,
    /// Rewritten to the first address of a range (the kernel picks one): the branch is uncertain.
    Range,
    /// Rewritten to the one address given.
    Exact,
}

impl Branch {
    /// Applies DNAT or REDIRECT (iptables target or nft statement) to the packet's destination.
    pub(super) fn rewrite_destination(&mut self, ip: IpAddr, port: u16, range: bool) -> Rewrite {
        if ip.is_ipv4() != self.dst.is_ipv4() {
            self.assume(format!(
                "a NAT rule rewrites the destination to {ip}, of the other address family; the packet was left unchanged"
            ));
            return Rewrite::OtherFamily;
        }
        self.dst = ip;
        self.dport = port;
        self.dnat = true;
        if range {
            self.assume(format!(
                "DNAT to a range: the kernel picks one address; the first, {}, is followed",
                addr::endpoint(ip, port)
            ));
            Rewrite::Range
        } else {
            Rewrite::Exact
        }
    }

    pub fn new(from: Origin, src: IpAddr, dst: IpAddr, dport: u16, history: Vec<String>) -> Branch {
        Branch {
            prob: 1.0,
            from,
            src,
            dst,
            dport,
            orig_dst: dst,
            orig_dport: dport,
            mark: 0,
            ctmark: 0,
            dnat: false,
            snat: false,
            untracked: false,
            in_link: Link::None,
            out_link: Link::None,
            looped: false,
            hook: Hook::Prerouting,
            table: 0,
            frames: Vec::new(),
            base: 0,
            nft_frames: Vec::new(),
            history,
            recent_set: Vec::new(),
            uncertain: false,
            uncertain_reasons: Vec::new(),
            rules: Vec::new(),
            steps: Vec::new(),
            verdict: None,
        }
    }

    pub fn sent_by_node(&self) -> bool {
        self.from == Origin::Node
    }

    pub fn endpoint(&self) -> Option<String> {
        self.dnat.then(|| addr::endpoint(self.dst, self.dport))
    }

    /// Marks the branch uncertain and says why (each reason once).
    pub(super) fn assume(&mut self, reason: String) {
        self.uncertain = true;
        add_reason(&mut self.uncertain_reasons, reason);
    }

    pub(super) fn step(
        &mut self,
        hook: Hook,
        table: &str,
        chain: &str,
        line: Option<u32>,
        note: String,
    ) {
        // A step that states an assumption, or the first step after the branch became uncertain
        // without a reason, is the reason (the nft walk marks `uncertain` and then says why).
        if self.uncertain && (self.uncertain_reasons.is_empty() || states_assumption(&note)) {
            add_reason(&mut self.uncertain_reasons, reason_text(&note, line));
        }
        self.push_step(hook, table, chain, line, note);
    }

    pub(super) fn push_step(
        &mut self,
        hook: Hook,
        table: &str,
        chain: &str,
        line: Option<u32>,
        note: String,
    ) {
        self.steps.push(Step {
            hook,
            table: table.to_string(),
            chain: chain.to_string(),
            line,
            note,
            owner: None,
        });
    }

    /// A step that is also why the branch is uncertain.
    pub(super) fn uncertain_step(
        &mut self,
        hook: Hook,
        table: &str,
        chain: &str,
        line: Option<u32>,
        note: String,
    ) {
        self.assume(reason_text(&note, line));
        self.push_step(hook, table, chain, line, note);
    }

    pub(super) fn hook_step(&mut self, note: String) {
        let hook = self.hook;
        self.step(hook, "", "", None, note);
    }

    /// The state that decides the rest of the path (two branches with equal keys end alike).
    fn key(&self) -> BranchKey {
        BranchKey {
            hook: self.hook,
            table: self.table,
            looped: self.looped,
            src: self.src,
            dst: self.dst,
            dport: self.dport,
            mark: self.mark,
            ctmark: self.ctmark,
            dnat: self.dnat,
            snat: self.snat,
            untracked: self.untracked,
            in_link: self.in_link,
            out_link: self.out_link,
            recent_set: self.recent_set.clone(),
            uncertain: self.uncertain,
            verdict: self.verdict,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct BranchKey {
    hook: Hook,
    table: usize,
    looped: bool,
    src: IpAddr,
    dst: IpAddr,
    dport: u16,
    mark: u32,
    ctmark: u32,
    dnat: bool,
    snat: bool,
    untracked: bool,
    in_link: Link,
    out_link: Link,
    recent_set: Vec<String>,
    uncertain: bool,
    verdict: Option<Verdict>,
}

/// Merges branches in the same state: probabilities add up, the likeliest one's path is kept.
pub fn merge(branches: Vec<Branch>) -> Vec<Branch> {
    let mut out: Vec<Branch> = Vec::new();
    let mut index: FastMap<BranchKey, usize> = FastMap::default();
    for b in branches {
        let key = b.key();
        match index.get(&key) {
            Some(&i) => {
                if let Some(kept) = out.get_mut(i) {
                    let total = kept.prob + b.prob;
                    let mut reasons = std::mem::take(&mut kept.uncertain_reasons);
                    for r in &b.uncertain_reasons {
                        add_reason(&mut reasons, r.clone());
                    }
                    if b.prob > kept.prob {
                        *kept = b;
                    }
                    kept.prob = total;
                    kept.uncertain_reasons = reasons;
                }
            }
            None => {
                index.insert(key, out.len());
                out.push(b);
            }
        }
    }
    out
}

/// What one trace may still spend: the branches it follows and the rules it evaluates.
#[derive(Debug)]
pub struct Budget {
    branches: usize,
    work: usize,
    /// Notes for the whole trace (limits reached).
    pub notes: Vec<String>,
}

impl Budget {
    pub fn new() -> Budget {
        Budget {
            branches: 1,
            work: 0,
            notes: Vec::new(),
        }
    }

    pub fn note(&mut self, note: String) {
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    /// Counts one rule evaluation; true (with a note) once the work limit is passed.
    pub fn exhausted(&mut self) -> bool {
        self.work += 1;
        if self.work > MAX_WORK {
            self.note(format!("stopped after {MAX_WORK} rule evaluations"));
            true
        } else {
            false
        }
    }

    pub fn can_fork(&mut self) -> bool {
        if self.branches >= MAX_BRANCHES {
            self.note(format!(
                "more than {MAX_BRANCHES} branches: further random splits follow only the likelier side (outcomes marked uncertain)"
            ));
            false
        } else {
            self.branches += 1;
            true
        }
    }
}

/// What a chain walker does after one step of a branch.
pub enum Control {
    /// The branch goes on in the walker (the next rule, or the rest of a rule).
    Next,
    /// The branch is out of this base chain: finished, or ready for the next base chain.
    Done,
}

/// A walker of one base chain (an iptables table's or an nft chain) on the engine's driver loop.
pub trait ChainWalker {
    /// Where a piece of work resumes (the default: at the next rule).
    type Resume: Default;

    /// The work limit was reached while this branch was walked.
    fn stop(&self, b: &mut Branch);

    /// Runs the branch one step on; a split pushes the other ways onto `work`.
    fn step(
        &self,
        budget: &mut Budget,
        b: &mut Branch,
        resume: Self::Resume,
        work: &mut Vec<(Branch, Self::Resume)>,
    ) -> Control;
}

pub use crate::words::percent_trimmed as percent;

/// An uncertainty's reason: the note, with the rule's line when there is one.
pub(super) fn reason_text(note: &str, line: Option<u32>) -> String {
    match line {
        Some(l) => format!("{note} (line {l})"),
        None => note.to_string(),
    }
}

/// Adds a reason once; the same reason at another rule gets that rule's line added:
/// `… (lines 55, 12)`.
pub(super) fn add_reason(reasons: &mut Vec<String>, reason: String) {
    if reasons.contains(&reason) {
        return;
    }
    let (text, line) = split_line(&reason);
    if let Some(line) = line {
        for r in reasons.iter_mut() {
            let (t, lines) = split_lines(r);
            if t == text && !lines.is_empty() && lines.len() < 8 {
                let mut lines = lines;
                if !lines.contains(&line) {
                    lines.push(line);
                }
                let list: Vec<String> = lines.iter().map(u32::to_string).collect();
                *r = format!("{t} (lines {})", list.join(", "));
                return;
            }
        }
    }
    reasons.push(reason);
}

/// `text (line N)` into its text and line.
fn split_line(reason: &str) -> (&str, Option<u32>) {
    match reason
        .strip_suffix(')')
        .and_then(|r| r.rsplit_once(" (line "))
    {
        Some((text, n)) => match n.parse() {
            Ok(n) => (text, Some(n)),
            Err(_) => (reason, None),
        },
        None => (reason, None),
    }
}

/// `text (line N)` or `text (lines N, M)` into its text and lines.
fn split_lines(reason: &str) -> (&str, Vec<u32>) {
    if let (text, Some(n)) = split_line(reason) {
        return (text, vec![n]);
    }
    if let Some((text, list)) = reason
        .strip_suffix(')')
        .and_then(|r| r.rsplit_once(" (lines "))
    {
        let lines: Option<Vec<u32>> = list.split(", ").map(|n| n.parse().ok()).collect();
        if let Some(lines) = lines {
            return (text, lines);
        }
    }
    (reason, Vec::new())
}

/// Whether a step's note states an assumption (the nft walk writes them so).
fn states_assumption(note: &str) -> bool {
    note.starts_with("assumed") || note.contains("not modelled") || note.contains("is assumed")
}
