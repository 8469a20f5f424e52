//! Explains one line of `ipvsadm -Ln`: a virtual service or one of its real servers.

use super::vocabulary as v;
use super::words::ipvs_words as words;
use super::*;

pub(super) fn explain(line: &str) -> Option<Explanation> {
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
                    v::meaning(v::IPVS_FORWARDING, &w.text)
                        .map_or_else(|| format!("{label}: {}", w.text), str::to_string)
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
            facts: Facts::default(),
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
            let sched = v::meaning(v::IPVS_SCHEDULERS, &s.text).unwrap_or("the scheduler");
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
            facts: Facts::default(),
        });
    }
    None
}
