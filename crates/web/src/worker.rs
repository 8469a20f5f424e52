//! The analysis worker: runs inside a dedicated Web Worker, reads [`Request`]s and posts [`Reply`]s,
//! so a long analysis never blocks the page.

use std::cell::RefCell;
use std::sync::Arc;

use svcpath_analysis::trace::{TraceFacts, Tracer};
use svcpath_analysis::{redact, Options, Report, ReportStage, Snapshot};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::protocol::{options, split_joined, PartialReply, Reply, Request};

/// The last analysis, kept to answer trace requests about it.
struct Analysis {
    generation: u64,
    snapshot: Snapshot,
    /// What every trace of this snapshot reads besides its rules, read on the first trace.
    facts: Option<Arc<TraceFacts>>,
    options: Options,
    report: Report,
    /// Its redacted copy, once asked for, and whether traces are answered from it.
    redaction: Option<Redaction>,
    redacted: bool,
}

/// A redacted copy explained: its options (node IPs redacted too), rules and report.
struct Redaction {
    options: Options,
    snapshot: Snapshot,
    facts: Option<Arc<TraceFacts>>,
    report: Report,
}

/// What a trace is answered from: the analysis or its redacted copy.
struct View<'a> {
    tracer: Tracer<'a>,
    report: &'a Report,
    snapshot: &'a Snapshot,
    options: &'a Options,
}

/// A tracer over `snapshot`, with its facts read once and kept in `facts`.
fn tracer<'a>(
    snapshot: &'a Snapshot,
    options: &Options,
    facts: &mut Option<Arc<TraceFacts>>,
) -> Tracer<'a> {
    let facts = facts.get_or_insert_with(|| TraceFacts::of(snapshot, options));
    Tracer::sharing(snapshot, Arc::clone(facts))
}

/// A reply to post: most are made whole; an analysis's report is written from the one kept in
/// [`LAST`] rather than copied into a [`Reply`].
enum Outgoing {
    Reply(Reply),
    /// The analysis's report, without its Services when `services_in_part` (they went out in the
    /// part sent once they were known, and the later stages leave them as they were).
    Analysed {
        generation: u64,
        millis: f64,
        services_in_part: bool,
    },
}

impl From<Reply> for Outgoing {
    fn from(reply: Reply) -> Outgoing {
        Outgoing::Reply(reply)
    }
}

thread_local! {
    static LAST: RefCell<Option<Analysis>> = const { RefCell::new(None) };
}

/// Installs the message handler. Called once when the worker's wasm starts.
pub fn start() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply_scope = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        for reply in handle(&event.data()) {
            // Serialising a report cannot fail (no maps with non-string keys, NaN becomes null).
            let json = match reply {
                Outgoing::Reply(reply) => serde_json::to_string(&reply),
                Outgoing::Analysed {
                    generation,
                    millis,
                    services_in_part,
                } => analysed_json(generation, millis, services_in_part),
            }
            .unwrap_or_default();
            // A post can only fail once the page is gone; nothing is left to tell then.
            let _ = reply_scope.post_message(&JsValue::from_str(&json));
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let ready = serde_json::to_string(&Reply::Ready).unwrap_or_default();
    let _ = scope.post_message(&JsValue::from_str(&ready));
}

