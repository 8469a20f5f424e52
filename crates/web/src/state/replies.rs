//! The worker's replies: a report replaces the one on screen, a redacted copy joins it, traces land
//! where they were asked for; replies about older work are dropped.

use std::rc::Rc;

use svcpath_analysis::{Report, ReportStage};

use super::worker_client::Received;
use super::{Effect, Gathering, RedactedCopy, Shown, State, Status, TraceState};
use crate::protocol::Reply;
use crate::route::Route;

impl State {
    pub(super) fn on_reply(&mut self, fx: &mut Vec<Effect>, json: &str) -> bool {
        let reply: Reply = match serde_json::from_str(json) {
            Ok(reply) => reply,
            Err(e) => {
                self.status = Status::Failed(format!("unreadable answer from the worker: {e}"));
                return true;
            }
        };
        let (received, commands) = self.worker.receive(reply);
        fx.extend(commands.into_iter().map(super::Effect::Worker));
        let Received::Current(reply) = received else {
            return false;
        };
        match reply {
            Reply::Ready | Reply::Started { .. } => false,
            Reply::Traced { seq, trace } => {
                if seq != self.trace.seq {
                    return false;
                }
                self.trace.loading = false;
                self.trace.result = Some(Ok(Rc::from(trace)));
                true
            }
            Reply::Paths { seq, paths, .. } => match &mut self.paths {
                Some(state) if state.seq == seq => {
                    state.result = Some(Ok(Rc::new(paths)));
                    self.path_choice = 0;
                    true
                }
                _ => false,
            },
            Reply::TraceFailed { seq, message } => {
                if seq == self.trace.seq {
                    self.trace.loading = false;
                    self.trace.result = Some(Err(message.clone()));
                }
                if let Some(state) = &mut self.paths {
                    if state.seq == seq {
                        state.result = Some(Err(message));
                    }
                }
                true
            }
            Reply::Compared {
                seq,
                comparison,
                millis,
            } => self.compared(seq, *comparison, millis),
            Reply::Diffed { seq, diff } => self.diffed(seq, *diff),
            Reply::Analysed {
                report,
                millis,
                services_in_part,
                ..
            } => {
                self.analysed(fx, report, millis, services_in_part);
                true
            }
            Reply::Redacted {
                dump,
                report,
                addresses,
                names,
                chains,
                service_ids,
                ..
            } => {
                let copy = RedactedCopy {
                    shown: Shown::new(
                        Rc::from(dump),
                        Rc::from(self.with_input_diagnostics(report)),
                    ),
                    addresses,
                    names,
                    chains,
                    service_ids,
                };
                self.redacted_copy(fx, copy);
                true
            }
            Reply::LineOwners {
                redacted, owners, ..
            } => {
                let shown = if redacted {
                    self.redacted.as_mut().map(|r| &mut r.shown)
                } else {
                    self.shown.as_mut()
                };
                match shown {
                    Some(shown) => {
                        shown.nft_owners = Rc::new(owners);
                        true
                    }
                    None => false,
                }
            }
            Reply::Partial {
                stage,
                report,
                millis,
                services_total,
                ..
            } => {
                let report = Rc::from(self.with_input_diagnostics(report));
                // A part with all the Services is kept whatever the page shows meanwhile: the whole
                // report comes without them.
                match services_total {
                    None => self.part = Some(Rc::clone(&report)),
                    Some(total) => {
                        self.gathering = Some(Gathering {
                            head: Rc::clone(&report),
                            total,
                            services: Vec::with_capacity(total),
                        })
                    }
                }
                self.partial(stage, report, millis, services_total);
                true
            }
            Reply::FirstLook { look, .. } => {
                // Only before the report's first part: the part says more.
                if !matches!(self.status, Status::Analysing { stage: None, .. }) {
                    return false;
                }
                self.first_look = Some(Rc::new(look));
                true
            }
            Reply::Services {
                from,
                total,
                services,
                ..
            } => self.services_arrived(from, total, services),
            Reply::Progress { stage, .. } => match &mut self.status {
                Status::Analysing { stage: done, .. } => {
                    *done = Some(stage);
                    true
                }
                _ => false,
            },
            Reply::Failed { message, .. } => {
                self.first_look = None;
                self.end_streaming();
                fx.push(Effect::Ticking(false));
                self.status = Status::Failed(message);
                true
            }
        }
    }

    /// More of a large report's Services: kept without drawing until the last of them, then shown
    /// as the part with all the Services (each message is read in its own task, so the page answers
    /// between them). A message out of order or of another size gives the gathering up: the whole
    /// report is then shown without its Services rather than with some of them.
    fn services_arrived(
        &mut self,
        from: usize,
        total: usize,
        services: Vec<svcpath_analysis::report::Service>,
    ) -> bool {
        let Some(gathering) = self.gathering.as_mut() else {
            return false;
        };
        if gathering.total != total || gathering.services.len() != from {
            self.gathering = None;
            return false;
        }
        gathering.services.extend(services);
        if gathering.services.len() < total {
            return false;
        }
        let Some(gathering) = self.gathering.take() else {
            return false;
        };
        let mut whole = (*gathering.head).clone();
        whole.services = gathering.services;
        let whole = Rc::new(whole);
        self.part = Some(Rc::clone(&whole));
        if !matches!(self.status, Status::Analysing { .. }) {
            return false;
        }
        let shown = self.shown_of_input(whole);
        self.shown = Some(shown);
        true
    }

