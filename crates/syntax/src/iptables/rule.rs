//! Building a `Rule` from its words (matches, modules, target) and writing it back.

use super::*;

/// Which module an option belongs to, for options written after several `-m` modules.
fn modules_of_option(option: &str) -> &'static [&'static str] {
    match option {
        "comment" => &["comment"],
        "dport" | "sport" | "destination-port" | "source-port" => {
            &["tcp", "udp", "sctp", "udplite", "dccp"]
        }
        "tcp-flags" | "syn" | "tcp-option" => &["tcp"],
        "dports" | "sports" | "ports" => &["multiport"],
        "mode" | "probability" | "every" | "packet" => &["statistic"],
        "name" | "set" | "rcheck" | "update" | "remove" | "seconds" | "reap" | "hitcount"
        | "rttl" | "rsource" | "rdest" | "mask" => &["recent"],
        "mark" => &["mark", "connmark"],
        "src-type" | "dst-type" | "limit-iface-in" | "limit-iface-out" => &["addrtype"],
        "ctstate" | "ctproto" | "ctorigsrc" | "ctorigdst" | "ctreplsrc" | "ctrepldst"
        | "ctorigsrcport" | "ctorigdstport" | "ctreplsrcport" | "ctrepldstport" | "ctstatus"
        | "ctexpire" | "ctdir" => &["conntrack"],
        "state" => &["state"],
        "match-set" | "return-nomatch" | "update-counters" | "update-subcounters"
        | "packets-eq" | "packets-lt" | "packets-gt" | "bytes-eq" | "bytes-lt" | "bytes-gt" => {
            &["set"]
        }
        "physdev-in" | "physdev-out" | "physdev-is-in" | "physdev-is-out"
        | "physdev-is-bridged" => &["physdev"],
        "nfacct-name" => &["nfacct"],
        "icmp-type" => &["icmp"],
        "icmpv6-type" => &["icmp6", "icmpv6"],
        "src-range" | "dst-range" => &["iprange"],
        _ => &[],
    }
}

/// How many values an option takes, when known. `None`: all following words that are not options.
fn option_arity(option: &str) -> Option<usize> {
    Some(match option {
        "set" | "rcheck" | "update" | "remove" | "reap" | "rsource" | "rdest" | "rttl" | "syn"
        | "random" | "random-fully" | "persistent" | "physdev-is-in" | "physdev-is-out"
        | "physdev-is-bridged" | "return-nomatch" | "limit-iface-in" | "limit-iface-out" => 0,
        "match-set" | "tcp-flags" => 2,
        "comment" | "dport" | "sport" | "dports" | "sports" | "ports" | "mode" | "probability"
        | "every" | "packet" | "name" | "seconds" | "hitcount" | "mask" | "mark" | "src-type"
        | "dst-type" | "ctstate" | "state" | "to-destination" | "to-source" | "to-ports"
        | "set-xmark" | "set-mark" | "or-mark" | "and-mark" | "xor-mark" | "reject-with"
        | "nfacct-name" | "physdev-in" | "physdev-out" | "icmp-type" | "to" | "log-prefix"
        | "log-level" | "nflog-group" | "nflog-prefix" => 1,
        _ => return None,
    })
}

/// Whether a word after `--option` is its value rather than the next option (`--x`, `-m`, `!`).
fn is_option_value(word: &str) -> bool {
    let long_option = word.starts_with("--");
    let short_option = word.starts_with('-') && word.len() == 2 && word != "-1";
    !long_option && !short_option && word != "!"
}

/// Builds a rule from its words (after `-A CHAIN`). Returns the rule and messages about words it
/// could not place.
pub fn build_rule<W: RuleWord>(words: &[W]) -> (Rule, Vec<String>) {
    build_rule_with(words, &mut Interner::default())
}

/// The indices of a rule's modules by name, so that placing an option does not scan the rule (a long
/// line of modules would be quadratic): a short list scanned from the end, a map past a few entries.
enum ModuleIndex {
    Few(SmallVec<[(Word, usize); 8]>),
    Many(FastMap<Word, usize>),
}

impl ModuleIndex {
    const FEW: usize = 8;

    fn get(&self, name: &str) -> Option<usize> {
        match self {
            ModuleIndex::Few(list) => list.iter().rev().find(|(n, _)| n == name).map(|(_, i)| *i),
            ModuleIndex::Many(map) => map.get(name).copied(),
        }
    }

    fn insert(&mut self, name: Word, index: usize) {
        match self {
            ModuleIndex::Few(list) if list.len() < Self::FEW => list.push((name, index)),
            ModuleIndex::Few(list) => {
                let mut map: FastMap<Word, usize> = list.drain(..).collect();
                map.insert(name, index);
                *self = ModuleIndex::Many(map);
            }
            ModuleIndex::Many(map) => {
                map.insert(name, index);
            }
        }
    }
}

