//! The nft walker: one nft base chain for a branch, as a step of the engine's driver loop — rules in
//! order, `jump`/`goto`/`return`, policies, verdict maps that split a branch by their shares, and the
//! statements of a rule (marks, set updates, logging).

use svcpath_syntax::nft::{Chain, Expr, Lookup, MapRef, Rule, Verdict as NftVerdict};

use super::super::hooks::Hooks;
use super::super::matching::Answer;
use super::super::model::Verdict;
use super::super::state::{
    percent, Branch, Budget, ChainWalker, Control, Ctx, NftFrame, MAX_DEPTH,
};
use super::nat::{nft_nat, nft_nat_map, NatAt};
use super::tables::{norm, NftTable};
use super::values::{bitwise, nft_match, parse_num, vmap, NumKind};
use super::{Act, Resume};

/// Walks one nft base chain (and what it jumps to).
pub(in crate::trace) struct ChainWalk<'w, 'a> {
    ctx: &'w Ctx<'a>,
    hooks: &'w Hooks<'a>,
    base_chain: Option<&'a Chain>,
}

impl<'w, 'a> ChainWalk<'w, 'a> {
    /// The walker of the base chain `ci` of table `ti`, and the branch placed at its start.
    pub(in crate::trace) fn start(
        ctx: &'w Ctx<'a>,
        hooks: &'w Hooks<'a>,
        mut b: Branch,
        ti: usize,
        ci: usize,
    ) -> (ChainWalk<'w, 'a>, Branch) {
        b.nft_frames = vec![NftFrame {
            table: ti,
            chain: ci,
            next: 0,
        }];
        let base_chain = hooks.tables.get(ti).and_then(|t| t.table.chains.get(ci));
        (
            ChainWalk {
                ctx,
                hooks,
                base_chain,
            },
            b,
        )
    }
}

impl ChainWalker for ChainWalk<'_, '_> {
    type Resume = Resume;

    fn stop(&self, b: &mut Branch) {
        b.uncertain = true;
        b.verdict = Some(Verdict::Drop);
        b.hook_step("svcpath stopped following this path (work limit)".to_string());
    }

    fn step(
        &self,
        budget: &mut Budget,
        b: &mut Branch,
        resume: Resume,
        work: &mut Vec<(Branch, Resume)>,
    ) -> Control {
        let Some(frame) = b.nft_frames.last().copied() else {
            return Control::Done;
        };
        let Some(table) = self.hooks.tables.get(frame.table) else {
            return Control::Done;
        };
        let Some(chain) = table.table.chains.get(frame.chain) else {
            return Control::Done;
        };
        let act = match resume {
            Resume::Apply(act) => act,
            Resume::Within(start) => {
                let Some(rule) = frame.next.checked_sub(1).and_then(|i| chain.rules.get(i)) else {
                    return Control::Next;
                };
                self.rule(budget, b, frame.table, chain, rule, start, work)
            }
            Resume::NextRule => {
                let Some(rule) = chain.rules.get(frame.next) else {
                    // End of a chain: back to the caller, or the base chain's policy.
                    b.nft_frames.pop();
                    if b.nft_frames.is_empty() {
                        self.policy(b, table);
                        return Control::Done;
                    }
                    return Control::Next;
                };
                if let Some(f) = b.nft_frames.last_mut() {
                    f.next += 1;
                }
                self.rule(budget, b, frame.table, chain, rule, 0, work)
            }
        };
        let hook = b.hook;
        match act {
            Act::Next => {}
            Act::Accept => {
                b.nft_frames.clear();
                return Control::Done;
            }
            Act::Drop => {
                b.nft_frames.clear();
                b.verdict = Some(Verdict::Drop);
                return Control::Done;
            }
            Act::Reject => {
                b.nft_frames.clear();
                b.verdict = Some(Verdict::Reject);
                return Control::Done;
            }
            Act::Return => {
                b.nft_frames.pop();
                if b.nft_frames.is_empty() {
                    self.policy(b, table);
                    return Control::Done;
                }
            }
            Act::Jump(ref name) | Act::Goto(ref name) if table.chain(name).is_none() => {
                b.uncertain = true;
                b.step(
                    hook,
                    &table.label,
                    &chain.name,
                    None,
                    format!(
                        "{name} is not a chain of {} in the paste; the rule is skipped",
                        table.label
                    ),
                );
            }
            Act::Jump(ref name) | Act::Goto(ref name) => {
                let goto = matches!(act, Act::Goto(_));
                let Some(target) = table.chain(name) else {
                    return Control::Next;
                };
                if b.nft_frames
                    .iter()
                    .any(|f| f.table == frame.table && f.chain == target)
                {
                    b.uncertain = true;
                    b.step(
                        hook,
                        &table.label,
                        &chain.name,
                        None,
                        format!("{name} is already being walked: a loop (nft would refuse it)"),
                    );
                    b.verdict = Some(Verdict::Drop);
                    return Control::Done;
                }
                if b.nft_frames.len() >= MAX_DEPTH {
                    b.uncertain = true;
                    b.step(
                        hook,
                        &table.label,
                        &chain.name,
                        None,
                        format!("chain stack deeper than {MAX_DEPTH}; svcpath stops here"),
                    );
                    b.verdict = Some(Verdict::Drop);
                    return Control::Done;
                }
                if goto {
                    b.nft_frames.pop();
                }
                b.nft_frames.push(NftFrame {
                    table: frame.table,
                    chain: target,
                    next: 0,
                });
            }
        }
        Control::Next
    }
}

