//! The walk: a packet through the netfilter hooks in kernel order, table by table, chain by chain,
//! forking where a `statistic` match splits the traffic and merging branches that reach the same state.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use svcpath_syntax::iptables::{Rule, TargetKind};

use super::addr::{self, Cidr};
use super::eval::{evaluate, parse_mark_mask, parse_u32, Eval};
use super::net::{Net, TableView};
use super::{From, Step};
use crate::model::Protocol;

/// Most branches one trace follows; further splits follow the likelier side only (and say so).
pub const MAX_BRANCHES: usize = 4096;
/// Deepest chain stack; deeper ends the branch as uncertain.
pub const MAX_DEPTH: usize = 64;
/// Most rule evaluations in one trace.
pub const MAX_WORK: usize = 4_000_000;
/// Most table traversals along one path (a path needs fewer than 25).
const MAX_ROUNDS: usize = 64;

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
    pub hooks: Option<&'a super::nft::Hooks<'a>>,
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
    fn link_for(&self, ip: IpAddr) -> Link {
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hook {
    Prerouting,
    Input,
    Forward,
    Output,
    Postrouting,
}

impl Hook {
    pub fn name(self) -> &'static str {
        match self {
            Hook::Prerouting => "PREROUTING",
            Hook::Input => "INPUT",
            Hook::Forward => "FORWARD",
            Hook::Output => "OUTPUT",
            Hook::Postrouting => "POSTROUTING",
        }
    }

    /// The tables of this hook in the kernel's priority order. A packet looped back to the node has
    /// its NAT decided already, so the nat table is not consulted again.
    fn tables(self, looped: bool) -> &'static [&'static str] {
        match (self, looped) {
            (Hook::Prerouting, false) => &["raw", "mangle", "nat"],
            (Hook::Prerouting, true) => &["raw", "mangle"],
            (Hook::Input, false) => &["mangle", "filter", "security", "nat"],
            (Hook::Input, true) => &["mangle", "filter", "security"],
            (Hook::Forward, _) => &["mangle", "filter", "security"],
            (Hook::Output, _) => &["raw", "mangle", "nat", "filter", "security"],
            (Hook::Postrouting, _) => &["mangle", "nat"],
        }
    }
}

/// A link of the node, as far as the tracer can tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Link {
    None,
    Loopback,
    Pod,
    Uplink,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    Dnat,
    Accept,
    Drop,
    Reject,
}

impl Verdict {
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Dnat => "dnat",
            Verdict::Accept => "accept",
            Verdict::Drop => "drop",
            Verdict::Reject => "reject",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    chain: usize,
    next: usize,
}

