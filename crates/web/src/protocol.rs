//! Messages between the page and the analysis worker.
//!
//! The page posts a two-element array: a JSON [`Request`] and, for an analysis, the paste as a plain
//! string (never copied into JSON). The worker answers with one JSON [`Reply`] string per message.
//!
//! Both are externally tagged (`{"analysed":{…}}`, `"ready"`): serde reads such an enum straight from
//! the JSON, where an internally tagged one (`{"kind":"analysed",…}`) is first buffered whole into
//! serde's generic `Content` tree and read again from it — for a report of 10,000 Services that is
//! every string allocated twice, and a second copy of every report type's reading code in the module.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use svcpath_analysis::nodes::{Comparison, Diff};
use svcpath_analysis::owner::Owner;
use svcpath_analysis::preview::FirstLook;
use svcpath_analysis::report::Service;
use svcpath_analysis::trace::{Packet, Trace};
use svcpath_analysis::{Options, Report, ReportStage};
use svcpath_syntax::SectionKind;

/// What the page asks the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    /// Explain the paste sent beside this header.
    Analyze {
        generation: u64,
        /// Section kinds chosen by the user: first line and kind name (`SectionKind::name`).
        section_overrides: Vec<(u32, String)>,
        node_ips: Vec<String>,
        /// Pod CIDRs the user gave.
        #[serde(default)]
        pod_cidrs: Vec<String>,
    },
    /// Trace one packet through the rules of analysis `generation`.
    Trace {
        generation: u64,
        seq: u64,
        packet: Packet,
        /// A packet of an existing flow: answered from the listed conntrack entry it belongs to.
        #[serde(default)]
        established: bool,
    },
    /// The traces that matter for Service number `index` of analysis `generation` (see
    /// `svcpath_analysis::trace::service_paths`).
    ServicePaths {
        generation: u64,
        seq: u64,
        index: usize,
    },
    /// Redaction on or off for analysis `generation`. Turned on with the paste beside this header,
    /// the worker redacts it, explains the redacted copy and answers [`Reply::Redacted`]; without the
    /// paste it only switches. While it is on, traces are answered from the redacted copy.
    Redact { generation: u64, on: bool },
    /// Explain each node's capture and compare them: the texts are sent joined beside this header,
    /// `lengths` bytes each, in the order of `names`.
    Compare {
        generation: u64,
        seq: u64,
        names: Vec<String>,
        lengths: Vec<usize>,
    },
    /// Explain two moments of one node and diff them: the earlier text (`before_len` bytes) then the
    /// later one, joined beside this header.
    Diff {
        generation: u64,
        seq: u64,
        before_len: usize,
    },
}