impl ChainWalk<'_, '_> {
    /// The end of a base chain: its policy decides.
    fn policy(&self, b: &mut Branch, table: &NftTable<'_>) {
        let Some(chain) = self.base_chain else { return };
        let policy = chain
            .base
            .as_ref()
            .and_then(|bc| bc.policy.as_deref())
            .unwrap_or("accept");
        let hook = b.hook;
        match policy {
            "accept" => {}
            "drop" => {
                b.step(
                    hook,
                    &table.label,
                    &chain.name,
                    chain.base.as_ref().map(|bc| bc.line),
                    format!("end of {}: policy drop", chain.name),
                );
                b.verdict = Some(Verdict::Drop);
            }
            other => {
                b.uncertain = true;
                b.step(
                    hook,
                    &table.label,
                    &chain.name,
                    None,
                    format!("policy {other} is not understood; taken as accept"),
                );
            }
        }
        b.nft_frames.clear();
    }

    /// Runs one rule from expression `start`: matches, statements and its verdict. Splits (a
    /// `numgen` map, an odds match) push the other ways onto `work`.
    #[allow(clippy::too_many_arguments)]
    fn rule(
        &self,
        budget: &mut Budget,
        b: &mut Branch,
        ti: usize,
        chain: &Chain,
        rule: &Rule,
        start: usize,
        work: &mut Vec<(Branch, Resume)>,
    ) -> Act {
        let hooks = self.hooks;
        let hook = b.hook;
        let label = hooks
            .tables
            .get(ti)
            .map(|t| t.label.clone())
            .unwrap_or_default();
        let line = (rule.line > 0).then_some(rule.line);
        let suffix = rule
            .comment
            .as_ref()
            .map(|c| format!(" — \"{c}\""))
            .unwrap_or_default();
        let step = |b: &mut Branch, note: String| {
            b.step(hook, &label, &chain.name, line, note);
        };
        let mut recorded = start > 0;
        let record = |b: &mut Branch, recorded: &mut bool| {
            if !*recorded {
                *recorded = true;
                if let Some(l) = line {
                    b.rules.push(l);
                }
            }
        };
        // Assumptions wait until the rule is decided: a later match that certainly fails makes them moot.
        let mut pending: Vec<String> = Vec::new();
        let flush = |b: &mut Branch, pending: &mut Vec<String>| {
            for note in pending.drain(..) {
                b.uncertain = true;
                b.step(hook, &label, &chain.name, line, note);
            }
        };
        for (idx, e) in rule.exprs.iter().enumerate().skip(start) {
            if !matches!(
                e,
                Expr::Match(_) | Expr::Counter(_) | Expr::Unknown { .. } | Expr::Xt { .. }
            ) {
                flush(b, &mut pending);
            }
            match e {
                Expr::Counter(_) => {}
                Expr::Match(m) => match nft_match(self.ctx, b, ti, hooks, m) {
                    Answer::Yes => {}
                    Answer::No => return Act::Next,
                    Answer::Assume(answer, why) => {
                        pending.push(format!(
                            "assumed: {why}: `{}` taken as {}",
                            m.left.text(),
                            if answer {
                                "matching"
                            } else {
                                "not matching (rule not taken)"
                            }
                        ));
                        if !answer {
                            flush(b, &mut pending);
                            return Act::Next;
                        }
                    }
                    Answer::Odds(p, why) => {
                        if p <= 0.0 {
                            return Act::Next;
                        }
                        flush(b, &mut pending);
                        if p < 1.0 {
                            if budget.can_fork() {
                                let mut other = b.clone();
                                other.prob *= 1.0 - p;
                                other.step(
                                    hook,
                                    &label,
                                    &chain.name,
                                    line,
                                    format!(
                                        "not taken by {} of new connections ({why})",
                                        percent(1.0 - p)
                                    ),
                                );
                                work.push((other, Resume::NextRule));
                                b.prob *= p;
                                step(
                                    b,
                                    format!("taken by {} of new connections ({why})", percent(p)),
                                );
                            } else {
                                b.uncertain = true;
                                if p < 0.5 {
                                    step(
                                        b,
                                        format!("not taken (followed the likelier side of {why})"),
                                    );
                                    return Act::Next;
                                }
                            }
                        }
                    }
                },
                Expr::Lookup(l) if l.verdict_map => {
                    let (ways, assumed) = vmap(self.ctx, b, ti, hooks, l);
                    for a in assumed {
                        b.uncertain = true;
                        step(b, format!("assumed: {a}"));
                    }
                    let mut ways = ways.into_iter().filter(|(p, _)| *p > 0.0);
                    let Some(first) = ways.next() else {
                        return Act::Next;
                    };
                    let rest: Vec<_> = ways.collect();
                    let split = !rest.is_empty();
                    let apply = |b: &mut Branch,
                                 (p, what): (f64, Option<(NftVerdict, u32, String)>)|
                     -> Option<Act> {
                        match what {
                            None => {
                                if split {
                                    b.step(hook, &label, &chain.name, line, format!("{} of new connections find no element in the map: the rule does not match", percent(p)));
                                }
                                None
                            }
                            Some((v, el_line, key)) => {
                                if let Some(l) = line {
                                    b.rules.push(l);
                                }
                                if el_line > 0 && Some(el_line) != line {
                                    b.rules.push(el_line);
                                }
                                let at = if el_line > 0 && Some(el_line) != line {
                                    format!(" (element at line {el_line})")
                                } else {
                                    String::new()
                                };
                                let how = if split {
                                    format!("{key}{at}, {} of new connections", percent(p))
                                } else {
                                    format!("{key}{at}")
                                };
                                b.step(
                                    hook,
                                    &label,
                                    &chain.name,
                                    line,
                                    format!("{} {how} → {}{suffix}", map_name(l), v.text()),
                                );
                                Some(verdict_act(b, &v))
                            }
                        }
                    };
                    for way in rest {
                        if !budget.can_fork() {
                            b.uncertain = true;
                            continue;
                        }
                        let mut other = b.clone();
                        other.prob *= way.0;
                        let act = apply(&mut other, way);
                        work.push((
                            other,
                            match act {
                                Some(a) => Resume::Apply(a),
                                None => Resume::NextRule,
                            },
                        ));
                    }
                    b.prob *= first.0;
                    return apply(b, first).unwrap_or(Act::Next);
                }
                Expr::Lookup(l) => {
                    b.uncertain = true;
                    step(
                        b,
                        format!(
                            "assumed: the map lookup `{} map …` is not modelled; taken as matching",
                            l.key.text()
                        ),
                    );
                }
                Expr::Verdict(v) => {
                    record(b, &mut recorded);
                    step(b, format!("{}{suffix}", v.text()));
                    return verdict_act(b, v);
                }
                Expr::Reject { with } => {
                    record(b, &mut recorded);
                    let with = with
                        .as_deref()
                        .map(|w| format!(" with {w}"))
                        .unwrap_or_default();
                    step(
                        b,
                        format!("reject{with}: the client is told at once{suffix}"),
                    );
                    return Act::Reject;
                }
                Expr::Nat(n) if n.map.is_some() => {
                    record(b, &mut recorded);
                    let at = NatAt {
                        hooks,
                        ti,
                        label: &label,
                        chain,
                        line,
                        suffix: &suffix,
                    };
                    return nft_nat_map(self.ctx, budget, b, &at, n, work);
                }
                Expr::Nat(n) => {
                    record(b, &mut recorded);
                    return nft_nat(self.ctx, b, &label, chain, line, n, &suffix);
                }
                Expr::Assign { target, value } if value.trim_start().starts_with("numgen") => {
                    record(b, &mut recorded);
                    let t = norm(target);
                    let is_ct = t == "ct mark";
                    let Some(ng) = numgen_of(value).filter(|g| {
                        (1..=MAX_NUMGEN_SPLIT).contains(&g.1)
                            && (is_ct || matches!(t.as_str(), "meta mark" | "mark"))
                    }) else {
                        b.uncertain = true;
                        step(
                            b,
                            format!("`{target} set {value}` is not modelled; ignored"),
                        );
                        continue;
                    };
                    let (random, modulus, offset) = ng;
                    let share = 1.0 / f64::from(modulus);
                    let set = |b: &mut Branch, v: u32| {
                        let note = if is_ct {
                            format!("connection mark {:#x} -> {v:#x}", b.ctmark)
                        } else {
                            format!("mark {:#x} -> {v:#x}", b.mark)
                        };
                        if is_ct {
                            b.ctmark = v;
                        } else {
                            b.mark = v;
                        }
                        let how = if random { "random" } else { "inc" };
                        b.step(
                            hook,
                            &label,
                            &chain.name,
                            line,
                            format!(
                                "{note} (numgen {how} mod {modulus}: {} of new connections){suffix}",
                                percent(share)
                            ),
                        );
                    };
                    if !random {
                        b.uncertain = true;
                        step(
                            b,
                            "numgen inc: round robin over connections, taken as an even split"
                                .to_string(),
                        );
                    }
                    for i in 1..modulus {
                        if !budget.can_fork() {
                            b.uncertain = true;
                            break;
                        }
                        let mut other = b.clone();
                        other.prob *= share;
                        set(&mut other, offset.saturating_add(i));
                        work.push((other, Resume::Within(idx + 1)));
                    }
                    b.prob *= share;
                    set(b, offset);
                }
                Expr::Assign { target, value } => {
                    record(b, &mut recorded);
                    let t = norm(target);
                    let cur = match t.as_str() {
                        "meta mark" | "mark" => Some(b.mark),
                        "ct mark" => Some(b.ctmark),
                        _ => None,
                    };
                    let new = cur.and_then(|_| assign_value(b, value));
                    match (t.as_str(), new) {
                        ("meta mark" | "mark", Some(v)) => {
                            step(b, format!("mark {:#x} -> {v:#x}{suffix}", b.mark));
                            b.mark = v;
                        }
                        ("ct mark", Some(v)) => {
                            step(
                                b,
                                format!("connection mark {:#x} -> {v:#x}{suffix}", b.ctmark),
                            );
                            b.ctmark = v;
                        }
                        _ => {
                            b.uncertain = true;
                            step(
                                b,
                                format!("`{target} set {value}` is not modelled; ignored"),
                            );
                        }
                    }
                }
                Expr::SetUpdate { op, set, key } => {
                    record(b, &mut recorded);
                    if matches!(op.as_str(), "update" | "add") && norm(key).ends_with("saddr") {
                        if !b.recent_set.contains(set) {
                            b.recent_set.push(set.clone());
                        }
                        step(b, format!("{op} @{set} {{ {key} }}: the client is remembered (session affinity){suffix}"));
                    } else {
                        step(b, format!("{op} @{set} {{ {key} }}{suffix}"));
                    }
                }
                Expr::Statement { name, args } => {
                    record(b, &mut recorded);
                    match name.as_str() {
                        "notrack" => {
                            b.untracked = true;
                            step(
                                b,
                                format!("notrack: no connection tracking, so no NAT{suffix}"),
                            );
                        }
                        "log" => step(b, format!("log: continues{suffix}")),
                        "limit" | "quota" | "meter" => {
                            b.uncertain = true;
                            step(
                                b,
                                format!("assumed: `{name} {args}` lets this packet through"),
                            );
                        }
                        _ => {
                            b.uncertain = true;
                            step(
                                b,
                                format!("`{name} {args}` is not modelled; taken as continuing"),
                            );
                        }
                    }
                }
                Expr::Xt { what, name } => {
                    pending.push(format!("assumed: `xt {what} {name}` (an iptables extension inside nft) is not evaluated; taken as matching / continuing"));
                }
                Expr::Unknown { text, .. } => {
                    let short: String = text.chars().take(80).collect();
                    pending.push(format!(
                        "assumed: `{short}` is not understood; taken as matching"
                    ));
                }
            }
        }
        flush(b, &mut pending);
        Act::Next
    }
}

