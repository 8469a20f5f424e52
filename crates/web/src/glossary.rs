//! The glossary (`#/glossary/KEY`): the ideas behind what kube-proxy programs, in plain language. The
//! guided tours, the findings and the Source view's option notes link to its entries by key.

/// One glossary entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Anchor, `#/glossary/KEY`.
    pub key: &'static str,
    pub term: &'static str,
    /// Paragraphs of explanation.
    pub text: &'static [&'static str],
    /// Related entries, by key.
    pub see: &'static [&'static str],
}

pub const ENTRIES: &[Entry] = &[
    Entry {
        key: "clusterip",
        term: "ClusterIP",
        text: &[
            "A Service's virtual address. No interface owns it: every node rewrites connections to it \
             (ClusterIP:port) into a connection to one of the Service's endpoints, on the node where the \
             connection starts. In iptables mode, KUBE-SERVICES has one rule per ClusterIP and port that jumps \
             to the Service's KUBE-SVC-… chain.",
            "Because the rewrite happens on the client's node, the rules of one node tell you where that node \
             sends the Service's traffic, not what other nodes do.",
        ],
        see: &["dnat", "endpoint", "kube-chains"],
    },
    Entry {
        key: "nodeport",
        term: "NodePort",
        text: &[
            "A port opened on every node's addresses (30000–32767 by default) that leads to a Service. In \
             iptables mode, the last rule of KUBE-SERVICES matches packets whose destination is one of the \
             node's own addresses (`-m addrtype --dst-type LOCAL`) and sends them to KUBE-NODEPORTS, which \
             matches the port. Traffic from outside is masqueraded unless externalTrafficPolicy is Local.",
        ],
        see: &["external-traffic-policy", "masquerade", "addrtype"],
    },
    Entry {
        key: "loadbalancer",
        term: "LoadBalancer and external IPs",
        text: &[
            "Addresses outside the cluster that lead to a Service: the address a cloud load balancer gives \
             (status.loadBalancer) or addresses listed in spec.externalIPs. kube-proxy matches them in \
             KUBE-SERVICES like a ClusterIP, then goes through the Service's external chain (KUBE-EXT-…), \
             and for load balancers with source ranges through KUBE-FW-… first.",
        ],
        see: &["external-traffic-policy", "nodeport"],
    },
    Entry {
        key: "external-traffic-policy",
        term: "externalTrafficPolicy",
        text: &[
            "How a Service treats traffic arriving from outside (NodePort, load-balancer and external IPs). \
             Cluster (the default): any node accepts it and may send it to an endpoint on another node; the \
             packet is masqueraded, so the pod sees the node's address instead of the client's. Local: a node \
             sends it only to endpoints on that same node and does not masquerade, so the client address is \
             kept.",
            "The price of Local: a node without a local endpoint drops that traffic (\"has no local \
             endpoints\" rules). A load balancer's health check (healthCheckNodePort) is meant to steer \
             clients away from such nodes; a NodePort used directly has no such protection — a black hole.",
        ],
        see: &["nodeport", "masquerade", "endpoint"],
    },
    Entry {
        key: "endpoint",
        term: "Endpoint",
        text: &[
            "One ready backend of a Service: a pod's address and port (from EndpointSlices). kube-proxy writes \
             one chain per endpoint (KUBE-SEP-… in iptables mode, endpoint-… in nftables mode, a real server in \
             IPVS) and spreads new connections over them. A Service without ready endpoints gets a reject \
             rule instead.",
        ],
        see: &["statistic", "dnat", "reject"],
    },
    Entry {
        key: "kube-chains",
        term: "kube-proxy's chains",
        text: &[
            "KUBE-SERVICES: one rule per Service address and port. KUBE-SVC-…: a Service port's load-balancing \
             chain, one rule per endpoint. KUBE-SEP-…: one endpoint — hairpin mark, then DNAT. KUBE-EXT-… / \
             KUBE-XLB-… / KUBE-SVL-…: external entries and the local endpoints for externalTrafficPolicy: \
             Local. KUBE-NODEPORTS: NodePorts. KUBE-MARK-MASQ and KUBE-POSTROUTING: the masquerade mark and \
             where it is acted on. KUBE-FORWARD, KUBE-EXTERNAL-SERVICES, KUBE-PROXY-FIREWALL (filter table): \
             forwarding, rejects for Services without endpoints, load-balancer source ranges.",
            "The suffix is a hash of the Service (and endpoint) name, so it stays the same from one sync to the \
             next.",
        ],
        see: &["clusterip", "endpoint", "kube-mark-masq"],
    },
    Entry {
        key: "statistic",
        term: "-m statistic odds",
        text: &[
            "iptables mode picks an endpoint with `-m statistic --mode random --probability p` on each endpoint \
             rule of a KUBE-SVC-… chain, tried in order; the last rule has no probability and takes whatever \
             is left. So the written probability is a share of the connections that reach that rule, not of \
             all connections: with three endpoints kube-proxy writes 0.333…, 0.5 and nothing, and each endpoint \
             gets one third (0.5 of the remaining two thirds is one third).",
            "Endpoint i gets p_i × (1 − p_1) × … × (1 − p_(i−1)). Only the first packet of a connection is \
             matched this way: conntrack sends the rest of the connection to the same endpoint.",
        ],
        see: &["conntrack", "endpoint", "numgen"],
    },
    Entry {
        key: "dnat",
        term: "DNAT",
        text: &[
            "Destination NAT: rewriting a packet's destination address and port. kube-proxy's KUBE-SEP-… chain \
             ends with `-j DNAT --to-destination POD:PORT`: from there the packet goes to the pod. Conntrack \
             remembers the rewrite and undoes it on the replies, so the client sees answers from the address it \
             called.",
        ],
        see: &["snat", "conntrack", "clusterip"],
    },
    Entry {
        key: "snat",
        term: "SNAT",
        text: &[
            "Source NAT: rewriting a packet's source address (and maybe port). MASQUERADE is SNAT to the address \
             of the interface the packet leaves on. Replies then come back to this node, where conntrack undoes \
             both rewrites.",
        ],
        see: &["masquerade", "dnat", "conntrack"],
    },
    Entry {
        key: "masquerade",
        term: "Masquerade",
        text: &[
            "SNAT to the outgoing interface's address (`-j MASQUERADE`, nft `masquerade`). kube-proxy \
             masquerades Service traffic that would otherwise break or leak: traffic from outside the pod network \
             to a ClusterIP, NodePort traffic under externalTrafficPolicy: Cluster, traffic the node itself \
             sends, and hairpin traffic. It marks such packets with 0x4000 on the way in and masquerades them \
             in KUBE-POSTROUTING on the way out.",
            "`--random-fully` (nft `fully-random`) picks the new source port at random, which avoids port \
             collisions between many connections (seen as conntrack insert_failed).",
        ],
        see: &["kube-mark-masq", "hairpin", "snat"],
    },
    Entry {
        key: "kube-mark-masq",
        term: "KUBE-MARK-MASQ and the 0x4000 mark",
        text: &[
            "The packet mark is a 32-bit number the kernel carries with a packet inside the node. kube-proxy uses \
             bit 0x4000 as \"masquerade this packet\": rules jump to KUBE-MARK-MASQ, which sets the bit \
             (`-j MARK --set-xmark 0x4000/0x4000` or `--or-mark 0x4000`); in POSTROUTING, KUBE-POSTROUTING \
             returns for packets without the bit, clears it (`--xor-mark 0x4000`) and masquerades the rest.",
            "Deciding early and acting late lets rules in PREROUTING (which cannot change the source) choose, \
             and POSTROUTING (which can) do it. Bit 0x8000 was KUBE-MARK-DROP's \"drop this packet\" in older \
             versions.",
        ],
        see: &["masquerade", "hairpin"],
    },
    Entry {
        key: "hairpin",
        term: "Hairpin",
        text: &[
            "A pod that connects to its own Service and is load-balanced back to itself. The packet leaves the \
             pod for the ClusterIP, is rewritten (DNAT) to the pod's own address and comes back in. Without \
             masquerade the pod sees a packet from itself to itself and answers itself directly; the reply \
             never passes the NAT, does not match the connection the pod opened, and the connection hangs.",
            "kube-proxy prevents it with `-A KUBE-SEP-… -s POD_IP/32 -j KUBE-MARK-MASQ` in each endpoint chain: \
             when the source is the endpoint itself, the packet is masqueraded to the node's address. The \
             node's bridge must also let a packet go back out of the port it came in on (hairpin mode, set by \
             the CNI plugin / kubelet).",
        ],
        see: &["masquerade", "kube-mark-masq", "dnat"],
    },
    Entry {
        key: "session-affinity",
        term: "Session affinity",
        text: &[
            "sessionAffinity: ClientIP sends all connections from one client address to the same endpoint for a \
             while (10800 s, 3 h, by default). iptables mode does it with `-m recent`: the endpoint chain records \
             the client's address in a list named after the endpoint (`--set`), and the Service chain first \
             checks each list (`--rcheck --seconds 10800 --reap`) before the random choice. IPVS uses \
             `persistent`; nftables mode uses a set with timeouts.",
            "Clients behind one NAT share an address, so they all land on one endpoint.",
        ],
        see: &["statistic", "endpoint"],
    },
    Entry {
        key: "conntrack",
        term: "conntrack",
        text: &[
            "The kernel's connection tracking: a table of every connection the node sees, with its NAT rewrites. \
             Only a connection's first packet goes through the nat table's rules; later packets and replies are \
             handled from the table. That is why a rule change does not move existing connections.",
            "The table has a limit (nf_conntrack_max). When it is full, new connections are dropped (\"nf_conntrack: \
             table full, dropping packet\" in the kernel log); conntrack -S counts drops and insert failures.",
        ],
        see: &["dnat", "statistic"],
    },
    Entry {
        key: "addrtype",
        term: "-m addrtype --dst-type LOCAL",
        text: &[
            "Matches packets whose destination is any address the node owns, on any interface (the kernel's \
             local routing table). kube-proxy uses it to catch NodePort traffic to all node addresses with one \
             rule, without listing them. nftables mode writes `fib daddr type local`.",
        ],
        see: &["nodeport"],
    },
    Entry {
        key: "reject",
        term: "REJECT for a Service without endpoints",
        text: &[
            "When a Service has no ready endpoint, kube-proxy adds a rule (filter table: KUBE-SERVICES or \
             KUBE-EXTERNAL-SERVICES) that answers with an ICMP port-unreachable (`-j REJECT`), so a client fails \
             at once instead of waiting for a timeout. \"has no endpoints\" in the rule's comment says so.",
        ],
        see: &["endpoint"],
    },
    Entry {
        key: "ipset",
        term: "ipset",
        text: &[
            "A kernel set of addresses (and ports) that one iptables rule matches with a hash lookup \
             (`-m set --match-set NAME dst`). IPVS mode keeps its Service addresses in ipsets (KUBE-CLUSTER-IP, \
             KUBE-NODE-PORT-TCP, KUBE-LOOP-BACK …) so its few iptables rules stay the same whatever the number \
             of Services.",
        ],
        see: &["ipvs"],
    },
    Entry {
        key: "ipvs",
        term: "IPVS",
        text: &[
            "IP Virtual Server, the kernel's layer-4 load balancer. In IPVS mode kube-proxy creates one virtual \
             service per Service address and port (`ipvsadm -Ln` shows them) with the endpoints as real servers, \
             and binds the addresses to a dummy interface (kube-ipvs0). The scheduler (rr: round robin by \
             default) picks the real server; `persistent` gives session affinity. Masquerade and NodePort \
             filtering stay in iptables, driven by ipsets.",
        ],
        see: &["ipset", "endpoint", "masquerade"],
    },
    Entry {
        key: "nftables",
        term: "nftables mode",
        text: &[
            "kube-proxy's newest mode (beta in 1.31): one nftables table (`table ip kube-proxy`) with chains named \
             service-…, endpoint-…, external-…, and maps that find the Service for a packet in one lookup instead \
             of a rule per Service. `nft list ruleset` shows it.",
        ],
        see: &["verdict-map", "numgen"],
    },
    Entry {
        key: "verdict-map",
        term: "nftables verdict map",
        text: &[
            "A map from a key to a verdict (`goto CHAIN`, `drop` …), used with `vmap`. kube-proxy's service-ips \
             map takes destination address . protocol . port and gives the Service chain: one hash lookup \
             replaces the long KUBE-SERVICES list of iptables mode, so the cost per packet does not grow with the \
             number of Services.",
        ],
        see: &["nftables", "numgen"],
    },
    Entry {
        key: "numgen",
        term: "numgen random",
        text: &[
            "nftables' number generator. `numgen random mod N vmap { 0 : goto a, 1 : goto b, … }` draws a number \
             from 0 to N−1 for each new connection and goes to the chain listed for it: each endpoint gets 1/N of \
             new connections, without the cascading probabilities of iptables mode.",
        ],
        see: &["verdict-map", "statistic"],
    },
    Entry {
        key: "endpoint-slice",
        term: "EndpointSlice",
        text: &[
            "The API's list of a Service's endpoints (`kubectl get endpointslices`): each address with its \
             conditions (ready, serving, terminating), its node and zone, and topology hints. kube-proxy on every \
             node watches them and writes its rules from them: ready endpoints, or serving terminating ones when \
             none is ready; only this node's with a Local traffic policy; only those hinted for its zone or node \
             when hints apply.",
            "Paste `kubectl get svc,endpointslices,nodes -A -o json` beside a node's dump and svcpath compares the \
             two: an endpoint the node holds that the API no longer lists is a stale rule (kube-proxy there stopped \
             syncing), one the API gives the node that its rules lack was not synced yet.",
        ],
        see: &["endpoint", "external-traffic-policy"],
    },
];

