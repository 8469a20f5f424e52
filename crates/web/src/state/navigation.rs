//! Following a route (a deep link, a tab, the back button): what each view needs loaded, traced or
//! scrolled to, and the question asked before a sample replaces the user's paste.

use super::{Effect, Replace, State, Status, EXPLAIN_HOLD_MS};
use crate::route::Route;
use crate::{samples, share};

impl State {
    pub(super) fn go(&mut self, fx: &mut Vec<Effect>, route: Route) {
        match &route {
            Route::Sample(name) => {
                self.tour_hidden = false;
                if samples::find(name).is_some() && self.sample != Some(name.as_str()) {
                    if self.user_input {
                        // A tour's link: ask before the sample replaces the paste.
                        self.confirm = Some(Replace::Sample(name.clone()));
                    } else {
                        self.load_sample(fx, &name.clone());
                    }
                }
            }
            Route::Trace(query) => {
                if query.is_empty() || self.route == route {
                    // The bare tab keeps the form as it is; the hash this page just set is no news.
                } else if !query.same_packet(&self.trace_form) || self.trace.result.is_none() {
                    self.trace_form = query.clone();
                    let sample = query.sample.as_deref().and_then(samples::find);
                    match sample {
                        Some(s) if self.sample != Some(s.name) && !self.user_input => {
                            self.pending_trace = true;
                            self.load_sample(fx, s.name);
                        }
                        _ if self.shown.is_some() && !self.pending_trace => self.run_trace(fx),
                        _ => self.pending_trace = true,
                    }
                }
            }
            Route::Shared(data) => {
                if self.route != route {
                    match share::decode(data) {
                        Some(text) => self.open_shared(fx, text),
                        None => {
                            self.status =
                                Status::Failed("the share link is damaged or too large".into())
                        }
                    }
                }
            }
            Route::Source(line) => {
                self.scroll_to_line = *line;
                if let Some(line) = line {
                    self.explain_line = Some(*line);
                    self.explain_part = None;
                    self.explain_hold_until = self.now + EXPLAIN_HOLD_MS;
                }
            }
            Route::Glossary(key) => {
                self.pending_anchor = key.as_ref().map(|k| format!("g-{k}"));
            }
            Route::Finding(code) => {
                self.pending_anchor = Some(format!("finding-{code}"));
            }
            Route::Service(_)
            | Route::Overview
            | Route::Gallery
            | Route::Migration
            | Route::Conntrack
            | Route::Nodes => {}
        }
        if self.route != route {
            self.focus_heading = true;
        }
        self.route = route;
        self.request_paths(fx);
        if self.pending_anchor.is_none() && !matches!(self.route, Route::Source(_)) {
            fx.push(Effect::ScrollToTop);
        }
    }

    pub(super) fn replace_answer(&mut self, fx: &mut Vec<Effect>, replace: bool) -> bool {
        let Some(Replace::Sample(name)) = self.confirm.take() else {
            return false;
        };
        if replace {
            self.user_input = false;
            self.route = Route::Sample(name.clone());
            fx.push(Effect::SetHash(Route::Sample(name.clone())));
            self.load_sample(fx, &name);
        } else if matches!(self.route, Route::Sample(_)) {
            // A tour's link asked: stay on the overview of the paste.
            self.route = Route::Overview;
            fx.push(Effect::ReplaceHash(Route::Overview));
        }
        self.focus_heading = true;
        true
    }
}
