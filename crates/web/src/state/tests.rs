//! Host tests of the page's state transitions: the worker's lifecycle (queue, cancel, stale replies),
//! redaction on and off, deep links, and the question before a sample replaces a paste.

use svcpath_analysis::report::Service;
use svcpath_analysis::Report;

use super::*;
use crate::protocol::{Reply, Request};

/// A page whose worker parts are loaded; nothing analysed yet.
fn page() -> State {
    let mut state = State::new(0.0, "https://example.test/svcpath/".into(), 900.0);
    let fx = apply(&mut state, Action::WorkerLoaded(Ok(())));
    assert!(posted(&fx).is_empty());
    state
}

fn at(state: &mut State, now: f64, action: Action) -> Vec<Effect> {
    state.now = now;
    apply(state, action)
}

fn reply(state: &mut State, reply: Reply) -> Vec<Effect> {
    let json = serde_json::to_string(&reply).unwrap();
    apply(state, Action::WorkerReply(json))
}

fn commands(fx: &[Effect]) -> Vec<&WorkerCommand> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Worker(c) => Some(c),
            _ => None,
        })
        .collect()
}

fn posted(fx: &[Effect]) -> Vec<&Outgoing> {
    commands(fx)
        .into_iter()
        .filter_map(|c| match c {
            WorkerCommand::Post(o) => Some(o),
            _ => None,
        })
        .collect()
}

fn analysed(generation: u64, report: Report) -> Reply {
    Reply::Analysed {
        generation,
        report: Box::new(report),
        millis: 3.0,
        services_in_part: false,
    }
}

fn report_with(ids: &[&str]) -> Report {
    Report {
        services: ids
            .iter()
            .map(|id| Service {
                id: id.to_string(),
                ..Service::default()
            })
            .collect(),
        ..Report::default()
    }
}

/// A page showing the explained paste `text`, its worker ready and idle.
fn explained(text: &str, report: Report) -> State {
    let mut state = page();
    at(&mut state, 0.0, Action::Input(text.into(), true));
    reply(&mut state, Reply::Ready);
    let generation = state.generation();
    let fx = reply(&mut state, analysed(generation, report));
    assert_eq!(fx.first(), Some(&Effect::Redraw));
    state
}

#[test]
fn requests_wait_for_the_parts_and_then_for_ready() {
    let mut state = State::new(0.0, String::new(), 900.0);
    let fx = state.start(Route::Overview);
    // The default sample is asked for before the worker's parts are there: nothing is posted yet.
    assert!(commands(&fx).is_empty());
    assert_eq!(state.sample, Some(crate::samples::DEFAULT_SAMPLE));
    assert_eq!(state.worker.queued().len(), 1);
    let fx = apply(&mut state, Action::WorkerLoaded(Ok(())));
    assert_eq!(commands(&fx), vec![&WorkerCommand::Spawn]);
    // The worker reads nothing before it says Ready.
    let fx = reply(&mut state, Reply::Ready);
    let sent = posted(&fx);
    assert_eq!(sent.len(), 1);
    assert!(matches!(
        sent[0].request,
        Request::Analyze { generation: 1, .. }
    ));
    assert!(sent[0].paste.as_deref().is_some_and(|p| !p.is_empty()));
    assert!(state.worker.queued().is_empty());
}

#[test]
fn parts_that_fail_to_load_say_so() {
    let mut state = State::new(0.0, String::new(), 900.0);
    at(&mut state, 0.0, Action::Input("-A X\n".into(), true));
    apply(&mut state, Action::WorkerLoaded(Err("HTTP 404".into())));
    assert_eq!(
        state.status,
        Status::Failed("the analysis worker did not load: HTTP 404".into())
    );
    let fx = at(&mut state, 10.0, Action::Explain);
    assert!(commands(&fx).is_empty());
    assert!(matches!(&state.status, Status::Failed(m) if m.contains("did not load")));
}

#[test]
fn a_new_paste_cancels_work_busy_for_long() {
    let mut state = page();
    let fx = at(&mut state, 0.0, Action::Input("first\n".into(), true));
    assert_eq!(commands(&fx), vec![&WorkerCommand::Spawn]);
    let fx = reply(&mut state, Reply::Ready);
    assert_eq!(posted(&fx).len(), 1);
    assert!(state.worker.busy());
    // Busy for a second: the worker is replaced and the new paste goes to a fresh one.
    let fx = at(&mut state, 1000.0, Action::Input("second\n".into(), true));
    assert_eq!(
        commands(&fx),
        vec![&WorkerCommand::Terminate, &WorkerCommand::Spawn]
    );
    let fx = reply(&mut state, Reply::Ready);
    let sent = posted(&fx);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].paste.as_deref(), Some("second\n"));
    assert_eq!(sent[0].request.generation(), 2);
    assert!(matches!(state.status, Status::Analysing { .. }));
}

