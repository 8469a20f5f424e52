//! Guided tours of the bundled samples: a few steps per sample, each saying what to look at, with links
//! that open a Service page, a finding, a line of the dump or a glossary entry. Shown above the overview
//! while the sample is loaded, and in the gallery (`#/gallery`).

use crate::route::Route;

/// Where a step's link goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A Service page, by report id.
    Service(&'static str),
    /// The first line of the sample that contains this text, in the Source view.
    Line(&'static str),
    /// The first finding with this code, on the overview.
    Finding(&'static str),
    /// A glossary entry, by key.
    Glossary(&'static str),
    /// The Trace view.
    Trace,
}

/// One step: a sentence and its links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub text: &'static str,
    pub links: &'static [(&'static str, Target)],
}

/// A sample's tour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guide {
    pub sample: &'static str,
    /// What the sample is about, one or two sentences.
    pub intro: &'static str,
    pub steps: &'static [Step],
}

pub const GUIDES: &[Guide] = &[
    Guide {
        sample: "flannel",
        intro: "A complete iptables-save of a small flannel cluster's node: the best place to see how iptables mode \
                sends a ClusterIP connection to a pod.",
        steps: &[
            Step {
                text: "Start at the entry point. KUBE-SERVICES has one rule per ClusterIP and port; this one catches \
                       DNS over UDP to 10.96.0.10:53 and jumps to the Service's chain.",
                links: &[
                    ("the kube-dns rule", Target::Line("--comment \"kube-system/kube-dns:dns cluster IP\" -m udp --dport 53 -j KUBE-SVC")),
                    ("ClusterIP", Target::Glossary("clusterip")),
                ],
            },
            Step {
                text: "In the Service chain, the endpoint rules are tried in order. Hover the rule with \
                       --probability 0.5 in the Source view: half of the new connections take the first endpoint, \
                       the rest fall through to the second.",
                links: &[
                    ("the statistic rule", Target::Line("-A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment \"kube-system/kube-dns:dns -> ")),
                    ("-m statistic odds", Target::Glossary("statistic")),
                ],
            },
            Step {
                text: "Open the Service page: the drawing shows both endpoints with their real share, and one trace \
                       per client origin — a pod, the node itself, and the endpoint reaching itself (hairpin).",
                links: &[("kube-system/kube-dns:dns", Target::Service("kube-system/kube-dns:dns"))],
            },
            Step {
                text: "Masquerade is decided early and done late: KUBE-MARK-MASQ sets mark bit 0x4000, and \
                       KUBE-POSTROUTING masquerades marked packets on the way out.",
                links: &[
                    ("KUBE-MARK-MASQ", Target::Line("-A KUBE-MARK-MASQ -j MARK")),
                    ("the MASQUERADE rule", Target::Line("-j MASQUERADE --random-fully")),
                    ("the 0x4000 mark", Target::Glossary("kube-mark-masq")),
                ],
            },
        ],
    },
    Guide {
        sample: "kube-proxy-test",
        intro: "The rules kube-proxy's own unit test expects: one of each kind of Service, including two that are \
                broken on purpose.",
        steps: &[
            Step {
                text: "The critical finding: ns2/svc2 has externalTrafficPolicy: Local and no endpoint on this node, \
                       so its NodePort and load-balancer traffic is dropped here.",
                links: &[
                    ("the finding", Target::Finding("etp-local-no-local-endpoints")),
                    ("ns2/svc2:p80", Target::Service("ns2/svc2:p80")),
                    ("externalTrafficPolicy", Target::Glossary("external-traffic-policy")),
                ],
            },
            Step {
                text: "ns6/svc6 has no endpoints at all: a REJECT rule answers its clients at once with \
                       \"connection refused\" instead of letting them time out.",
                links: &[
                    ("the REJECT rule", Target::Line("\"ns6/svc6:p80 has no endpoints\"")),
                    ("the finding", Target::Finding("no-endpoints")),
                    ("REJECT", Target::Glossary("reject")),
                ],
            },
            Step {
                text: "ns5/svc5 has session affinity: the Service chain first checks -m recent lists, so a returning \
                       client goes back to its endpoint for 3 hours.",
                links: &[
                    ("the --rcheck rule", Target::Line("--rcheck --seconds 10800 --reap")),
                    ("ns5/svc5:p80", Target::Service("ns5/svc5:p80")),
                    ("session affinity", Target::Glossary("session-affinity")),
                ],
            },
            Step {
                text: "Try any packet in the Trace view, for example a client from outside reaching a NodePort.",
                links: &[("Trace", Target::Trace), ("NodePort", Target::Glossary("nodeport"))],
            },
        ],
    },
    Guide {
        sample: "ipvs",
        intro: "A kubeadm node in IPVS mode: the load balancing is in IPVS, the masquerade and NodePort filtering \
                stay in iptables, driven by ipsets.",
        steps: &[
            Step {
                text: "Each virtual service in ipvsadm -Ln is a Service address and port; the lines under it are its \
                       endpoints (real servers). Hover one to see what the columns mean.",
                links: &[
                    ("the DNS virtual service", Target::Line("TCP  10.96.0.10:53 rr")),
                    ("IPVS", Target::Glossary("ipvs")),
                ],
            },
            Step {
                text: "The Service page shows the two DNS endpoints with equal shares (round robin).",
                links: &[("10.96.0.10:53/udp", Target::Service("10.96.0.10:53/udp"))],
            },
            Step {
                text: "iptables still does the masquerade, matching Service addresses through ipsets instead of one \
                       rule per Service.",
                links: &[
                    ("the finding", Target::Finding("ipvs-masquerade-rules")),
                    ("the KUBE-LOOP-BACK set", Target::Line("Name: KUBE-LOOP-BACK")),
                    ("ipset", Target::Glossary("ipset")),
                ],
            },
        ],
    },
    Guide {
        sample: "nftables",
        intro: "A node in kube-proxy's nftables mode: Services are found with one map lookup, endpoints picked with \
                numgen.",
        steps: &[
            Step {
                text: "The services chain looks the packet's address, protocol and port up in the service-ips verdict \
                       map: one lookup whatever the number of Services.",
                links: &[
                    ("the lookup", Target::Line("ip daddr . meta l4proto . th dport vmap @service-ips")),
                    ("verdict map", Target::Glossary("verdict-map")),
                ],
            },
            Step {
                text: "hellopod-np-svc has nine endpoints: numgen random mod 9 draws a number per new connection, so \
                       each endpoint gets one ninth.",
                links: &[
                    ("the numgen rule", Target::Line("numgen random mod 9")),
                    ("riset/hellopod-np-svc", Target::Service("riset/hellopod-np-svc:")),
                    ("numgen", Target::Glossary("numgen")),
                ],
            },
            Step {
                text: "Two Services have no endpoints: their addresses go to the reject chain through the \
                       no-endpoint-services map.",
                links: &[
                    ("the finding", Target::Finding("no-endpoints")),
                    ("endpoint", Target::Glossary("endpoint")),
                ],
            },
        ],
    },
    Guide {
        sample: "etp-local-black-hole",
        intro: "A kind worker where a NodePort Service with externalTrafficPolicy: Local has no pod: traffic to this \
                node's NodePort disappears.",
        steps: &[
            Step {
                text: "Read the critical finding first: the Service has endpoints, but none on this node.",
                links: &[
                    ("the finding", Target::Finding("etp-local-no-local-endpoints")),
                    ("externalTrafficPolicy", Target::Glossary("external-traffic-policy")),
                ],
            },
            Step {
                text: "The evidence: the local chain (KUBE-XLB-…) has no endpoint rule, only \"has no local \
                       endpoints\" and KUBE-MARK-DROP.",
                links: &[("the drop rule", Target::Line("has no local endpoints\" -j KUBE-MARK-DROP"))],
            },
            Step {
                text: "On the Service page, the trace from outside to the NodePort ends in a drop, while pods on this \
                       node still reach both endpoints through the ClusterIP.",
                links: &[
                    ("default/test-svc", Target::Service("default/test-svc:")),
                    ("NodePort", Target::Glossary("nodeport")),
                ],
            },
        ],
    },
    Guide {
        sample: "conntrack-table-full",
        intro: "An incident: the rules are fine, but the kernel's connection table overflowed and new connections \
                were dropped at random.",
        steps: &[
            Step {
                text: "The conntrack panel gives the verdict and what to change; the kernel's \"table full\" lines \
                       are the proof.",
                links: &[
                    ("the finding", Target::Finding("conntrack-critical")),
                    ("a table full line", Target::Line("table full, dropping packet")),
                    ("conntrack", Target::Glossary("conntrack")),
                ],
            },
            Step {
                text: "The limit itself is in the sysctl output.",
                links: &[("nf_conntrack_max", Target::Line("net.netfilter.nf_conntrack_max ="))],
            },
            Step {
                text: "Every Service connection needs a conntrack entry, whatever the proxy mode: the Service pages \
                       look healthy, which is why the table is the thing to check.",
                links: &[("default/service1:fileserver", Target::Service("default/service1:fileserver"))],
            },
        ],
    },
    Guide {
        sample: "hairpin",
        intro: "The flannel node again, with kube-proxy's hairpin rules missing from kube-dns's endpoint chains: a \
                DNS pod that asks its own Service and is sent back to itself gets no answer.",
        steps: &[
            Step {
                text: "The warning names the two endpoint chains without the `-s POD_IP -j KUBE-MARK-MASQ` rule.",
                links: &[
                    ("the finding", Target::Finding("hairpin-not-masqueraded")),
                    ("hairpin", Target::Glossary("hairpin")),
                ],
            },
            Step {
                text: "Compare an endpoint chain of kube-dns:dns (only the DNAT) with one of kube-dns:dns-tcp (the \
                       KUBE-MARK-MASQ rule first, then the DNAT).",
                links: &[
                    ("dns: DNAT only", Target::Line("\"kube-system/kube-dns:dns\" -m udp -j DNAT --to-destination 10.244.0.5:53")),
                    ("dns-tcp: with the mark", Target::Line("-s 10.244.0.5/32 -m comment --comment \"kube-system/kube-dns:dns-tcp\" -j KUBE-MARK-MASQ")),
                ],
            },
            Step {
                text: "On the Service page, choose the endpoint-itself (hairpin) trace: the connection that comes back \
                       to 10.244.0.5 leaves without masquerade. flannel's own FLANNEL-POSTRTG rule returns early for \
                       pod-to-pod traffic, so nothing else saves it.",
                links: &[
                    ("kube-system/kube-dns:dns", Target::Service("kube-system/kube-dns:dns")),
                    ("flannel's RETURN", Target::Line("-A FLANNEL-POSTRTG -s 10.244.0.0/24 -d 10.244.0.0/16")),
                    ("masquerade", Target::Glossary("masquerade")),
                ],
            },
        ],
    },
    Guide {
        sample: "iptables-large",
        intro: "A generated node with 300 Service ports of 3 endpoints each, shaped like kube-proxy's output: what \
                iptables mode costs as a cluster grows.",
        steps: &[
            Step {
                text: "The rule-count finding: KUBE-SERVICES is a list, so a connection to the last Service is compared \
                       with every rule before it. nftables and IPVS use one lookup.",
                links: &[
                    ("the finding", Target::Finding("rule-count")),
                    ("the last KUBE-SERVICES rule", Target::Line("NOTE: this must be the last rule in this chain")),
                    ("kube-proxy's chains", Target::Glossary("kube-chains")),
                ],
            },
            Step {
                text: "Use the Services table: search, sort, and the filters (eTP Local, no endpoints) to find the few \
                       Services with a problem among hundreds; only the visible rows are drawn.",
                links: &[("eTP Local black holes", Target::Finding("etp-local-no-local-endpoints"))],
            },
            Step {
                text: "Each Service still has the usual path: the three-endpoint cascade 0.333…, 0.5, rest.",
                links: &[
                    ("billing-0/api-105:postgres", Target::Service("billing-0/api-105:postgres")),
                    ("-m statistic odds", Target::Glossary("statistic")),
                ],
            },
        ],
    },
];

