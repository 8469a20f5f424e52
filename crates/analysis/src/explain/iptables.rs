//! Explains one `iptables-save` line from the syntax crate's reading of it: the words come from
//! [`tokenize_spanned`] (the tokenizer the report's parser uses, with byte ranges) and the rule from
//! [`build_rule_with_layout`] (the same rule the report analyses, with which words each match, module
//! option and target came from). Negations, option values and the module an option belongs to are the
//! parser's, never read again from the text.

use svcpath_syntax::iptables::{
    build_rule_with_layout, tokenize_spanned, BasicKind, BasicMatch, Clause, Module, OptionValue,
    Rule, RulePart, SpannedToken, Target, TargetKind,
};

use super::vocabulary::{self as v, mark_note};
use super::{part, percent, seconds, EndpointShare, Explanation, Facts, LineFacts, Part};

pub(super) fn explain(line: &str, facts: &LineFacts) -> Option<Explanation> {
    let spanned = tokenize_spanned(line);
    let words = &spanned.words;
    let first = words.first()?;
    let head = if first.token.quoted {
        ""
    } else {
        first.token.text.as_ref()
    };
    if let Some(table) = head.strip_prefix('*') {
        return Some(declaration(
            line,
            "table header",
            format!(
                "starts the {table} table: the chains and rules below, up to COMMIT, belong to it{}",
                v::meaning(v::IPTABLES_TABLES, table).unwrap_or("")
            ),
        ));
    }
    if head == "COMMIT" && words.len() == 1 {
        return Some(declaration(
            line,
            "end of table",
            "ends the table: iptables-restore applies everything since the `*table` line at once"
                .into(),
        ));
    }
    if let Some(name) = head.strip_prefix(':') {
        let policy = words.get(1).map_or("-", |w| w.token.text.as_ref());
        let meaning = if policy == "-" {
            format!(
                "declares the user chain {name}: it runs only when a rule jumps to it{}",
                v::meaning(v::IPTABLES_CHAINS, name)
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            )
        } else {
            format!(
                "the built-in chain {name}; a packet that reaches its end gets the policy {policy}; the \
                 [packets:bytes] counters follow"
            )
        };
        return Some(declaration(line, "chain declaration", meaning));
    }
    rule(line, words, spanned.unclosed.is_some(), facts)
}

fn declaration(line: &str, title: &str, meaning: String) -> Explanation {
    Explanation {
        title: title.into(),
        parts: vec![part(line, 0, line.len(), meaning, None)],
        owner: None,
        facts: Facts::default(),
    }
}

