//! The engine: a packet through the netfilter hooks in kernel order — each hook's base chains (the
//! iptables tables, or every base chain by priority when the paste holds nft rules), the routing
//! decisions between hooks — with one driver loop that walks any base chain, iptables or nft, forking
//! where the traffic splits and merging branches that reach the same state.

use std::net::IpAddr;

use super::addr;
use super::hooks::{Base, Hook};
use super::iptables::walk::TableWalk;
use super::links::Link;
use super::model::{Origin, Verdict};
use super::nft::walk::ChainWalk;
use super::state::{merge, Branch, Budget, ChainWalker, Control, Ctx, MAX_ROUNDS};

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

/// Runs a walker's base chain for a branch until every way out of it is found: the branches that
/// came out (a split yields several), each either finished or ready for the next base chain.
fn drive<W: ChainWalker>(budget: &mut Budget, walker: &W, start: Branch) -> Vec<Branch> {
    let mut work = vec![(start, W::Resume::default())];
    let mut out = Vec::new();
    while let Some((mut b, mut resume)) = work.pop() {
        loop {
            if budget.exhausted() {
                walker.stop(&mut b);
                out.push(b);
                break;
            }
            match walker.step(budget, &mut b, std::mem::take(&mut resume), &mut work) {
                Control::Next => {}
                Control::Done => {
                    out.push(b);
                    break;
                }
            }
        }
    }
    out
}

/// Runs branches through the hooks.
pub(super) struct Engine<'a> {
    ctx: &'a Ctx<'a>,
    /// The limits of this trace, and the notes it made reaching them.
    pub budget: Budget,
}

impl<'a> Engine<'a> {
    pub fn new(ctx: &'a Ctx<'a>) -> Engine<'a> {
        Engine {
            ctx,
            budget: Budget::new(),
        }
    }

    /// Places a fresh branch at its first hook.
    pub fn start(&self, mut b: Branch) -> Branch {
        match b.from {
            Origin::Pod | Origin::External => {
                b.in_link = if b.from == Origin::Pod {
                    Link::Pod
                } else {
                    Link::Uplink
                };
                let how = if b.from == Origin::Pod {
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
            Origin::Node => {
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
            let hook = b.hook;
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
                        Hook::Forward | Hook::Routing => false,
                    };
                    if done_already {
                        continue;
                    }
                }
                let results = match hc.base {
                    Base::Iptables(ti) => {
                        let Some(table) = self.ctx.net.tables.get(ti) else {
                            continue;
                        };
                        let Some(base) = table.chain_index(b.hook.name()) else {
                            continue;
                        };
                        let (walker, b) = TableWalk::start(self.ctx, table, b, base);
                        drive(&mut self.budget, &walker, b)
                    }
                    Base::Nft { table, chain } => {
                        let (walker, b) = ChainWalk::start(self.ctx, hooks, b, table, chain);
                        drive(&mut self.budget, &walker, b)
                    }
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
            let (walker, b) = TableWalk::start(self.ctx, table, b, base);
            sort_out(drive(&mut self.budget, &walker, b), next, done);
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
                        Hook::Routing,
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
                        Hook::Routing,
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
                        Hook::Routing,
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
                    Hook::Routing,
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
                        Hook::Routing,
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
            Hook::Routing => {
                // Branches wait at hooks only; one found between hooks ends here, stated as such.
                b.verdict = Some(Verdict::Drop);
                b.uncertain_step(
                    Hook::Routing,
                    "",
                    "",
                    None,
                    "the path is lost between hooks; svcpath stops here".to_string(),
                );
                done.push(b);
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
                    b.step(Hook::Routing, "", "", None, note);
                    done.push(b);
                }
            }
        }
    }
}

/// Why a trace to an endpoint outside the pod network is uncertain while the node's address is unknown.
fn host_network_reason(ip: IpAddr) -> String {
    format!(
        "no node IP is known: if the endpoint {ip} (outside the pod CIDRs) is a host-network endpoint on this node's own address, the kernel delivers the connection locally (INPUT) instead; it is taken as another host (give the node's IP to decide)"
    )
}
