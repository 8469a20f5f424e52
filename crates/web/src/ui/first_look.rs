//! The Services a paste names, listed from the worker's first look at it while the paste is parsed:
//! names and addresses only, until the report's first part takes their place.

use svcpath_analysis::preview::FirstLook;
use yew::prelude::*;

pub fn view(look: &FirstLook, redact: bool) -> Html {
    let shown = look.services.len();
    let heading = match look.total {
        1 => "1 Service named in the paste".to_string(),
        n => format!("{n} Services named in the paste"),
    };
    html! {
        <section id="first-look" class="panel" role="status">
            <h2>{ heading }</h2>
            <p class="muted">{ "Read from kube-proxy's dispatch rules at first sight, before the whole paste is parsed. \
                Their endpoints, the findings and anything a rule elsewhere changes are still being worked out; \
                the report takes this list's place when they are." }</p>
            if redact {
                <p class="muted">{ "Names and addresses are hidden while Redact is on: they show in the redacted report." }</p>
            } else {
                <ul class="first-look">
                    { for look.services.iter().map(|s| html! {
                        <li>
                            <strong class="svc-seen">{ &s.id }</strong>
                            <span class="muted">{ format!(" {} · line {}", s.address, s.line) }</span>
                        </li>
                    }) }
                </ul>
                if look.total > shown {
                    <p class="muted">{ format!("The first {shown} by name; {} more follow with the report.", look.total - shown) }</p>
                }
            }
        </section>
    }
}
