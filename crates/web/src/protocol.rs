//! Messages between the page and the analysis worker.
//!
//! The page posts a two-element array: a JSON [`Request`] and, for an analysis, the paste as a plain
//! string (never copied into JSON). The worker answers with one JSON [`Reply`] string per message.

use serde::{Deserialize, Serialize};
use svcpath_analysis::trace::{Packet, Trace};
use svcpath_analysis::{Options, Report};
use svcpath_syntax::SectionKind;

/// What the page asks the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Request {
    /// Explain the paste sent beside this header.
    Analyze {
        generation: u64,
        /// Section kinds chosen by the user: first line and kind name (`SectionKind::name`).
        section_overrides: Vec<(u32, String)>,
        node_ips: Vec<String>,
    },
    /// Trace one packet through the rules of analysis `generation`.
    Trace {
        generation: u64,
        seq: u64,
        packet: Packet,
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
}

/// What the worker answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
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
}

impl Request {
    pub fn generation(&self) -> u64 {
        match self {
            Request::Analyze { generation, .. }
            | Request::Trace { generation, .. }
            | Request::ServicePaths { generation, .. }
            | Request::Redact { generation, .. } => *generation,
        }
    }
}

impl Reply {
    pub fn generation(&self) -> u64 {
        match self {
            Reply::Ready
            | Reply::Traced { .. }
            | Reply::Paths { .. }
            | Reply::TraceFailed { .. } => 0,
            Reply::Started { generation, .. }
            | Reply::Analysed { generation, .. }
            | Reply::Failed { generation, .. }
            | Reply::Redacted { generation, .. } => *generation,
        }
    }
}

/// The analysis options a request carries; unknown kind names are ignored.
pub fn options(section_overrides: &[(u32, String)], node_ips: &[String]) -> Options {
    Options {
        section_overrides: section_overrides
            .iter()
            .filter_map(|(line, kind)| SectionKind::from_name(kind).map(|k| (*line, k)))
            .collect(),
        node_ips: node_ips.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_replies_round_trip() {
        let request = Request::Analyze {
            generation: 3,
            section_overrides: vec![(12, "ipvsadm".into())],
            node_ips: vec![],
        };
        let json = serde_json::to_string(&request).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"analyze","generation":3,"section_overrides":[[12,"ipvsadm"]],"node_ips":[]}"#
        );
        assert_eq!(serde_json::from_str::<Request>(&json).unwrap(), request);
        let reply = Reply::Analysed {
            generation: 3,
            report: Box::default(),
            millis: 1.5,
        };
        let json = serde_json::to_string(&reply).unwrap();
        assert_eq!(serde_json::from_str::<Reply>(&json).unwrap(), reply);
        assert_eq!(reply.generation(), 3);
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
                from: svcpath_analysis::trace::From::Pod,
                returning_client: false,
            },
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
        assert_eq!(json, r#"{"kind":"redact","generation":4,"on":true}"#);
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
    fn options_keep_known_kinds_only() {
        let o = options(
            &[
                (1, "nft".into()),
                (5, "bogus".into()),
                (9, "conntrack_stats".into()),
            ],
            &["10.0.0.1".into()],
        );
        assert_eq!(
            o.section_overrides,
            vec![(1, SectionKind::Nft), (9, SectionKind::ConntrackStats)]
        );
        assert_eq!(o.node_ips, vec!["10.0.0.1".to_string()]);
    }
}