#[test]
fn a_new_paste_soon_after_lets_the_worker_finish() {
    let mut state = page();
    at(&mut state, 0.0, Action::Input("first\n".into(), true));
    reply(&mut state, Reply::Ready);
    let fx = at(&mut state, 300.0, Action::Input("second\n".into(), true));
    let all = commands(&fx);
    assert!(!all.contains(&&WorkerCommand::Terminate), "{all:?}");
    assert_eq!(posted(&fx)[0].request.generation(), 2);
}

#[test]
fn stale_replies_are_dropped() {
    let mut state = page();
    at(&mut state, 0.0, Action::Input("first\n".into(), true));
    reply(&mut state, Reply::Ready);
    at(&mut state, 100.0, Action::Input("second\n".into(), true));
    // The first paste's report arrives after the second was sent: it is not shown.
    let fx = reply(&mut state, analysed(1, report_with(&["a/one:http"])));
    assert!(!fx.contains(&Effect::Redraw));
    assert!(state.shown.is_none());
    assert!(matches!(state.status, Status::Analysing { .. }));
    let fx = reply(
        &mut state,
        Reply::Failed {
            generation: 1,
            message: "old".into(),
        },
    );
    assert!(fx.is_empty());
    assert!(matches!(state.status, Status::Analysing { .. }));
    // The second one's is.
    let fx = reply(&mut state, analysed(2, report_with(&["b/two:http"])));
    assert_eq!(fx.first(), Some(&Effect::Redraw));
    assert!(fx.contains(&Effect::Ticking(false)));
    let shown = state.shown.as_ref().unwrap();
    assert_eq!(&*shown.text, "second\n");
    assert_eq!(shown.report.services[0].id, "b/two:http");
    assert_eq!(
        state.status,
        Status::Done {
            millis: 3.0,
            bytes: 7
        }
    );
}

#[test]
fn stale_trace_answers_are_dropped() {
    let mut state = explained("-A X\n", Report::default());
    state.trace_form.dst = "10.96.0.10".into();
    state.trace_form.port = "53".into();
    let fx = apply(&mut state, Action::RunTrace);
    let first_seq = state.trace.seq;
    assert!(matches!(
        posted(&fx)[0].request,
        Request::Trace { generation: 1, .. }
    ));
    apply(&mut state, Action::RunTrace);
    assert!(state.trace.loading);
    let old = Reply::TraceFailed {
        seq: first_seq,
        message: "old".into(),
    };
    reply(&mut state, old);
    assert!(state.trace.loading, "an older trace's answer is not shown");
    assert!(state.trace.result.is_none());
    let current = Reply::TraceFailed {
        seq: state.trace.seq,
        message: "that analysis is gone".into(),
    };
    reply(&mut state, current);
    assert!(!state.trace.loading);
    assert_eq!(
        state.trace.result,
        Some(Err("that analysis is gone".to_string()))
    );
}

#[test]
fn a_form_without_a_port_is_not_sent() {
    let mut state = explained("-A X\n", Report::default());
    state.trace_form.dst = "10.96.0.10".into();
    state.trace_form.port = "".into();
    let fx = apply(&mut state, Action::RunTrace);
    assert!(posted(&fx).is_empty());
    assert_eq!(
        state.trace.result,
        Some(Err("give a destination port (1–65535)".to_string()))
    );
}

fn redacted(generation: u64, report: Report, service_ids: &[&str]) -> Reply {
    Reply::Redacted {
        generation,
        dump: "-A REDACTED\n".into(),
        report: Box::new(report),
        addresses: 2,
        names: 1,
        chains: 3,
        service_ids: service_ids.iter().map(|s| s.to_string()).collect(),
    }
}

