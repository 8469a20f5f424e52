//! Explains one line of `nft list ruleset` output or an `nft -f` command: its statements, one by one.

use super::vocabulary::{self as v, mark_note};
use super::words::nft_words as words;
use super::*;

pub(super) fn explain(line: &str) -> Option<Explanation> {
    let ws = words(line);
    let first = ws.first()?.text.as_str();
    if matches!(
        first,
        "table" | "chain" | "map" | "set" | "}" | "elements" | "comment"
    ) && !line.contains(" jump ")
        && !line.contains(" goto ")
    {
        let declaration = v::lookup(v::NFT_DECLARATIONS, first)?;
        return Some(Explanation {
            title: "nftables declaration".into(),
            parts: vec![part(
                line,
                ws[0].start,
                line.len(),
                declaration.meaning.to_string(),
                declaration.term,
            )],
            owner: None,
            facts: Facts::default(),
        });
    }
    // An `add rule ip TABLE CHAIN …` line (nft -f syntax): skip the prefix.
    let mut i = 0;
    if first == "add" && ws.get(1).is_some_and(|w| w.text == "rule") {
        i = 5.min(ws.len());
    }
    if first == "type" {
        let hook = ws
            .iter()
            .position(|w| w.text == "hook")
            .and_then(|k| ws.get(k + 1))
            .map_or("", |w| w.text.as_str());
        return Some(Explanation {
            title: "base chain".into(),
            parts: vec![part(
                line,
                ws[0].start,
                line.len(),
                format!("makes this a base chain on the {hook} hook: packets enter it there, in priority order with other tables"),
                Some("nftables"),
            )],
            owner: None,
            facts: Facts::default(),
        });
    }
    let body_start = i;
    let mut parts = Vec::new();
    while i < ws.len() {
        let t = ws[i].text.as_str();
        let start = ws[i].start;
        let next = |k: usize| ws.get(i + k).map_or("", |w| w.text.as_str());
        let end_of = |k: usize| {
            ws.get((i + k).min(ws.len() - 1))
                .map_or(line.len(), |w| w.end)
        };
        // The end of a `{ … }` group starting at word `from`.
        let close = |from: usize| -> usize {
            let mut depth = 0i32;
            for (k, w) in ws.iter().enumerate().skip(from) {
                depth += w.raw.matches('{').count() as i32;
                depth -= w.raw.matches('}').count() as i32;
                if depth <= 0 && k > from {
                    return k;
                }
            }
            ws.len() - 1
        };
        match t {
            "numgen" => {
                let n = if next(1) == "random" && next(2) == "mod" {
                    next(3)
                } else {
                    ""
                };
                let k = if next(4) == "vmap" {
                    close(5)
                } else {
                    (i + 3).min(ws.len() - 1)
                };
                let share = n
                    .parse::<f64>()
                    .ok()
                    .filter(|n| *n >= 1.0)
                    .map(|n| percent(1.0 / n))
                    .unwrap_or_default();
                parts.push(part(
                    line,
                    start,
                    ws[k].end,
                    format!(
                        "picks a random number from 0 to {} for each new connection and goes to the chain the \
                         verdict map gives for it: each of the {n} endpoints gets {share} of new connections",
                        n.parse::<u64>().map_or("N-1".to_string(), |n| n.saturating_sub(1).to_string())
                    ),
                    Some("numgen"),
                ));
                i = k + 1;
            }
            "vmap" => {
                let k = if next(1).starts_with('{') {
                    close(i + 1)
                } else {
                    i + 1
                };
                let k = k.min(ws.len() - 1);
                let target = if next(1).starts_with('@') {
                    format!("the verdict map {}", next(1).trim_start_matches('@'))
                } else {
                    "the verdict map written here".into()
                };
                parts.push(part(
                    line,
                    start,
                    ws[k].end,
                    format!("looks the key before it up in {target} and goes to the chain found there (one lookup for every Service, whatever their number); no entry: the rule does not match"),
                    Some("verdict-map"),
                ));
                i = k + 1;
            }
            "ip" | "ip6" | "tcp" | "udp" | "sctp" | "th" | "meta" | "ct" | "fib" | "mark" => {
                // A selector (possibly a concatenation `a . b . c`), an optional operator and a value.
                let mut k = i;
                let mut key = Vec::new();
                loop {
                    let a = ws.get(k).map_or("", |w| w.text.as_str());
                    let b = ws.get(k + 1).map_or("", |w| w.text.as_str());
                    if matches!(
                        a,
                        "meta" | "ct" | "ip" | "ip6" | "tcp" | "udp" | "sctp" | "th"
                    ) && !b.is_empty()
                    {
                        key.push(format!("{a} {b}"));
                        k += 2;
                    } else if a == "mark" {
                        key.push("meta mark".into());
                        k += 1;
                    } else if a == "fib" {
                        let third = ws.get(k + 2).map_or("", |w| w.text.as_str());
                        key.push(format!("fib {b} {third}"));
                        k += 3;
                    } else {
                        break;
                    }
                    if ws.get(k).is_some_and(|w| w.text == ".") {
                        k += 1;
                        continue;
                    }
                    break;
                }
                if key.is_empty() {
                    i += 1;
                    continue;
                }
                let key_text = key.join(" . ");
                let op = ws.get(k).map_or("", |w| w.text.as_str());
                if op == "vmap" {
                    // Leave the lookup to the `vmap` arm, with the key named.
                    parts.push(part(
                        line,
                        start,
                        ws[k - 1].end,
                        format!("the lookup key: {}", describe_key(&key_text)),
                        None,
                    ));
                    i = k;
                    continue;
                }
                if op == "set" {
                    let value_end = (k + 1..ws.len())
                        .find(|&x| {
                            matches!(
                                ws[x].text.as_str(),
                                "counter"
                                    | "jump"
                                    | "goto"
                                    | "return"
                                    | "accept"
                                    | "drop"
                                    | "masquerade"
                            )
                        })
                        .map_or(ws.len() - 1, |x| x - 1);
                    let from = ws.get(k + 1).map_or(line.len(), |w| w.start);
                    let value = line
                        .get(from..ws[value_end.max(k)].end)
                        .unwrap_or("")
                        .to_string();
                    parts.push(part(
                        line,
                        start,
                        ws[value_end.max(k)].end,
                        format!("sets {} to {value}{}", key_text, nft_mark_note(&value)),
                        Some("kube-mark-masq"),
                    ));
                    i = value_end.max(k) + 1;
                    continue;
                }
                let (neg, vk) = match op {
                    "!=" => (true, k + 1),
                    "==" => (false, k + 1),
                    _ => (false, k),
                };
                // `mark and 0x4000 == 0`
                if op == "and" {
                    let mask = ws.get(k + 1).map_or("", |w| w.text.as_str());
                    let cmp = ws.get(k + 2).map_or("", |w| w.text.as_str());
                    let val = ws.get(k + 3).map_or("", |w| w.text.as_str());
                    let e = (k + 3).min(ws.len() - 1);
                    parts.push(part(
                        line,
                        start,
                        ws[e].end,
                        format!(
                            "only packets whose mark, masked with {mask}, is {}{val}{}",
                            if cmp == "!=" { "not " } else { "" },
                            mark_note(mask)
                        ),
                        Some("kube-mark-masq"),
                    ));
                    i = e + 1;
                    continue;
                }
                let Some(vw) = ws.get(vk) else {
                    break;
                };
                let mut ve = vk;
                if vw.raw.starts_with('{') {
                    ve = close(vk);
                } else {
                    // A list without braces: `ct state related,established`.
                    while ws.get(ve + 1).is_some_and(|w| w.text == ",") && ve + 2 < ws.len() {
                        ve += 2;
                    }
                }
                let value: String = line.get(ws[vk].start..ws[ve].end).unwrap_or("").to_string();
                parts.push(part(
                    line,
                    start,
                    ws[ve].end,
                    selector_meaning(&key_text, &value, neg),
                    selector_term(&key_text),
                ));
                i = ve + 1;
            }
            "dnat" | "snat" => {
                let mut k = i + 1;
                if matches!(next(1), "ip" | "ip6") {
                    k += 1;
                }
                if ws.get(k).is_some_and(|w| w.text == "to") {
                    k += 1;
                }
                let k = k.min(ws.len() - 1);
                let to = ws[k].text.clone();
                let (meaning, term) = if t == "dnat" {
                    (format!("rewrites the destination to {to}: the connection now goes to this endpoint; conntrack rewrites the replies back"), "dnat")
                } else {
                    (format!("rewrites the source to {to}"), "snat")
                };
                parts.push(part(line, start, ws[k].end, meaning, Some(term)));
                i = k + 1;
            }
            "masquerade" => {
                let fully = next(1) == "fully-random";
                let e = if fully { i + 1 } else { i };
                parts.push(part(
                    line,
                    start,
                    ws[e].end,
                    format!(
                        "rewrites the source address to the address of the interface the packet leaves on, so replies come back through this node{}",
                        if fully { "; fully-random picks source ports at random, avoiding collisions under many connections" } else { "" }
                    ),
                    Some("masquerade"),
                ));
                i = e + 1;
            }
            "jump" | "goto" => {
                let target = next(1);
                parts.push(part(
                    line,
                    start,
                    end_of(1),
                    format!(
                        "{} chain {target}{}",
                        if t == "jump" {
                            "jumps to"
                        } else {
                            "goes to (without returning here)"
                        },
                        nft_chain_note(target)
                    ),
                    None,
                ));
                i += 2;
            }
            "reject" | "drop" | "accept" | "return" => {
                let e = if t == "reject" && next(1) == "with" {
                    (i + 3).min(ws.len() - 1)
                } else {
                    i
                };
                if let Some(verdict) = v::lookup(v::NFT_VERDICTS, t) {
                    parts.push(part(
                        line,
                        start,
                        ws[e].end,
                        verdict.meaning.into(),
                        verdict.term,
                    ));
                }
                i = e + 1;
            }
            "counter" => {
                let e = if next(1) == "packets" {
                    (i + 4).min(ws.len() - 1)
                } else {
                    i
                };
                parts.push(part(
                    line,
                    start,
                    ws[e].end,
                    "counts packets and bytes; no effect on matching".into(),
                    None,
                ));
                i = e + 1;
            }
            "comment" => {
                parts.push(part(
                    line,
                    start,
                    end_of(1),
                    format!("a note, no effect on matching: \"{}\"", next(1)),
                    None,
                ));
                i += 2;
            }
            _ => i += 1,
        }
    }
    let body = line
        .get(ws.get(body_start).map_or(line.len(), |w| w.start)..)
        .unwrap_or("");
    let facts = rule_facts(body, (body_start == 5).then(|| ws[4].text.clone()));
    Some(Explanation {
        title: "nftables rule".into(),
        parts,
        owner: None,
        facts,
    })
}

