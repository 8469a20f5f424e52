//! `jump-loop` and `jump-depth`: chains that jump to themselves (directly or around a loop), and jumps
//! nested deeper than svcpath follows ([`crate::MAX_JUMP_DEPTH`]).
//!
//! Example: `-A KUBE-SVC-X -j KUBE-SVC-X`. `iptables-restore` refuses a table with a loop, so such a dump
//! was edited or pasted together from several; a walk through it would never end. The jump graph is
//! walked here once, without recursion, in time linear in the number of rules.

use crate::fast_hash::FastMap;
use crate::report::FindingCode;

use svcpath_syntax::iptables::Table;

use super::Context;
use crate::report::{Finding, Severity};
use crate::MAX_JUMP_DEPTH;

/// Most loops reported per table.
const MAX_LOOPS: usize = 5;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    // One finding per code for the whole paste (the report keeps one finding per code and Service):
    // the loops and depths of every table are joined into it.
    let mut out: Vec<Finding> = Vec::new();
    for ruleset in &cx.snapshot.iptables {
        for table in &ruleset.tables {
            for f in check_table(table) {
                match out.iter_mut().find(|o| o.code == f.code) {
                    Some(o) => {
                        o.message.push(' ');
                        o.message.push_str(&f.message);
                        o.lines.extend(f.lines);
                        o.lines.sort_unstable();
                        o.lines.dedup();
                    }
                    None => out.push(f),
                }
            }
        }
    }
    out
}

/// The jump graph of one table: for each chain, the chains its rules jump or go to, with the rule's line.
fn graph(table: &Table) -> Vec<Vec<(usize, u32)>> {
    let index: FastMap<&str, usize> = table
        .chains
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.as_str(), i))
        .collect();
    table
        .chains
        .iter()
        .map(|c| {
            c.rules
                .iter()
                .filter_map(|r| {
                    let t = r.target_name()?;
                    index.get(t).map(|&to| (to, r.line))
                })
                .collect()
        })
        .collect()
}

