//! Plain-language meaning of each option of one dump line: an `iptables-save` rule (`-m statistic
//! --mode random --probability 0.33333333349`, `-j MARK --set-xmark 0x4000/0x4000`, …), an nft rule
//! statement (`numgen random mod 3 vmap { … }`, `dnat to …`, `fib daddr type local`) or an `ipvsadm -Ln`
//! line. The page shows it when a line of the Source view is hovered or focused.
//!
//! An iptables line is read by the syntax crate's tokenizer and rule parser (the parse tree the report
//! analyses: its matches, negations, modules and target); what each word means is looked up in
//! [`vocabulary`]. What one line cannot tell — the share of a Service's new connections an endpoint rule
//! gets, which is the `statistic` cascade of its whole chain — comes from the report ([`LineFacts`]), and
//! an nft rule's owner (its table and chain) from the rules the analysis read ([`nft_rule_owners`]),
//! so the note and the report agree and nothing above the line is rescanned.
//!
//! Pure and bounded: it reads one line and never interprets more than the text says. Every part carries
//! its byte range in the line so a front end can point at it; the text of the dump is returned as text,
//! never as markup.

/// What one option (or group of options) of a line means.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// Byte range of the option in the line.
    pub start: usize,
    pub end: usize,
    /// The option as written in the line.
    pub text: String,
    /// What it does, in plain language.
    pub meaning: String,
    /// The glossary entry that explains the idea behind it, if any.
    pub term: Option<&'static str>,
}

/// A line's options and their meanings.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// What kind of line this is, e.g. "iptables rule in chain KUBE-SVC-…".
    pub title: String,
    pub parts: Vec<Part>,
    /// Who wrote the rule (see [`crate::owner`]), for rules.
    pub owner: Option<crate::owner::Owner>,
    /// The facts the notes state, for a caller (or a test) that compares them with the report.
    pub facts: Facts,
}

/// What an explanation says about its rule, as values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    /// The chain the rule belongs to (iptables: `-A CHAIN`).
    pub chain: Option<String>,
    /// The rule's target (`-j`/`-g`), as written.
    pub target: Option<String>,
    /// The address a DNAT target rewrites the destination to, as written (`10.244.1.5:8080`).
    pub dnat_to: Option<String>,
    /// The chance the rule's `statistic` match passes a new connection that reaches it (after `!`).
    pub match_share: Option<f64>,
    /// The share of the Service's new connections the rule's endpoint gets, from the report.
    pub endpoint_share: Option<f64>,
}

/// What the analysis knows about one line that the line alone cannot tell.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LineFacts {
    /// For a rule that picks an endpoint: the endpoint's share of new connections to its Service.
    pub endpoint: Option<EndpointShare>,
    /// For an nft rule: who wrote it, from its table and chain as the analysis read them (see
    /// [`nft_rule_owners`]). The line alone names them only in the `add rule FAMILY TABLE CHAIN` form.
    pub owner: Option<crate::owner::Owner>,
}

/// An endpoint's place in its Service's `statistic` cascade, as the report computed it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EndpointShare {
    /// Share of all new connections to the Service this endpoint gets.
    pub share: f64,
    /// How many endpoints the chain offers new connections to before this one.
    pub earlier: usize,
    /// Share of new connections the earlier endpoints leave over.
    pub left_over: f64,
}

impl LineFacts {
    /// What `report` says about dump line `line` (1-based, in the whole paste): the endpoint whose rules
    /// include it, and its place among its Service's endpoints. A look through the report's Services,
    /// done only for the one line a reader points at.
    pub fn from_report(report: &crate::Report, line: u32) -> LineFacts {
        for service in &report.services {
            let mut taken = 0.0_f64;
            for (i, endpoint) in service.endpoints.iter().enumerate() {
                if endpoint.lines.first() == Some(&line) {
                    return LineFacts {
                        endpoint: Some(EndpointShare {
                            share: endpoint.probability,
                            earlier: i,
                            left_over: (1.0 - taken).max(0.0),
                        }),
                        owner: None,
                    };
                }
                taken += endpoint.probability;
            }
        }
        LineFacts::default()
    }
}