/// [`build_rule`] sharing the words of one whole parse.
/// A [`Module`] while its rule is read: options gathered inline, moved to the heap once, at their final
/// size.
struct ModuleBeingBuilt {
    name: Word,
    explicit: bool,
    options: SmallVec<[OptionValue; 2]>,
}

/// The items of `list` in a vector without spare capacity.
fn exact<A: smallvec::Array>(list: SmallVec<A>) -> Vec<A::Item> {
    let mut items = list.into_vec();
    items.shrink_to_fit();
    items
}

pub(super) fn build_rule_with<W: RuleWord>(
    words: &[W],
    interner: &mut Interner,
) -> (Rule, Vec<String>) {
    build_rule_noting(words, interner, None)
}

/// [`build_rule`] that also says which words each part of the rule came from (for a front end that
/// points at the options of a line, e.g. with the ranges of [`super::tokenize_spanned`]).
pub fn build_rule_with_layout<W: RuleWord>(words: &[W]) -> (Rule, Vec<String>, Vec<Clause>) {
    let mut layout = Vec::new();
    let (rule, problems) = build_rule_noting(words, &mut Interner::default(), Some(&mut layout));
    (rule, problems, layout)
}

/// Which words (indices into the words given to [`build_rule_with_layout`], a `!` before them
/// included) one part of the parsed [`Rule`] was read from, in the order written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub part: RulePart,
    pub words: std::ops::Range<usize>,
}

/// The part of a [`Rule`] a [`Clause`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RulePart {
    /// `rule.basics[i]`: `-s`, `-d`, `-p`, `-i`, `-o`, `-f`.
    Basic(usize),
    /// `-m NAME`: `rule.modules[i]`.
    Module(usize),
    /// An option of a module: `rule.modules[module].options[option]`.
    ModuleOption { module: usize, option: usize },
    /// `-j NAME` / `-g NAME`: `rule.target`.
    Target,
    /// `rule.target.options[i]`.
    TargetOption(usize),
    /// `-c PACKETS BYTES`.
    Counters,
    /// Words that belong to no option (the rule's problems name them).
    Ignored,
}