/// What the worker answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    /// The worker's handler is installed: requests posted from now on are read (earlier ones are lost,
    /// so the page waits for this before its first post).
    Ready,
    /// The worker has the paste and is reading it.
    Started { generation: u64, bytes: usize },
    /// The report for one paste.
    Analysed {
        generation: u64,
        report: Box<Report>,
        /// Time the analysis took inside the worker.
        millis: f64,
        /// The report's Services are those of the [`Reply::Partial`] of this analysis sent before
        /// (the stages after it do not change them), left out here so that 10,000 Services are not
        /// written, posted and read twice: `report.services` is empty and the page takes them from
        /// the part.
        #[serde(default)]
        services_in_part: bool,
    },
    /// A packet's trace.
    Traced { seq: u64, trace: Box<Trace> },
    /// A Service's traces, each with its label (`ClusterIP 10.96.0.10:53 from a pod`, …).
    Paths {
        seq: u64,
        index: usize,
        paths: Vec<(String, Trace)>,
    },
    /// A trace request could not be answered.
    TraceFailed { seq: u64, message: String },
    /// The redacted copy of analysis `generation` and its own report (what a recipient sees).
    Redacted {
        generation: u64,
        dump: String,
        report: Box<Report>,
        addresses: usize,
        names: usize,
        chains: usize,
        /// The redacted id of each Service of the analysis, in its order.
        service_ids: Vec<String>,
    },
    /// The request could not be answered.
    Failed { generation: u64, message: String },
    /// Sent after [`Reply::Analysed`] (and after [`Reply::Redacted`], `redacted: true`, for the
    /// redacted copy): who wrote each nft rule line of that analysis
    /// (`svcpath_analysis::explain::nft_rule_owners`), so the Source view's notes name a rule's owner
    /// from the rules the analysis read, beside the report rather than in it.
    LineOwners {
        generation: u64,
        redacted: bool,
        owners: Vec<(u32, Owner)>,
    },
    /// The report of analysis `generation` so far, sent before [`Reply::Analysed`] as soon as its
    /// Services are known (`stage` [`ReportStage::Services`]): what the stages after hold is still
    /// empty and says nothing about the input. `millis` is the time since the analysis started.
    Partial {
        generation: u64,
        stage: ReportStage,
        report: Box<Report>,
        millis: f64,
        /// `Some(total)`: `report.services` is only the first screenful of the Services table (its
        /// first order, by name) of `total` Services, sent first because it is quick to write and
        /// read; all of them follow in [`Reply::Services`] messages.
        #[serde(default)]
        services_total: Option<usize>,
    },
    /// Before the paste is parsed: the Services its dispatch lines name
    /// ([`svcpath_analysis::preview::first_look`]), listed until the report's first part replaces
    /// them. Says nothing of endpoints, and a Service it lacks is not said to be absent.
    FirstLook {
        generation: u64,
        look: FirstLook,
        millis: f64,
    },
    /// After a [`Reply::Partial`] with `services_total`: the next [`SERVICES_PER_MESSAGE`] Services
    /// of the report, in its order, from index `from` of `total`. A message each, so that the page
    /// reads a few at a time and stays answering between them.
    Services {
        generation: u64,
        from: usize,
        total: usize,
        services: Vec<Service>,
    },
    /// Stage `stage` of analysis `generation` is done; the report follows in [`Reply::Analysed`].
    Progress {
        generation: u64,
        stage: ReportStage,
        millis: f64,
    },
    /// The nodes of a [`Request::Compare`] side by side.
    Compared {
        seq: u64,
        comparison: Box<Comparison>,
        millis: f64,
    },
    /// The two moments of a [`Request::Diff`].
    Diffed { seq: u64, diff: Box<Diff> },
}

/// Cuts the joined texts of a [`Request::Compare`] or [`Request::Diff`] back into pieces of
/// `lengths` bytes; a length past the end or off a character boundary gives what is left.
pub fn split_joined<'a>(joined: &'a str, lengths: &[usize]) -> Vec<&'a str> {
    let mut out = Vec::with_capacity(lengths.len());
    let mut rest = joined;
    for &len in lengths {
        let mut cut = len.min(rest.len());
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (piece, tail) = rest.split_at(cut);
        out.push(piece);
        rest = tail;
    }
    out
}

/// [`Reply::Partial`] and [`Reply::Analysed`] with the report borrowed, as the worker serialises them
/// (the same JSON), so a report is written out without a copy of it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PartialReply<'a> {
    Partial {
        generation: u64,
        stage: ReportStage,
        report: &'a Report,
        millis: f64,
        services_total: Option<usize>,
    },
    Analysed {
        generation: u64,
        report: &'a Report,
        millis: f64,
        services_in_part: bool,
    },
    Services {
        generation: u64,
        from: usize,
        total: usize,
        services: &'a [Service],
    },
}

/// Services per [`Reply::Services`] message: reading one takes the page a few tens of milliseconds.
pub const SERVICES_PER_MESSAGE: usize = 1_000;

/// Services in the first part of a large report: more rows than a screen shows.
pub const FIRST_SCREENFUL: usize = 100;