fn handle(data: &JsValue) -> Vec<Outgoing> {
    let array: js_sys::Array = match data.clone().dyn_into() {
        Ok(array) => array,
        Err(_) => return vec![failed(0, "the message is not an array").into()],
    };
    let Some(header) = array.get(0).as_string() else {
        return vec![failed(0, "the message has no header").into()];
    };
    let request: Request = match serde_json::from_str(&header) {
        Ok(request) => request,
        Err(e) => return vec![failed(0, &format!("unreadable request: {e}")).into()],
    };
    let replies = match request {
        Request::Analyze {
            generation,
            section_overrides,
            node_ips,
            pod_cidrs,
        } => {
            let paste = paste_of(&array.get(1)).unwrap_or_default();
            let options = options(&section_overrides, &node_ips, &pod_cidrs);
            let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
            let started = Reply::Started {
                generation,
                bytes: paste.len(),
            };
            post(&scope, &started);
            // The Services the paste names, listed while it is parsed (a read of its dispatch
            // lines, a few tens of milliseconds on the largest pastes).
            let looked = js_sys::Date::now();
            let look =
                svcpath_analysis::preview::first_look(&paste, crate::protocol::FIRST_SCREENFUL);
            if look.total > 0 {
                post(
                    &scope,
                    &Reply::FirstLook {
                        generation,
                        look,
                        millis: js_sys::Date::now() - looked,
                    },
                );
            }
            // Free the previous analysis before building the next.
            LAST.with(|last| last.borrow_mut().take());
            // The time shown is parsing and the report, as `svcpath-stages` measures them natively.
            let t0 = js_sys::Date::now();
            let snapshot = Snapshot::parse(&paste, &options);
            // The report streams in: its Services as soon as they are known, then each later stage's
            // end, then the whole report. The time spent writing parts out is not the analysis's.
            let mut posting = 0.0;
            let mut services_in_part = false;
            let report = snapshot.report_in_stages(&options, |stage, so_far| {
                let before = js_sys::Date::now();
                let millis = before - t0 - posting;
                match stage {
                    ReportStage::Services => {
                        services_in_part = post_services(&scope, generation, so_far, millis);
                    }
                    ReportStage::Findings | ReportStage::Conntrack => {
                        post(
                            &scope,
                            &Reply::Progress {
                                generation,
                                stage,
                                millis,
                            },
                        );
                    }
                    ReportStage::Diagnosis => return,
                }
                posting += js_sys::Date::now() - before;
            });
            let millis = js_sys::Date::now() - t0 - posting;
            // The owner of each nft rule line, for the Source view's notes (sent beside the report).
            let owners = Reply::LineOwners {
                generation,
                redacted: false,
                owners: svcpath_analysis::explain::nft_rule_owners(&snapshot),
            };
            LAST.with(|last| {
                *last.borrow_mut() = Some(Analysis {
                    generation,
                    snapshot,
                    facts: None,
                    options,
                    report,
                    redaction: None,
                    redacted: false,
                })
            });
            return vec![
                Outgoing::Analysed {
                    generation,
                    millis,
                    services_in_part,
                },
                owners.into(),
            ];
        }
        Request::Redact { generation, on } => {
            let paste = paste_of(&array.get(1));
            LAST.with(|last| {
                let mut last = last.borrow_mut();
                let Some(a) = last.as_mut().filter(|a| a.generation == generation) else {
                    return vec![failed(
                        generation,
                        "that analysis is gone: explain the input again",
                    )];
                };
                a.redacted = on;
                let Some(paste) = paste.filter(|_| on) else {
                    return Vec::new();
                };
                let redacted = redact::redact_with_report(&paste, &a.options, &a.report);
                let snapshot = Snapshot::parse(&redacted.dump, &redacted.options);
                let report = snapshot.report(&redacted.options);
                let reply = Reply::Redacted {
                    generation,
                    report: Box::new(report.clone()),
                    addresses: redacted.addresses,
                    names: redacted.names,
                    chains: redacted.chains,
                    service_ids: redacted.service_ids,
                    dump: redacted.dump,
                };
                let owners = Reply::LineOwners {
                    generation,
                    redacted: true,
                    owners: svcpath_analysis::explain::nft_rule_owners(&snapshot),
                };
                a.redaction = Some(Redaction {
                    options: redacted.options,
                    snapshot,
                    facts: None,
                    report,
                });
                vec![reply, owners]
            })
        }
        Request::Trace {
            generation,
            seq,
            packet,
            established,
        } => vec![with_analysis(generation, seq, |a| Reply::Traced {
            seq,
            trace: Box::new(if established {
                svcpath_analysis::conntrack::trace_established_with(
                    a.snapshot, a.options, a.report, &packet, None,
                )
            } else {
                a.tracer.trace(&packet)
            }),
        })],
        Request::ServicePaths {
            generation,
            seq,
            index,
        } => vec![with_analysis(generation, seq, |a| {
            match a.report.services.get(index) {
                Some(service) => Reply::Paths {
                    seq,
                    index,
                    paths: a.tracer.service_paths(service),
                },
                None => Reply::TraceFailed {
                    seq,
                    message: "no such Service".into(),
                },
            }
        })],
        Request::Compare {
            seq,
            names,
            lengths,
            ..
        } => {
            let joined = paste_of(&array.get(1)).unwrap_or_default();
            let t0 = js_sys::Date::now();
            // One node at a time: its rules are freed once its report is made.
            let reports: Vec<(String, Report)> = names
                .into_iter()
                .zip(split_joined(&joined, &lengths))
                .map(|(name, text)| (name, svcpath_analysis::analyze(text, &Options::default())))
                .collect();
            drop(joined);
            let comparison = svcpath_analysis::nodes::compare(&reports);
            vec![Reply::Compared {
                seq,
                comparison: Box::new(comparison),
                millis: js_sys::Date::now() - t0,
            }]
        }
        Request::Diff {
            seq, before_len, ..
        } => {
            let joined = paste_of(&array.get(1)).unwrap_or_default();
            let parts = split_joined(&joined, &[before_len, joined.len()]);
            let before = svcpath_analysis::analyze(parts[0], &Options::default());
            let after = svcpath_analysis::analyze(parts[1], &Options::default());
            vec![Reply::Diffed {
                seq,
                diff: Box::new(svcpath_analysis::nodes::diff(&before, &after)),
            }]
        }
    };
    replies.into_iter().map(Outgoing::from).collect()
}