/// The entry with this key.
pub fn find(key: &str) -> Option<&'static Entry> {
    ENTRIES.iter().find(|e| e.key == key)
}

/// The glossary entry that explains a finding, by its code.
pub fn for_finding(code: &str) -> Option<&'static str> {
    Some(match code {
        "hairpin-not-masqueraded" => "hairpin",
        "masquerade-chain-missing" | "ipvs-masquerade-rules" => "masquerade",
        c if c.starts_with("etp-") => "external-traffic-policy",
        "no-endpoints" | "empty-kube-chain" => "endpoint",
        "session-affinity" => "session-affinity",
        "skewed-odds" => "statistic",
        "rule-count" | "rule-ahead" => "kube-chains",
        c if c.starts_with("conntrack") => "conntrack",
        c if c.starts_with("api-") => "endpoint-slice",
        "nodes-etp-local-black-hole" => "external-traffic-policy",
        "nodes-conntrack-near-full" => "conntrack",
        "nodes-odd-node-out" | "nodes-endpoints-differ" | "nodes-service-missing" => {
            "endpoint-slice"
        }
        "nodes-mixed-layouts" => "nftables",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_anchors_and_links_resolve() {
        let mut keys: Vec<&str> = ENTRIES.iter().map(|e| e.key).collect();
        keys.sort_unstable();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "duplicate keys");
        for e in ENTRIES {
            assert!(e.key.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'));
            assert!(!e.text.is_empty());
            for s in e.see {
                assert!(find(s).is_some(), "{} links to missing {s}", e.key);
            }
        }
        assert!(find("nope").is_none());
    }

    #[test]
    fn finding_and_option_terms_have_entries() {
        for code in [
            "hairpin-not-masqueraded",
            "masquerade-chain-missing",
            "etp-local-no-local-endpoints",
            "no-endpoints",
            "session-affinity",
            "rule-count",
        ] {
            let key = for_finding(code).unwrap();
            assert!(find(key).is_some(), "{code} → {key}");
        }
        // Every term the Source view's option notes can name exists: the vocabulary's, and those the
        // samples' lines name.
        use svcpath_analysis::explain::{explain, vocabulary, LineFacts, LineKind};
        for term in vocabulary::terms() {
            assert!(find(term).is_some(), "{term} from the vocabulary");
        }
        let mut seen = 0;
        for sample in crate::samples::SAMPLES {
            let text = sample.text();
            for line in text.lines().take(5000) {
                for kind in [LineKind::Iptables, LineKind::Nft, LineKind::Ipvsadm] {
                    for part in
                        explain(kind, line, &LineFacts::default()).map_or(Vec::new(), |e| e.parts)
                    {
                        if let Some(term) = part.term {
                            assert!(find(term).is_some(), "{term} from {line}");
                            seen += 1;
                        }
                    }
                }
            }
        }
        assert!(seen > 100);
        for term in [
            "statistic",
            "session-affinity",
            "nodeport",
            "conntrack",
            "kube-mark-masq",
            "ipset",
            "dnat",
            "snat",
            "masquerade",
            "reject",
            "clusterip",
            "endpoint",
            "external-traffic-policy",
            "verdict-map",
            "nftables",
            "numgen",
            "ipvs",
        ] {
            assert!(find(term).is_some(), "{term}");
        }
    }
}