impl Explanation {
    /// "Written by the host firewall (a built-in chain's own rule), not by Kubernetes."
    pub fn owner_sentence(&self) -> Option<String> {
        let owner = self.owner?;
        Some(match owner {
            crate::owner::Owner::KubeProxy | crate::owner::Owner::Kubelet => {
                format!("Written by {}.", owner.describe())
            }
            crate::owner::Owner::Unknown => {
                "Written by someone svcpath does not recognise: not by Kubernetes, as far as its name tells.".to_string()
            }
            _ => format!("Written by {}, not by Kubernetes.", owner.describe()),
        })
    }
}

/// Which tool printed the line (the section the splitter put it in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Iptables,
    Nft,
    Ipvsadm,
}

impl LineKind {
    /// The kind for a report section name (`SectionKind::name`), if lines of it can be explained.
    pub fn from_section(name: &str) -> Option<LineKind> {
        match name {
            "iptables" => Some(LineKind::Iptables),
            "nft" => Some(LineKind::Nft),
            "ipvsadm" => Some(LineKind::Ipvsadm),
            _ => None,
        }
    }
}

/// The owner of every nft rule line the analysis read, in line order: what [`LineFacts::owner`] says
/// for an nft line. Computed once per analysis where the snapshot is (the worker) and sent beside the
/// report, so the page names a rule's owner without reading the lines above it. A line that holds
/// several rules (`nft -j` prints a whole ruleset on one line) has no one owner and is left out.
pub fn nft_rule_owners(snapshot: &crate::Snapshot) -> Vec<(u32, crate::owner::Owner)> {
    let nft: Vec<_> = snapshot.nft.iter().collect();
    let owners = crate::owner::Owners::build(&[], &nft);
    let mut lines: Vec<(u32, crate::owner::Owner)> = nft
        .iter()
        .flat_map(|ruleset| &ruleset.tables)
        .flat_map(|table| &table.chains)
        .flat_map(|chain| &chain.rules)
        .filter_map(|rule| Some((rule.line, owners.line(rule.line)?)))
        .collect();
    lines.sort_unstable_by_key(|(line, _)| *line);
    lines.dedup_by_key(|(line, _)| *line);
    lines
}

/// Longest line explained; longer lines are not real rules.
const MAX_LINE: usize = 16 * 1024;

/// Explains `line`. `facts` is what the analysis knows about it (see [`LineFacts::from_report`] and
/// [`nft_rule_owners`]). `None` when there is nothing to say about the line.
pub fn explain(kind: LineKind, line: &str, facts: &LineFacts) -> Option<Explanation> {
    if line.len() > MAX_LINE {
        return None;
    }
    let line = line.trim_end_matches(['\r', '\n']);
    let explanation = match kind {
        LineKind::Iptables => iptables::explain(line, facts),
        LineKind::Nft => nft::explain(line).map(|mut e| {
            if e.title == "nftables rule" {
                e.owner = facts.owner.or_else(|| nft::owner_from_prefix(line));
            }
            e
        }),
        LineKind::Ipvsadm => ipvsadm::explain(line),
    }?;
    (!explanation.parts.is_empty()).then_some(explanation)
}

fn part(line: &str, start: usize, end: usize, meaning: String, term: Option<&'static str>) -> Part {
    Part {
        start,
        end,
        text: line.get(start..end).unwrap_or("").to_string(),
        meaning,
        term,
    }
}

/// Percent with one decimal, `33.3 %`; tiny shares keep more digits.
pub use crate::words::percent_spaced as percent;

fn seconds(text: &str) -> String {
    match text.parse::<u64>() {
        Ok(s) if s >= 3600 && s % 3600 == 0 => format!("{s} s ({} h)", s / 3600),
        Ok(s) if s >= 60 && s % 60 == 0 => format!("{s} s ({} min)", s / 60),
        _ => format!("{text} s"),
    }
}

mod iptables;
mod ipvsadm;
mod nft;
pub mod vocabulary;
mod words;

#[cfg(test)]
mod tests;