/// The rule's verdict and DNAT address as the syntax crate's nft parser reads `body` (the rule
/// without an `add rule FAMILY TABLE CHAIN` prefix).
fn rule_facts(body: &str, chain: Option<String>) -> Facts {
    let rule = svcpath_syntax::nft::Rule {
        exprs: svcpath_syntax::nft::parse_rule_text(body),
        ..Default::default()
    };
    let dnat_to = rule.exprs.iter().find_map(|e| match e {
        svcpath_syntax::nft::Expr::Nat(n) if n.kind == svcpath_syntax::nft::NatKind::Dnat => {
            n.to.clone()
        }
        _ => None,
    });
    Facts {
        chain,
        target: rule.verdict().map(svcpath_syntax::nft::Verdict::text),
        dnat_to,
        ..Facts::default()
    }
}

/// The owner of an nft rule written as `add rule FAMILY TABLE CHAIN …`, which names its table and
/// chain itself; a rule listed inside its table takes its owner from the analysis ([`LineFacts`]).
///
/// [`LineFacts`]: super::LineFacts
pub(super) fn owner_from_prefix(line: &str) -> Option<crate::owner::Owner> {
    let ws = words(line);
    let text = |i: usize| ws.get(i).map_or("", |w| w.text.as_str());
    if !(text(0) == "add" && text(1) == "rule" && ws.len() > 4) {
        return None;
    }
    let comment = ws
        .windows(2)
        .find(|pair| pair[0].text == "comment" && pair[1].raw.starts_with('"'))
        .map(|pair| pair[1].text.as_str());
    let table = format!("{} {}", text(2), text(3));
    Some(crate::owner::of_nft_rule(&table, text(4), line, comment))
}