/// A `[packets:bytes] -A CHAIN …` line.
fn rule(
    line: &str,
    words: &[SpannedToken<'_>],
    cut: bool,
    facts: &LineFacts,
) -> Option<Explanation> {
    let text = |i: usize| words.get(i).map_or("", |w| w.token.text.as_ref());
    let mut parts = Vec::new();
    let mut at = 0;
    if text(0).starts_with('[') && text(0).ends_with(']') {
        parts.push(part(
            line,
            words[0].start,
            words[0].end,
            "packet and byte counters of this rule (iptables-save -c)".into(),
            None,
        ));
        at = 1;
    }
    let op = text(at);
    if !matches!(op, "-A" | "--append" | "-I" | "--insert") {
        return None;
    }
    let chain = words.get(at + 1)?.token.text.to_string();
    parts.push(part(
        line,
        words[at].start,
        words[at + 1].end,
        format!(
            "a rule of chain {chain}; rules of a chain are tried in order until one decides{}",
            v::meaning(v::IPTABLES_CHAINS, &chain)
                .map(|n| format!(" — {n}"))
                .unwrap_or_default()
        ),
        None,
    ));
    let mut body = at + 2;
    // `-I CHAIN 3 …`: the position, as the parser skips it.
    if matches!(op, "-I" | "--insert") && text(body).parse::<usize>().is_ok() {
        body += 1;
    }
    let words = &words[body.min(words.len())..];
    let (rule, _, layout) = build_rule_with_layout(words);
    let span = |c: &Clause| (words[c.words.start].start, words[c.words.end - 1].end);
    let protocol = rule
        .basic(BasicKind::Protocol)
        .map(|b| b.value.as_str().to_string());
    let mut rule_facts = Facts {
        chain: Some(chain.clone()),
        target: rule.target_name().map(str::to_string),
        ..Facts::default()
    };
    let mut k = 0;
    while k < layout.len() {
        let clause = &layout[k];
        let (start, mut end) = span(clause);
        k += 1;
        match clause.part {
            RulePart::Basic(b) => {
                parts.push(part(line, start, end, basic_meaning(&rule.basics[b]), None));
            }
            RulePart::Module(m) => {
                // The module's options written right after it belong to its note.
                while let Some(next) = layout.get(k) {
                    match next.part {
                        RulePart::ModuleOption { module, .. } if module == m => {
                            end = span(next).1;
                            k += 1;
                        }
                        _ => break,
                    }
                }
                let (meaning, term) = module_meaning(&rule, m, protocol.as_deref(), facts);
                parts.push(part(line, start, end, meaning, term));
            }
            RulePart::ModuleOption { module, .. } => {
                // An option without its `-m` right before it: the implicit module of `-p tcp --dport
                // 80` gets its own note; an option placed in an earlier `-m` is in that module's.
                if rule.modules[module].explicit {
                    continue;
                }
                while let Some(next) = layout.get(k) {
                    match next.part {
                        RulePart::ModuleOption { module: m, .. } if m == module => {
                            end = span(next).1;
                            k += 1;
                        }
                        _ => break,
                    }
                }
                let (meaning, term) = module_meaning(&rule, module, protocol.as_deref(), facts);
                parts.push(part(line, start, end, meaning, term));
            }
            RulePart::Target => {
                while let Some(next) = layout.get(k) {
                    match next.part {
                        RulePart::TargetOption(_) => {
                            end = span(next).1;
                            k += 1;
                        }
                        _ => break,
                    }
                }
                // Only the last target counts (the parser keeps it).
                let last = !layout[k..].iter().any(|c| c.part == RulePart::Target);
                if let (true, Some(target)) = (last, &rule.target) {
                    let (meaning, term) = target_meaning(target);
                    parts.push(part(line, start, end, meaning, term));
                }
            }
            RulePart::Counters => parts.push(part(
                line,
                start,
                end,
                "packet and byte counters of this rule (iptables-restore -c)".into(),
                None,
            )),
            RulePart::TargetOption(_) | RulePart::Ignored => {}
        }
    }
    if rule.module("statistic").is_some() {
        rule_facts.match_share = crate::iptables::odds::statistic_probability(&rule);
        rule_facts.endpoint_share = facts.endpoint.map(|e| e.share);
    }
    if let Some(target) = &rule.target {
        if target.name == "DNAT" {
            rule_facts.dnat_to = dnat_address(&target.options).map(str::to_string);
        }
    }
    let owner = if cut {
        // The report's parser does not read a line cut inside a quote: no rule to name the owner of.
        crate::owner::of_rule(&chain, None, None, &[])
    } else {
        crate::owner::of_iptables_rule(&chain, &rule)
    };
    if rule.target_name() == Some("REJECT") {
        reject_note(&mut parts, &rule, owner);
    }
    Some(Explanation {
        title: format!("iptables rule in chain {chain}"),
        parts,
        owner: Some(owner),
        facts: rule_facts,
    })
}

/// Who answers with this REJECT: kube-proxy for a Service without endpoints, else someone else.
fn reject_note(parts: &mut [Part], rule: &Rule, owner: crate::owner::Owner) {
    let Some(target) = parts.iter_mut().rev().find(|p| p.term == Some("reject")) else {
        return;
    };
    let kube_reject = owner == crate::owner::Owner::KubeProxy
        && rule
            .comment()
            .is_some_and(|c| c.contains("has no endpoints"));
    target.meaning.push_str(if kube_reject {
        " — kube-proxy's answer for a Service without endpoints"
    } else if owner.is_kubernetes() {
        " — a rule of kube-proxy's"
    } else {
        " — not kube-proxy's: see who wrote this rule above"
    });
}

/// The value of option `name` (without `--`) and whether it was negated.
fn option<'o>(options: &'o [OptionValue], name: &str) -> Option<(&'o str, bool)> {
    options
        .iter()
        .find(|o| o.name == name)
        .map(|o| (o.value().unwrap_or(""), o.negated))
}