/// The reply with the report of analysis `generation` kept for traces, written out borrowed; its
/// Services set aside meanwhile when the part had them.
fn analysed_json(
    generation: u64,
    millis: f64,
    services_in_part: bool,
) -> serde_json::Result<String> {
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        let Some(a) = last.as_mut().filter(|a| a.generation == generation) else {
            return serde_json::to_string(&failed(generation, "that analysis is gone"));
        };
        let services = if services_in_part {
            std::mem::take(&mut a.report.services)
        } else {
            Vec::new()
        };
        let json = serde_json::to_string(&PartialReply::Analysed {
            generation,
            report: &a.report,
            millis,
            services_in_part,
        });
        if services_in_part {
            a.report.services = services;
        }
        json
    })
}

/// The text posted beside a request: the paste's UTF-8 bytes (see `ui::host`), or a string.
fn paste_of(value: &JsValue) -> Option<String> {
    if let Some(bytes) = value.dyn_ref::<js_sys::Uint8Array>() {
        return Some(match String::from_utf8(bytes.to_vec()) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        });
    }
    value.as_string()
}

/// Posts the report so far once its Services are known: for a large report a screenful first, drawn
/// at once, then all of them a thousand a message, so that the page reads them between the user's
/// clicks; else the report so far whole. True when every message went out (the whole report then
/// leaves its Services out).
fn post_services(
    scope: &DedicatedWorkerGlobalScope,
    generation: u64,
    so_far: &Report,
    millis: f64,
) -> bool {
    let stage = ReportStage::Services;
    let Some(head) = crate::protocol::first_screenful(so_far) else {
        return post(
            scope,
            &PartialReply::Partial {
                generation,
                stage,
                report: so_far,
                millis,
                services_total: None,
            },
        );
    };
    let total = so_far.services.len();
    let mut posted = post(
        scope,
        &PartialReply::Partial {
            generation,
            stage,
            report: &head,
            millis,
            services_total: Some(total),
        },
    );
    for (i, chunk) in so_far
        .services
        .chunks(crate::protocol::SERVICES_PER_MESSAGE)
        .enumerate()
    {
        posted &= post(
            scope,
            &PartialReply::Services {
                generation,
                from: i * crate::protocol::SERVICES_PER_MESSAGE,
                total,
                services: chunk,
            },
        );
    }
    posted
}

/// Posts `reply` as JSON; false when it could not be written or posted.
fn post(scope: &DedicatedWorkerGlobalScope, reply: &impl serde::Serialize) -> bool {
    serde_json::to_string(reply)
        .is_ok_and(|json| scope.post_message(&JsValue::from_str(&json)).is_ok())
}

fn with_analysis(generation: u64, seq: u64, f: impl FnOnce(View<'_>) -> Reply) -> Reply {
    LAST.with(|last| match last.borrow_mut().as_mut() {
        Some(a) if a.generation == generation => f(match (&mut a.redaction, a.redacted) {
            (Some(r), true) => View {
                tracer: tracer(&r.snapshot, &r.options, &mut r.facts),
                report: &r.report,
                snapshot: &r.snapshot,
                options: &r.options,
            },
            _ => View {
                tracer: tracer(&a.snapshot, &a.options, &mut a.facts),
                report: &a.report,
                snapshot: &a.snapshot,
                options: &a.options,
            },
        }),
        _ => Reply::TraceFailed {
            seq,
            message: "that analysis is gone: explain the input again".into(),
        },
    })
}

fn failed(generation: u64, message: &str) -> Reply {
    Reply::Failed {
        generation,
        message: message.to_string(),
    }
}