#[test]
fn redaction_on_and_off_is_done_by_the_worker() {
    let mut state = explained("-A X\n", report_with(&["shop/cart:http"]));
    apply(
        &mut state,
        Action::Route(Route::Service("shop/cart:http".into())),
    );
    // On: the worker gets the paste to redact; nothing real is shown meanwhile.
    let fx = apply(&mut state, Action::ToggleRedact);
    let sent = posted(&fx);
    assert_eq!(
        sent[0].request,
        Request::Redact {
            generation: 1,
            on: true
        }
    );
    assert_eq!(sent[0].paste.as_deref(), Some("-A X\n"));
    assert!(state.redact);
    assert!(state.current().is_none());
    // The redacted copy arrives: it is what is shown, and the Service page follows its new id.
    let fx = reply(
        &mut state,
        redacted(1, report_with(&["ns-1/svc-1:http"]), &["ns-1/svc-1:http"]),
    );
    assert!(fx.contains(&Effect::SetHash(Route::Service("ns-1/svc-1:http".into()))));
    assert_eq!(state.route, Route::Service("ns-1/svc-1:http".into()));
    assert_eq!(&*state.current().unwrap().text, "-A REDACTED\n");
    // Off: only the switch is sent; the real report and id are back.
    let fx = apply(&mut state, Action::ToggleRedact);
    let sent = posted(&fx);
    assert_eq!(
        sent[0].request,
        Request::Redact {
            generation: 1,
            on: false
        }
    );
    assert_eq!(sent[0].paste, None);
    assert_eq!(&*state.current().unwrap().text, "-A X\n");
    assert_eq!(state.route, Route::Service("shop/cart:http".into()));
    // On again: the copy is kept, so the paste is not sent again.
    let fx = apply(&mut state, Action::ToggleRedact);
    assert_eq!(posted(&fx)[0].paste, None);
    assert_eq!(&*state.current().unwrap().text, "-A REDACTED\n");
}

#[test]
fn a_redacted_copy_of_an_older_paste_is_dropped() {
    let mut state = explained("-A X\n", Report::default());
    apply(&mut state, Action::ToggleRedact);
    at(&mut state, 50.0, Action::Input("-A Y\n".into(), true));
    reply(&mut state, redacted(1, Report::default(), &[]));
    assert!(state.redacted.is_none());
}

#[test]
fn share_waits_for_the_redacted_copy() {
    let mut state = explained("-A X\n", Report::default());
    let fx = apply(&mut state, Action::Share);
    assert!(state.redact);
    assert!(state.share_link.is_none());
    assert!(!fx.iter().any(|e| matches!(e, Effect::CopyText(_))));
    let fx = reply(&mut state, redacted(1, Report::default(), &[]));
    let link = state.share_link.as_ref().unwrap();
    assert!(link
        .link
        .starts_with("https://example.test/svcpath/#/share/"));
    assert!(fx.contains(&Effect::CopyText(link.link.clone())));
    assert_eq!(
        crate::share::decode(link.link.rsplit('/').next().unwrap()).as_deref(),
        Some("-A REDACTED\n")
    );
}

