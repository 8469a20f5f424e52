//! The walk of one nft base chain for a branch: rules in order, `jump`/`goto`/`return`, policies,
//! verdict maps that split a branch by their shares, and the statements of a rule (marks, set updates,
//! logging).

use svcpath_syntax::nft::{
    Chain, Expr, Lookup, MapRef, Match, Op, Rule, Value, Verdict as NftVerdict,
};

use super::super::eval::M;
use super::super::walk::{percent, Branch, Engine, Verdict, MAX_DEPTH, MAX_WORK};
use super::nat::NatAt;
use super::values::{bitwise, parse_num, NumKind};
use super::{norm, Hooks, NftFrame, NftTable};

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
pub(super) enum Resume {
    /// At the next rule of the top frame.
    NextRule,
    /// Apply this verdict (chosen by a verdict map), the rule's line already recorded.
    Apply(Act),
    /// Go on with the rule just run, at this expression (after a statement that split the branch,
    /// like `ct mark set numgen random mod 2`).
    Within(usize),
}

impl Engine<'_> {
    /// Walks one nft base chain (and what it jumps to) for a branch.
    pub(in crate::trace) fn run_nft(
        &mut self,
        mut b: Branch,
        hooks: &Hooks<'_>,
        ti: usize,
        ci: usize,
    ) -> Vec<Branch> {
        b.nft_frames = vec![NftFrame {
            table: ti,
            chain: ci,
            next: 0,
        }];
        let base_chain = hooks.tables.get(ti).and_then(|t| t.table.chains.get(ci));
        let mut work: Vec<(Branch, Resume)> = vec![(b, Resume::NextRule)];
        let mut out = Vec::new();
        while let Some((mut b, mut resume)) = work.pop() {
            loop {
                self.work += 1;
                if self.work > MAX_WORK {
                    self.note(format!("stopped after {MAX_WORK} rule evaluations"));
                    b.uncertain = true;
                    b.verdict = Some(Verdict::Drop);
                    b.hook_step("svcpath stopped following this path (work limit)".to_string());
                    out.push(b);
                    break;
                }
                let Some(frame) = b.nft_frames.last().copied() else {
                    out.push(b);
                    break;
                };
                let Some(table) = hooks.tables.get(frame.table) else {
                    out.push(b);
                    break;
                };
                let Some(chain) = table.table.chains.get(frame.chain) else {
                    out.push(b);
                    break;
                };
                let act = match std::mem::replace(&mut resume, Resume::NextRule) {
                    Resume::Apply(act) => act,
                    Resume::Within(start) => {
                        let Some(rule) = frame.next.checked_sub(1).and_then(|i| chain.rules.get(i))
                        else {
                            continue;
                        };
                        self.nft_rule(&mut b, hooks, frame.table, chain, rule, start, &mut work)
                    }
                    Resume::NextRule => {
                        let Some(rule) = chain.rules.get(frame.next) else {
                            // End of a chain: back to the caller, or the base chain's policy.
                            b.nft_frames.pop();
                            if b.nft_frames.is_empty() {
                                self.nft_policy(&mut b, table, base_chain);
                                out.push(b);
                                break;
                            }
                            continue;
                        };
                        if let Some(f) = b.nft_frames.last_mut() {
                            f.next += 1;
                        }
                        self.nft_rule(&mut b, hooks, frame.table, chain, rule, 0, &mut work)
                    }
                };
                let hook = b.hook.name();
                match act {
                    Act::Next => {}
                    Act::Accept => {
                        b.nft_frames.clear();
                        out.push(b);
                        break;
                    }
                    Act::Drop => {
                        b.nft_frames.clear();
                        b.verdict = Some(Verdict::Drop);
                        out.push(b);
                        break;
                    }
                    Act::Reject => {
                        b.nft_frames.clear();
                        b.verdict = Some(Verdict::Reject);
                        out.push(b);
                        break;
                    }
                    Act::Return => {
                        b.nft_frames.pop();
                        if b.nft_frames.is_empty() {
                            self.nft_policy(&mut b, table, base_chain);
                            out.push(b);
                            break;
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
                            continue;
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
                                format!(
                                    "{name} is already being walked: a loop (nft would refuse it)"
                                ),
                            );
                            b.verdict = Some(Verdict::Drop);
                            out.push(b);
                            break;
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
                            out.push(b);
                            break;
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
            }
        }
        out
    }

    /// The end of a base chain: its policy decides.
    fn nft_policy(&mut self, b: &mut Branch, table: &NftTable<'_>, base: Option<&Chain>) {
        let Some(chain) = base else { return };
        let policy = chain
            .base
            .as_ref()
            .and_then(|bc| bc.policy.as_deref())
            .unwrap_or("accept");
        let hook = b.hook.name();
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
    fn nft_rule(
        &mut self,
        b: &mut Branch,
        hooks: &Hooks<'_>,
        ti: usize,
        chain: &Chain,
        rule: &Rule,
        start: usize,
        work: &mut Vec<(Branch, Resume)>,
    ) -> Act {
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
            b.step(hook.name(), &label, &chain.name, line, note);
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
                b.step(hook.name(), &label, &chain.name, line, note);
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
                Expr::Match(m) => match self.nft_match(b, ti, hooks, m) {
                    M::Yes => {}
                    M::No => return Act::Next,
                    M::Assume(answer, why) => {
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
                    M::Odds(p, why) => {
                        if p <= 0.0 {
                            return Act::Next;
                        }
                        flush(b, &mut pending);
                        if p < 1.0 {
                            if self.can_fork() {
                                let mut other = b.clone();
                                other.prob *= 1.0 - p;
                                other.step(
                                    hook.name(),
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
                    let (ways, assumed) = self.vmap(b, ti, hooks, l);
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
                                 (p, what): (f64, Option<(NftVerdict, u32, String)>),
                                 this: &mut Self|
                     -> Option<Act> {
                        match what {
                            None => {
                                if split {
                                    b.step(hook.name(), &label, &chain.name, line, format!("{} of new connections find no element in the map: the rule does not match", percent(p)));
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
                                    hook.name(),
                                    &label,
                                    &chain.name,
                                    line,
                                    format!("{} {how} → {}{suffix}", map_name(l), v.text()),
                                );
                                Some(this.verdict_act(b, &v))
                            }
                        }
                    };
                    for way in rest {
                        if !self.can_fork() {
                            b.uncertain = true;
                            continue;
                        }
                        let mut other = b.clone();
                        other.prob *= way.0;
                        let act = apply(&mut other, way, self);
                        work.push((
                            other,
                            match act {
                                Some(a) => Resume::Apply(a),
                                None => Resume::NextRule,
                            },
                        ));
                    }
                    b.prob *= first.0;
                    return apply(b, first, self).unwrap_or(Act::Next);
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
                    return self.verdict_act(b, v);
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
                    return self.nft_nat_map(b, &at, n, work);
                }
                Expr::Nat(n) => {
                    record(b, &mut recorded);
                    return self.nft_nat(b, &label, chain, line, n, &suffix);
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
                            hook.name(),
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
                        if !self.can_fork() {
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

    fn verdict_act(&mut self, b: &mut Branch, v: &NftVerdict) -> Act {
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
}

/// `meta random & 2147483647 < 1073741824`, as iptables-nft writes `-m statistic --mode random
/// --probability 0.5`: the share of 31-bit random numbers that satisfy the comparison.
pub(super) fn meta_random(m: &Match) -> M {
    let mask = match m.left.bitwise.as_deref() {
        None => u64::from(u32::MAX),
        Some(ops) => match bitwise(u64::from(u32::MAX), ops) {
            Some(v) => v,
            None => return M::Assume(true, format!("`meta random {ops}` cannot be read")),
        },
    };
    // The masked values are 0 ..= mask when the mask is all low bits (what iptables-nft writes).
    if mask == 0 || (mask & (mask + 1)) != 0 {
        return M::Assume(true, "`meta random` with an unusual mask".to_string());
    }
    let range = (mask + 1) as f64;
    let Value::Single(v) = &m.right else {
        return M::Assume(true, "`meta random` compared with a set".to_string());
    };
    let Some(n) = parse_num(v, NumKind::Plain) else {
        return M::Assume(true, format!("the value {v} cannot be read"));
    };
    let n = n.min(mask + 1) as f64;
    let below = |k: f64| (k / range).clamp(0.0, 1.0);
    let p = match m.op {
        Op::Lt => below(n),
        Op::Le => below(n + 1.0),
        Op::Gt => 1.0 - below(n + 1.0),
        Op::Ge => 1.0 - below(n),
        Op::Eq => below(1.0).min(1.0),
        Op::Ne => 1.0 - below(1.0),
    };
    M::Odds(
        p,
        format!(
            "meta random {} {v}",
            m.left.bitwise.as_deref().unwrap_or("")
        )
        .replace("  ", " "),
    )
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