/// One possible path of the packet, with its probability and everything that happened to it.
#[derive(Debug, Clone)]
pub struct Branch {
    pub prob: f64,
    pub from: From,
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
    table: usize,
    frames: Vec<Frame>,
    base: usize,
    /// The nft chain stack while an nft base chain is walked.
    pub(super) nft_frames: Vec<super::nft::NftFrame>,
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

/// Branches that reached a verdict are done; the others go on to the next table or hook.
fn sort_out(branches: Vec<Branch>, next: &mut Vec<Branch>, done: &mut Vec<Branch>) {
    for b in branches {
        if b.verdict.is_some() {
            done.push(b);
        } else {
            next.push(b);
        }
    }
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

    pub fn new(from: From, src: IpAddr, dst: IpAddr, dport: u16, history: Vec<String>) -> Branch {
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
        self.from == From::Node
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
        hook: &str,
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

    fn push_step(&mut self, hook: &str, table: &str, chain: &str, line: Option<u32>, note: String) {
        self.steps.push(Step {
            hook: hook.to_string(),
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
        hook: &str,
        table: &str,
        chain: &str,
        line: Option<u32>,
        note: String,
    ) {
        self.assume(reason_text(&note, line));
        self.push_step(hook, table, chain, line, note);
    }

    pub(super) fn hook_step(&mut self, note: String) {
        let hook = self.hook.name();
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
    let mut index: HashMap<BranchKey, usize> = HashMap::new();
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

enum Flow {
    Continue,
    TableDone,
    Verdict(Verdict),
}

/// Runs branches through the hooks.
pub struct Engine<'a> {
    pub(super) ctx: &'a Ctx<'a>,
    pub(super) branches: usize,
    pub(super) work: usize,
    /// Notes for the whole trace (limits reached).
    pub notes: Vec<String>,
}

impl<'a> Engine<'a> {
    pub fn new(ctx: &'a Ctx<'a>) -> Engine<'a> {
        Engine {
            ctx,
            branches: 1,
            work: 0,
            notes: Vec::new(),
        }
    }

    pub(super) fn note(&mut self, note: String) {
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    /// Places a fresh branch at its first hook.
    pub fn start(&self, mut b: Branch) -> Branch {
        match b.from {
            From::Pod | From::External => {
                b.in_link = if b.from == From::Pod {
                    Link::Pod
                } else {
                    Link::Uplink
                };
                let how = if b.from == From::Pod {
                    format!(
                        "arrives from a pod on the pods' link{}",
                        self.link_name(Link::Pod)
                    )
                } else {
                    format!(
                        "arrives from outside on the node's uplink{}",
                        self.link_name(Link::Uplink)
                    )
                };
                self.enter(&mut b, Hook::Prerouting, how);
            }
            From::Node => {
                b.out_link = if self.ctx.is_local(b.dst) {
                    Link::Loopback
                } else {
                    self.ctx.link_for(b.dst)
                };
                let how = format!(
                    "sent by a process on the node; routed to {}",
                    self.describe_link(b.out_link)
                );
                self.enter(&mut b, Hook::Output, how);
            }
        }
        b
    }

    fn link_name(&self, link: Link) -> String {
        let name = match link {
            Link::Pod => self.ctx.net.interfaces.pod.as_deref(),
            Link::Uplink => self.ctx.net.interfaces.uplink.as_deref(),
            Link::Loopback => Some("lo"),
            Link::None => None,
        };
        name.map(|n| format!(" ({n})")).unwrap_or_default()
    }

    fn describe_link(&self, link: Link) -> String {
        match link {
            Link::Loopback => "the node itself (lo)".to_string(),
            Link::Pod => format!("the pods' link{}", self.link_name(Link::Pod)),
            Link::Uplink => format!("the uplink{}", self.link_name(Link::Uplink)),
            Link::None => "nowhere".to_string(),
        }
    }

    fn enter(&self, b: &mut Branch, hook: Hook, note: String) {
        b.hook = hook;
        b.table = 0;
        b.hook_step(note);
    }

    /// Follows every branch to its end.
    pub fn run(&mut self, start: Branch) -> Vec<Branch> {
        let mut pending = vec![start];
        let mut done = Vec::new();
        for _ in 0..MAX_ROUNDS {
            if pending.is_empty() {
                break;
            }
            let mut next = Vec::new();
            for b in merge(pending) {
                self.advance(b, &mut next, &mut done);
            }
            pending = next;
        }
        for mut b in pending {
            b.verdict = Some(Verdict::Drop);
            let hook = b.hook.name();
            b.uncertain_step(
                hook,
                "",
                "",
                None,
                "the path is longer than svcpath follows; stopped here".to_string(),
            );
            done.push(b);
        }
        done
    }

    /// Runs the branch's next table, or moves it to its next hook.
    fn advance(&mut self, mut b: Branch, next: &mut Vec<Branch>, done: &mut Vec<Branch>) {
        if let Some(hooks) = self.ctx.hooks {
            let list = hooks.list(b.hook);
            while let Some(&hc) = list.get(b.table) {
                b.table += 1;
                if hc.nat {
                    // NAT is decided by the first packet once: a packet looped back has it already,
                    // an untracked one has none, and after one nat chain sets up a mapping, later
                    // nat chains of the same hook are not consulted.
                    if b.looped {
                        continue;
                    }
                    if b.untracked {
                        b.hook_step(format!(
                            "untracked (notrack): {} is not consulted",
                            hooks.describe(hc)
                        ));
                        continue;
                    }
                    let done_already = match b.hook {
                        Hook::Prerouting | Hook::Output => b.dnat,
                        Hook::Input | Hook::Postrouting => b.snat,
                        Hook::Forward => false,
                    };
                    if done_already {
                        continue;
                    }
                }
                let results = match hc.base {
                    super::nft::Base::Iptables(ti) => {
                        let Some(table) = self.ctx.net.tables.get(ti) else {
                            continue;
                        };
                        let Some(base) = table.chain_index(b.hook.name()) else {
                            continue;
                        };
                        self.run_table(b, table, base)
                    }
                    super::nft::Base::Nft { table, chain } => self.run_nft(b, hooks, table, chain),
                };
                sort_out(results, next, done);
                return;
            }
            self.transition(b, next, done);
            return;
        }
        let tables = b.hook.tables(b.looped);
        while let Some(&name) = tables.get(b.table) {
            b.table += 1;
            if name == "nat" && b.untracked {
                b.hook_step("untracked (NOTRACK): the nat table is not consulted".to_string());
                continue;
            }
            let Some(table) = self.ctx.net.table(name) else {
                continue;
            };
            let Some(base) = table.chain_index(b.hook.name()) else {
                continue;
            };
            sort_out(self.run_table(b, table, base), next, done);
            return;
        }
        self.transition(b, next, done);
    }

    /// What happens between hooks: routing decisions and the end of the path.
    fn transition(&self, mut b: Branch, next: &mut Vec<Branch>, done: &mut Vec<Branch>) {
        let ctx = self.ctx;
        match b.hook {
            Hook::Prerouting if b.looped => {
                self.enter(
                    &mut b,
                    Hook::Input,
                    "enters INPUT: for the node itself".to_string(),
                );
                next.push(b);
            }
            Hook::Prerouting => {
                let dst = addr::endpoint(b.dst, b.dport);
                if ctx.is_local(b.src) {
                    // fib_validate_source: a packet that arrives with one of the node's own
                    // addresses as its source is a martian (unless accept_local is set).
                    b.step(
                        "routing",
                        "",
                        "",
                        None,
                        format!("the source {} is an address of the node itself: the kernel drops the packet as a martian", b.src),
                    );
                    b.verdict = Some(Verdict::Drop);
                    done.push(b);
                    return;
                }
                if ctx.is_local(b.dst) {
                    b.out_link = Link::None;
                    b.step(
                        "routing",
                        "",
                        "",
                        None,
                        format!("{dst} is an address of the node: delivered locally (INPUT)"),
                    );
                    self.enter(
                        &mut b,
                        Hook::Input,
                        "enters INPUT: for the node itself".to_string(),
                    );
                } else {
                    if b.dnat && ctx.endpoint_may_be_node(b.dst) {
                        b.assume(host_network_reason(b.dst));
                    }
                    b.out_link = ctx.link_for(b.dst);
                    let out = self.describe_link(b.out_link);
                    b.step(
                        "routing",
                        "",
                        "",
                        None,
                        format!("{dst} is not an address of the node: forwarded to {out}"),
                    );
                    self.enter(
                        &mut b,
                        Hook::Forward,
                        "enters FORWARD: the node routes the packet on".to_string(),
                    );
                }
                next.push(b);
            }
            Hook::Input => {
                b.verdict = Some(if b.dnat {
                    Verdict::Dnat
                } else {
                    Verdict::Accept
                });
                let what = if b.dnat { "reaches" } else { "is delivered to" };
                b.step(
                    "routing",
                    "",
                    "",
                    None,
                    format!("{what} {} on the node", addr::endpoint(b.dst, b.dport)),
                );
                done.push(b);
            }
            Hook::Forward => {
                let out = self.describe_link(b.out_link);
                self.enter(
                    &mut b,
                    Hook::Postrouting,
                    format!("enters POSTROUTING: about to leave on {out}"),
                );
                next.push(b);
            }
            Hook::Output => {
                let before = b.out_link;
                b.out_link = if ctx.is_local(b.dst) {
                    Link::Loopback
                } else {
                    ctx.link_for(b.dst)
                };
                if b.dnat && b.out_link != Link::Loopback && ctx.endpoint_may_be_node(b.dst) {
                    b.assume(host_network_reason(b.dst));
                }
                if b.dnat {
                    let out = self.describe_link(b.out_link);
                    let again = if before == b.out_link {
                        ""
                    } else {
                        " (routed again after DNAT)"
                    };
                    b.step(
                        "routing",
                        "",
                        "",
                        None,
                        format!("{} goes to {out}{again}", addr::endpoint(b.dst, b.dport)),
                    );
                }
                let out = self.describe_link(b.out_link);
                self.enter(
                    &mut b,
                    Hook::Postrouting,
                    format!("enters POSTROUTING: about to leave on {out}"),
                );
                next.push(b);
            }
            Hook::Postrouting => {
                if b.sent_by_node() && b.out_link == Link::Loopback && !b.looped {
                    b.looped = true;
                    b.in_link = Link::Loopback;
                    b.out_link = Link::None;
                    self.enter(
                        &mut b,
                        Hook::Prerouting,
                        "comes back in on lo: the node sends to itself".to_string(),
                    );
                    next.push(b);
                } else {
                    b.verdict = Some(if b.dnat {
                        Verdict::Dnat
                    } else {
                        Verdict::Accept
                    });
                    let to = addr::endpoint(b.dst, b.dport);
                    let note = if b.dnat {
                        format!("sent on to {to}")
                    } else {
                        format!("routed on to {to} unchanged")
                    };
                    b.step("routing", "", "", None, note);
                    done.push(b);
                }
            }
        }
    }

    pub(super) fn can_fork(&mut self) -> bool {
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

    /// Walks one table's base chain (and what it jumps to) for a branch; returns the branches that
    /// came out (a split yields several), each either finished or ready for the next table.
    fn run_table(&mut self, mut b: Branch, table: &TableView<'_>, base: usize) -> Vec<Branch> {
        let hook = b.hook;
        b.frames = vec![Frame {
            chain: base,
            next: 0,
        }];
        b.base = base;
        let mut work = vec![b];
        let mut out = Vec::new();
        while let Some(mut b) = work.pop() {
            loop {
                self.work += 1;
                if self.work > MAX_WORK {
                    self.note(format!("stopped after {MAX_WORK} rule evaluations"));
                    b.verdict = Some(Verdict::Drop);
                    let hook = b.hook.name();
                    b.uncertain_step(
                        hook,
                        "",
                        "",
                        None,
                        format!("svcpath stopped following this path after {MAX_WORK} rule evaluations (work limit)"),
                    );
                    out.push(b);
                    break;
                }
                let Some(&Frame {
                    chain: ci,
                    next: ri,
                }) = b.frames.last()
                else {
                    out.push(b);
                    break;
                };
                let Some(chain) = table.chains.get(ci) else {
                    out.push(b);
                    break;
                };
                let Some(rule) = chain.rules.get(ri) else {
                    // End of a chain: back to the caller, or the policy of the base chain.
                    b.frames.pop();
                    if b.frames.is_empty() {
                        match self.policy(&mut b, table) {
                            Flow::Verdict(v) => b.verdict = Some(v),
                            Flow::Continue | Flow::TableDone => {}
                        }
                        out.push(b);
                        break;
                    }
                    continue;
                };
                if let Some(f) = b.frames.last_mut() {
                    f.next += 1;
                }
                let rule: &Rule = rule;
                let eval = evaluate(self.ctx, &b, hook, rule);
                let line = (rule.line > 0).then_some(rule.line);
                if eval.p <= 0.0 {
                    // A rule passed over on an assumption is as much a guess as one taken on it.
                    for a in &eval.assumed {
                        b.assume(reason_text(a, line));
                        b.push_step(
                            hook.name(),
                            table.name,
                            chain.name,
                            line,
                            format!("assumed: {a} (rule not taken)"),
                        );
                    }
                    continue;
                }
                if eval.p < 1.0 {
                    let split = eval.split.clone().unwrap_or_default();
                    if self.can_fork() {
                        let mut other = b.clone();
                        other.prob *= 1.0 - eval.p;
                        other.step(
                            hook.name(),
                            table.name,
                            chain.name,
                            line,
                            format!(
                                "not taken by {} of new connections ({split})",
                                percent(1.0 - eval.p)
                            ),
                        );
                        work.push(other);
                        b.prob *= eval.p;
                    } else {
                        b.assume(format!(
                            "more than {MAX_BRANCHES} branches: the split {} followed only its likelier side",
                            reason_text(&split, line)
                        ));
                        if eval.p < 0.5 {
                            b.step(
                                hook.name(),
                                table.name,
                                chain.name,
                                line,
                                format!("not taken (followed the likelier side of {split})"),
                            );
                            continue;
                        }
                    }
                }
                for a in &eval.assumed {
                    b.assume(reason_text(a, line));
                    b.push_step(
                        hook.name(),
                        table.name,
                        chain.name,
                        line,
                        format!("assumed: {a}"),
                    );
                }
                if let Some(l) = line {
                    b.rules.push(l);
                }
                b.recent_set.extend(eval.recent_set.iter().cloned());
                match self.apply_target(&mut b, table, chain.name, rule, &eval) {
                    Flow::Continue => {}
                    Flow::TableDone => {
                        b.frames.clear();
                        out.push(b);
                        break;
                    }
                    Flow::Verdict(v) => {
                        b.frames.clear();
                        b.verdict = Some(v);
                        out.push(b);
                        break;
                    }
                }
            }
        }
        out
    }

    /// The base chain's policy, when the packet falls off its end (a missing policy is ACCEPT).
    fn policy(&mut self, b: &mut Branch, table: &TableView<'_>) -> Flow {
        let Some(chain) = table.chains.get(b.base) else {
            return Flow::TableDone;
        };
        let hook = b.hook.name();
        match chain.policy.unwrap_or("ACCEPT") {
            "ACCEPT" => Flow::TableDone,
            "DROP" => {
                b.step(
                    hook,
                    table.name,
                    chain.name,
                    None,
                    format!("end of {}: policy DROP", chain.name),
                );
                Flow::Verdict(Verdict::Drop)
            }
            other => {
                b.uncertain_step(
                    hook,
                    table.name,
                    chain.name,
                    None,
                    format!(
                        "policy {other} of {} is not understood; taken as ACCEPT",
                        chain.name
                    ),
                );
                Flow::TableDone
            }
        }
    }

    fn apply_target(
        &mut self,
        b: &mut Branch,
        table: &TableView<'_>,
        chain: &str,
        rule: &Rule,
        eval: &Eval,
    ) -> Flow {
        let hook = b.hook;
        let line = (rule.line > 0).then_some(rule.line);
        let step =
            |b: &mut Branch, note: String| b.step(hook.name(), table.name, chain, line, note);
        let unsure = |b: &mut Branch, note: String| {
            b.uncertain_step(hook.name(), table.name, chain, line, note)
        };
        let suffix = rule_suffix(rule, eval);
        let Some(target) = &rule.target else {
            step(b, format!("matched (no target: counts only){suffix}"));
            return Flow::Continue;
        };
        let name = target.name.as_str();
        match name {
            "ACCEPT" => {
                step(
                    b,
                    format!(
                        "ACCEPT: the {} table lets the packet pass{suffix}",
                        table.name
                    ),
                );
                return Flow::TableDone;
            }
            "DROP" => {
                step(b, format!("DROP{suffix}"));
                return Flow::Verdict(Verdict::Drop);
            }
            "RETURN" => {
                b.frames.pop();
                if b.frames.is_empty() {
                    step(
                        b,
                        format!("RETURN from the base chain: its policy decides{suffix}"),
                    );
                    return self.policy(b, table);
                }
                step(b, format!("RETURN{suffix}"));
                return Flow::Continue;
            }
            _ => {}
        }
        if let Some(ci) = table.chain_index(name) {
            if b.frames.iter().any(|f| f.chain == ci) {
                unsure(b, format!("jumps back to {name}, which is already being walked: a loop (iptables would refuse it)"));
                return Flow::Verdict(Verdict::Drop);
            }
            if b.frames.len() >= MAX_DEPTH {
                unsure(
                    b,
                    format!("chain stack deeper than {MAX_DEPTH}; svcpath stops here"),
                );
                return Flow::Verdict(Verdict::Drop);
            }
            let (verb, goto) = match target.kind {
                TargetKind::Goto => ("goto", true),
                TargetKind::Jump => ("jump to", false),
            };
            let added = if rule.line == 0 {
                " (this jump is not in the dump; kube-proxy installs it on every node)"
            } else {
                ""
            };
            step(b, format!("{verb} {name}{suffix}{added}"));
            if goto {
                b.frames.pop();
            }
            b.frames.push(Frame { chain: ci, next: 0 });
            return Flow::Continue;
        }
        let opt = |n: &str| target.option(n).and_then(|o| o.value());
        let has = |n: &str| target.option(n).is_some();
        match name {
            "REJECT" => {
                let with = opt("reject-with").unwrap_or("icmp-port-unreachable");
                step(
                    b,
                    format!("REJECT with {with}: the client is told at once{suffix}"),
                );
                Flow::Verdict(Verdict::Reject)
            }
            "DNAT" | "REDIRECT" => {
                if !matches!(hook, Hook::Prerouting | Hook::Output) || table.name != "nat" {
                    unsure(b, format!("{name} outside nat PREROUTING/OUTPUT: iptables refuses such a rule; ignored"));
                    return Flow::Continue;
                }
                let (ip, port, range) = if name == "DNAT" {
                    match opt("to-destination").and_then(addr::parse_nat_to) {
                        Some(to) => (to.ip.unwrap_or(b.dst), to.port.unwrap_or(b.dport), to.range),
                        None => {
                            unsure(
                                b,
                                format!(
                                    "DNAT target {:?} cannot be read; the packet is left unchanged",
                                    opt("to-destination").unwrap_or("")
                                ),
                            );
                            return Flow::TableDone;
                        }
                    }
                } else {
                    let port = opt("to-ports")
                        .and_then(addr::port_range)
                        .map(|(lo, _)| lo)
                        .unwrap_or(b.dport);
                    (self.redirect_address(b), port, false)
                };
                let note = match b.rewrite_destination(ip, port, range) {
                    Rewrite::OtherFamily => format!("{name} to another address family; ignored"),
                    Rewrite::Range => format!(
                        "DNAT to a range: the kernel picks one; the first, {}, is shown",
                        addr::endpoint(ip, port)
                    ),
                    Rewrite::Exact => format!("{name} to {}{suffix}", addr::endpoint(ip, port)),
                };
                step(b, note);
                Flow::TableDone
            }
            "SNAT" | "MASQUERADE" | "NETMAP" => {
                if table.name != "nat" || !matches!(hook, Hook::Postrouting | Hook::Input) {
                    unsure(b, format!("{name} outside nat POSTROUTING/INPUT: iptables refuses such a rule; ignored"));
                    return Flow::Continue;
                }
                if name == "NETMAP" {
                    b.assume(reason_text(
                        "NETMAP maps the source address 1:1 onto another network; shown as masquerade",
                        line,
                    ));
                }
                b.snat = true;
                let to = opt("to-source")
                    .map(|s| format!(" to {s}"))
                    .unwrap_or_default();
                step(
                    b,
                    format!("{name}{to}: the source address is rewritten (masqueraded){suffix}"),
                );
                Flow::TableDone
            }
            "MARK" => {
                let before = b.mark;
                match mark_op(target, before) {
                    Some(after) => {
                        b.mark = after;
                        step(b, format!("MARK: mark {before:#x} -> {after:#x}{suffix}"));
                    }
                    None => {
                        unsure(
                            b,
                            "MARK with options svcpath does not read; mark unchanged".to_string(),
                        );
                    }
                }
                Flow::Continue
            }
            "CONNMARK" => {
                let (mark, ctmark) = (b.mark, b.ctmark);
                // --nfmask/--ctmask (or --mask for both) select the bits --save-mark and --restore-mark copy.
                let nf = opt("nfmask")
                    .or(opt("mask"))
                    .and_then(parse_u32)
                    .unwrap_or(u32::MAX);
                let ct = opt("ctmask")
                    .or(opt("mask"))
                    .and_then(parse_u32)
                    .unwrap_or(u32::MAX);
                if has("save-mark") {
                    b.ctmark = (ctmark & !ct) ^ (mark & nf);
                    step(
                        b,
                        format!(
                            "CONNMARK --save-mark: connection mark {:#x}{suffix}",
                            b.ctmark
                        ),
                    );
                } else if has("restore-mark") {
                    b.mark = (mark & !nf) ^ (ctmark & ct);
                    step(
                        b,
                        format!("CONNMARK --restore-mark: mark {:#x}{suffix}", b.mark),
                    );
                } else {
                    match mark_op(target, ctmark) {
                        Some(after) => {
                            b.ctmark = after;
                            step(
                                b,
                                format!(
                                    "CONNMARK: connection mark {ctmark:#x} -> {after:#x}{suffix}"
                                ),
                            );
                        }
                        None => {
                            unsure(
                                b,
                                "CONNMARK with options svcpath does not read; ignored".to_string(),
                            );
                        }
                    }
                }
                Flow::Continue
            }
            "NOTRACK" => {
                b.untracked = true;
                step(
                    b,
                    format!("NOTRACK: no connection tracking, so no NAT{suffix}"),
                );
                Flow::Continue
            }
            "CT" => {
                if has("notrack") {
                    b.untracked = true;
                    step(
                        b,
                        format!("CT --notrack: no connection tracking, so no NAT{suffix}"),
                    );
                } else {
                    step(
                        b,
                        format!("CT: sets conntrack parameters; continues{suffix}"),
                    );
                }
                Flow::Continue
            }
            "LOG" | "NFLOG" | "ULOG" | "TRACE" | "AUDIT" | "NFACCT" | "TCPMSS" | "CHECKSUM"
            | "DSCP" | "TOS" | "TTL" | "HL" | "ECN" | "CLASSIFY" | "SECMARK" | "CONNSECMARK"
            | "IDLETIMER" | "LED" | "RATEEST" | "SET" | "TEE" => {
                step(
                    b,
                    format!("{name}: logs, counts or adjusts the packet; continues{suffix}"),
                );
                Flow::Continue
            }
            "QUEUE" | "NFQUEUE" | "TPROXY" | "SYNPROXY" => {
                unsure(b, format!("{name}: the verdict is up to a program or socket svcpath cannot see; taken as ACCEPT"));
                Flow::TableDone
            }
            _ => {
                if name.contains('-') || name.chars().any(|c| c.is_ascii_lowercase()) {
                    unsure(
                        b,
                        format!("jump to {name}, which is not a chain of the {} table here: iptables-restore refuses such a rule; skipped", table.name),
                    );
                } else {
                    unsure(
                        b,
                        format!("target {name} is not modelled; taken as continuing"),
                    );
                }
                Flow::Continue
            }
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
            self.ctx
                .node_ips
                .iter()
                .copied()
                .find(|ip| ip.is_ipv4() == b.dst.is_ipv4())
                .unwrap_or(b.dst)
        }
    }
}

/// `MARK`/`CONNMARK` value operations.
fn mark_op(target: &svcpath_syntax::iptables::Target, value: u32) -> Option<u32> {
    let o = target.options.iter().find(|o| {
        matches!(
            o.name.as_str(),
            "set-xmark" | "set-mark" | "or-mark" | "and-mark" | "xor-mark"
        )
    })?;
    let (v, m) = parse_mark_mask(o.value()?)?;
    Some(match o.name.as_str() {
        "set-xmark" => (value & !m) ^ v,
        "set-mark" => (value & !m) | v,
        "or-mark" => value | v,
        "and-mark" => value & v,
        "xor-mark" => value ^ v,
        _ => return None,
    })
}

fn rule_suffix(rule: &Rule, eval: &Eval) -> String {
    let mut parts = Vec::new();
    if let Some(split) = &eval.split {
        parts.push(format!(
            "taken by {} of new connections ({split})",
            percent(eval.p)
        ));
    }
    for n in &eval.notes {
        parts.push(n.clone());
    }
    if let Some(c) = rule.comment() {
        parts.push(format!("\"{c}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" — {}", parts.join("; "))
    }
}

pub fn percent(p: f64) -> String {
    let v = p * 100.0;
    if (v - v.round()).abs() < 1e-6 {
        format!("{}%", v.round())
    } else {
        format!("{v:.1}%")
    }
}

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

/// Why a trace to an endpoint outside the pod network is uncertain while the node's address is unknown.
fn host_network_reason(ip: IpAddr) -> String {
    format!(
        "no node IP is known: if the endpoint {ip} (outside the pod CIDRs) is a host-network endpoint on this node's own address, the kernel delivers the connection locally (INPUT) instead; it is taken as another host (give the node's IP to decide)"
    )
}