#[test]
fn deep_link_to_a_trace_on_a_sample_traces_once_explained() {
    let mut state = page();
    let route = Route::parse("#/trace?dst=10.96.0.10:53&proto=udp&sample=ipvs");
    state.start(route.clone());
    assert_eq!(state.route, route);
    assert_eq!(state.sample, Some("ipvs"));
    assert!(state.pending_trace);
    assert_eq!(state.trace_form.dst, "10.96.0.10");
    let fx = reply(&mut state, Reply::Ready);
    assert!(matches!(posted(&fx)[0].request, Request::Analyze { .. }));
    let fx = reply(&mut state, analysed(1, Report::default()));
    assert!(!state.pending_trace);
    match &posted(&fx)[0].request {
        Request::Trace { packet, .. } => {
            assert_eq!(packet.dst, "10.96.0.10");
            assert_eq!(packet.dst_port, 53);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn deep_link_to_a_trace_without_a_sample_waits_for_a_paste() {
    let mut state = page();
    state.start(Route::parse("#/trace?dst=10.0.0.1:80"));
    assert!(state.input.is_empty(), "no sample is loaded over it");
    assert!(state.pending_trace);
    assert!(state.worker.queued().is_empty());
}

#[test]
fn deep_links_to_a_source_line_and_a_glossary_entry() {
    let mut state = page();
    state.now = 1000.0;
    state.start(Route::parse("#/source/L12"));
    assert_eq!(state.route, Route::Source(Some(12)));
    assert_eq!(state.scroll_to_line, Some(12));
    assert_eq!(state.explain_line, Some(12));
    // The pointer under the scrolling text does not replace the linked line at once…
    let fx = at(&mut state, 1200.0, Action::ExplainLine(30, true));
    assert!(fx.is_empty());
    assert_eq!(state.explain_line, Some(12));
    // …the keyboard does, and the pointer later.
    at(&mut state, 1300.0, Action::ExplainLine(13, false));
    assert_eq!(state.explain_line, Some(13));
    at(&mut state, 2000.0, Action::ExplainLine(30, true));
    assert_eq!(state.explain_line, Some(30));
    let fx = apply(
        &mut state,
        Action::Route(Route::parse("#/glossary/masquerade")),
    );
    assert_eq!(state.pending_anchor.as_deref(), Some("g-masquerade"));
    assert!(!fx.contains(&Effect::ScrollToTop));
    assert!(state.focus_heading);
}

#[test]
fn deep_link_to_a_shared_copy_opens_it_under_a_banner() {
    let mut state = page();
    let data = crate::share::encode("-A SHARED\n");
    state.start(Route::parse(&Route::Shared(data).href()));
    assert_eq!(&*state.input, "-A SHARED\n");
    assert!(state.shared_copy);
    assert!(!state.user_input);
    assert_eq!(state.sample, None);
    let mut damaged = page();
    apply(&mut damaged, Action::Route(Route::parse("#/share/%%%")));
    assert_eq!(
        damaged.status,
        Status::Failed("the share link is damaged or too large".into())
    );
}

#[test]
fn a_service_page_asks_for_its_traces_once() {
    let mut state = explained("-A X\n", report_with(&["a/one:http", "b/two:dns"]));
    let fx = apply(
        &mut state,
        Action::Route(Route::Service("b/two:dns".into())),
    );
    let sent = posted(&fx);
    assert!(matches!(
        sent[0].request,
        Request::ServicePaths {
            generation: 1,
            index: 1,
            ..
        }
    ));
    let fx = apply(
        &mut state,
        Action::Route(Route::Service("b/two:dns".into())),
    );
    assert!(posted(&fx).is_empty());
    // A Service the report does not have goes back to the overview when the next report comes.
    apply(&mut state, Action::Route(Route::Service("gone/x:1".into())));
    at(&mut state, 10.0, Action::Explain);
    reply(&mut state, analysed(2, report_with(&["a/one:http"])));
    assert_eq!(state.route, Route::Overview);
}

#[test]
fn a_sample_click_with_a_user_paste_asks_first() {
    let mut state = explained("-A MINE\n", Report::default());
    apply(&mut state, Action::Input("-A MINE\n".into(), false));
    assert!(state.user_input);
    let fx = apply(&mut state, Action::LoadSample("nftables".into()));
    assert_eq!(state.confirm, Some(Replace::Sample("nftables".into())));
    assert!(commands(&fx).is_empty());
    assert_eq!(&*state.input, "-A MINE\n");
    // Keep it: nothing changes.
    apply(&mut state, Action::ReplaceAnswer(false));
    assert_eq!(state.confirm, None);
    assert_eq!(&*state.input, "-A MINE\n");
    // Asked again and replaced: the sample is explained.
    apply(&mut state, Action::LoadSample("nftables".into()));
    let fx = at(&mut state, 100.0, Action::ReplaceAnswer(true));
    assert_eq!(state.sample, Some("nftables"));
    assert!(!state.user_input);
    assert!(fx.contains(&Effect::SetHash(Route::Sample("nftables".into()))));
    assert!(matches!(
        posted(&fx)[0].request,
        Request::Analyze { generation: 2, .. }
    ));
}

#[test]
fn a_tour_link_with_a_user_paste_asks_and_keeping_it_stays_on_the_overview() {
    let mut state = explained("-A MINE\n", Report::default());
    apply(&mut state, Action::Input("-A MINE\n".into(), false));
    apply(&mut state, Action::Route(Route::Sample("hairpin".into())));
    assert_eq!(state.confirm, Some(Replace::Sample("hairpin".into())));
    let fx = apply(&mut state, Action::ReplaceAnswer(false));
    assert_eq!(state.route, Route::Overview);
    assert!(fx.contains(&Effect::ReplaceHash(Route::Overview)));
}

#[test]
fn a_sample_without_a_user_paste_loads_at_once() {
    let mut state = page();
    let fx = apply(&mut state, Action::LoadSample("hairpin".into()));
    assert_eq!(state.confirm, None);
    assert_eq!(state.sample, Some("hairpin"));
    assert_eq!(state.route, Route::Sample("hairpin".into()));
    assert!(fx.contains(&Effect::SetHash(Route::Sample("hairpin".into()))));
}

#[test]
fn files_are_combined_with_their_lines_noted() {
    let mut state = page();
    let fx = apply(
        &mut state,
        Action::FilesChosen(vec!["a.txt".into(), "b.txt".into()]),
    );
    assert!(fx.contains(&Effect::ReadFiles(1)));
    let decoded = |text: &str| {
        svcpath_bundle::open("x.txt", text.as_bytes(), &svcpath_bundle::Limits::default())
    };
    apply(&mut state, Action::FileRead(1, 1, Ok(decoded("b1\nb2\n"))));
    assert_eq!(state.status, Status::Reading { done: 1, total: 2 });
    // A file of an older batch is ignored.
    assert!(apply(&mut state, Action::FileRead(0, 0, Ok(decoded("old\n")))).is_empty());
    at(&mut state, 5.0, Action::FileRead(1, 0, Ok(decoded("a1"))));
    assert_eq!(&*state.input, "a1\nb1\nb2\n");
    assert_eq!(
        state
            .files
            .iter()
            .map(|f| (f.name.as_str(), f.first_line, f.last_line))
            .collect::<Vec<_>>(),
        vec![("a.txt", 1, 1), ("b.txt", 2, 3)]
    );
    assert!(state.user_input);
    let fx = reply(&mut state, Reply::Ready);
    assert_eq!(posted(&fx)[0].paste.as_deref(), Some("a1\nb1\nb2\n"));
}

#[test]
fn a_node_fact_explains_the_paste_again_and_reruns_its_trace() {
    let mut state = explained("-A X\n", Report::default());
    state.trace_form.dst = "10.96.0.10".into();
    state.trace_form.port = "53".into();
    apply(&mut state, Action::RunTrace);
    let seq = state.trace.seq;
    reply(
        &mut state,
        Reply::TraceFailed {
            seq,
            message: "x".into(),
        },
    );
    let fx = at(
        &mut state,
        10.0,
        Action::Facts(Edit::Add(FactKind::NodeIp, "192.168.0.2".into())),
    );
    match &posted(&fx)[0].request {
        Request::Analyze { node_ips, .. } => assert_eq!(node_ips, &vec!["192.168.0.2".to_string()]),
        other => panic!("{other:?}"),
    }
    let fx = reply(&mut state, analysed(2, Report::default()));
    assert!(posted(&fx)
        .iter()
        .any(|o| matches!(o.request, Request::Trace { generation: 2, .. })));
    apply(
        &mut state,
        Action::Facts(Edit::Add(FactKind::NodeIp, "node-1".into())),
    );
    assert!(state.facts_error.is_some());
}

#[test]
fn clear_drops_the_answer_on_its_way() {
    let mut state = page();
    at(&mut state, 0.0, Action::Input("-A X\n".into(), true));
    reply(&mut state, Reply::Ready);
    apply(&mut state, Action::Clear);
    assert_eq!(state.status, Status::Idle);
    reply(&mut state, analysed(1, Report::default()));
    assert!(state.shown.is_none());
}

#[test]
fn what_waits_for_the_drawing_is_done_once() {
    let mut state = page();
    apply(
        &mut state,
        Action::Route(Route::parse("#/finding/no-endpoints")),
    );
    apply(&mut state, Action::Route(Route::parse("#/source/L7")));
    assert!(state.focus_heading);
    assert_eq!(
        state.pending_anchor.as_deref(),
        Some("finding-no-endpoints")
    );
    assert_eq!(state.scroll_to_line, Some(7));
    let fx = apply(
        &mut state,
        Action::Drawn(Drawn {
            heading_focused: true,
            anchor_shown: false,
            line_scrolled: true,
        }),
    );
    assert!(fx.is_empty(), "no new drawing");
    assert!(!state.focus_heading);
    assert_eq!(state.scroll_to_line, None);
    // The finding is not on the page yet (no analysis): its anchor still waits.
    assert_eq!(
        state.pending_anchor.as_deref(),
        Some("finding-no-endpoints")
    );
}

#[test]
fn nft_rule_notes_name_the_owner_the_worker_sends_beside_the_report() {
    use svcpath_analysis::explain::nft_rule_owners;
    use svcpath_analysis::owner::Owner;
    let text = "table inet firewalld {\n\tchain filter_INPUT {\n\t\ttype filter hook input priority filter + 10; policy accept;\n\t\treject with icmpx admin-prohibited\n\t}\n}\n\
                table ip kube-proxy {\n\tchain services {\n\t\tip daddr . meta l4proto . th dport vmap @service-ips\n\t}\n}\n";
    let options = svcpath_analysis::Options::default();
    let snapshot = svcpath_analysis::Snapshot::parse(text, &options);
    let owners = nft_rule_owners(&snapshot);
    let mut state = explained(text, snapshot.report(&options));
    let owner_of = |state: &State, n: u32| state.current()?.explanation(n)?.owner;
    // The notes are there at once; the owner follows when the worker's list arrives.
    assert!(state.current().unwrap().explanation(4).is_some());
    assert_eq!(owner_of(&state, 4), None);
    let generation = state.generation();
    // A list about an older analysis is dropped.
    let stale = Reply::LineOwners {
        generation: generation - 1,
        redacted: false,
        owners: vec![(4, Owner::Calico)],
    };
    reply(&mut state, stale);
    assert_eq!(owner_of(&state, 4), None);
    // No redacted copy yet: a list for one changes nothing shown.
    let for_copy = Reply::LineOwners {
        generation,
        redacted: true,
        owners: vec![(4, Owner::Calico)],
    };
    reply(&mut state, for_copy);
    assert_eq!(owner_of(&state, 4), None);
    let fx = reply(
        &mut state,
        Reply::LineOwners {
            generation,
            redacted: false,
            owners,
        },
    );
    assert_eq!(fx.first(), Some(&Effect::Redraw));
    assert_eq!(owner_of(&state, 4), Some(Owner::Firewalld));
    assert_eq!(owner_of(&state, 9), Some(Owner::KubeProxy));
    let note = state.current().unwrap().explanation(4).unwrap();
    assert!(
        note.owner_sentence().unwrap().contains("firewalld"),
        "{note:?}"
    );
    // A line outside the nft section is not explained.
    assert_eq!(state.current().unwrap().line_kind(12), None);
}

fn partial(generation: u64, report: Report) -> Reply {
    Reply::Partial {
        generation,
        stage: svcpath_analysis::ReportStage::Services,
        report: Box::new(report),
        millis: 1.0,
        services_total: None,
    }
}

#[test]
fn the_services_stream_in_before_the_report_and_the_rest_follows() {
    let mut state = page();
    at(&mut state, 0.0, Action::Input("first\n".into(), true));
    reply(&mut state, Reply::Ready);
    reply(&mut state, analysed(1, report_with(&["a/old:http"])));
    assert!(!state.streaming());
    at(&mut state, 100.0, Action::Input("second\n".into(), true));
    // The Services of the second paste are shown before its report is complete.
    let fx = reply(&mut state, partial(2, report_with(&["b/two:http"])));
    assert_eq!(fx.first(), Some(&Effect::Redraw));
    assert!(state.streaming());
    let shown = state.current().unwrap();
    assert_eq!(&*shown.text, "second\n");
    assert_eq!(shown.report.services[0].id, "b/two:http");
    let part_lines = shown.line_starts.clone();
    assert!(matches!(
        state.status,
        Status::Analysing {
            stage: Some(svcpath_analysis::ReportStage::Services),
            services_millis: Some(_),
            ..
        }
    ));
    reply(
        &mut state,
        Reply::Progress {
            generation: 2,
            stage: svcpath_analysis::ReportStage::Findings,
            millis: 2.0,
        },
    );
    assert!(matches!(
        state.status,
        Status::Analysing {
            stage: Some(svcpath_analysis::ReportStage::Findings),
            ..
        }
    ));
    // A part about an older analysis is dropped.
    reply(&mut state, partial(1, report_with(&["a/stale:http"])));
    assert_eq!(state.current().unwrap().report.services[0].id, "b/two:http");
    // The whole report replaces the part; it is no longer streaming.
    let mut whole = report_with(&["b/two:http"]);
    whole.findings.push(svcpath_analysis::report::Finding::new(
        svcpath_analysis::report::FindingCode::NoEndpoints,
        svcpath_analysis::report::Severity::Warning,
        Some("b/two:http"),
        vec![1],
        "no endpoints".into(),
    ));
    reply(&mut state, analysed(2, whole.clone()));
    assert!(!state.streaming());
    assert!(matches!(state.status, Status::Done { .. }));
    assert_eq!(*state.current().unwrap().report, whole);
    // The whole report keeps the part's line index of the same text: it is not made again.
    assert!(std::rc::Rc::ptr_eq(
        &part_lines,
        &state.current().unwrap().line_starts
    ));
}

#[test]
fn a_part_given_up_puts_back_the_report_before_it() {
    let mut state = page();
    at(&mut state, 0.0, Action::Input("first\n".into(), true));
    reply(&mut state, Reply::Ready);
    reply(&mut state, analysed(1, report_with(&["a/old:http"])));
    at(&mut state, 100.0, Action::Input("second\n".into(), true));
    reply(&mut state, partial(2, report_with(&["b/two:http"])));
    // A third paste before the second's report is complete: the part is given up.
    at(&mut state, 200.0, Action::Input("third\n".into(), true));
    assert!(!state.streaming());
    assert_eq!(&*state.current().unwrap().text, "first\n");
    reply(&mut state, partial(3, report_with(&["c/three:http"])));
    assert!(state.streaming());
    // The worker fails: the part is not left on screen as if it were the report.
    reply(
        &mut state,
        Reply::Failed {
            generation: 3,
            message: "stopped".into(),
        },
    );
    assert!(!state.streaming());
    assert_eq!(&*state.current().unwrap().text, "first\n");
}

/// A tar.gz of the given files, made here.
fn tar_gz(files: &[(&str, &str)]) -> Vec<u8> {
    use std::io::Write;
    let mut builder = tar::Builder::new(Vec::new());
    for (path, text) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        builder
            .append_data(&mut header, path, text.as_bytes())
            .expect("tar entry");
    }
    let tar = builder.into_inner().expect("tar");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar).expect("gzip");
    gz.finish().expect("gzip")
}

fn opened(name: &str, bytes: &[u8]) -> svcpath_bundle::Opened {
    svcpath_bundle::open(name, bytes, &svcpath_bundle::Limits::default())
}

#[test]
fn an_archive_of_one_node_explains_its_text_and_names_the_node() {
    let mut state = page();
    apply(&mut state, Action::FilesChosen(vec!["snap.tar.gz".into()]));
    let bundle = tar_gz(&[
        ("worker-1/iptables-save.txt", "*nat\nCOMMIT\n"),
        ("worker-1/tool", "\0\0"),
    ]);
    let fx = at(
        &mut state,
        5.0,
        Action::FileRead(1, 0, Ok(opened("snap.tar.gz", &bundle))),
    );
    assert_eq!(&*state.input, "*nat\nCOMMIT\n");
    assert_eq!(state.nodes.len(), 1);
    assert_eq!(state.nodes[0].name, "worker-1");
    assert_eq!(state.nodes[0].name_source, "folder");
    assert_eq!(
        state.files[0].name,
        "snap.tar.gz › worker-1/iptables-save.txt"
    );
    assert_eq!(
        state.open_notes,
        ["snap.tar.gz: worker-1/tool: skipped: binary, not text"]
    );
    let fx = [fx, reply(&mut state, Reply::Ready)].concat();
    assert!(posted(&fx)
        .iter()
        .any(|o| o.paste.as_deref() == Some("*nat\nCOMMIT\n")));
}

#[test]
fn a_bundle_of_nodes_explains_one_at_a_time_under_names_the_user_may_change() {
    let mut state = page();
    apply(
        &mut state,
        Action::FilesChosen(vec!["cluster.tar.gz".into()]),
    );
    let bundle = tar_gz(&[("node-a.txt", "# a\n"), ("node-b.txt", "# b\n")]);
    at(
        &mut state,
        5.0,
        Action::FileRead(1, 0, Ok(opened("cluster.tar.gz", &bundle))),
    );
    let names: Vec<&str> = state.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["node-a", "node-b"]);
    assert_eq!(&*state.input, "# a\n");
    assert!(!apply(&mut state, Action::ShowNode(0)).contains(&Effect::Redraw));
    apply(&mut state, Action::ShowNode(1));
    assert_eq!(state.node_shown, 1);
    assert_eq!(&*state.input, "# b\n");
    assert_eq!(state.files[0].name, "cluster.tar.gz › node-b.txt");
    let fx = apply(&mut state, Action::RenameNode(1, " edge-1 ".into()));
    assert_eq!(fx, [Effect::Redraw]);
    assert_eq!(state.nodes[1].name, "edge-1");
    assert_eq!(state.nodes[1].name_source, "you");
    // Typing into the box is a paste of its own: the nodes are forgotten.
    apply(&mut state, Action::Input("*nat\n".into(), false));
    assert!(state.nodes.is_empty());
}