fn describe_key(key: &str) -> String {
    key.split(" . ")
        .map(|k| v::meaning(v::NFT_KEYS, k).unwrap_or(k))
        .collect::<Vec<_>>()
        .join(" + ")
}

fn selector_meaning(key: &str, value: &str, neg: bool) -> String {
    let not = if neg { "not " } else { "" };
    if key.starts_with("fib ") {
        let what = if key.contains("saddr") {
            "source"
        } else {
            "destination"
        };
        if value == "local" {
            return format!("only packets whose {what} is {not}one of the node's own addresses (a routing lookup)");
        }
        return format!("only packets whose {what} route type is {not}{value}");
    }
    if key == "ct state" {
        let names: Vec<String> = value
            .split(',')
            .map(|s| v::connection_state(&s.trim().to_uppercase()))
            .collect();
        return format!(
            "only packets whose connection is {not}{} (connection tracking)",
            names.join(" or ")
        );
    }
    if let Some(set) = value.strip_prefix('@') {
        return format!(
            "only packets whose {} is {not}in the set {set}",
            describe_key(key)
        );
    }
    format!("only packets whose {} is {not}{value}", describe_key(key))
}

fn selector_term(key: &str) -> Option<&'static str> {
    v::term(v::NFT_SELECTORS, key)
        .or_else(|| v::term(v::NFT_SELECTORS, key.split(' ').next().unwrap_or("")))
}

fn nft_mark_note(value: &str) -> &'static str {
    if value.contains("0x00004000") || value.contains("0x4000") {
        if value.contains('^') || value.contains("xor") {
            ": flips kube-proxy's masquerade bit 0x4000 (clears it before the packet leaves)"
        } else {
            ": sets kube-proxy's masquerade bit 0x4000; the masquerading chain acts on it in postrouting"
        }
    } else {
        ""
    }
}

fn nft_chain_note(chain: &str) -> &'static str {
    v::meaning(v::NFT_CHAINS, chain).unwrap_or("")
}
