//! Plain-language meaning of each option of one dump line: an `iptables-save` rule (`-m statistic
//! --mode random --probability 0.33333333349`, `-j MARK --set-xmark 0x4000/0x4000`, …), an nft rule
//! statement (`numgen random mod 3 vmap { … }`, `dnat to …`, `fib daddr type local`) or an `ipvsadm -Ln`
//! line. The page shows it when a line of the Source view is hovered or focused.
//!
//! Pure and bounded: it reads one line (and, for `--probability`, the rules of the same chain just above
//! it) and never interprets more than the text says. Every part carries its byte range in the line so a
//! front end can point at it; the text of the dump is returned as text, never as markup.

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

/// Longest line explained; longer lines are not real rules.
const MAX_LINE: usize = 16 * 1024;
/// How many lines above are read to find the earlier `--probability` rules of the same chain.
const MAX_LOOKBACK: usize = 2000;

/// Explains `line`. `above` yields the lines above it, nearest first (used for the `statistic`
/// cascade of an iptables chain). `None` when there is nothing to say about the line.
pub fn explain<'a>(
    kind: LineKind,
    line: &str,
    above: impl Iterator<Item = &'a str>,
) -> Option<Explanation> {
    if line.len() > MAX_LINE {
        return None;
    }
    let line = line.trim_end_matches(['\r', '\n']);
    let explanation = match kind {
        LineKind::Iptables => iptables(line, above),
        LineKind::Nft => nft(line).map(|mut e| {
            if e.title == "nftables rule" {
                e.owner = Some(nft_owner(line, above));
            }
            e
        }),
        LineKind::Ipvsadm => ipvsadm(line),
    }?;
    (!explanation.parts.is_empty()).then_some(explanation)
}

/// A word of the line with its byte range; quotes are kept in `raw` and removed in `text`.
#[derive(Debug, Clone)]
struct Word<'a> {
    start: usize,
    end: usize,
    raw: &'a str,
    text: String,
}

/// Splits a line into words the way a shell would: spaces and tabs separate, double quotes group
/// (with `\"` inside), an unclosed quote runs to the end of the line.
fn words(line: &str) -> Vec<Word<'_>> {
    let bytes = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let start = i;
        let mut text = String::new();
        let mut quoted = false;
        while i < bytes.len() {
            let b = bytes[i];
            if !quoted && matches!(b, b' ' | b'\t') {
                break;
            }
            if b == b'"' {
                quoted = !quoted;
                i += 1;
                continue;
            }
            if quoted && b == b'\\' && bytes.get(i + 1) == Some(&b'"') {
                text.push('"');
                i += 2;
                continue;
            }
            // Copy one whole character.
            let ch_len = line[i..].chars().next().map_or(1, char::len_utf8);
            text.push_str(&line[i..i + ch_len]);
            i += ch_len;
        }
        out.push(Word {
            start,
            end: i,
            raw: &line[start..i],
            text,
        });
    }
    out
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
pub fn percent(p: f64) -> String {
    let v = p * 100.0;
    if v != 0.0 && v.abs() < 0.1 {
        format!("{v:.3} %")
    } else {
        format!("{v:.1} %")
    }
}

fn seconds(text: &str) -> String {
    match text.parse::<u64>() {
        Ok(s) if s >= 3600 && s % 3600 == 0 => format!("{s} s ({} h)", s / 3600),
        Ok(s) if s >= 60 && s % 60 == 0 => format!("{s} s ({} min)", s / 60),
        _ => format!("{text} s"),
    }
}

// ---------------------------------------------------------------------------------------------------
// iptables-save

/// Short options that take one value and stand alone (not part of a `-m` module).
fn basic_option(word: &str) -> Option<&'static str> {
    Some(match word {
        "-s" | "--source" | "--src" => "s",
        "-d" | "--destination" | "--dst" => "d",
        "-p" | "--protocol" => "p",
        "-i" | "--in-interface" => "i",
        "-o" | "--out-interface" => "o",
        _ => return None,
    })
}

/// The chain a `-A CHAIN …` line appends to.
fn rule_chain(line: &str) -> Option<&str> {
    let mut it = line.split_whitespace();
    let mut first = it.next()?;
    if first.starts_with('[') {
        first = it.next()?;
    }
    matches!(first, "-A" | "--append" | "-I" | "--insert")
        .then(|| it.next())
        .flatten()
}

/// The `--probability` of a rule line, if it has one.
fn probability_of(line: &str) -> Option<f64> {
    let ws = words(line);
    let i = ws.iter().position(|w| w.text == "--probability")?;
    ws.get(i + 1)?.text.parse::<f64>().ok()
}

