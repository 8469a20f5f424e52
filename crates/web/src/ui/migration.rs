//! The move to nftables mode: for an iptables- or IPVS-mode node, the per-packet work and the objects
//! kube-proxy's nftables mode would create, then each blocker and behaviour change with its evidence and
//! what to do, and the release facts that matter (the report's `migration` section).

use svcpath_analysis::migration::{Migration, MigrationItem};
use svcpath_analysis::report::Mode;
use yew::prelude::*;

use super::widgets::{line_links, severity_badge};
use super::{App, Shown};
use crate::state::Action;

pub fn view(ctx: &Context<App>, shown: &Shown) -> Html {
    let on_highlight = ctx
        .link()
        .callback(|(lines, label): (Vec<u32>, String)| Action::Highlight(lines, label));
    let Some(m) = &shown.report.migration else {
        let mode = match shown.report.mode {
            Mode::Nftables => "this node already runs kube-proxy in nftables mode",
            _ => "this paste shows no iptables- or IPVS-mode kube-proxy rules",
        };
        return html! {
            <section id="migration" class="panel" aria-labelledby="migration-title">
                <h2 id="migration-title">{"Move to nftables mode"}</h2>
                <p class="muted">{ format!("The move to nftables mode is assessed for iptables- and IPVS-mode nodes; {mode}.") }</p>
            </section>
        };
    };
    html! {
        <>
            { overview(m) }
            <section id="migration-items" class="panel" aria-labelledby="migration-items-title">
                <h2 id="migration-items-title">{ format!("Blockers and behaviour changes ({})", m.items.len()) }</h2>
                if m.items.is_empty() {
                    <p class="muted">{"Nothing in this paste that nftables mode would treat differently."}</p>
                } else {
                    <ul class="findings">{ for m.items.iter().map(|i| item(i, &on_highlight)) }</ul>
                }
            </section>
            <section id="migration-notes" class="panel" aria-labelledby="migration-notes-title">
                <h2 id="migration-notes-title">{"Release facts"}</h2>
                <ul class="notes">{ for m.notes.iter().map(|n| html! { <li>{ n }</li> }) }</ul>
            </section>
        </>
    }
}

fn overview(m: &Migration) -> Html {
    let o = &m.objects;
    let from = match m.from {
        Mode::Ipvs => "IPVS",
        _ => "iptables",
    };
    let now = m
        .rules_per_packet_now
        .map(|n| format!("{n:.0}"))
        .unwrap_or_else(|| "—".to_string());
    let nft = m
        .rules_per_packet_nftables
        .map(|n| format!("{n:.0}"))
        .unwrap_or_else(|| "—".to_string());
    html! {
        <section id="migration" class="panel summary" aria-labelledby="migration-title">
            <h2 id="migration-title">{ format!("Move to nftables mode (from {from})") }</h2>
            <p id="migration-summary">{ &m.summary }</p>
            <div class="cards">
                <div class="card">
                    <span class="card-label">{"Rules per new connection now"}</span>
                    <span class="card-value">{ now }</span>
                    <span class="card-note">{ if m.rules_per_packet_now.is_some() { "iptables rules, on average" } else { "not shown by this paste" } }</span>
                </div>
                <div class="card">
                    <span class="card-label">{"In nftables mode"}</span>
                    <span class="card-value">{ nft }</span>
                    <span class="card-note">{"rules and map lookups"}</span>
                </div>
                <div class="card">
                    <span class="card-label">{"nftables chains"}</span>
                    <span id="migration-chains" class="card-value">{ o.chains }</span>
                    <span class="card-note">{ format!("{} from 1.36", o.chains_from_1_36) }</span>
                </div>
                <div class="card">
                    <span class="card-label">{"Sets, maps, elements"}</span>
                    <span class="card-value">{ format!("{} · {} · {}", o.sets, o.maps, o.elements) }</span>
                </div>
            </div>
            <p class="muted">{ svcpath_analysis::render::migration_objects_words(m) }{"."}</p>
        </section>
    }
}

fn item(i: &MigrationItem, on_highlight: &Callback<(Vec<u32>, String)>) -> Html {
    html! {
        <li class="finding" id={format!("migration-{}", i.code)} data-code={i.code.clone()}>
            { severity_badge(i.severity) }
            <div class="finding-body">
                <p class="finding-message"><strong>{ &i.title }</strong>{". "}{ &i.message }</p>
                <p class="finding-message"><em>{"What to do: "}</em>{ &i.action }</p>
                <p class="finding-meta">
                    <code class="muted">{ &i.code }</code>
                    if !i.lines.is_empty() {
                        {" · evidence "}{ line_links(&i.lines, &i.title, on_highlight) }
                    }
                </p>
            </div>
        </li>
    }
}
