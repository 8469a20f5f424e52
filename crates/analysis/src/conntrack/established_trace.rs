//! `trace --established` (the hook is `Trace::established`): a packet of a flow the pasted conntrack table already tracks. The kernel
//! applies the entry's NAT mapping (its reply source is where the packet goes) and does not consult the
//! nat chains, so the answer is that entry's endpoint, not the odds of a new connection.

use std::net::IpAddr;

use super::established::{established, FlowQuery};
use crate::trace::{Hook, Outcome, Packet, Step, Trace, Verdict};
use crate::{Options, Snapshot};

fn parse_ip(text: &str) -> Option<IpAddr> {
    text.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// Traces a packet of an existing flow: the listed entry's endpoint when one matches the client (and
/// its port, when given) and the destination; otherwise a new connection's trace, saying so.
pub fn trace_established(
    snapshot: &Snapshot,
    options: &Options,
    packet: &Packet,
    client_port: Option<u16>,
) -> Trace {
    trace_established_with(
        snapshot,
        options,
        &snapshot.report(options),
        packet,
        client_port,
    )
}

/// [`trace_established`] with the snapshot's report already at hand (the page's worker keeps it).
pub fn trace_established_with(
    snapshot: &Snapshot,
    options: &Options,
    report: &crate::report::Report,
    packet: &Packet,
    client_port: Option<u16>,
) -> Trace {
    let new_connection = |note: String| {
        let mut t = crate::trace::trace(snapshot, options, packet);
        t.notes.insert(0, note);
        t
    };
    let (Some(client), Some(destination)) = (
        packet.src.as_deref().and_then(parse_ip),
        parse_ip(&packet.dst),
    ) else {
        return new_connection(
            "an established flow needs the client's address (--src); traced as a new connection"
                .to_string(),
        );
    };
    let query = FlowQuery {
        client,
        client_port,
        destination,
        port: packet.dst_port,
        protocol: packet.protocol.name(),
    };
    let Some(flow) = established(
        &snapshot.conntrack_lists,
        &report.services,
        &report.node,
        &query,
    ) else {
        let why = if snapshot
            .conntrack_lists
            .iter()
            .all(|l| l.entries.is_empty())
        {
            "the paste lists no conntrack entries (`conntrack -L`)"
        } else {
            "no listed conntrack entry matches this client and destination"
        };
        return new_connection(format!("{why}; traced as a new connection"));
    };
    let hook = match packet.from {
        crate::trace::Origin::Node => Hook::Output,
        _ => Hook::Prerouting,
    };
    let mut note = format!(
        "existing flow: conntrack entry {} → {} ({}{}), line {}; the kernel sends the packet to {}, the nat chains are not consulted",
        flow.client,
        flow.destination,
        flow.protocol,
        flow.state
            .as_deref()
            .map(|s| format!(" {s}"))
            .unwrap_or_default(),
        flow.line,
        flow.endpoint
    );
    match flow.stale {
        Some(true) if flow.dnat => note.push_str(&format!(
            "; {} is not an endpoint of {} now: a stale entry",
            flow.endpoint,
            flow.service.as_deref().unwrap_or("the Service")
        )),
        Some(true) => note.push_str("; the flow was never DNAT'd: a stale entry"),
        _ => {}
    }
    let mut notes = Vec::new();
    if flow.other_entries > 0 {
        notes.push(format!(
            "{} other listed entr{} of this client and destination (other source ports); the one with the most time left is shown — give the source port to pick one",
            flow.other_entries,
            if flow.other_entries == 1 { "y" } else { "ies" }
        ));
    }
    let outcome = Outcome {
        probability: 1.0,
        verdict: if flow.dnat {
            Verdict::Dnat
        } else {
            Verdict::Accept
        },
        endpoint: Some(flow.endpoint.clone()),
        masquerade: flow.snat,
        uncertain: false,
        rules: vec![flow.line],
        steps: vec![Step {
            hook,
            table: "conntrack".to_string(),
            chain: String::new(),
            line: Some(flow.line),
            note,
            owner: None,
        }],
        uncertain_reasons: Vec::new(),
    };
    let mut packet = packet.clone();
    packet.src = Some(client.to_string());
    Trace {
        packet,
        outcomes: vec![outcome],
        notes,
        established: Some(flow),
    }
}
