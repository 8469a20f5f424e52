//! The words the Source view explains and what they mean, as tables: chain names, targets, match
//! modules, address and connection states, nft keys and chains, IPVS schedulers. The code that walks a
//! parsed line looks its words up here; adding a word is adding a row.

/// One word of the vocabulary: what it means and the glossary entry behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The word as written: an exact name, or a prefix when it ends with `-` (chain tables only).
    pub word: &'static str,
    pub meaning: &'static str,
    /// The glossary entry that explains the idea behind it, if any.
    pub term: Option<&'static str>,
}

const fn e(word: &'static str, meaning: &'static str, term: Option<&'static str>) -> Entry {
    Entry {
        word,
        meaning,
        term,
    }
}

/// The entry for `word`: an exact row first, then the longest prefix row (a row ending in `-`).
pub fn lookup(table: &'static [Entry], word: &str) -> Option<&'static Entry> {
    table.iter().find(|x| x.word == word).or_else(|| {
        table
            .iter()
            .filter(|x| x.word.ends_with('-') && word.starts_with(x.word))
            .max_by_key(|x| x.word.len())
    })
}

/// Every glossary term a note can name, for the test that each has an entry.
pub fn terms() -> impl Iterator<Item = &'static str> {
    [
        IPTABLES_CHAINS,
        IPTABLES_TARGETS,
        IPTABLES_MODULES,
        NFT_CHAINS,
        NFT_SELECTORS,
        NFT_VERDICTS,
        IPVS_FORWARDING,
    ]
    .into_iter()
    .flatten()
    .filter_map(|x| x.term)
    .chain(EXTRA_TERMS.iter().copied())
}

/// Terms the walkers name directly (statement kinds without a table of their own).
const EXTRA_TERMS: &[&str] = &[
    "statistic",
    "session-affinity",
    "addrtype",
    "conntrack",
    "kube-mark-masq",
    "ipset",
    "dnat",
    "snat",
    "masquerade",
    "reject",
    "endpoint",
    "ipvs",
    "numgen",
    "verdict-map",
    "nftables",
];

// ---------------------------------------------------------------------------------------------------
// iptables

/// `*TABLE` headers.
#[rustfmt::skip]
pub const IPTABLES_TABLES: &[Entry] = &[
    e("nat", " (address rewriting: kube-proxy's Service, endpoint and masquerade chains)", None),
    e("filter", " (accept, drop or reject: kube-proxy's firewall, reject and forward rules)", None),
    e("mangle", " (marks and header changes)", None),
    e("raw", " (before connection tracking)", None),
];

/// Chains kube-proxy (and the kubelet) write, and what each is for. The term is named when a rule jumps
/// to the chain.
#[rustfmt::skip]
pub const IPTABLES_CHAINS: &[Entry] = &[
    e("KUBE-SERVICES", "kube-proxy's list of Service entry points: one rule per ClusterIP (and external IP) and port", None),
    e("KUBE-NODEPORTS", "kube-proxy's NodePort rules, reached from the end of KUBE-SERVICES for the node's own addresses", Some("nodeport")),
    e("KUBE-POSTROUTING", "where kube-proxy masquerades packets carrying its 0x4000 mark", None),
    e("KUBE-MARK-MASQ", "sets kube-proxy's masquerade mark (0x4000)", None),
    e("KUBE-MARK-DROP", "sets kube-proxy's drop mark (0x8000, older versions)", None),
    e("KUBE-FORWARD", "accepts forwarded Service traffic and drops invalid packets", None),
    e("KUBE-EXTERNAL-SERVICES", "rejects or drops traffic to external entry points without usable endpoints", None),
    e("KUBE-PROXY-FIREWALL", "drops load-balancer traffic from outside the allowed source ranges", None),
    e("KUBE-FIREWALL", "drops martian packets to 127.0.0.0/8 (kubelet)", None),
    e("KUBE-SVC-", "a Service port's load-balancing chain: picks one endpoint per new connection", Some("clusterip")),
    e("KUBE-SVL-", "a Service port's chain of node-local endpoints (externalTrafficPolicy: Local)", Some("external-traffic-policy")),
    e("KUBE-SEP-", "one endpoint's chain: marks hairpin traffic, then rewrites the destination to the pod", Some("endpoint")),
    e("KUBE-EXT-", "a Service port's external entry (NodePort, external or load-balancer IP)", Some("external-traffic-policy")),
    e("KUBE-XLB-", "a Service port's external entry under externalTrafficPolicy: Local (older kube-proxy)", Some("external-traffic-policy")),
    e("KUBE-FW-", "a load-balancer IP's entry, with its source-range checks", None),
];