fn has(options: &[OptionValue], name: &str) -> bool {
    options.iter().any(|o| o.name == name)
}

fn not(negated: bool) -> &'static str {
    if negated {
        "not "
    } else {
        ""
    }
}

fn basic_meaning(b: &BasicMatch) -> String {
    let value = b.value.as_str();
    let not = not(b.negated);
    match b.kind {
        BasicKind::Source => format!("only packets {not}from {value}{}", address_note(value)),
        BasicKind::Destination => format!(
            "only packets {not}addressed to {value}{}",
            address_note(value)
        ),
        BasicKind::Protocol => format!(
            "only {}{value} packets",
            if b.negated { "non-" } else { "" }
        ),
        BasicKind::InInterface => format!(
            "only packets {not}arriving on interface {}",
            interface(value)
        ),
        BasicKind::OutInterface => format!(
            "only packets {not}leaving through interface {}",
            interface(value)
        ),
        BasicKind::Fragment => format!(
            "{}second and later fragments of a fragmented packet",
            if b.negated {
                "everything but "
            } else {
                "only "
            }
        ),
    }
}

fn address_note(value: &str) -> &'static str {
    if value.ends_with("/32") || value.ends_with("/128") {
        " (exactly this address)"
    } else if value.contains('/') {
        " (a whole subnet)"
    } else {
        ""
    }
}

fn interface(value: &str) -> String {
    match value.strip_suffix('+') {
        Some(prefix) => format!("{value} (any interface whose name starts with {prefix})"),
        None => value.to_string(),
    }
}