fn verdict_act(b: &mut Branch, v: &NftVerdict) -> Act {
    match v {
        NftVerdict::Accept => Act::Accept,
        NftVerdict::Drop => Act::Drop,
        NftVerdict::Return => Act::Return,
        NftVerdict::Continue => Act::Next,
        NftVerdict::Jump(c) => Act::Jump(c.clone()),
        NftVerdict::Goto(c) => Act::Goto(c.clone()),
        NftVerdict::Other(o) => {
            b.uncertain = true;
            b.hook_step(format!("verdict `{o}` is not modelled; taken as accept"));
            Act::Accept
        }
    }
}

fn map_name(l: &Lookup) -> String {
    match &l.map {
        MapRef::Named(n) => format!("{} vmap @{n}:", l.key.text()),
        MapRef::Anonymous(_) => format!("{} vmap:", l.key.text()),
    }
}

/// Most ways a `… set numgen random mod N` statement is split into.
const MAX_NUMGEN_SPLIT: u32 = 4096;

/// `numgen random mod 2 offset 1` as (random, modulus, offset).
fn numgen_of(value: &str) -> Option<(bool, u32, u32)> {
    let words: Vec<&str> = value.split_whitespace().collect();
    match words.as_slice() {
        ["numgen", mode, "mod", n, rest @ ..] => {
            let offset = match rest {
                [] => 0,
                ["offset", o] => o.parse().ok()?,
                _ => return None,
            };
            Some((*mode == "random", n.parse().ok()?, offset))
        }
        _ => None,
    }
}

/// The value of `meta mark set …` / `ct mark set …`: a number, or `meta mark`/`mark`/`ct mark` with
/// bitwise operations.
fn assign_value(b: &Branch, value: &str) -> Option<u32> {
    let words: Vec<&str> = value.split_whitespace().collect();
    let (base, rest) = match words.as_slice() {
        ["meta", "mark", rest @ ..] => (u64::from(b.mark), rest),
        ["mark", rest @ ..] => (u64::from(b.mark), rest),
        ["ct", "mark", rest @ ..] => (u64::from(b.ctmark), rest),
        [n, rest @ ..] => (parse_num(n, NumKind::Plain)?, rest),
        [] => return None,
    };
    let v = bitwise(base, &rest.join(" "))?;
    u32::try_from(v & u64::from(u32::MAX)).ok()
}