/// Targets whose meaning does not depend on their options. Targets with options (DNAT, MARK, …) are
/// read by the walker; their terms are here too.
#[rustfmt::skip]
pub const IPTABLES_TARGETS: &[Entry] = &[
    e("DROP", "drops the packet silently: the client waits and times out", None),
    e("ACCEPT", "lets the packet through; no later rule of this table and hook sees it", None),
    e("RETURN", "goes back to the chain that jumped here and continues after the jump (at the end of a built-in chain: its policy)", None),
    e("LOG", "writes the packet to the kernel log and continues", None),
    e("CONNMARK", "copies marks between the packet and its connection (CONNMARK)", Some("conntrack")),
    e("NOTRACK", "changes connection tracking for the packet (e.g. --notrack: not tracked)", Some("conntrack")),
    e("CT", "changes connection tracking for the packet (e.g. --notrack: not tracked)", Some("conntrack")),
    e("KUBE-MARK-DROP", "jumps to KUBE-MARK-DROP, which sets mark bit 0x8000: the packet is dropped in the filter table", None),
    e("DNAT", "", Some("dnat")),
    e("SNAT", "", Some("snat")),
    e("MASQUERADE", "", Some("masquerade")),
    e("MARK", "", Some("kube-mark-masq")),
    e("REJECT", "", Some("reject")),
    e("KUBE-MARK-MASQ", "", Some("kube-mark-masq")),
];

/// `-m` modules: the glossary term of each, and the note for modules read without their options.
#[rustfmt::skip]
pub const IPTABLES_MODULES: &[Entry] = &[
    e("statistic", "", Some("statistic")),
    e("recent", "", Some("session-affinity")),
    e("addrtype", "", Some("addrtype")),
    e("conntrack", "", Some("conntrack")),
    e("state", "", Some("conntrack")),
    e("mark", "", Some("kube-mark-masq")),
    e("set", "", Some("ipset")),
    e("physdev", "a bridge-port match (physdev): which bridge port the packet used", None),
    e("socket", "only packets that belong to a local socket", None),
];

/// `-m addrtype --dst-type` values.
#[rustfmt::skip]
pub const ADDRESS_TYPES: &[Entry] = &[
    e("LOCAL", "one of the node's own addresses (any address on any interface: this is how NodePorts match every node IP)", None),
    e("UNICAST", "an ordinary unicast address", None),
    e("BROADCAST", "a broadcast address", None),
    e("MULTICAST", "a multicast address", None),
];

/// Connection-tracking states (`--ctstate`, nft `ct state`), upper case.
#[rustfmt::skip]
pub const CONNECTION_STATES: &[Entry] = &[
    e("NEW", "NEW (its first packet)", None),
    e("ESTABLISHED", "ESTABLISHED (packets have gone both ways)", None),
    e("RELATED", "RELATED (e.g. an ICMP error about a known connection)", None),
    e("INVALID", "INVALID (conntrack could not place it)", None),
    e("DNAT", "DNAT (its destination was rewritten)", None),
    e("SNAT", "SNAT (its source was rewritten)", None),
    e("UNTRACKED", "UNTRACKED", None),
];

/// Mark bits kube-proxy uses (the value without `0x` and leading zeros).
#[rustfmt::skip]
pub const MARK_BITS: &[Entry] = &[
    e("4000", ": kube-proxy's \"masquerade this packet\" flag, acted on in KUBE-POSTROUTING", None),
    e("8000", ": kube-proxy's \"drop this packet\" flag (KUBE-MARK-DROP, older versions)", None),
];

// ---------------------------------------------------------------------------------------------------
// nft

/// Chains of kube-proxy's nftables table, named when a rule jumps to them.
#[rustfmt::skip]
pub const NFT_CHAINS: &[Entry] = &[
    e("service-", " (a Service port's chain: picks an endpoint)", None),
    e("endpoint-", " (one endpoint's chain: rewrites the destination to the pod)", None),
    e("external-", " (a Service port's external entry: NodePort, external or load-balancer IP)", None),
    e("mark-for-masquerade", " (sets the 0x4000 masquerade mark)", None),
    e("masquerading", " (masquerades marked packets)", None),
];