fn iptables<'a>(line: &str, above: impl Iterator<Item = &'a str>) -> Option<Explanation> {
    let trimmed = line.trim_start();
    if let Some(table) = trimmed.strip_prefix('*') {
        return Some(Explanation {
            title: "table header".into(),
            parts: vec![part(
                line,
                0,
                line.len(),
                format!(
                    "starts the {table} table: the chains and rules below, up to COMMIT, belong to it{}",
                    match table {
                        "nat" => " (address rewriting: kube-proxy's Service, endpoint and masquerade chains)",
                        "filter" => " (accept, drop or reject: kube-proxy's firewall, reject and forward rules)",
                        "mangle" => " (marks and header changes)",
                        "raw" => " (before connection tracking)",
                        _ => "",
                    }
                ),
                None,
            )],
            owner: None,
        });
    }
    if trimmed == "COMMIT" {
        return Some(Explanation {
            title: "end of table".into(),
            parts: vec![part(
                line,
                0,
                line.len(),
                "ends the table: iptables-restore applies everything since the `*table` line at once".into(),
                None,
            )],
            owner: None,
        });
    }
    if let Some(rest) = trimmed.strip_prefix(':') {
        let mut it = rest.split_whitespace();
        let name = it.next().unwrap_or("");
        let policy = it.next().unwrap_or("-");
        let meaning = if policy == "-" {
            format!(
                "declares the user chain {name}: it runs only when a rule jumps to it{}",
                chain_note(name)
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            )
        } else {
            format!(
                "the built-in chain {name}; a packet that reaches its end gets the policy {policy}; the \
                 [packets:bytes] counters follow"
            )
        };
        return Some(Explanation {
            title: "chain declaration".into(),
            parts: vec![part(line, 0, line.len(), meaning, None)],
            owner: None,
        });
    }
    let chain = rule_chain(line)?.to_string();
    let ws = words(line);
    let mut parts = Vec::new();
    let mut i = 0;
    let mut protocol: Option<String> = None;
    while i < ws.len() {
        let w = &ws[i];
        let t = w.text.as_str();
        if i == 0 && t.starts_with('[') && t.ends_with(']') {
            parts.push(part(
                line,
                w.start,
                w.end,
                "packet and byte counters of this rule (iptables-save -c)".into(),
                None,
            ));
            i += 1;
            continue;
        }
        if matches!(t, "-A" | "--append" | "-I" | "--insert") {
            let end = ws.get(i + 1).map_or(w.end, |n| n.end);
            parts.push(part(
                line,
                w.start,
                end,
                format!(
                    "a rule of chain {chain}; rules of a chain are tried in order until one decides{}",
                    chain_note(&chain).map(|n| format!(" — {n}")).unwrap_or_default()
                ),
                None,
            ));
            i += 2;
            continue;
        }
        // `! -s x` (negation first) and `-s ! x` (old iptables) both mean "not".
        let negated = t == "!";
        let start = w.start;
        let j = if negated { i + 1 } else { i };
        let Some(opt) = ws.get(j) else { break };
        let o = opt.text.as_str();
        if let Some(kind) = basic_option(o) {
            let mut k = j + 1;
            let mut negated = negated;
            if ws.get(k).is_some_and(|x| x.text == "!") {
                negated = !negated;
                k += 1;
            }
            let value = ws.get(k).map(|x| x.text.clone()).unwrap_or_default();
            let end = ws.get(k).map_or(opt.end, |x| x.end);
            if kind == "p" {
                protocol = Some(value.clone());
            }
            parts.push(part(
                line,
                start,
                end,
                basic_meaning(kind, &value, negated),
                None,
            ));
            i = k + 1;
            continue;
        }
        if o == "-f" || o == "--fragment" {
            parts.push(part(
                line,
                start,
                opt.end,
                format!(
                    "{}second and later fragments of a fragmented packet",
                    if negated { "everything but " } else { "only " }
                ),
                None,
            ));
            i = j + 1;
            continue;
        }
        if o == "-m" || o == "--match" {
            let module = ws.get(j + 1).map(|x| x.text.clone()).unwrap_or_default();
            // The module's own options run until the next option that starts a new group.
            let first_arg = (j + 2).min(ws.len());
            let mut k = first_arg;
            while k < ws.len() {
                let x = ws[k].text.as_str();
                if x == "!" {
                    if ws.get(k + 1).is_some_and(|n| {
                        n.text.starts_with("--") && basic_option(&n.text).is_none()
                    }) {
                        k += 1;
                        continue;
                    }
                    break;
                }
                if x.starts_with('-') && (!x.starts_with("--") || basic_option(x).is_some()) {
                    // A short option (or `--source` …) starts a new group; a negative number does not.
                    if x.len() > 1 && !x[1..].starts_with(|c: char| c.is_ascii_digit()) {
                        break;
                    }
                }
                k += 1;
            }
            let end = ws.get(k.saturating_sub(1)).map_or(opt.end, |x| x.end);
            let args: Vec<Word> = ws[first_arg..k].to_vec();
            let (meaning, term) = module_meaning(&module, &args, protocol.as_deref());
            parts.push(part(line, start, end, meaning, term));
            i = k;
            continue;
        }
        if matches!(o, "-j" | "--jump" | "-g" | "--goto") {
            let target = ws.get(j + 1).map(|x| x.text.clone()).unwrap_or_default();
            let args: Vec<Word> = ws[(j + 2).min(ws.len())..].to_vec();
            let end = ws.last().map_or(opt.end, |x| x.end);
            let goto = matches!(o, "-g" | "--goto");
            let (meaning, term) = target_meaning(&target, &args, goto);
            parts.push(part(line, start, end, meaning, term));
            break;
        }
        // Anything else: skip one word.
        i = j + 1;
    }
    // The statistic cascade needs the lines above: computed after the parts, so `above` is read
    // only for rules that carry a probability.
    if let Some(p) = probability_of(line) {
        let earlier: Vec<f64> = above
            .take(MAX_LOOKBACK)
            .take_while(|l| rule_chain(l) == Some(chain.as_str()))
            .filter_map(probability_of)
            .collect();
        if let Some(stat) = parts.iter_mut().find(|x| x.text.contains("--probability")) {
            stat.meaning.push_str(&cascade_note(p, &earlier));
        }
    }
    let owner = match svcpath_syntax::iptables::tokenize(line) {
        Ok(tokens) => {
            let words: Vec<_> = tokens
                .iter()
                .skip_while(|t| t.text != "-A" && t.text != "-I")
                .skip(2)
                .cloned()
                .collect();
            let (rule, _) = svcpath_syntax::iptables::build_rule(&words);
            crate::owner::of_iptables_rule(&chain, &rule)
        }
        Err(_) => crate::owner::of_rule(&chain, None, None, &[]),
    };
    if let Some(target) = parts.iter_mut().find(|p| p.text.starts_with("-j REJECT")) {
        let kube_reject =
            owner == crate::owner::Owner::KubeProxy && line.contains("has no endpoints");
        target.meaning.push_str(if kube_reject {
            " — kube-proxy's answer for a Service without endpoints"
        } else if owner.is_kubernetes() {
            " — a rule of kube-proxy's"
        } else {
            " — not kube-proxy's: see who wrote this rule above"
        });
    }
    Some(Explanation {
        title: format!("iptables rule in chain {chain}"),
        parts,
        owner: Some(owner),
    })
}

fn cascade_note(p: f64, earlier: &[f64]) -> String {
    let rest: f64 = earlier.iter().map(|q| 1.0 - q.clamp(0.0, 1.0)).product();
    let share = p.clamp(0.0, 1.0) * rest;
    if earlier.is_empty() {
        format!(
            "; it is the first such rule of its chain, so this endpoint gets {} of all new connections \
             to the Service",
            percent(share)
        )
    } else {
        format!(
            "; only the {} left over by the {} rule{} before it get here, so this endpoint gets {} \
             of all new connections to the Service",
            percent(rest),
            earlier.len(),
            if earlier.len() == 1 { "" } else { "s" },
            percent(share)
        )
    }
}

