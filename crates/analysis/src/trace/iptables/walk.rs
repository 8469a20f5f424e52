//! The iptables walker: one table's base chain for a branch, rule by rule — matches, jumps, gotos and
//! returns, targets (NAT, marks, verdicts), the chain's policy — as a step of the engine's driver loop.

use svcpath_syntax::iptables::{Rule, TargetKind};

use super::super::addr;
use super::super::hooks::Hook;
use super::super::model::Verdict;
use super::super::state::{
    percent, reason_text, Branch, Budget, ChainWalker, Control, Ctx, Frame, Rewrite, MAX_BRANCHES,
    MAX_DEPTH, MAX_WORK,
};
use super::eval::{evaluate, parse_mark_mask, parse_u32, Eval};
use super::view::TableView;

enum Flow {
    Continue,
    TableDone,
    Verdict(Verdict),
}

/// Walks one iptables table's base chain (and what it jumps to).
pub(in crate::trace) struct TableWalk<'w, 'a> {
    ctx: &'w Ctx<'a>,
    table: &'w TableView<'a>,
}

impl<'w, 'a> TableWalk<'w, 'a> {
    /// The walker of `table`, and the branch placed at the start of its base chain `base`.
    pub(in crate::trace) fn start(
        ctx: &'w Ctx<'a>,
        table: &'w TableView<'a>,
        mut b: Branch,
        base: usize,
    ) -> (TableWalk<'w, 'a>, Branch) {
        b.frames = vec![Frame {
            chain: base,
            next: 0,
        }];
        b.base = base;
        (TableWalk { ctx, table }, b)
    }
}

impl ChainWalker for TableWalk<'_, '_> {
    type Resume = ();

    fn stop(&self, b: &mut Branch) {
        b.verdict = Some(Verdict::Drop);
        let hook = b.hook;
        b.uncertain_step(
            hook,
            "",
            "",
            None,
            format!("svcpath stopped following this path after {MAX_WORK} rule evaluations (work limit)"),
        );
    }

    fn step(
        &self,
        budget: &mut Budget,
        b: &mut Branch,
        (): (),
        work: &mut Vec<(Branch, ())>,
    ) -> Control {
        let table = self.table;
        let hook = b.hook;
        let Some(&Frame {
            chain: ci,
            next: ri,
        }) = b.frames.last()
        else {
            return Control::Done;
        };
        let Some(chain) = table.chains.get(ci) else {
            return Control::Done;
        };
        let Some(rule) = chain.rules.get(ri) else {
            // End of a chain: back to the caller, or the policy of the base chain.
            b.frames.pop();
            if b.frames.is_empty() {
                match self.policy(b) {
                    Flow::Verdict(v) => b.verdict = Some(v),
                    Flow::Continue | Flow::TableDone => {}
                }
                return Control::Done;
            }
            return Control::Next;
        };
        if let Some(f) = b.frames.last_mut() {
            f.next += 1;
        }
        let rule: &Rule = rule;
        let eval = evaluate(self.ctx, b, hook, rule);
        let line = (rule.line > 0).then_some(rule.line);
        if eval.p <= 0.0 {
            // A rule passed over on an assumption is as much a guess as one taken on it.
            for a in &eval.assumed {
                b.assume(reason_text(a, line));
                b.push_step(
                    hook,
                    table.name,
                    chain.name,
                    line,
                    format!("assumed: {a} (rule not taken)"),
                );
            }
            return Control::Next;
        }
        if eval.p < 1.0 {
            let split = eval.split.clone().unwrap_or_default();
            if budget.can_fork() {
                let mut other = b.clone();
                other.prob *= 1.0 - eval.p;
                other.step(
                    hook,
                    table.name,
                    chain.name,
                    line,
                    format!(
                        "not taken by {} of new connections ({split})",
                        percent(1.0 - eval.p)
                    ),
                );
                work.push((other, ()));
                b.prob *= eval.p;
            } else {
                b.assume(format!(
                    "more than {MAX_BRANCHES} branches: the split {} followed only its likelier side",
                    reason_text(&split, line)
                ));
                if eval.p < 0.5 {
                    b.step(
                        hook,
                        table.name,
                        chain.name,
                        line,
                        format!("not taken (followed the likelier side of {split})"),
                    );
                    return Control::Next;
                }
            }
        }
        for a in &eval.assumed {
            b.assume(reason_text(a, line));
            b.push_step(hook, table.name, chain.name, line, format!("assumed: {a}"));
        }
        if let Some(l) = line {
            b.rules.push(l);
        }
        b.recent_set.extend(eval.recent_set.iter().cloned());
        match self.apply_target(b, chain.name, rule, &eval) {
            Flow::Continue => {}
            Flow::TableDone => {
                b.frames.clear();
                return Control::Done;
            }
            Flow::Verdict(v) => {
                b.frames.clear();
                b.verdict = Some(v);
                return Control::Done;
            }
        }
        Control::Next
    }
}

impl TableWalk<'_, '_> {
    /// The base chain's policy, when the packet falls off its end (a missing policy is ACCEPT).
    fn policy(&self, b: &mut Branch) -> Flow {
        let table = self.table;
        let Some(chain) = table.chains.get(b.base) else {
            return Flow::TableDone;
        };
        let hook = b.hook;
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

    fn apply_target(&self, b: &mut Branch, chain: &str, rule: &Rule, eval: &Eval) -> Flow {
        let table = self.table;
        let hook = b.hook;
        let line = (rule.line > 0).then_some(rule.line);
        let step = |b: &mut Branch, note: String| b.step(hook, table.name, chain, line, note);
        let unsure =
            |b: &mut Branch, note: String| b.uncertain_step(hook, table.name, chain, line, note);
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
                    return self.policy(b);
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
                    (self.ctx.redirect_address(b), port, false)
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