/// Parts of an nft lookup key, in words.
#[rustfmt::skip]
pub const NFT_KEYS: &[Entry] = &[
    e("ip daddr", "destination address", None),
    e("ip6 daddr", "destination address", None),
    e("ip saddr", "source address", None),
    e("ip6 saddr", "source address", None),
    e("meta l4proto", "protocol", None),
    e("th dport", "destination port", None),
    e("tcp dport", "destination port", None),
    e("udp dport", "destination port", None),
];

/// Selectors (by their first word, or a prefix ending in `-`… here a word and a space) and the glossary
/// term behind them.
#[rustfmt::skip]
pub const NFT_SELECTORS: &[Entry] = &[
    e("fib", "", Some("addrtype")),
    e("ct", "", Some("conntrack")),
    e("meta mark", "", Some("kube-mark-masq")),
];

/// Verdict statements.
#[rustfmt::skip]
pub const NFT_VERDICTS: &[Entry] = &[
    e("reject", "refuses the packet and answers the sender with an ICMP error: an immediate failure instead of a timeout", Some("reject")),
    e("drop", "drops the packet silently: the client waits and times out", None),
    e("accept", "lets the packet through this chain's hook", None),
    e("return", "goes back to the chain that jumped here", None),
];

/// nft declarations (`table`, `chain`, `map`, `set` lines).
#[rustfmt::skip]
pub const NFT_DECLARATIONS: &[Entry] = &[
    e("table", "an nftables table: kube-proxy's own table holds all its chains, maps and sets", Some("nftables")),
    e("chain", "a chain: base chains (with a hook) see packets directly, others only when jumped to", Some("nftables")),
    e("map", "a verdict map: a key (address . protocol . port) found in one lookup gives the chain to go to", Some("verdict-map")),
    e("set", "a set of addresses or ports, matched with one lookup (@name)", Some("nftables")),
];

// ---------------------------------------------------------------------------------------------------
// ipvsadm

/// IPVS schedulers.
#[rustfmt::skip]
pub const IPVS_SCHEDULERS: &[Entry] = &[
    e("rr", "round robin: each new connection to the next real server", None),
    e("wrr", "weighted round robin", None),
    e("lc", "least connections", None),
    e("wlc", "weighted least connections", None),
    e("sh", "source hashing: a client always reaches the same real server", None),
    e("dh", "destination hashing", None),
    e("mh", "maglev hashing", None),
];

/// IPVS forwarding methods of a real server.
#[rustfmt::skip]
pub const IPVS_FORWARDING: &[Entry] = &[
    e("Masq", "forwarding method Masq: the destination is rewritten to this endpoint (NAT), as kube-proxy always does", Some("masquerade")),
    e("Route", "forwarding method Route (direct routing): the packet is sent on unchanged", Some("masquerade")),
    e("Tunnel", "forwarding method Tunnel: the packet is wrapped in IP-in-IP", Some("masquerade")),
];

/// The meaning of `word` in `table`, or `None`.
pub fn meaning(table: &'static [Entry], word: &str) -> Option<&'static str> {
    lookup(table, word).map(|x| x.meaning)
}

/// The term of `word` in `table`, or `None`.
pub fn term(table: &'static [Entry], word: &str) -> Option<&'static str> {
    lookup(table, word).and_then(|x| x.term)
}

/// A connection state in words (`NEW (its first packet)`), or the state itself.
pub fn connection_state(state: &str) -> String {
    meaning(CONNECTION_STATES, state).map_or_else(|| state.to_string(), str::to_string)
}

/// A note on kube-proxy's mark bits for `value` (`0x4000`, `0x4000/0x4000`), or nothing.
pub fn mark_note(value: &str) -> &'static str {
    let v = value.split('/').next().unwrap_or("");
    meaning(
        MARK_BITS,
        v.trim_start_matches("0x").trim_start_matches('0'),
    )
    .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_rows_win_and_the_longest_prefix_is_taken() {
        assert_eq!(term(IPTABLES_CHAINS, "KUBE-SVC-ABC"), Some("clusterip"));
        assert_eq!(term(IPTABLES_CHAINS, "KUBE-NODEPORTS"), Some("nodeport"));
        assert!(lookup(IPTABLES_CHAINS, "KUBE-SVC").is_none());
        assert!(lookup(IPTABLES_CHAINS, "MY-CHAIN").is_none());
        assert_eq!(mark_note("0x00004000/0x4000"), MARK_BITS[0].meaning);
        assert_eq!(mark_note("0x1"), "");
        assert_eq!(
            connection_state("INVALID"),
            "INVALID (conntrack could not place it)"
        );
        assert_eq!(connection_state("ODD"), "ODD");
    }
}