/// The report so far with only the Services the table shows first (its first order, by name), when
/// it has more than [`FIRST_SCREENFUL`].
// The struct update fills the fields other parts of the report may gain later.
#[allow(clippy::needless_update)]
pub fn first_screenful(report: &Report) -> Option<Report> {
    if report.services.len() <= FIRST_SCREENFUL {
        return None;
    }
    let order = crate::model::select(
        report,
        &crate::model::Filter::default(),
        crate::model::SortKey::default(),
        false,
    );
    let services = order
        .into_iter()
        .take(FIRST_SCREENFUL)
        .filter_map(|i| report.services.get(i).cloned())
        .collect();
    // Everything but the Services is small: copied (a field added later stays empty in this first
    // part only; the part with all the Services follows).
    Some(Report {
        mode: report.mode,
        leftover_modes: report.leftover_modes.clone(),
        services,
        findings: report.findings.clone(),
        diagnostics: report.diagnostics.clone(),
        sections: report.sections.clone(),
        node: report.node.clone(),
        rules: report.rules.clone(),
        conntrack: report.conntrack.clone(),
        layout: report.layout.clone(),
        migration: report.migration.clone(),
        diagnosis: report.diagnosis.clone(),
        kube_proxy: report.kube_proxy.clone(),
        api: report.api.clone(),
        configured_mode: report.configured_mode.clone(),
        ..Report::default()
    })
}

impl Request {
    pub fn generation(&self) -> u64 {
        match self {
            Request::Analyze { generation, .. }
            | Request::Trace { generation, .. }
            | Request::ServicePaths { generation, .. }
            | Request::Redact { generation, .. }
            | Request::Compare { generation, .. }
            | Request::Diff { generation, .. } => *generation,
        }
    }
}

impl Reply {
    pub fn generation(&self) -> u64 {
        match self {
            Reply::Ready
            | Reply::Traced { .. }
            | Reply::Paths { .. }
            | Reply::TraceFailed { .. }
            | Reply::Compared { .. }
            | Reply::Diffed { .. } => 0,
            Reply::Started { generation, .. }
            | Reply::Analysed { generation, .. }
            | Reply::Failed { generation, .. }
            | Reply::Redacted { generation, .. }
            | Reply::LineOwners { generation, .. }
            | Reply::Partial { generation, .. }
            | Reply::Services { generation, .. }
            | Reply::FirstLook { generation, .. }
            | Reply::Progress { generation, .. } => *generation,
        }
    }
}

/// What the user told the page about the node, sent with every analysis as `Options`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFacts {
    pub node_ips: Vec<String>,
    pub pod_cidrs: Vec<String>,
}

/// Which list a fact belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactKind {
    NodeIp,
    PodCidr,
}

/// A change the user makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    Add(FactKind, String),
    Remove(FactKind, String),
    /// The node IPs as typed in the Trace form (comma or space separated).
    SetNodeIps(String),
}

impl UserFacts {
    fn list(&mut self, kind: FactKind) -> &mut Vec<String> {
        match kind {
            FactKind::NodeIp => &mut self.node_ips,
            FactKind::PodCidr => &mut self.pod_cidrs,
        }
    }

    /// Applies an edit: `Ok(true)` when the facts changed (the paste is analysed again), `Err` with
    /// what is wrong with a value that is not an address or CIDR.
    pub fn apply(&mut self, edit: Edit) -> Result<bool, String> {
        match edit {
            Edit::Add(kind, value) => {
                let value = normalise(kind, &value)?;
                let list = self.list(kind);
                if list.contains(&value) {
                    return Ok(false);
                }
                list.push(value);
                Ok(true)
            }
            Edit::Remove(kind, value) => {
                let list = self.list(kind);
                let before = list.len();
                list.retain(|v| *v != value);
                Ok(list.len() != before)
            }
            Edit::SetNodeIps(text) => {
                let mut ips = Vec::new();
                for word in text.split([',', ' ']).filter(|w| !w.trim().is_empty()) {
                    let ip = normalise(FactKind::NodeIp, word)?;
                    if !ips.contains(&ip) {
                        ips.push(ip);
                    }
                }
                let changed = ips != self.node_ips;
                self.node_ips = ips;
                Ok(changed)
            }
        }
    }
}

