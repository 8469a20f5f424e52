//! Taking a report away: redaction on and off (the worker redacts), the share link made from the
//! redacted copy, the JSON download and the Markdown copies.

use std::rc::Rc;

use super::{Effect, ShareLink, State, TraceState, CHAT_LINK_LIMIT, MAX_SHARE_LINK};
use crate::protocol::Request;
use crate::route::Route;
use crate::share;

impl State {
    pub(super) fn toggle_redact(&mut self, fx: &mut Vec<Effect>) {
        self.redact = !self.redact;
        self.share_link = None;
        self.share_pending = false;
        // Stay on the same Service: its id changes with redaction.
        if let (Route::Service(id), Some(copy), Some(shown)) =
            (&self.route, &self.redacted, &self.shown)
        {
            if let Some(other) = copy.other_id(&shown.report, id, self.redact) {
                self.route = Route::Service(other.clone());
                fx.push(Effect::SetHash(Route::Service(other)));
            }
        }
        self.ask_redaction(fx);
    }

    /// Tells the worker that redaction is on or off; the first time on for an analysis it sends the
    /// paste to be redacted and explained (the worker holds the analysis, so the page thread does no
    /// redaction work).
    pub(super) fn ask_redaction(&mut self, fx: &mut Vec<Effect>) {
        if self.shown.is_none() {
            return;
        }
        let request = Request::Redact {
            generation: self.generation(),
            on: self.redact,
        };
        let paste = (self.redact && self.redacted.is_none()).then(|| self.input.clone());
        self.request(fx, request, paste);
        // Traces on screen came from the other copy.
        self.paths = None;
        self.trace = TraceState::default();
        if self.redacted.is_some() || !self.redact {
            self.request_paths(fx);
        }
    }

    pub(super) fn share(&mut self, fx: &mut Vec<Effect>) {
        if !self.redact {
            self.redact = true;
            self.ask_redaction(fx);
        }
        self.share_pending = true;
        self.make_share_link(fx);
    }

    /// Makes the share link from the redacted copy, once it is there.
    pub(super) fn make_share_link(&mut self, fx: &mut Vec<Effect>) {
        let Some(copy) = self.redacted.as_ref().filter(|_| self.share_pending) else {
            return;
        };
        self.share_pending = false;
        let data = share::encode(&copy.shown.text);
        if data.len() > MAX_SHARE_LINK {
            self.share_link = Some(ShareLink {
                link: String::new(),
                long: true,
                shown: false,
                too_large: true,
            });
            return;
        }
        let link = format!("{}{}", self.page_base, Route::Shared(data).href());
        let long = link.len() > CHAT_LINK_LIMIT;
        if !long {
            fx.push(Effect::CopyText(link.clone()));
            self.notify(fx, "Share link (redacted dump) copied to the clipboard.");
        }
        self.share_link = Some(ShareLink {
            link,
            long,
            shown: !long,
            too_large: false,
        });
    }

    pub(super) fn download_json(&mut self, fx: &mut Vec<Effect>) {
        let Some(shown) = self.current() else {
            return;
        };
        let json = serde_json::to_string_pretty(&*shown.report).unwrap_or_default();
        let name = if self.redact {
            "svcpath-report-redacted.json"
        } else {
            "svcpath-report.json"
        };
        fx.push(Effect::Download {
            name,
            mime: "application/json",
            text: json,
        });
    }

    /// Copies the Markdown report, for GitHub and wikis or (`chat`) for chat tools and tickets.
    pub(super) fn copy_markdown(&mut self, fx: &mut Vec<Effect>, chat: bool) {
        let Some(report) = self.current().map(|s| Rc::clone(&s.report)) else {
            return;
        };
        if chat {
            fx.push(Effect::CopyText(svcpath_analysis::render::markdown_chat(
                &report,
            )));
            self.notify(
                fx,
                "Markdown report for a chat or a ticket copied to the clipboard.",
            );
        } else {
            fx.push(Effect::CopyText(svcpath_analysis::render::markdown(
                &report,
            )));
            self.notify(fx, "Markdown report copied to the clipboard.");
        }
    }
}