fn build_rule_noting<W: RuleWord>(
    words: &[W],
    interner: &mut Interner,
    mut layout: Option<&mut Vec<Clause>>,
) -> (Rule, Vec<String>) {
    let mut note = |part: RulePart, words: std::ops::Range<usize>| {
        if let Some(layout) = layout.as_deref_mut() {
            layout.push(Clause { part, words });
        }
    };
    // Where the `!` of the option being read stands, for the layout.
    let mut negation_at: Option<usize> = None;
    let quoted: SmallVec<[bool; 32]> = words.iter().map(RuleWord::quoted).collect();
    let is_quoted = |i: usize| quoted.get(i).copied().unwrap_or(false);
    let words: SmallVec<[&str; 32]> = words.iter().map(RuleWord::text).collect();
    let mut rule = Rule::default();
    let mut basics: SmallVec<[BasicMatch; 4]> = SmallVec::new();
    let mut modules: SmallVec<[ModuleBeingBuilt; 4]> = SmallVec::new();
    let mut target_options: SmallVec<[OptionValue; 2]> = SmallVec::new();
    let mut problems = Vec::new();
    let mut i = 0;
    let mut negate = false;
    let mut in_target = false;
    // The last module of each name and the first protocol, so that placing an option does not scan
    // the rule (which would make a long line quadratic).
    let mut last_module = ModuleIndex::Few(SmallVec::new());
    let mut protocol: Option<Word> = None;
    while i < words.len() {
        let w = words[i];
        if w == "!" && !is_quoted(i) {
            negate = true;
            negation_at.get_or_insert(i);
            i += 1;
            continue;
        }
        let from = negation_at.take().unwrap_or(i);
        let basic = match w {
            "-p" | "--protocol" => Some(BasicKind::Protocol),
            "-s" | "--source" | "--src" => Some(BasicKind::Source),
            "-d" | "--destination" | "--dst" => Some(BasicKind::Destination),
            "-i" | "--in-interface" => Some(BasicKind::InInterface),
            "-o" | "--out-interface" => Some(BasicKind::OutInterface),
            "-f" | "--fragment" => Some(BasicKind::Fragment),
            _ => None,
        };
        if let Some(kind) = basic {
            if kind == BasicKind::Fragment {
                basics.push(BasicMatch {
                    kind,
                    negated: negate,
                    value: Word::default(),
                });
                note(RulePart::Basic(basics.len() - 1), from..i + 1);
                negate = false;
                i += 1;
                continue;
            }
            let mut j = i + 1;
            // Old iptables wrote `-s ! 10.0.0.0/8`.
            if words.get(j).copied() == Some("!") && !is_quoted(j) {
                negate = true;
                j += 1;
            }
            match words.get(j) {
                Some(v) if !v.starts_with('-') || kind != BasicKind::Protocol => {
                    if kind == BasicKind::Protocol && protocol.is_none() {
                        protocol = Some(if v.bytes().any(|b| b.is_ascii_uppercase()) {
                            interner.intern(&v.to_ascii_lowercase())
                        } else {
                            interner.intern(v)
                        });
                    }
                    basics.push(BasicMatch {
                        kind,
                        negated: negate,
                        value: interner.intern(v),
                    });
                    note(RulePart::Basic(basics.len() - 1), from..j + 1);
                    i = j + 1;
                }
                _ => {
                    problems.push(format!("{w} without a value"));
                    note(RulePart::Ignored, from..j);
                    i = j;
                }
            }
            negate = false;
            continue;
        }
        match w {
            "-m" | "--match" => {
                match words.get(i + 1) {
                    Some(name) => {
                        let name = interner.intern(name);
                        modules.push(ModuleBeingBuilt {
                            name: name.clone(),
                            explicit: true,
                            options: SmallVec::new(),
                        });
                        last_module.insert(name, modules.len() - 1);
                        in_target = false;
                        note(RulePart::Module(modules.len() - 1), from..i + 2);
                    }
                    None => {
                        problems.push("-m without a module name".to_string());
                        note(RulePart::Ignored, from..i + 1);
                    }
                }
                if negate {
                    problems.push(format!("`!` before {w} has no meaning and was ignored"));
                }
                negate = false;
                i += 2;
                continue;
            }
            "-j" | "--jump" | "-g" | "--goto" => {
                match words.get(i + 1) {
                    Some(name) => {
                        if rule.target.is_some() {
                            problems.push(format!(
                                "a second target {} (only the last counts)",
                                quote(name)
                            ));
                        }
                        rule.target = Some(Target {
                            kind: if w == "-g" || w == "--goto" {
                                TargetKind::Goto
                            } else {
                                TargetKind::Jump
                            },
                            name: interner.intern(name),
                            options: Vec::new(),
                        });
                        target_options.clear();
                        in_target = true;
                        note(RulePart::Target, from..i + 2);
                    }
                    None => {
                        problems.push(format!("{w} without a target"));
                        note(RulePart::Ignored, from..i + 1);
                    }
                }
                negate = false;
                i += 2;
                continue;
            }
            "-c" | "--set-counters" => {
                let p = words.get(i + 1).and_then(|v| v.parse().ok());
                let b = words.get(i + 2).and_then(|v| v.parse().ok());
                if let (Some(packets), Some(bytes)) = (p, b) {
                    rule.counters = Some(Counters { packets, bytes });
                } else {
                    problems.push("-c without two numbers".to_string());
                }
                note(RulePart::Counters, from..(i + 3).min(words.len()));
                i += 3;
                continue;
            }
            _ => {}
        }
        if let Some(name) = w.strip_prefix("--") {
            let name = interner.intern(name);
            let mut j = i + 1;
            let mut values = SmallVec::new();
            let arity = option_arity(&name);
            loop {
                if arity.is_some_and(|a| values.len() >= a) {
                    break;
                }
                match words.get(j) {
                    Some(v)
                        if *v == "!"
                            && !is_quoted(j)
                            && values.is_empty()
                            && words.get(j + 1).is_some_and(|n| !n.starts_with("--")) =>
                    {
                        // Old style `--option ! value`.
                        negate = true;
                        j += 1;
                    }
                    // A quoted word is the value an option with a known number of values still
                    // waits for (getopt's required argument); otherwise its look decides.
                    Some(v) if (is_quoted(j) && arity.is_some()) || is_option_value(v) => {
                        values.push(interner.intern(v));
                        j += 1;
                    }
                    _ => break,
                }
            }
            if arity.is_some_and(|a| values.len() < a) && !(name == "comment" && values.is_empty())
            {
                problems.push(format!("--{name} is missing a value"));
            }
            let option = OptionValue {
                name: name.clone(),
                negated: negate,
                values,
            };
            negate = false;
            let clause = from..j;
            i = j;
            if in_target {
                if rule.target.is_some() {
                    target_options.push(option);
                    note(RulePart::TargetOption(target_options.len() - 1), clause);
                }
                continue;
            }
            let owners = modules_of_option(&name);
            let index = owners
                .iter()
                .filter_map(|o| last_module.get(o))
                .max()
                .or_else(|| {
                    // `-p tcp --dport 80` without `-m tcp`: the protocol's implicit module.
                    match &protocol {
                        Some(p) if owners.contains(&p.as_str()) => {
                            modules.push(ModuleBeingBuilt {
                                name: p.clone(),
                                explicit: false,
                                options: SmallVec::new(),
                            });
                            last_module.insert(p.clone(), modules.len() - 1);
                            Some(modules.len() - 1)
                        }
                        _ => None,
                    }
                })
                .or_else(|| {
                    if owners.is_empty() {
                        modules.len().checked_sub(1)
                    } else {
                        None
                    }
                });
            match index {
                Some(m) => {
                    modules[m].options.push(option);
                    let option = modules[m].options.len() - 1;
                    note(RulePart::ModuleOption { module: m, option }, clause);
                }
                None => {
                    problems.push(format!(
                        "--{name} belongs to no -m module on this line; kept as its own module"
                    ));
                    let name = interner.intern(owners.first().copied().unwrap_or("unknown"));
                    modules.push(ModuleBeingBuilt {
                        name: name.clone(),
                        explicit: false,
                        options: smallvec::smallvec![option],
                    });
                    last_module.insert(name, modules.len() - 1);
                    let module = modules.len() - 1;
                    note(RulePart::ModuleOption { module, option: 0 }, clause);
                }
            }
            continue;
        }
        // A stray word: the value of nothing.
        let mut extra = vec![w.to_string()];
        while let Some(next) = words.get(i + extra.len()) {
            if next.starts_with('-') || *next == "!" {
                break;
            }
            extra.push(next.to_string());
        }
        problems.push(format!(
            "ignored words that belong to no option: {}",
            quote(&extra.join(" "))
        ));
        note(RulePart::Ignored, from..i + extra.len());
        i += extra.len();
        negate = false;
    }
    // A dump holds hundreds of thousands of rules for as long as it is explained: the rule's lists
    // are allocated once, at their final size.
    rule.basics = exact(basics);
    rule.modules = modules
        .into_iter()
        .map(|m| Module {
            name: m.name,
            explicit: m.explicit,
            options: exact(m.options),
        })
        .collect();
    if let Some(target) = rule.target.as_mut() {
        target.options = exact(target_options);
    }
    (rule, problems)
}