fn chain_note(chain: &str) -> Option<&'static str> {
    Some(match chain {
        "KUBE-SERVICES" => "kube-proxy's list of Service entry points: one rule per ClusterIP (and external IP) and port",
        "KUBE-NODEPORTS" => "kube-proxy's NodePort rules, reached from the end of KUBE-SERVICES for the node's own addresses",
        "KUBE-POSTROUTING" => "where kube-proxy masquerades packets carrying its 0x4000 mark",
        "KUBE-MARK-MASQ" => "sets kube-proxy's masquerade mark (0x4000)",
        "KUBE-MARK-DROP" => "sets kube-proxy's drop mark (0x8000, older versions)",
        "KUBE-FORWARD" => "accepts forwarded Service traffic and drops invalid packets",
        "KUBE-EXTERNAL-SERVICES" => "rejects or drops traffic to external entry points without usable endpoints",
        "KUBE-PROXY-FIREWALL" => "drops load-balancer traffic from outside the allowed source ranges",
        "KUBE-FIREWALL" => "drops martian packets to 127.0.0.0/8 (kubelet)",
        c if c.starts_with("KUBE-SVC-") => "a Service port's load-balancing chain: picks one endpoint per new connection",
        c if c.starts_with("KUBE-SVL-") => "a Service port's chain of node-local endpoints (externalTrafficPolicy: Local)",
        c if c.starts_with("KUBE-SEP-") => "one endpoint's chain: marks hairpin traffic, then rewrites the destination to the pod",
        c if c.starts_with("KUBE-EXT-") => "a Service port's external entry (NodePort, external or load-balancer IP)",
        c if c.starts_with("KUBE-XLB-") => "a Service port's external entry under externalTrafficPolicy: Local (older kube-proxy)",
        c if c.starts_with("KUBE-FW-") => "a load-balancer IP's entry, with its source-range checks",
        _ => return None,
    })
}