    /// The diagnostics of the input's bytes (from the page's decoding) before the report's own.
    fn with_input_diagnostics(&self, mut report: Box<Report>) -> Box<Report> {
        if !self.input_diagnostics.is_empty() {
            report
                .diagnostics
                .splice(0..0, self.input_diagnostics.iter().cloned());
        }
        report
    }

    /// The first part of a report: shown at once, in place of the report on screen until the whole
    /// one arrives (which is then compared with what was on screen before the part, not with it).
    fn partial(
        &mut self,
        stage: ReportStage,
        report: Rc<Report>,
        millis: f64,
        services_total: Option<usize>,
    ) {
        let Status::Analysing {
            stage: done,
            services_millis,
            ..
        } = &mut self.status
        else {
            return;
        };
        *done = Some(stage);
        if stage == ReportStage::Services {
            *services_millis = Some(millis);
        }
        self.first_look = None;
        let mut part = self.shown_of_input(report);
        part.services_total = services_total;
        let before = self.shown.replace(part);
        if self.streamed_over.is_none() {
            self.streamed_over = Some(before);
        }
    }

    /// The input with `report`, its line index taken from the report on screen when that one explains
    /// the same text (a part of this report, or the same text analysed again): 450,000 lines are not
    /// indexed twice.
    fn shown_of_input(&self, report: Rc<Report>) -> Shown {
        match self
            .shown
            .as_ref()
            .filter(|s| Rc::ptr_eq(&s.text, &self.input))
        {
            Some(same) => {
                Shown::with_line_starts(same.text.clone(), same.line_starts.clone(), report)
            }
            None => Shown::new(self.input.clone(), report),
        }
    }

    fn analysed(
        &mut self,
        fx: &mut Vec<Effect>,
        mut report: Box<Report>,
        millis: f64,
        services_in_part: bool,
    ) {
        // The part on screen gives its line index to the whole report, and its Services when the
        // worker left them out (moved, not copied, once nothing else holds the part).
        let part_shown = if self.streamed_over.is_some() {
            self.shown.take()
        } else {
            None
        };
        let part_lines = part_shown
            .filter(|s| Rc::ptr_eq(&s.text, &self.input))
            .map(|s| s.line_starts);
        let part = self.part.take();
        self.gathering = None;
        self.first_look = None;
        if services_in_part && part.is_none() {
            // Never a report without its Services shown as one with none.
            self.end_streaming();
            fx.push(Effect::Ticking(false));
            self.status = Status::Failed(
                "the report's Services did not all arrive from the worker; explain the input again"
                    .into(),
            );
            return;
        }
        if services_in_part {
            report.services = part
                .map(|part| match Rc::try_unwrap(part) {
                    Ok(part) => part.services,
                    Err(shared) => shared.services.clone(),
                })
                .unwrap_or_default();
        }
        self.end_streaming();
        fx.push(Effect::Ticking(false));
        self.status = Status::Done {
            millis,
            bytes: self.input.len(),
        };
        let same_input = self.shown.as_ref().is_some_and(|s| *s.text == *self.input);
        let report = self.with_input_diagnostics(report);
        // The same text analysed again (a node fact changed): the trace on screen is run again.
        let same_text = self
            .shown
            .as_ref()
            .is_some_and(|s| Rc::ptr_eq(&s.text, &self.input));
        let rerun = same_text && self.trace.result.is_some();
        self.shown = Some(match part_lines {
            Some(lines) => Shown::with_line_starts(self.input.clone(), lines, Rc::from(report)),
            None => self.shown_of_input(Rc::from(report)),
        });
        self.redacted = None;
        self.paths = None;
        self.trace = TraceState::default();
        if rerun {
            self.run_trace(fx);
        }
        if self.redact {
            self.ask_redaction(fx);
        }
        self.table_scroll.0 = 0.0;
        self.leave_unknown_service();
        self.request_paths(fx);
        if self.pending_trace {
            self.pending_trace = false;
            self.run_trace(fx);
        } else if !same_input {
            // A new paste: the form's packet comes from it, not from the last one.
            if let Some(form) = self
                .shown
                .as_ref()
                .map(|s| crate::reading::default_trace(&s.report))
            {
                self.trace_form = form;
            }
        }
    }

    fn redacted_copy(&mut self, fx: &mut Vec<Effect>, copy: RedactedCopy) {
        if let (Route::Service(id), Some(shown)) = (&self.route, &self.shown) {
            if let Some(other) = copy.other_id(&shown.report, id, true) {
                self.route = Route::Service(other.clone());
                fx.push(Effect::SetHash(Route::Service(other)));
            }
        }
        self.redacted = Some(copy);
        self.leave_unknown_service();
        self.make_share_link(fx);
        self.request_paths(fx);
    }

    /// A Service page whose Service the report on screen does not have goes back to the overview.
    fn leave_unknown_service(&mut self) {
        if let Route::Service(id) = &self.route {
            let known = self
                .current()
                .is_some_and(|s| s.report.services.iter().any(|x| &x.id == id));
            if !known {
                self.route = Route::Overview;
            }
        }
    }
}