/// Writes a rule back in `iptables-save` syntax (without the `-A CHAIN` prefix).
pub fn render_rule(rule: &Rule) -> String {
    let mut out = Vec::new();
    if let Some(c) = rule.counters {
        // iptables-restore's form of the `[packets:bytes]` prefix.
        out.extend(["-c".to_string(), c.packets.to_string(), c.bytes.to_string()]);
    }
    for b in &rule.basics {
        if b.negated {
            out.push("!".to_string());
        }
        out.push(
            match b.kind {
                BasicKind::Protocol => "-p",
                BasicKind::Source => "-s",
                BasicKind::Destination => "-d",
                BasicKind::InInterface => "-i",
                BasicKind::OutInterface => "-o",
                BasicKind::Fragment => "-f",
            }
            .to_string(),
        );
        if b.kind != BasicKind::Fragment {
            out.push(render_value(&b.value));
        }
    }
    for m in &rule.modules {
        if m.explicit {
            out.push("-m".to_string());
            out.push(render_word(&m.name));
        }
        render_options(&m.options, &mut out);
    }
    if let Some(t) = &rule.target {
        out.push(
            if t.kind == TargetKind::Goto {
                "-g"
            } else {
                "-j"
            }
            .to_string(),
        );
        out.push(render_word(&t.name));
        render_options(&t.options, &mut out);
    }
    out.join(" ")
}

fn render_options(options: &[OptionValue], out: &mut Vec<String>) {
    for o in options {
        if o.negated {
            out.push("!".to_string());
        }
        // A name read from a quoted word may hold spaces or quotes: quote it back the same way.
        out.push(render_word(&format!("--{}", o.name)));
        for v in &o.values {
            out.push(render_value(v));
        }
    }
}

/// An option's value: quoted also when bare it would read as an option or a negation.
fn render_value(word: &str) -> String {
    if is_option_value(word) {
        render_word(word)
    } else {
        quoted_word(word)
    }
}

fn quoted_word(word: &str) -> String {
    let escaped = word.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{escaped}\"")
}

fn render_word(word: &str) -> String {
    if !word.is_empty() && !word.contains(|c: char| c.is_whitespace() || c == '"' || c == '\\') {
        word.to_string()
    } else {
        quoted_word(word)
    }
}