fn module_meaning(
    rule: &Rule,
    index: usize,
    protocol: Option<&str>,
    facts: &LineFacts,
) -> (String, Option<&'static str>) {
    let module: &Module = &rule.modules[index];
    let name = module.name.as_str();
    let args = module.options.as_slice();
    let term = v::term(v::IPTABLES_MODULES, name);
    let meaning = match name {
        "comment" => {
            let text = option(args, "comment").map_or("", |a| a.0);
            format!(
                "a note, no effect on matching: \"{text}\"{}",
                if text.contains(" -> ") {
                    " — kube-proxy names the Service (namespace/name:port) and the endpoint this rule leads to"
                } else if text.contains('/') {
                    " — kube-proxy writes the Service as namespace/name:port"
                } else {
                    ""
                }
            )
        }
        "statistic" => statistic_meaning(rule, args, facts),
        "recent" => recent_meaning(args),
        "addrtype" => {
            let mut bits = Vec::new();
            for (key, side) in [("dst-type", "destination"), ("src-type", "source")] {
                if let Some((t, neg)) = option(args, key) {
                    let what = v::meaning(v::ADDRESS_TYPES, t)
                        .map_or_else(|| format!("of type {t}"), str::to_string);
                    bits.push(format!("the {side} is {}{what}", not(neg)));
                }
            }
            if has(args, "limit-iface-in") {
                bits.push("counting only addresses of the interface the packet came in on".into());
            }
            format!("only packets where {}", bits.join(", "))
        }
        "conntrack" | "state" => {
            let key = if name == "state" { "state" } else { "ctstate" };
            if let Some((states, neg)) = option(args, key) {
                let names: Vec<String> = states.split(',').map(v::connection_state).collect();
                format!(
                    "only packets whose connection is {}{} (connection tracking)",
                    not(neg),
                    names.join(" or ")
                )
            } else {
                let opts: Vec<String> = args
                    .iter()
                    .map(|o| {
                        let mut words = vec![format!("--{}", o.name)];
                        words.extend(o.values.iter().map(|w| w.as_str().to_string()));
                        words.join(" ")
                    })
                    .collect();
                format!("a connection-tracking match: {}", opts.join(" "))
            }
        }
        "tcp" | "udp" | "sctp" => {
            let mut bits = Vec::new();
            for (key, what) in [
                ("dport", "destination port"),
                ("destination-port", "destination port"),
                ("sport", "source port"),
                ("source-port", "source port"),
            ] {
                if let Some((value, neg)) = option(args, key) {
                    bits.push(format!("{what} {}{}", not(neg), ports(value)));
                }
            }
            if has(args, "syn") {
                bits.push("only the first packet of a TCP connection (SYN)".into());
            }
            if let Some(o) = args.iter().find(|o| o.name == "tcp-flags") {
                let flags: Vec<&str> = o.values.iter().map(|w| w.as_str()).collect();
                bits.push(format!(
                    "TCP flags {} (examined set, then those that must be set)",
                    flags.join(" ")
                ));
            }
            if bits.is_empty() {
                format!(
                    "loads the {name} match (needed after -p {} for port options); by itself it matches every {name} packet",
                    protocol.unwrap_or(name)
                )
            } else {
                format!("{name} packets with {}", bits.join(", "))
            }
        }
        "multiport" => {
            let mut bits = Vec::new();
            for (key, what) in [
                ("dports", "destination port"),
                ("destination-ports", "destination port"),
                ("sports", "source port"),
                ("source-ports", "source port"),
                ("ports", "source or destination port"),
            ] {
                if let Some((value, neg)) = option(args, key) {
                    bits.push(format!(
                        "{what} {}one of {}",
                        not(neg),
                        value.replace(',', ", ")
                    ));
                }
            }
            format!(
                "packets with {} (up to 15 ports in one rule)",
                bits.join(", ")
            )
        }
        "mark" => {
            let (value, neg) = option(args, "mark").unwrap_or(("", false));
            let (bits, mask) = value.split_once('/').unwrap_or((value, "0xffffffff"));
            format!(
                "only packets whose mark, masked with {mask}, {} {bits}{}",
                if neg { "is not" } else { "is" },
                mark_note(value)
            )
        }
        "set" => {
            let o = args.iter().find(|o| o.name == "match-set");
            let set = o.and_then(|o| o.values.first()).map_or("", |w| w.as_str());
            let flags = o.and_then(|o| o.values.get(1)).map_or("", |w| w.as_str());
            let neg = o.is_some_and(|o| o.negated);
            let what: Vec<&str> = flags
                .split(',')
                .map(|f| match f {
                    "src" => "source",
                    "dst" => "destination",
                    _ => f,
                })
                .collect();
            format!(
                "only packets whose {} {} in the ipset \"{set}\" (one hash lookup instead of a rule per entry)",
                what.join(" + "),
                if neg { "is not" } else { "is" }
            )
        }
        "nfacct" => format!(
            "counts the packet in the accounting object \"{}\"; matches always",
            option(args, "nfacct-name").map_or("", |a| a.0)
        ),
        "limit" => format!(
            "matches at most {} (a rate limit), the rest fall through",
            option(args, "limit").map_or("some packets", |a| a.0)
        ),
        "pkttype" => format!(
            "only {} packets",
            option(args, "pkt-type").map_or("some", |a| a.0)
        ),
        other => v::meaning(v::IPTABLES_MODULES, other)
            .filter(|m| !m.is_empty())
            .map_or_else(
                || format!("a match of the \"{other}\" module (svcpath has no note for it)"),
                str::to_string,
            ),
    };
    (meaning, term)
}