#[test]
fn a_utf16_file_reads_as_its_text() {
    let mut state = page();
    apply(&mut state, Action::FilesChosen(vec!["node.txt".into()]));
    let mut bytes = vec![0xff, 0xfe];
    for unit in "*nat\nCOMMIT\n".encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    at(
        &mut state,
        5.0,
        Action::FileRead(1, 0, Ok(opened("node.txt", &bytes))),
    );
    assert_eq!(&*state.input, "*nat\nCOMMIT\n");
    assert!(state.input_diagnostics.is_empty());
}

#[test]
fn the_whole_report_takes_its_services_from_the_part_when_the_worker_left_them_out() {
    let mut state = page();
    at(&mut state, 0.0, Action::Input("first\n".into(), true));
    reply(&mut state, Reply::Ready);
    reply(
        &mut state,
        partial(1, report_with(&["a/one:http", "a/two:http"])),
    );
    let mut whole = report_with(&[]);
    whole.findings.push(svcpath_analysis::report::Finding::new(
        svcpath_analysis::report::FindingCode::NoEndpoints,
        svcpath_analysis::report::Severity::Warning,
        Some("a/two:http"),
        vec![1],
        "no endpoints".into(),
    ));
    reply(
        &mut state,
        Reply::Analysed {
            generation: 1,
            report: Box::new(whole.clone()),
            millis: 3.0,
            services_in_part: true,
        },
    );
    assert!(!state.streaming());
    assert!(matches!(state.status, Status::Done { .. }));
    let shown = state.current().unwrap();
    let ids: Vec<&str> = shown
        .report
        .services
        .iter()
        .map(|s| s.id.as_str())
        .collect();
    assert_eq!(ids, ["a/one:http", "a/two:http"]);
    assert_eq!(shown.report.findings, whole.findings);
    assert!(state.part.is_none(), "the part is let go");
}