fn basic_meaning(kind: &str, value: &str, negated: bool) -> String {
    let not = if negated { "not " } else { "" };
    match kind {
        "s" => format!("only packets {not}from {value}{}", address_note(value)),
        "d" => format!(
            "only packets {not}addressed to {value}{}",
            address_note(value)
        ),
        "p" => format!("only {}{value} packets", if negated { "non-" } else { "" }),
        "i" => format!(
            "only packets {}arriving on interface {}",
            not,
            interface(value)
        ),
        _ => format!(
            "only packets {}leaving through interface {}",
            not,
            interface(value)
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

/// The value after `--name` in a module's options (and whether it was negated).
fn arg<'w>(args: &'w [Word], name: &str) -> Option<(&'w str, bool)> {
    let i = args.iter().position(|w| w.text == name)?;
    let negated = i > 0 && args[i - 1].text == "!";
    Some((args.get(i + 1).map_or("", |w| w.text.as_str()), negated))
}

fn has(args: &[Word], name: &str) -> bool {
    args.iter().any(|w| w.text == name)
}

fn mark_note(value: &str) -> &'static str {
    let v = value.split('/').next().unwrap_or("");
    match v.trim_start_matches("0x").trim_start_matches('0') {
        "4000" => ": kube-proxy's \"masquerade this packet\" flag, acted on in KUBE-POSTROUTING",
        "8000" => ": kube-proxy's \"drop this packet\" flag (KUBE-MARK-DROP, older versions)",
        _ => "",
    }
}

fn module_meaning(
    module: &str,
    args: &[Word],
    protocol: Option<&str>,
) -> (String, Option<&'static str>) {
    match module {
        "comment" => {
            let text = arg(args, "--comment").map_or("", |a| a.0);
            (
                format!(
                    "a note, no effect on matching: \"{text}\"{}",
                    if text.contains(" -> ") {
                        " — kube-proxy names the Service (namespace/name:port) and the endpoint this rule leads to"
                    } else if text.contains('/') {
                        " — kube-proxy writes the Service as namespace/name:port"
                    } else {
                        ""
                    }
                ),
                None,
            )
        }
        "statistic" => {
            if let Some((p, _)) = arg(args, "--probability") {
                let pv = p.parse::<f64>().unwrap_or(f64::NAN);
                let share = if pv.is_finite() {
                    percent(pv)
                } else {
                    format!("\"{p}\"")
                };
                (
                    format!(
                        "matches a random {share} of the new connections that reach this rule (the first packet \
                         decides; conntrack keeps the rest of the connection on the same path)"
                    ),
                    Some("statistic"),
                )
            } else if let Some((every, _)) = arg(args, "--every") {
                let packet = arg(args, "--packet").map_or("0", |a| a.0);
                (
                    format!("matches every {every}th new connection that reaches this rule, starting with number {packet} (round robin)"),
                    Some("statistic"),
                )
            } else {
                (
                    "a statistic match (random or every-nth)".into(),
                    Some("statistic"),
                )
            }
        }
        "recent" => {
            let name = arg(args, "--name").map_or("DEFAULT", |a| a.0);
            let side = if has(args, "--rdest") {
                "destination"
            } else {
                "source (client)"
            };
            let mask = arg(args, "--mask")
                .map(|m| format!(" (masked with {})", m.0))
                .unwrap_or_default();
            let meaning = if has(args, "--set") {
                format!(
                    "session affinity: records this packet's {side} address{mask} in the list \"{name}\", so later \
                     connections from the same client are sent to this same endpoint"
                )
            } else if has(args, "--rcheck") || has(args, "--update") {
                let within = arg(args, "--seconds")
                    .map(|s| format!(" within the last {}", seconds(s.0)))
                    .unwrap_or_default();
                let reap = if has(args, "--reap") {
                    "; --reap forgets older entries"
                } else {
                    ""
                };
                let update = if has(args, "--update") {
                    " (and refreshes its time)"
                } else {
                    ""
                };
                format!(
                    "session affinity: matches when the {side} address{mask} is in the list \"{name}\"{within}{update}, \
                     i.e. a returning client goes back to the endpoint it had{reap}"
                )
            } else if has(args, "--remove") {
                format!("removes the {side} address from the list \"{name}\"")
            } else {
                format!("checks the recently-seen list \"{name}\"")
            };
            (meaning, Some("session-affinity"))
        }
        "addrtype" => {
            let mut bits = Vec::new();
            if let Some((t, neg)) = arg(args, "--dst-type") {
                bits.push(format!(
                    "the destination is {}{}",
                    if neg { "not " } else { "" },
                    addr_type(t)
                ));
            }
            if let Some((t, neg)) = arg(args, "--src-type") {
                bits.push(format!(
                    "the source is {}{}",
                    if neg { "not " } else { "" },
                    addr_type(t)
                ));
            }
            if has(args, "--limit-iface-in") {
                bits.push("counting only addresses of the interface the packet came in on".into());
            }
            (
                format!("only packets where {}", bits.join(", ")),
                Some("addrtype"),
            )
        }
        "conntrack" | "state" => {
            let key = if module == "state" {
                "--state"
            } else {
                "--ctstate"
            };
            if let Some((states, neg)) = arg(args, key) {
                let names: Vec<String> = states.split(',').map(ct_state).collect();
                (
                    format!(
                        "only packets whose connection is {}{} (connection tracking)",
                        if neg { "not " } else { "" },
                        names.join(" or ")
                    ),
                    Some("conntrack"),
                )
            } else {
                let opts: Vec<&str> = args.iter().map(|w| w.raw).collect();
                (
                    format!("a connection-tracking match: {}", opts.join(" ")),
                    Some("conntrack"),
                )
            }
        }
        "tcp" | "udp" | "sctp" => {
            let mut bits = Vec::new();
            for (key, what) in [
                ("--dport", "destination port"),
                ("--destination-port", "destination port"),
                ("--sport", "source port"),
                ("--source-port", "source port"),
            ] {
                if let Some((v, neg)) = arg(args, key) {
                    bits.push(format!(
                        "{what} {}{}",
                        if neg { "not " } else { "" },
                        ports(v)
                    ));
                }
            }
            if has(args, "--syn") {
                bits.push("only the first packet of a TCP connection (SYN)".into());
            }
            if let Some((flags, _)) = arg(args, "--tcp-flags") {
                bits.push(format!(
                    "TCP flags {flags} (examined set, then those that must be set)"
                ));
            }
            if bits.is_empty() {
                (
                    format!(
                        "loads the {module} match (needed after -p {} for port options); by itself it matches every {module} packet",
                        protocol.unwrap_or(module)
                    ),
                    None,
                )
            } else {
                (format!("{module} packets with {}", bits.join(", ")), None)
            }
        }
        "multiport" => {
            let mut bits = Vec::new();
            for (key, what) in [
                ("--dports", "destination port"),
                ("--destination-ports", "destination port"),
                ("--sports", "source port"),
                ("--source-ports", "source port"),
                ("--ports", "source or destination port"),
            ] {
                if let Some((v, neg)) = arg(args, key) {
                    bits.push(format!(
                        "{what} {}one of {}",
                        if neg { "not " } else { "" },
                        v.replace(',', ", ")
                    ));
                }
            }
            (
                format!(
                    "packets with {} (up to 15 ports in one rule)",
                    bits.join(", ")
                ),
                None,
            )
        }
        "mark" => {
            let (v, neg) = arg(args, "--mark").unwrap_or(("", false));
            let (value, mask) = v.split_once('/').unwrap_or((v, "0xffffffff"));
            (
                format!(
                    "only packets whose mark, masked with {mask}, {} {value}{}",
                    if neg { "is not" } else { "is" },
                    mark_note(v)
                ),
                Some("kube-mark-masq"),
            )
        }
        "set" => {
            let (name, neg) = arg(args, "--match-set").unwrap_or(("", false));
            let flags = args
                .iter()
                .position(|w| w.text == "--match-set")
                .and_then(|i| args.get(i + 2))
                .map_or("", |w| w.text.as_str());
            let what: Vec<&str> = flags
                .split(',')
                .map(|f| match f {
                    "src" => "source",
                    "dst" => "destination",
                    _ => f,
                })
                .collect();
            (
                format!(
                    "only packets whose {} {} in the ipset \"{name}\" (one hash lookup instead of a rule per entry)",
                    what.join(" + "),
                    if neg { "is not" } else { "is" }
                ),
                Some("ipset"),
            )
        }
        "physdev" => (
            "a bridge-port match (physdev): which bridge port the packet used".into(),
            None,
        ),
        "nfacct" => (
            format!(
                "counts the packet in the accounting object \"{}\"; matches always",
                arg(args, "--nfacct-name").map_or("", |a| a.0)
            ),
            None,
        ),
        "limit" => (
            format!(
                "matches at most {} (a rate limit), the rest fall through",
                arg(args, "--limit").map_or("some packets", |a| a.0)
            ),
            None,
        ),
        "pkttype" => (
            format!(
                "only {} packets",
                arg(args, "--pkt-type").map_or("some", |a| a.0)
            ),
            None,
        ),
        "socket" => ("only packets that belong to a local socket".into(), None),
        _ => (
            format!("a match of the \"{module}\" module (svcpath has no note for it)"),
            None,
        ),
    }
}

fn addr_type(t: &str) -> String {
    match t {
        "LOCAL" => {
            "one of the node's own addresses (any address on any interface: this is how NodePorts \
                    match every node IP)"
                .into()
        }
        "UNICAST" => "an ordinary unicast address".into(),
        "BROADCAST" => "a broadcast address".into(),
        "MULTICAST" => "a multicast address".into(),
        other => format!("of type {other}"),
    }
}

fn ct_state(s: &str) -> String {
    match s {
        "NEW" => "NEW (its first packet)".into(),
        "ESTABLISHED" => "ESTABLISHED (packets have gone both ways)".into(),
        "RELATED" => "RELATED (e.g. an ICMP error about a known connection)".into(),
        "INVALID" => "INVALID (conntrack could not place it)".into(),
        "DNAT" => "DNAT (its destination was rewritten)".into(),
        "SNAT" => "SNAT (its source was rewritten)".into(),
        "UNTRACKED" => "UNTRACKED".into(),
        other => other.to_string(),
    }
}

fn ports(v: &str) -> String {
    match v.split_once(':') {
        Some((a, b)) => format!("{a} to {b}"),
        None => v.to_string(),
    }
}

fn target_meaning(target: &str, args: &[Word], goto: bool) -> (String, Option<&'static str>) {
    match target {
        "DNAT" => {
            let to = arg(args, "--to-destination").map_or("", |a| a.0);
            (
                format!(
                    "rewrites the destination to {to}: the connection now goes to this endpoint; conntrack \
                     remembers it and rewrites the replies back"
                ),
                Some("dnat"),
            )
        }
        "SNAT" => (
            format!(
                "rewrites the source to {}",
                arg(args, "--to-source").map_or("the given address", |a| a.0)
            ),
            Some("snat"),
        ),
        "MASQUERADE" => {
            let random = if has(args, "--random-fully") {
                "; --random-fully picks the source port at random, which avoids port collisions (conntrack \
                 insert failures) under many connections"
            } else {
                ""
            };
            (
                format!(
                    "rewrites the source address to the address of the interface the packet leaves on, so \
                     replies come back through this node{random}"
                ),
                Some("masquerade"),
            )
        }
        "MARK" => {
            if let Some((v, _)) = arg(args, "--set-xmark") {
                let (value, mask) = v.split_once('/').unwrap_or((v, "0xffffffff"));
                // --set-xmark value/mask: mark = (mark AND NOT mask) XOR value.
                let zero = |x: &str| x.trim_start_matches("0x").trim_start_matches('0').is_empty();
                let (what, bits) = if value == mask && !zero(value) {
                    (format!("sets bit {value} of the packet mark"), value)
                } else if zero(value) {
                    (format!("clears bit(s) {mask} of the packet mark"), mask)
                } else if zero(mask) {
                    (
                        format!(
                            "flips bit {value} of the packet mark (value/mask with mask 0 is an XOR); \
                             the bit was set, so this clears it before the packet leaves"
                        ),
                        value,
                    )
                } else {
                    (format!("sets the packet mark bits {mask} to {value}"), mask)
                };
                (format!("{what}{}", mark_note(bits)), Some("kube-mark-masq"))
            } else if let Some((v, _)) = arg(args, "--or-mark") {
                (format!("sets bit {v} of the packet mark{}", mark_note(v)), Some("kube-mark-masq"))
            } else if let Some((v, _)) = arg(args, "--xor-mark") {
                (
                    format!(
                        "flips bit {v} of the packet mark (it was set, so this clears it before the packet leaves){}",
                        mark_note(v)
                    ),
                    Some("kube-mark-masq"),
                )
            } else if let Some((v, _)) = arg(args, "--set-mark") {
                (format!("sets the packet mark to {v}{}", mark_note(v)), Some("kube-mark-masq"))
            } else {
                ("changes the packet mark".into(), Some("kube-mark-masq"))
            }
        }
        "CONNMARK" => ("copies marks between the packet and its connection (CONNMARK)".into(), Some("conntrack")),
        "REJECT" => (
            format!(
                "refuses the packet and answers the sender with {}: the client gets an immediate error instead \
                 of a timeout",
                arg(args, "--reject-with").map_or("an ICMP port-unreachable", |a| a.0)
            ),
            Some("reject"),
        ),
        "DROP" => ("drops the packet silently: the client waits and times out".into(), None),
        "ACCEPT" => ("lets the packet through; no later rule of this table and hook sees it".into(), None),
        "RETURN" => (
            "goes back to the chain that jumped here and continues after the jump (at the end of a built-in chain: its policy)".into(),
            None,
        ),
        "LOG" => ("writes the packet to the kernel log and continues".into(), None),
        "NOTRACK" | "CT" => ("changes connection tracking for the packet (e.g. --notrack: not tracked)".into(), Some("conntrack")),
        "KUBE-MARK-MASQ" => (
            format!(
                "{} KUBE-MARK-MASQ, which sets mark bit 0x4000: the packet will be masqueraded in KUBE-POSTROUTING",
                if goto { "goes to" } else { "jumps to" }
            ),
            Some("kube-mark-masq"),
        ),
        "KUBE-MARK-DROP" => (
            "jumps to KUBE-MARK-DROP, which sets mark bit 0x8000: the packet is dropped in the filter table".into(),
            None,
        ),
        other => {
            let how = if goto {
                "goes to (without returning here)"
            } else {
                "jumps to"
            };
            let note = chain_note(other).map(|n| format!(": {n}")).unwrap_or_default();
            let term = if other.starts_with("KUBE-SVC-") {
                Some("clusterip")
            } else if other.starts_with("KUBE-SEP-") {
                Some("endpoint")
            } else if other.starts_with("KUBE-EXT-") || other.starts_with("KUBE-XLB-") || other.starts_with("KUBE-SVL-") {
                Some("external-traffic-policy")
            } else if other == "KUBE-NODEPORTS" {
                Some("nodeport")
            } else {
                None
            };
            (format!("{how} {other}{note}"), term)
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// nft

fn nft(line: &str) -> Option<Explanation> {
    let ws = words(line);
    let first = ws.first()?.text.as_str();
    if matches!(
        first,
        "table" | "chain" | "map" | "set" | "}" | "elements" | "comment"
    ) && !line.contains(" jump ")
        && !line.contains(" goto ")
    {
        let meaning = match first {
            "table" => "an nftables table: kube-proxy's own table holds all its chains, maps and sets".to_string(),
            "chain" => "a chain: base chains (with a hook) see packets directly, others only when jumped to".to_string(),
            "map" => "a verdict map: a key (address . protocol . port) found in one lookup gives the chain to go to".to_string(),
            "set" => "a set of addresses or ports, matched with one lookup (@name)".to_string(),
            _ => return None,
        };
        return Some(Explanation {
            title: "nftables declaration".into(),
            parts: vec![part(
                line,
                ws[0].start,
                line.len(),
                meaning,
                Some(if first == "map" {
                    "verdict-map"
                } else {
                    "nftables"
                }),
            )],
            owner: None,
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
        });
    }
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
                    let value: Vec<&str> =
                        ws[k + 1..=value_end.max(k)].iter().map(|w| w.raw).collect();
                    let value = value.join(" ");
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
                }
                let value: String = ws[vk..=ve]
                    .iter()
                    .map(|w| w.raw)
                    .collect::<Vec<_>>()
                    .join(" ");
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
                let meaning = match t {
                    "reject" => "refuses the packet and answers the sender with an ICMP error: an immediate failure instead of a timeout",
                    "drop" => "drops the packet silently: the client waits and times out",
                    "accept" => "lets the packet through this chain's hook",
                    _ => "goes back to the chain that jumped here",
                };
                parts.push(part(
                    line,
                    start,
                    ws[e].end,
                    meaning.into(),
                    (t == "reject").then_some("reject"),
                ));
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
    Some(Explanation {
        title: "nftables rule".into(),
        parts,
        owner: None,
    })
}

/// The owner of an nft rule line: from its `add rule FAMILY TABLE CHAIN` prefix, or from the nearest
/// `chain` and `table` lines above it in a listing.
fn nft_owner<'a>(line: &str, above: impl Iterator<Item = &'a str>) -> crate::owner::Owner {
    let ws: Vec<&str> = line.split_whitespace().collect();
    let comment = line
        .split_once("comment \"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(c, _)| c);
    if ws.first() == Some(&"add") && ws.get(1) == Some(&"rule") && ws.len() > 4 {
        let table = format!("{} {}", ws[2], ws[3]);
        return crate::owner::of_nft_rule(&table, ws[4], line, comment);
    }
    let mut chain: Option<String> = None;
    for l in above.take(MAX_LOOKBACK) {
        let lw: Vec<&str> = l.split_whitespace().collect();
        match lw.first() {
            Some(&"chain") if chain.is_none() => chain = lw.get(1).map(|c| c.to_string()),
            Some(&"table") => {
                let table = match lw.len() {
                    n if n >= 3 && lw[2] != "{" => format!("{} {}", lw[1], lw[2]),
                    n if n >= 2 => format!("ip {}", lw[1]),
                    _ => String::new(),
                };
                return crate::owner::of_nft_rule(
                    &table,
                    chain.as_deref().unwrap_or(""),
                    line,
                    comment,
                );
            }
            _ => {}
        }
    }
    crate::owner::of_nft_rule("", chain.as_deref().unwrap_or(""), line, comment)
}

fn describe_key(key: &str) -> String {
    key.split(" . ")
        .map(|k| match k {
            "ip daddr" | "ip6 daddr" => "destination address",
            "ip saddr" | "ip6 saddr" => "source address",
            "meta l4proto" => "protocol",
            "th dport" | "tcp dport" | "udp dport" => "destination port",
            other => other,
        })
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
            .map(|s| ct_state(&s.trim().to_uppercase()))
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
    if key.starts_with("fib ") {
        Some("addrtype")
    } else if key.starts_with("ct ") {
        Some("conntrack")
    } else if key == "meta mark" {
        Some("kube-mark-masq")
    } else {
        None
    }
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
    if chain.starts_with("service-") {
        " (a Service port's chain: picks an endpoint)"
    } else if chain.starts_with("endpoint-") {
        " (one endpoint's chain: rewrites the destination to the pod)"
    } else if chain.starts_with("external-") {
        " (a Service port's external entry: NodePort, external or load-balancer IP)"
    } else if chain == "mark-for-masquerade" {
        " (sets the 0x4000 masquerade mark)"
    } else if chain == "masquerading" {
        " (masquerades marked packets)"
    } else {
        ""
    }
}

// ---------------------------------------------------------------------------------------------------
// ipvsadm -Ln

fn ipvsadm(line: &str) -> Option<Explanation> {
    let ws = words(line);
    let first = ws.first()?;
    if first.text == "->" {
        let addr = ws.get(1)?;
        if addr.text.starts_with("RemoteAddress") {
            return None;
        }
        let mut parts = vec![part(
            line,
            first.start,
            addr.end,
            format!(
                "a real server (endpoint) of the virtual service above: {}",
                addr.text
            ),
            Some("endpoint"),
        )];
        let labels = [
            ("forwarding method", Some("masquerade")),
            (
                "weight: its share relative to the other real servers (0 = no new connections)",
                None,
            ),
            ("active connections (established TCP)", Some("conntrack")),
            (
                "inactive connections (other states: closing, or UDP)",
                Some("conntrack"),
            ),
        ];
        for (k, (label, term)) in labels.iter().enumerate() {
            if let Some(w) = ws.get(2 + k) {
                let meaning = if k == 0 {
                    match w.text.as_str() {
                        "Masq" => "forwarding method Masq: the destination is rewritten to this endpoint (NAT), as kube-proxy always does".to_string(),
                        "Route" => "forwarding method Route (direct routing): the packet is sent on unchanged".to_string(),
                        "Tunnel" => "forwarding method Tunnel: the packet is wrapped in IP-in-IP".to_string(),
                        other => format!("{label}: {other}"),
                    }
                } else {
                    format!("{} {label}", w.text)
                };
                parts.push(part(line, w.start, w.end, meaning, *term));
            }
        }
        return Some(Explanation {
            title: "IPVS real server".into(),
            parts,
            owner: None,
        });
    }
    if matches!(first.text.as_str(), "TCP" | "UDP" | "SCTP" | "FWM") {
        let addr = ws.get(1)?;
        let mut parts = vec![part(
            line,
            first.start,
            addr.end,
            format!(
                "an IPVS virtual service: {} traffic to {} is balanced over the real servers listed under it",
                first.text, addr.text
            ),
            Some("ipvs"),
        )];
        if let Some(s) = ws.get(2) {
            let sched = match s.text.as_str() {
                "rr" => "round robin: each new connection to the next real server",
                "wrr" => "weighted round robin",
                "lc" => "least connections",
                "wlc" => "weighted least connections",
                "sh" => "source hashing: a client always reaches the same real server",
                "dh" => "destination hashing",
                "mh" => "maglev hashing",
                _ => "the scheduler",
            };
            parts.push(part(
                line,
                s.start,
                s.end,
                format!("scheduler {}: {sched}", s.text),
                None,
            ));
        }
        if let Some(k) = ws.iter().position(|w| w.text == "persistent") {
            let e = (k + 1).min(ws.len() - 1);
            parts.push(part(
                line,
                ws[k].start,
                ws[e].end,
                format!(
                    "session affinity: a client keeps its real server for {} after its last connection",
                    seconds(ws.get(k + 1).map_or("", |w| w.text.as_str()))
                ),
                Some("session-affinity"),
            ));
        }
        return Some(Explanation {
            title: "IPVS virtual service".into(),
            parts,
            owner: None,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ipt(line: &str) -> Explanation {
        explain(LineKind::Iptables, line, std::iter::empty()).expect("explained")
    }

    #[test]
    fn a_host_reject_is_not_explained_as_kube_proxys() {
        let e = ipt("-A INPUT -j REJECT --reject-with icmp-host-prohibited");
        assert_eq!(e.owner, Some(crate::owner::Owner::Host));
        let reject = meaning_of(&e, "REJECT");
        assert!(!reject.contains("Services without endpoints"), "{reject}");
        assert!(reject.contains("not kube-proxy's"), "{reject}");
        assert!(e.owner_sentence().unwrap().contains("host firewall"));
        let kube = ipt("-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment \"ns/empty:p cluster IP has no endpoints\" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable");
        assert_eq!(kube.owner, Some(crate::owner::Owner::KubeProxy));
        assert!(meaning_of(&kube, "REJECT").contains("without endpoints"));
        let flannel = ipt("-A FORWARD -m comment --comment \"flanneld forward\" -j FLANNEL-FWD");
        assert_eq!(flannel.owner, Some(crate::owner::Owner::Flannel));
    }

    #[test]
    fn nft_rules_get_their_tables_owner() {
        let listing = [
            "table inet firewalld {",
            "\tchain filter_INPUT {",
            "\t\ttype filter hook input priority filter + 10; policy accept;",
        ];
        let e = explain(
            LineKind::Nft,
            "\t\treject with icmpx admin-prohibited",
            listing.iter().rev().copied(),
        )
        .expect("explained");
        assert_eq!(e.owner, Some(crate::owner::Owner::Firewalld));
        let kube = ["table ip kube-proxy {", "\tchain services {"];
        let e = explain(
            LineKind::Nft,
            "\t\tip daddr . meta l4proto . th dport vmap @service-ips",
            kube.iter().rev().copied(),
        )
        .expect("explained");
        assert_eq!(e.owner, Some(crate::owner::Owner::KubeProxy));
    }

    fn meaning_of<'e>(e: &'e Explanation, needle: &str) -> &'e str {
        e.parts
            .iter()
            .find(|p| p.text.contains(needle))
            .map(|p| p.meaning.as_str())
            .unwrap_or_else(|| panic!("no part with {needle:?} in {e:#?}"))
    }

    #[test]
    fn statistic_cascade_uses_the_rules_above_in_the_same_chain() {
        let lines = [
            r#"-A KUBE-SVC-X -m comment --comment "ns/web:http -> 10.0.0.1:80" -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-A"#,
            r#"-A KUBE-SVC-X -m comment --comment "ns/web:http -> 10.0.0.2:80" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-B"#,
            r#"-A KUBE-SVC-X -m comment --comment "ns/web:http -> 10.0.0.3:80" -j KUBE-SEP-C"#,
        ];
        let first = ipt(lines[0]);
        assert!(meaning_of(&first, "--comment").contains("and the endpoint this rule leads to"));
        let m = meaning_of(&first, "--probability");
        assert!(m.contains("random 33.3 % of the new connections"), "{m}");
        assert!(m.contains("first such rule"), "{m}");
        assert!(m.contains("gets 33.3 %"), "{m}");
        let second = explain(
            LineKind::Iptables,
            lines[1],
            [
                lines[0],
                "-A OTHER -m statistic --mode random --probability 0.9 -j X",
            ]
            .into_iter(),
        )
        .unwrap();
        let m = meaning_of(&second, "--probability");
        assert!(m.contains("random 50.0 %"), "{m}");
        assert!(
            m.contains("only the 66.7 % left over by the 1 rule before it"),
            "{m}"
        );
        assert!(m.contains("this endpoint gets 33.3 %"), "{m}");
        // The part covers the whole `-m statistic …` group and nothing of the comment.
        let part = second
            .parts
            .iter()
            .find(|p| p.text.contains("--probability"))
            .unwrap();
        assert_eq!(
            part.text,
            "-m statistic --mode random --probability 0.50000000000"
        );
        assert_eq!(&lines[1][part.start..part.end], part.text);
        assert_eq!(part.term, Some("statistic"));
    }

    #[test]
    fn a_negated_probability_matches_the_rest() {
        // `! --probability 0.3` passes the 70 % the draw does not pick.
        let e = ipt(
            "-A KUBE-SVC-X -m statistic --mode random ! --probability 0.30000000000 -j KUBE-SEP-A",
        );
        let m = meaning_of(&e, "--probability");
        assert!(m.contains("random 70.0 % of the new connections"), "{m}");
        let part = e
            .parts
            .iter()
            .find(|p| p.text.contains("--probability"))
            .unwrap();
        assert_eq!(
            part.text,
            "-m statistic --mode random ! --probability 0.30000000000"
        );
    }

    #[test]
    fn marks_masquerade_and_targets() {
        let e = ipt("-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000");
        let m = meaning_of(&e, "--set-xmark");
        assert!(m.starts_with("sets bit 0x4000 of the packet mark: kube-proxy's \"masquerade this packet\" flag, acted on in KUBE-POSTROUTING"), "{m}");
        let e = ipt("-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0");
        let m = meaning_of(&e, "--set-xmark");
        assert!(
            m.starts_with("flips bit 0x4000 of the packet mark")
                && m.contains("clears it")
                && m.contains("masquerade this packet"),
            "{m}"
        );
        let e = ipt("-A X -j MARK --set-xmark 0x0/0x4000");
        assert!(meaning_of(&e, "--set-xmark").starts_with("clears bit(s) 0x4000"));
        let e = ipt("-A X -j MARK --set-xmark 0x1/0xff");
        assert!(meaning_of(&e, "--set-xmark").starts_with("sets the packet mark bits 0xff to 0x1"));
        let e = ipt("-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE --random-fully");
        assert!(
            meaning_of(&e, "MASQUERADE").contains("--random-fully picks the source port at random")
        );
        let e = ipt("-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN");
        let m = meaning_of(&e, "--mark");
        assert!(
            m.contains("is not 0x4000") && m.contains("masquerade this packet"),
            "{m}"
        );
        assert!(meaning_of(&e, "RETURN").starts_with("goes back"));
        let e = ipt("-A KUBE-SEP-A -p tcp -m comment --comment \"ns/web:http\" -m tcp -j DNAT --to-destination 10.244.1.5:8080");
        assert!(meaning_of(&e, "DNAT").contains("rewrites the destination to 10.244.1.5:8080"));
        assert!(meaning_of(&e, "-p tcp").contains("only tcp packets"));
        let e = ipt("-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment \"ns/empty:p cluster IP has no endpoints\" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable");
        assert!(meaning_of(&e, "REJECT").contains("icmp-port-unreachable"));
        assert!(meaning_of(&e, "--dport").contains("destination port 80"));
        assert!(meaning_of(&e, "-d 10.96")
            .contains("addressed to 10.96.0.20/32 (exactly this address)"));
    }

    #[test]
    fn negations_addrtype_conntrack_recent_set_multiport() {
        let e = ipt("-A KUBE-SVC-X ! -s 10.244.0.0/16 -d 10.96.0.1/32 -p tcp -m tcp --dport 443 -j KUBE-MARK-MASQ");
        let p = &e.parts[1];
        assert_eq!(p.text, "! -s 10.244.0.0/16");
        assert!(p.meaning.contains("not from 10.244.0.0/16"));
        assert!(meaning_of(&e, "KUBE-MARK-MASQ").contains("0x4000"));
        let e = ipt("-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS");
        assert!(meaning_of(&e, "addrtype").contains("one of the node's own addresses"));
        let e = ipt("-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP");
        assert!(meaning_of(&e, "ctstate").contains("INVALID"));
        assert!(meaning_of(&e, "DROP").contains("silently"));
        let e = ipt("-A KUBE-SVC-X -m comment --comment \"ns/a:p -> 10.0.0.1:80\" -m recent --name KUBE-SEP-A --mask 255.255.255.255 --rsource --rcheck --seconds 10800 --reap -j KUBE-SEP-A");
        let m = meaning_of(&e, "--rcheck");
        assert!(
            m.contains("\"KUBE-SEP-A\"")
                && m.contains("10800 s (3 h)")
                && m.contains("--reap")
                && m.contains("masked with 255.255.255.255"),
            "{m}"
        );
        assert_eq!(
            e.parts
                .iter()
                .find(|p| p.text.contains("--rcheck"))
                .unwrap()
                .term,
            Some("session-affinity")
        );
        let e = ipt("-A KUBE-SEP-A -p tcp -m recent --set --name KUBE-SEP-A --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.0.0.1:80");
        assert!(meaning_of(&e, "--set").contains("records"));
        let e = ipt("-A KUBE-NODE-PORT -p tcp -m set --match-set KUBE-NODE-PORT-TCP dst -j RETURN");
        assert!(meaning_of(&e, "--match-set")
            .contains("destination is in the ipset \"KUBE-NODE-PORT-TCP\""));
        let e = ipt("-A X -p tcp -m multiport --dports 80,443 -i cni+ ! -o eth0 -j ACCEPT");
        assert!(meaning_of(&e, "multiport").contains("one of 80, 443"));
        assert!(meaning_of(&e, "-i cni+").contains("starts with cni"));
        assert!(meaning_of(&e, "! -o eth0").contains("not leaving through interface eth0"));
        let e = ipt("-A X -m addrtype ! --dst-type LOCAL -j RETURN");
        assert!(meaning_of(&e, "addrtype").contains("destination is not one of"));
    }

    #[test]
    fn declarations_and_unknown_lines() {
        let e = ipt(":KUBE-SERVICES - [0:0]");
        assert!(e.parts[0].meaning.contains("user chain KUBE-SERVICES"));
        assert!(ipt("*nat").parts[0].meaning.contains("nat table"));
        assert!(explain(
            LineKind::Iptables,
            "# Generated by iptables-save",
            std::iter::empty()
        )
        .is_none());
        assert!(explain(
            LineKind::Iptables,
            &"x".repeat(MAX_LINE + 1),
            std::iter::empty()
        )
        .is_none());
        // Broken quoting never panics and the ranges stay inside the line.
        for line in [
            "-A X -m comment --comment \"open",
            "-A",
            "-A X !",
            "-A X -m",
            "-A X -j",
            "-A X -s",
            "-A é -m comment --comment \"é\" -j Ü",
        ] {
            if let Some(e) = explain(LineKind::Iptables, line, std::iter::empty()) {
                for p in e.parts {
                    assert!(p.start <= p.end && p.end <= line.len(), "{line}");
                }
            }
        }
    }

    #[test]
    fn nft_statements() {
        let line = "                numgen random mod 3 vmap { 0 : goto endpoint-A, 1 : goto endpoint-B, 2 : goto endpoint-C }";
        let e = explain(LineKind::Nft, line, std::iter::empty()).unwrap();
        let p = &e.parts[0];
        assert!(
            p.text.starts_with("numgen random mod 3") && p.text.ends_with('}'),
            "{p:?}"
        );
        assert!(
            p.meaning.contains("from 0 to 2") && p.meaning.contains("33.3 %"),
            "{}",
            p.meaning
        );
        let e = explain(
            LineKind::Nft,
            "  ip saddr 10.42.4.201 jump mark-for-masquerade",
            std::iter::empty(),
        )
        .unwrap();
        assert!(meaning_of(&e, "ip saddr").contains("source address is 10.42.4.201"));
        assert!(meaning_of(&e, "jump").contains("0x4000"));
        let e = explain(
            LineKind::Nft,
            "  meta l4proto tcp dnat to 10.42.4.201:8080",
            std::iter::empty(),
        )
        .unwrap();
        assert!(meaning_of(&e, "dnat").contains("10.42.4.201:8080"));
        assert!(meaning_of(&e, "meta l4proto").contains("protocol is tcp"));
        let e = explain(
            LineKind::Nft,
            "  meta mark set meta mark | 0x00004000",
            std::iter::empty(),
        )
        .unwrap();
        assert!(
            e.parts[0]
                .meaning
                .contains("sets kube-proxy's masquerade bit"),
            "{e:?}"
        );
        let e = explain(
            LineKind::Nft,
            "  masquerade fully-random",
            std::iter::empty(),
        )
        .unwrap();
        assert!(e.parts[0].meaning.contains("fully-random"));
        let e = explain(
            LineKind::Nft,
            "  fib daddr type local ip daddr != 127.0.0.0/8 jump nodeports",
            std::iter::empty(),
        )
        .unwrap();
        assert!(meaning_of(&e, "fib").contains("destination is one of the node's own addresses"));
        assert!(meaning_of(&e, "127.0.0.0/8").contains("is not 127.0.0.0/8"));
        let e = explain(
            LineKind::Nft,
            "  ip daddr . meta l4proto . th dport vmap @service-ips",
            std::iter::empty(),
        )
        .unwrap();
        assert!(meaning_of(&e, "vmap").contains("service-ips"));
        assert!(e.parts[0]
            .meaning
            .contains("destination address + protocol + destination port"));
        let e = explain(
            LineKind::Nft,
            "add rule ip kube-proxy masquerading mark and 0x4000 == 0 return",
            std::iter::empty(),
        )
        .unwrap();
        assert!(meaning_of(&e, "and 0x4000").contains("masked with 0x4000, is 0"));
    }

    #[test]
    fn ipvsadm_lines() {
        let e = explain(
            LineKind::Ipvsadm,
            "TCP  10.96.0.10:53 rr persistent 10800",
            std::iter::empty(),
        )
        .unwrap();
        assert!(e.parts[0].meaning.contains("virtual service"));
        assert!(meaning_of(&e, "rr").contains("round robin"));
        assert!(meaning_of(&e, "persistent").contains("3 h"));
        let e = explain(
            LineKind::Ipvsadm,
            "  -> 192.168.0.17:53              Masq    1      0          0",
            std::iter::empty(),
        )
        .unwrap();
        assert_eq!(e.parts.len(), 5);
        assert!(meaning_of(&e, "Masq").contains("NAT"));
        assert!(explain(
            LineKind::Ipvsadm,
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
            std::iter::empty()
        )
        .is_none());
    }

    #[test]
    fn every_prefix_of_real_lines_is_safe() {
        let dumps = [
            (
                LineKind::Iptables,
                include_str!("../../../web/samples/kube-proxy-test-overall-iptables.txt"),
            ),
            (
                LineKind::Nft,
                include_str!("../../../web/samples/k3s-nftables-mode.txt"),
            ),
            (
                LineKind::Ipvsadm,
                include_str!("../../../web/samples/azure-kubeadm-ipvs-node.txt"),
            ),
        ];
        let mut explained = 0;
        for (kind, text) in dumps {
            let lines: Vec<&str> = text.lines().collect();
            for (n, line) in lines.iter().enumerate() {
                for cut in (0..=line.len()).filter(|c| line.is_char_boundary(*c)) {
                    let prefix = &line[..cut];
                    if let Some(e) = explain(kind, prefix, lines[..n].iter().rev().copied()) {
                        for p in &e.parts {
                            assert!(p.start <= p.end && p.end <= prefix.len(), "{prefix}");
                            assert_eq!(p.text, &prefix[p.start..p.end]);
                        }
                        explained += usize::from(cut == line.len());
                    }
                }
            }
        }
        assert!(explained > 150, "{explained}");
    }
}