fn check_table(table: &Table) -> Vec<Finding> {
    let edges = graph(table);
    let n = edges.len();
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        Open,
        Done,
    }
    let mut state = vec![State::New; n];
    // Longest chain of jumps below each finished chain (1 = jumps nowhere).
    let mut depth = vec![1usize; n];
    let mut next_of_deepest: Vec<Option<usize>> = vec![None; n];
    let mut loops: Vec<(Vec<usize>, Vec<u32>)> = Vec::new();
    let mut loop_count = 0usize;
    for root in 0..n {
        if state[root] != State::New {
            continue;
        }
        // Depth-first, with an explicit stack of (chain, next edge to look at, line of the jump into it).
        let mut stack: Vec<(usize, usize, u32)> = vec![(root, 0, 0)];
        state[root] = State::Open;
        while let Some(&mut (node, ref mut next, _)) = stack.last_mut() {
            if let Some(&(to, line)) = edges[node].get(*next) {
                *next += 1;
                match state[to] {
                    State::New => {
                        state[to] = State::Open;
                        stack.push((to, 0, line));
                    }
                    State::Open => {
                        // A jump back to a chain on the current path: a loop.
                        loop_count += 1;
                        if loops.len() < MAX_LOOPS {
                            let from = stack.iter().position(|&(c, _, _)| c == to).unwrap_or(0);
                            let chains: Vec<usize> =
                                stack[from..].iter().map(|&(c, _, _)| c).collect();
                            let mut lines: Vec<u32> =
                                stack[from + 1..].iter().map(|&(_, _, l)| l).collect();
                            lines.push(line);
                            loops.push((chains, lines));
                        }
                    }
                    State::Done => {
                        if depth[to] + 1 > depth[node] {
                            depth[node] = depth[to] + 1;
                            next_of_deepest[node] = Some(to);
                        }
                    }
                }
            } else {
                state[node] = State::Done;
                stack.pop();
                if let Some(&(parent, _, _)) = stack.last() {
                    if depth[node] + 1 > depth[parent] {
                        depth[parent] = depth[node] + 1;
                        next_of_deepest[parent] = Some(node);
                    }
                }
            }
        }
    }

    let name = |i: usize| table.chains.get(i).map(|c| c.name.as_str()).unwrap_or("?");
    let mut out = Vec::new();
    for (chains, lines) in &loops {
        let message = if chains.len() == 1 {
            format!(
                "Chain {} of the {} table jumps to itself (line {}). iptables-restore refuses a table with a \
                 loop, so this dump was edited or pasted together from several; svcpath does not follow the loop.",
                name(chains[0]),
                table.name,
                lines.first().copied().unwrap_or(0)
            )
        } else {
            let mut path: Vec<&str> = chains.iter().take(8).map(|&c| name(c)).collect();
            if chains.len() > 8 {
                path.push("…");
            }
            path.push(name(chains[0]));
            format!(
                "Chains of the {} table jump in a loop: {}. iptables-restore refuses a table with a loop, so this \
                 dump was edited or pasted together from several; svcpath does not follow the loop.",
                table.name,
                path.join(" → ")
            )
        };
        out.push(Finding::new(
            FindingCode::JumpLoop,
            Severity::Warning,
            None,
            lines.clone(),
            message,
        ));
    }
    if loop_count > loops.len() {
        if let Some(last) = out.last_mut() {
            last.message.push_str(&format!(
                " ({} more loops in this table are not listed.)",
                loop_count - loops.len()
            ));
        }
    }
    if let Some(deepest) = (0..n).max_by_key(|&i| depth[i]) {
        if depth[deepest] > MAX_JUMP_DEPTH {
            let mut path = vec![name(deepest)];
            let mut at = deepest;
            while let Some(next) = next_of_deepest[at] {
                if path.len() >= 6 {
                    path.push("…");
                    break;
                }
                path.push(name(next));
                at = next;
            }
            let lines = table
                .chains
                .get(deepest)
                .and_then(|c| c.rules.first())
                .map(|r| vec![r.line])
                .unwrap_or_default();
            out.push(Finding::new(
                FindingCode::JumpDepth,
                Severity::Warning,
                None,
                lines,
                format!(
                    "Jumps in the {} table nest {} chains deep ({}); svcpath follows jumps at most {MAX_JUMP_DEPTH} \
                     chains deep, so paths below that are not explained. kube-proxy's own rules nest about 6 deep.",
                    table.name,
                    depth[deepest],
                    path.join(" → ")
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use svcpath_syntax::{iptables, Origin};

    use super::*;

    fn findings(dump: &str) -> Vec<Finding> {
        let ruleset = iptables::parse(dump, Origin::START).value;
        ruleset.tables.iter().flat_map(check_table).collect()
    }

    #[test]
    fn a_chain_that_jumps_to_itself_is_reported() {
        let got = findings("*nat\n:A - [0:0]\n-A A -j A\nCOMMIT\n");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].code, "jump-loop");
        assert_eq!(got[0].lines, vec![3]);
        assert!(got[0]
            .message
            .contains("Chain A of the nat table jumps to itself (line 3)"));
    }

    #[test]
    fn a_loop_through_two_chains_names_both() {
        let got = findings(
            "*nat\n:A - [0:0]\n:B - [0:0]\n-A OUTPUT -j A\n-A A -j B\n-A B -j A\nCOMMIT\n",
        );
        assert_eq!(got.len(), 1);
        assert!(got[0].message.contains("A → B → A"), "{}", got[0].message);
        assert_eq!(got[0].lines, vec![5, 6]);
    }

    #[test]
    fn deep_nesting_is_reported_past_the_limit_only() {
        let mut dump = String::from("*filter\n");
        for i in 0..MAX_JUMP_DEPTH + 5 {
            dump.push_str(&format!("-A C{i} -j C{}\n", i + 1));
        }
        let got = findings(&dump);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].code, "jump-depth");
        assert!(got[0]
            .message
            .contains(&format!("nest {} chains deep", MAX_JUMP_DEPTH + 5)));

        let mut shallow = String::from("*filter\n");
        for i in 0..MAX_JUMP_DEPTH - 1 {
            shallow.push_str(&format!("-A C{i} -j C{}\n", i + 1));
        }
        assert!(findings(&shallow).is_empty());
    }

    #[test]
    fn a_long_chain_of_jumps_needs_no_recursion() {
        let mut dump = String::from("*filter\n");
        for i in 0..200_000 {
            dump.push_str(&format!("-A C{i} -j C{}\n", i + 1));
        }
        dump.push_str("-A C200000 -j C0\n");
        let got = findings(&dump);
        assert_eq!(got[0].code, "jump-loop");
    }
}