/// The first part of analysis 1 with one Service (`a/one:http`) of three.
fn first_screenful_of_three() -> Reply {
    Reply::Partial {
        generation: 1,
        stage: svcpath_analysis::ReportStage::Services,
        report: Box::new(report_with(&["a/one:http"])),
        millis: 1.0,
        services_total: Some(3),
    }
}

#[test]
fn a_first_screenful_of_services_is_shown_with_the_total_until_all_of_them_arrive() {
    let mut state = page();
    at(&mut state, 0.0, Action::Input("first\n".into(), true));
    reply(&mut state, Reply::Ready);
    let all = report_with(&["a/one:http", "a/three:http", "a/two:http"]);
    let fx = reply(&mut state, first_screenful_of_three());
    assert_eq!(fx.first(), Some(&Effect::Redraw));
    assert!(state.streaming());
    let shown = state.current().unwrap();
    assert_eq!(shown.report.services.len(), 1);
    assert_eq!(shown.services_total, Some(3));
    assert!(
        state.part.is_none(),
        "a first screenful is not the part the report completes"
    );
    // The Services follow a few per message, in report order; nothing is drawn until the last.
    let services = |from: usize, to: usize| Reply::Services {
        generation: 1,
        from,
        total: 3,
        services: all.services[from..to].to_vec(),
    };
    let fx = reply(&mut state, services(0, 2));
    assert!(!fx.contains(&Effect::Redraw), "{fx:?}");
    assert_eq!(state.current().unwrap().report.services.len(), 1);
    let fx = reply(&mut state, services(2, 3));
    assert_eq!(fx.first(), Some(&Effect::Redraw));
    let shown = state.current().unwrap();
    assert_eq!(shown.report.services, all.services);
    assert_eq!(shown.services_total, None);
    reply(
        &mut state,
        Reply::Analysed {
            generation: 1,
            report: Box::new(report_with(&[])),
            millis: 3.0,
            services_in_part: true,
        },
    );
    assert!(!state.streaming());
    assert_eq!(state.current().unwrap().report.services, all.services);
    assert!(state.gathering.is_none());
}