/// `-m statistic`: the share the draw passes (the parser's negation applied, as the report reads it)
/// and, from the report, what the endpoint gets of the Service.
fn statistic_meaning(rule: &Rule, args: &[OptionValue], facts: &LineFacts) -> String {
    let passes = crate::iptables::odds::statistic_probability(rule);
    let mut meaning = if let Some((every, neg)) = option(args, "every") {
        let packet = option(args, "packet").map_or("0", |a| a.0);
        format!(
            "matches {}every {every}th new connection that reaches this rule, starting with number {packet} (round robin)",
            if neg { "all but " } else { "" }
        )
    } else if let Some((p, neg)) = option(args, "probability") {
        let share = match (p.parse::<f64>(), passes) {
            (Ok(x), Some(passes)) if x.is_finite() => percent(passes),
            _ => format!("{}\"{p}\"", if neg { "all but " } else { "" }),
        };
        format!(
            "matches a random {share} of the new connections that reach this rule (the first packet \
             decides; conntrack keeps the rest of the connection on the same path)"
        )
    } else {
        return "a statistic match (random or every-nth)".into();
    };
    if let (Some(endpoint), Some(passes)) = (facts.endpoint, passes) {
        meaning.push_str(&cascade_note(passes, endpoint));
    }
    meaning
}

/// Where this rule stands in its chain's cascade, from the report's endpoint shares. The steps are
/// spelled out only when they multiply out to the report's share (one rule for the endpoint).
fn cascade_note(passes: f64, endpoint: EndpointShare) -> String {
    let EndpointShare {
        share,
        earlier,
        left_over,
    } = endpoint;
    if (passes * left_over - share).abs() > 1e-9 {
        return format!(
            "; the report gives this endpoint {} of all new connections to the Service",
            percent(share)
        );
    }
    if earlier == 0 {
        format!(
            "; it is the first such rule of its chain, so this endpoint gets {} of all new connections \
             to the Service",
            percent(share)
        )
    } else {
        format!(
            "; only the {} left over by the {} rule{} before it get here, so this endpoint gets {} \
             of all new connections to the Service",
            percent(left_over),
            earlier,
            if earlier == 1 { "" } else { "s" },
            percent(share)
        )
    }
}

fn recent_meaning(args: &[OptionValue]) -> String {
    let name = option(args, "name").map_or("DEFAULT", |a| a.0);
    let side = if has(args, "rdest") {
        "destination"
    } else {
        "source (client)"
    };
    let mask = option(args, "mask")
        .map(|m| format!(" (masked with {})", m.0))
        .unwrap_or_default();
    if has(args, "set") {
        format!(
            "session affinity: records this packet's {side} address{mask} in the list \"{name}\", so later \
             connections from the same client are sent to this same endpoint"
        )
    } else if has(args, "rcheck") || has(args, "update") {
        let within = option(args, "seconds")
            .map(|s| format!(" within the last {}", seconds(s.0)))
            .unwrap_or_default();
        let reap = if has(args, "reap") {
            "; --reap forgets older entries"
        } else {
            ""
        };
        let update = if has(args, "update") {
            " (and refreshes its time)"
        } else {
            ""
        };
        format!(
            "session affinity: matches when the {side} address{mask} is in the list \"{name}\"{within}{update}, \
             i.e. a returning client goes back to the endpoint it had{reap}"
        )
    } else if has(args, "remove") {
        format!("removes the {side} address from the list \"{name}\"")
    } else {
        format!("checks the recently-seen list \"{name}\"")
    }
}

fn ports(value: &str) -> String {
    match value.split_once(':') {
        Some((a, b)) => format!("{a} to {b}"),
        None => value.to_string(),
    }
}