/// The tour of a sample.
pub fn for_sample(name: &str) -> Option<&'static Guide> {
    GUIDES.iter().find(|g| g.sample == name)
}

/// The 1-based number of the first line of `text` containing `needle`.
pub fn line_of(text: &str, needle: &str) -> Option<u32> {
    text.lines()
        .position(|l| l.contains(needle))
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// Where a link goes in this page, for the sample text `text`.
pub fn href(target: Target, text: &str) -> Option<String> {
    Some(match target {
        Target::Service(id) => Route::Service(id.to_string()).href(),
        Target::Line(needle) => Route::Source(Some(line_of(text, needle)?)).href(),
        Target::Finding(code) => Route::Finding(code.to_string()).href(),
        Target::Glossary(key) => Route::Glossary(Some(key.to_string())).href(),
        Target::Trace => Route::Trace(crate::route::TraceQuery::default()).href(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::SAMPLES;

    #[test]
    fn every_sample_has_a_tour_whose_links_resolve() {
        for sample in SAMPLES {
            let guide =
                for_sample(sample.name).unwrap_or_else(|| panic!("{} has no tour", sample.name));
            assert!(guide.steps.len() >= 3, "{}", sample.name);
            let text = sample.text();
            let report = svcpath_analysis::analyze(&text, &Default::default());
            for step in guide.steps {
                assert!(!step.links.is_empty(), "{}: {}", sample.name, step.text);
                for (label, target) in step.links {
                    let href = href(*target, &text)
                        .unwrap_or_else(|| panic!("{}: {label} {target:?} not found", sample.name));
                    match target {
                        Target::Service(id) => assert!(
                            report.services.iter().any(|s| s.id == *id),
                            "{}: no Service {id}",
                            sample.name
                        ),
                        Target::Finding(code) => assert!(
                            report.findings.iter().any(|f| f.code == *code),
                            "{}: no finding {code}",
                            sample.name
                        ),
                        Target::Glossary(key) => {
                            assert!(crate::glossary::find(key).is_some(), "{key}")
                        }
                        Target::Line(_) => assert!(href.starts_with("#/source/L")),
                        Target::Trace => {}
                    }
                }
            }
        }
        assert_eq!(GUIDES.len(), SAMPLES.len());
    }

    #[test]
    fn line_of_finds_the_first_match() {
        assert_eq!(line_of("a\nbcd\nbc\n", "bc"), Some(2));
        assert_eq!(line_of("a\n", "z"), None);
    }
}