#[test]
fn services_that_did_not_all_arrive_are_never_shown_as_none() {
    let mut state = page();
    at(&mut state, 0.0, Action::Input("first\n".into(), true));
    reply(&mut state, Reply::Ready);
    let all = report_with(&["a/one:http", "a/three:http", "a/two:http"]);
    reply(&mut state, first_screenful_of_three());
    // A message out of order gives the gathering up.
    reply(
        &mut state,
        Reply::Services {
            generation: 1,
            from: 2,
            total: 3,
            services: all.services[2..].to_vec(),
        },
    );
    assert!(state.gathering.is_none());
    reply(
        &mut state,
        Reply::Analysed {
            generation: 1,
            report: Box::new(report_with(&[])),
            millis: 3.0,
            services_in_part: true,
        },
    );
    assert!(
        matches!(&state.status, Status::Failed(m) if m.contains("did not all arrive")),
        "{:?}",
        state.status
    );
    assert!(
        state
            .current()
            .is_none_or(|shown| !shown.report.services.is_empty()),
        "no report claiming zero Services"
    );
}

#[test]
fn the_first_look_is_listed_until_the_first_part_and_never_after_it() {
    let mut state = page();
    at(&mut state, 0.0, Action::Input("first\n".into(), true));
    reply(&mut state, Reply::Ready);
    let look = svcpath_analysis::preview::FirstLook {
        services: vec![svcpath_analysis::preview::SeenService {
            id: "a/one:http".into(),
            address: "10.96.0.1:80/tcp".into(),
            line: 2,
        }],
        total: 1,
    };
    let first = |generation| Reply::FirstLook {
        generation,
        look: look.clone(),
        millis: 1.0,
    };
    // An older analysis's look is dropped.
    reply(&mut state, first(0));
    assert!(state.first_look.is_none());
    let fx = reply(&mut state, first(1));
    assert_eq!(fx.first(), Some(&Effect::Redraw));
    assert_eq!(state.first_look.as_deref(), Some(&look));
    reply(&mut state, partial(1, report_with(&["a/one:http"])));
    assert!(state.first_look.is_none(), "the part takes its place");
    reply(&mut state, first(1));
    assert!(state.first_look.is_none(), "never after the part");
    // A new input forgets the look of the last.
    at(&mut state, 5.0, Action::Input("second\n".into(), true));
    reply(&mut state, first(2));
    assert!(state.first_look.is_some());
    at(&mut state, 9.0, Action::Input("third\n".into(), true));
    assert!(state.first_look.is_none());
}