/// A node IP as an address (`10.0.0.5`, `fd00::5`), a pod CIDR as `addr/len` with its network address.
fn normalise(kind: FactKind, text: &str) -> Result<String, String> {
    let text = text.trim();
    match kind {
        FactKind::NodeIp => text
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<IpAddr>()
            .map(|ip| ip.to_string())
            .map_err(|_| format!("{text:?} is not an IP address (for example 192.168.0.2)")),
        FactKind::PodCidr => {
            let bad = || format!("{text:?} is not a CIDR (for example 10.244.0.0/16)");
            let (addr, len) = text.split_once('/').ok_or_else(bad)?;
            let addr: IpAddr = addr.trim().parse().map_err(|_| bad())?;
            let len: u8 = len.trim().parse().map_err(|_| bad())?;
            if len > if addr.is_ipv4() { 32 } else { 128 } {
                return Err(bad());
            }
            Ok(format!("{addr}/{len}"))
        }
    }
}

/// The analysis options a request carries; unknown kind names are ignored.
pub fn options(
    section_overrides: &[(u32, String)],
    node_ips: &[String],
    pod_cidrs: &[String],
) -> Options {
    Options {
        section_overrides: section_overrides
            .iter()
            .filter_map(|(line, kind)| SectionKind::from_name(kind).map(|k| (*line, k)))
            .collect(),
        node_ips: node_ips.to_vec(),
        pod_cidrs: pod_cidrs.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joined_texts_are_cut_back_by_their_lengths() {
        assert_eq!(
            split_joined("ab\ncdé\nx", &[3, 5, 1]),
            ["ab\n", "cdé\n", "x"]
        );
        // A wrong length never panics: it cuts at a character boundary, the rest goes to the next.
        assert_eq!(split_joined("é", &[1, 9]), ["", "é"]);
    }

    #[test]
    fn edits_add_remove_and_check_values() {
        let mut facts = UserFacts::default();
        assert_eq!(
            facts.apply(Edit::Add(FactKind::NodeIp, " 192.168.0.2 ".into())),
            Ok(true)
        );
        assert_eq!(
            facts.apply(Edit::Add(FactKind::NodeIp, "192.168.0.2".into())),
            Ok(false)
        );
        assert!(facts
            .apply(Edit::Add(FactKind::NodeIp, "node-1".into()))
            .is_err());
        assert_eq!(
            facts.apply(Edit::Add(FactKind::PodCidr, "10.244.0.0/16".into())),
            Ok(true)
        );
        assert!(facts
            .apply(Edit::Add(FactKind::PodCidr, "10.244.0.0/40".into()))
            .is_err());
        assert!(facts
            .apply(Edit::Add(FactKind::PodCidr, "10.244.0.0".into()))
            .is_err());
        assert_eq!(facts.node_ips, vec!["192.168.0.2".to_string()]);
        assert_eq!(facts.pod_cidrs, vec!["10.244.0.0/16".to_string()]);
        assert_eq!(
            facts.apply(Edit::Remove(FactKind::NodeIp, "192.168.0.2".into())),
            Ok(true)
        );
        assert!(facts.node_ips.is_empty());
        assert_eq!(
            facts.apply(Edit::SetNodeIps("10.0.0.1, [fd00::1] 10.0.0.1".into())),
            Ok(true)
        );
        assert_eq!(
            facts.node_ips,
            vec!["10.0.0.1".to_string(), "fd00::1".to_string()]
        );
        assert_eq!(facts.apply(Edit::SetNodeIps("".into())), Ok(true));
        assert!(facts.node_ips.is_empty());
    }

    #[test]
    fn requests_and_replies_round_trip() {
        let request = Request::Analyze {
            generation: 3,
            section_overrides: vec![(12, "ipvsadm".into())],
            node_ips: vec![],
            pod_cidrs: vec!["10.244.0.0/16".into()],
        };
        let json = serde_json::to_string(&request).unwrap();
        assert_eq!(
            json,
            r#"{"analyze":{"generation":3,"section_overrides":[[12,"ipvsadm"]],"node_ips":[],"pod_cidrs":["10.244.0.0/16"]}}"#
        );
        assert_eq!(serde_json::from_str::<Request>(&json).unwrap(), request);
        // A header without pod CIDRs (an older page) is still read.
        let old = r#"{"analyze":{"generation":3,"section_overrides":[],"node_ips":["10.0.0.1"]}}"#;
        match serde_json::from_str::<Request>(old).unwrap() {
            Request::Analyze {
                pod_cidrs,
                node_ips,
                ..
            } => {
                assert!(pod_cidrs.is_empty());
                assert_eq!(node_ips, vec!["10.0.0.1".to_string()]);
            }
            other => panic!("{other:?}"),
        }
        let reply = Reply::Analysed {
            generation: 3,
            report: Box::default(),
            millis: 1.5,
            services_in_part: true,
        };
        let json = serde_json::to_string(&reply).unwrap();
        assert_eq!(serde_json::from_str::<Reply>(&json).unwrap(), reply);
        assert_eq!(reply.generation(), 3);
        // The worker writes the report it keeps, borrowed: the same JSON.
        let borrowed = PartialReply::Analysed {
            generation: 3,
            report: &Report::default(),
            millis: 1.5,
            services_in_part: true,
        };
        assert_eq!(serde_json::to_string(&borrowed).unwrap(), json);
        assert!(
            json.starts_with(r#"{"analysed":{"generation":3,"report":{"#),
            "{json}"
        );
    }

    #[test]
    fn trace_requests_round_trip() {
        let request = Request::Trace {
            generation: 2,
            seq: 7,
            packet: Packet {
                src: None,
                dst: "10.96.0.10".into(),
                dst_port: 53,
                protocol: svcpath_analysis::report::Protocol::Udp,
                from: svcpath_analysis::trace::Origin::Pod,
                returning_client: false,
            },
            established: true,
        };
        let json = serde_json::to_string(&request).unwrap();
        assert!(json.contains(r#""from":"pod""#), "{json}");
        assert_eq!(serde_json::from_str::<Request>(&json).unwrap(), request);
        assert_eq!(request.generation(), 2);
    }

    #[test]
    fn redaction_messages_round_trip() {
        let request = Request::Redact {
            generation: 4,
            on: true,
        };
        let json = serde_json::to_string(&request).unwrap();
        assert_eq!(json, r#"{"redact":{"generation":4,"on":true}}"#);
        assert_eq!(serde_json::from_str::<Request>(&json).unwrap(), request);
        let reply = Reply::Redacted {
            generation: 4,
            dump: "-A X\n".into(),
            report: Box::default(),
            addresses: 2,
            names: 1,
            chains: 3,
            service_ids: vec!["ns-1/svc-1:http".into()],
        };
        let json = serde_json::to_string(&reply).unwrap();
        assert_eq!(serde_json::from_str::<Reply>(&json).unwrap(), reply);
        assert_eq!(reply.generation(), 4);
    }

    #[test]
    fn line_owners_round_trip() {
        let reply = Reply::LineOwners {
            generation: 5,
            redacted: false,
            owners: vec![(12, Owner::KubeProxy), (40, Owner::Firewalld)],
        };
        let json = serde_json::to_string(&reply).unwrap();
        assert_eq!(
            json,
            r#"{"line_owners":{"generation":5,"redacted":false,"owners":[[12,"kube-proxy"],[40,"firewalld"]]}}"#
        );
        assert_eq!(serde_json::from_str::<Reply>(&json).unwrap(), reply);
        assert_eq!(reply.generation(), 5);
    }

    #[test]
    fn partial_reports_and_progress_round_trip() {
        let report = Report {
            mode: svcpath_analysis::report::Mode::Iptables,
            ..Report::default()
        };
        let borrowed = PartialReply::Partial {
            generation: 6,
            stage: ReportStage::Services,
            report: &report,
            millis: 12.5,
            services_total: None,
        };
        let json = serde_json::to_string(&borrowed).unwrap();
        assert!(
            json.starts_with(r#"{"partial":{"generation":6,"stage":"services","report":{"#),
            "{json}"
        );
        let reply = Reply::Partial {
            generation: 6,
            stage: ReportStage::Services,
            report: Box::new(report),
            millis: 12.5,
            services_total: None,
        };
        assert_eq!(serde_json::to_string(&reply).unwrap(), json);
        assert_eq!(serde_json::from_str::<Reply>(&json).unwrap(), reply);
        assert_eq!(reply.generation(), 6);
        let progress = Reply::Progress {
            generation: 6,
            stage: ReportStage::Conntrack,
            millis: 40.0,
        };
        let json = serde_json::to_string(&progress).unwrap();
        assert_eq!(
            json,
            r#"{"progress":{"generation":6,"stage":"conntrack","millis":40.0}}"#
        );
        assert_eq!(serde_json::from_str::<Reply>(&json).unwrap(), progress);
    }

    #[test]
    fn services_messages_are_written_borrowed_as_they_are_read() {
        let services = vec![svcpath_analysis::report::Service {
            id: "ns/a:http".into(),
            ..Default::default()
        }];
        let json = serde_json::to_string(&PartialReply::Services {
            generation: 7,
            from: 1000,
            total: 1001,
            services: &services,
        })
        .unwrap();
        assert!(
            json.starts_with(r#"{"services":{"generation":7,"from":1000,"total":1001,"#),
            "{json}"
        );
        let read: Reply = serde_json::from_str(&json).unwrap();
        assert_eq!(
            read,
            Reply::Services {
                generation: 7,
                from: 1000,
                total: 1001,
                services,
            }
        );
        assert_eq!(read.generation(), 7);
    }

    #[test]
    fn a_first_screenful_is_the_tables_first_rows_by_name() {
        let mut report = Report::default();
        assert!(first_screenful(&report).is_none());
        // Named in reverse, so that the first screenful must be sorted out of them.
        report.services = (0..FIRST_SCREENFUL + 50)
            .rev()
            .map(|i| svcpath_analysis::report::Service {
                id: format!("ns/svc-{i:04}:http"),
                name: Some(format!("svc-{i:04}")),
                namespace: Some("ns".into()),
                ..Default::default()
            })
            .collect();
        report
            .diagnostics
            .push(svcpath_analysis::report::DiagnosticEntry {
                line: 3,
                severity: svcpath_analysis::report::DiagnosticSeverity::Warning,
                message: "kept".into(),
                start: 0,
                end: 1,
            });
        let head = first_screenful(&report).unwrap();
        assert_eq!(head.services.len(), FIRST_SCREENFUL);
        assert_eq!(head.services[0].id, "ns/svc-0000:http");
        assert_eq!(head.services[FIRST_SCREENFUL - 1].id, "ns/svc-0099:http");
        assert_eq!(head.diagnostics, report.diagnostics);
        report.services.truncate(FIRST_SCREENFUL);
        assert!(
            first_screenful(&report).is_none(),
            "a report that fits is sent whole"
        );
    }

    #[test]
    fn options_keep_known_kinds_only() {
        let o = options(
            &[
                (1, "nft".into()),
                (5, "bogus".into()),
                (9, "conntrack_stats".into()),
            ],
            &["10.0.0.1".into()],
            &["10.244.0.0/16".into()],
        );
        assert_eq!(
            o.section_overrides,
            vec![(1, SectionKind::Nft), (9, SectionKind::ConntrackStats)]
        );
        assert_eq!(o.node_ips, vec!["10.0.0.1".to_string()]);
        assert_eq!(o.pod_cidrs, vec!["10.244.0.0/16".to_string()]);
    }
}