fn target_meaning(target: &Target) -> (String, Option<&'static str>) {
    let name = target.name.as_str();
    let args = target.options.as_slice();
    let goto = target.kind == TargetKind::Goto;
    let term = v::term(v::IPTABLES_TARGETS, name);
    let meaning = match name {
        "DNAT" => {
            let given = args.iter().filter(|o| o.name == "to-destination").count();
            format!(
                "rewrites the destination to {}: the connection now goes to this endpoint; conntrack \
                 remembers it and rewrites the replies back{}",
                dnat_address(args).unwrap_or("an address the line does not give"),
                if given > 1 {
                    "; the line is garbled (several --to-destination): the last address is the one \
                     the kernel got, as the report reads it"
                } else {
                    ""
                }
            )
        }
        "SNAT" => format!(
            "rewrites the source to {}",
            option(args, "to-source").map_or("the given address", |a| a.0)
        ),
        "MASQUERADE" => format!(
            "rewrites the source address to the address of the interface the packet leaves on, so \
             replies come back through this node{}",
            if has(args, "random-fully") {
                "; --random-fully picks the source port at random, which avoids port collisions (conntrack \
                 insert failures) under many connections"
            } else {
                ""
            }
        ),
        "MARK" => mark_target(args),
        "REJECT" => format!(
            "refuses the packet and answers the sender with {}: the client gets an immediate error instead \
             of a timeout",
            option(args, "reject-with").map_or("an ICMP port-unreachable", |a| a.0)
        ),
        "KUBE-MARK-MASQ" => format!(
            "{} KUBE-MARK-MASQ, which sets mark bit 0x4000: the packet will be masqueraded in KUBE-POSTROUTING",
            if goto { "goes to" } else { "jumps to" }
        ),
        other => match v::meaning(v::IPTABLES_TARGETS, other).filter(|m| !m.is_empty()) {
            Some(fixed) => fixed.to_string(),
            None => {
                let how = if goto {
                    "goes to (without returning here)"
                } else {
                    "jumps to"
                };
                let note = v::meaning(v::IPTABLES_CHAINS, other)
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default();
                return (
                    format!("{how} {other}{note}"),
                    v::term(v::IPTABLES_CHAINS, other),
                );
            }
        },
    };
    (meaning, term)
}

/// The address a DNAT target rewrites to: the last non-empty `--to-destination`, as the report reads
/// a garbled rule that prints several.
fn dnat_address(options: &[OptionValue]) -> Option<&str> {
    options
        .iter()
        .rev()
        .filter(|o| o.name == "to-destination")
        .find_map(|o| o.value().filter(|v| !v.is_empty()))
}

/// `-j MARK --set-xmark value/mask` (mark = (mark AND NOT mask) XOR value) and its other forms.
fn mark_target(args: &[OptionValue]) -> String {
    if let Some((value, _)) = option(args, "set-xmark") {
        let (bits, mask) = value.split_once('/').unwrap_or((value, "0xffffffff"));
        let zero = |x: &str| {
            x.trim_start_matches("0x")
                .trim_start_matches('0')
                .is_empty()
        };
        let (what, named) = if bits == mask && !zero(bits) {
            (format!("sets bit {bits} of the packet mark"), bits)
        } else if zero(bits) {
            (format!("clears bit(s) {mask} of the packet mark"), mask)
        } else if zero(mask) {
            (
                format!(
                    "flips bit {bits} of the packet mark (value/mask with mask 0 is an XOR); \
                     the bit was set, so this clears it before the packet leaves"
                ),
                bits,
            )
        } else {
            (format!("sets the packet mark bits {mask} to {bits}"), mask)
        };
        format!("{what}{}", mark_note(named))
    } else if let Some((value, _)) = option(args, "or-mark") {
        format!("sets bit {value} of the packet mark{}", mark_note(value))
    } else if let Some((value, _)) = option(args, "xor-mark") {
        format!(
            "flips bit {value} of the packet mark (it was set, so this clears it before the packet leaves){}",
            mark_note(value)
        )
    } else if let Some((value, _)) = option(args, "set-mark") {
        format!("sets the packet mark to {value}{}", mark_note(value))
    } else {
        "changes the packet mark".into()
    }
}
