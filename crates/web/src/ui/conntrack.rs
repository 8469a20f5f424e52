//! The Conntrack view: the table's gauge, charts of its entries by Service port (top 20) and by state
//! drawn as SVG from `Report.conntrack`, the stale entries with the commands that clear them, and a
//! query box ("client 10.244.1.5 → 10.96.0.10:53") that asks the worker which endpoint that flow is
//! pinned to (a trace of an established flow).

use std::collections::BTreeMap;

use svcpath_analysis::report::{ConntrackReport, Protocol, Report, StaleKind};
use yew::prelude::*;

use super::widgets::line_links;
use super::{App, Shown};
use crate::route::{Route, TraceQuery};
use crate::state::Action;

/// Service ports drawn in the chart.
const TOP: usize = 20;
/// Stale entries shown in the table.
const STALE_ROWS: usize = 200;
const BAR_WIDTH: f64 = 300.0;
const ROW: f64 = 22.0;

pub fn view(ctx: &Context<App>, shown: &Shown, sample: Option<String>) -> Html {
    let on_highlight = ctx
        .link()
        .callback(|(lines, label): (Vec<u32>, String)| Action::Highlight(lines, label));
    let Some(c) = &shown.report.conntrack else {
        return html! {
            <section id="conntrack-view" class="panel" aria-labelledby="conntrack-view-title">
                <h2 id="conntrack-view-title">{"Conntrack"}</h2>
                <p class="muted">{"The paste has no conntrack input. Add `conntrack -L` (and `conntrack -S`, the conntrack sysctls) to see what fills the table and which entries point at dead pods."}</p>
            </section>
        };
    };
    html! {
        <>
            { super::overview::conntrack_panel(c, &on_highlight) }
            { query_box(&shown.report, sample) }
            { charts(c) }
            { stale_table(c, &on_highlight) }
        </>
    }
}

/// Reads "client 10.244.1.5 → 10.96.0.10:53" (also `->`, or two words): the client and `ip:port`.
pub fn parse_query(text: &str) -> Option<(String, String, String)> {
    let cleaned = text.replace('→', " ").replace("->", " ");
    let words: Vec<&str> = cleaned
        .split_whitespace()
        .filter(|w| !w.eq_ignore_ascii_case("client") && !w.eq_ignore_ascii_case("to"))
        .collect();
    let [client, destination] = words.as_slice() else {
        return None;
    };
    client.parse::<std::net::IpAddr>().ok()?;
    let (host, port) = destination.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.parse::<std::net::IpAddr>().ok()?;
    port.parse::<u16>().ok()?;
    Some((client.to_string(), host.to_string(), port.to_string()))
}

/// The protocol of the Service port at that address, else UDP for port 53 and TCP otherwise.
fn protocol_at(report: &Report, host: &str, port: &str) -> Protocol {
    let port: Option<u16> = port.parse().ok();
    report
        .services
        .iter()
        .find(|s| {
            s.port == port
                && s.cluster_ip.as_deref().map(|ip| ip.trim_end_matches("/32")) == Some(host)
        })
        .and_then(|s| s.protocol)
        .unwrap_or(if port == Some(53) {
            Protocol::Udp
        } else {
            Protocol::Tcp
        })
}

fn query_box(report: &Report, sample: Option<String>) -> Html {
    let example = report
        .conntrack
        .as_ref()
        .and_then(|c| c.stale.first())
        .map(|s| {
            format!(
                "client {} → {}",
                s.client
                    .rsplit_once(':')
                    .map_or(s.client.as_str(), |(ip, _)| ip),
                s.destination
            )
        })
        .unwrap_or_else(|| "client 10.244.1.5 → 10.96.0.10:53".to_string());
    let report = report.clone();
    let onsubmit = Callback::from(move |e: SubmitEvent| {
        e.prevent_default();
        let Some(input) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id("conntrack-query"))
            .and_then(|el| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlInputElement>(el).ok())
        else {
            return;
        };
        let Some((client, host, port)) = parse_query(&input.value()) else {
            if let Some(out) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id("conntrack-query-error"))
            {
                out.set_text_content(Some("Write it as: client 10.244.1.5 → 10.96.0.10:53"));
            }
            return;
        };
        let protocol = protocol_at(&report, &host, &port);
        let route = Route::Trace(TraceQuery {
            src: client,
            dst: host,
            port,
            protocol,
            established: true,
            sample: sample.clone(),
            ..TraceQuery::default()
        });
        if let Some(w) = web_sys::window() {
            let _ = w.location().set_hash(&route.href());
        }
    });
    html! {
        <section id="conntrack-query-panel" class="panel" aria-labelledby="conntrack-query-title">
            <h2 id="conntrack-query-title">{"Which endpoint is a flow pinned to?"}</h2>
            <p class="muted">{"A packet of an existing flow follows its conntrack entry, not the rules: give the client and the destination."}</p>
            <form class="conntrack-query" {onsubmit}>
                <label for="conntrack-query">{"Flow"}</label>
                <input id="conntrack-query" type="text" placeholder={example.clone()} value={example.clone()}
                       autocomplete="off" spellcheck="false" />
                <button type="submit">{"Find its entry"}</button>
            </form>
            <p id="conntrack-query-error" class="error" role="status"></p>
        </section>
    }
}

/// One horizontal bar chart: a label, a bar scaled to the largest value, an optional red share.
fn bar_chart(id: &str, title: &str, rows: &[(String, u64, u64)]) -> Html {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1) as f64;
    let height = ROW * rows.len() as f64 + 4.0;
    html! {
        <figure class="ct-chart">
            <figcaption>{ title.to_string() }</figcaption>
            <svg id={id.to_string()} role="img" aria-label={title.to_string()}
                 viewBox={format!("0 0 {} {height}", BAR_WIDTH + 60.0)} preserveAspectRatio="xMinYMin meet"
                 width="100%">
                { for rows.iter().enumerate().map(|(i, (label, value, stale))| {
                    let y = ROW * i as f64 + 2.0;
                    let w = (*value as f64 / max * BAR_WIDTH).max(1.0);
                    let s = (*stale as f64 / max * BAR_WIDTH).min(w);
                    html! {
                        <g class="ct-row">
                            <title>{ format!("{label}: {value} entries{}", if *stale > 0 { format!(", {stale} stale") } else { String::new() }) }</title>
                            <rect class="ct-bar" x="0" y={format!("{y}")} width={format!("{w:.1}")} height={format!("{}", ROW - 6.0)} />
                            if *stale > 0 {
                                <rect class="ct-bar-stale" x="0" y={format!("{y}")} width={format!("{s:.1}")} height={format!("{}", ROW - 6.0)} />
                            }
                            <text class="ct-label" x="4" y={format!("{:.1}", y + ROW - 10.0)}>{ label.clone() }</text>
                            <text class="ct-value" x={format!("{:.1}", w + 4.0)} y={format!("{:.1}", y + ROW - 10.0)}>{ value.to_string() }</text>
                        </g>
                    }
                }) }
            </svg>
        </figure>
    }
}

fn charts(c: &ConntrackReport) -> Html {
    let Some(table) = &c.table else {
        return html! {
            <section id="conntrack-charts" class="panel" aria-labelledby="conntrack-charts-title">
                <h2 id="conntrack-charts-title">{"Entries"}</h2>
                <p class="muted">{"No `conntrack -L` listing in the paste: the entries by Service and state need it (`conntrack -L | head -n 200000`)."}</p>
            </section>
        };
    };
    let services: Vec<(String, u64, u64)> = c
        .services
        .iter()
        .take(TOP)
        .map(|s| {
            (
                s.service.clone(),
                s.entries,
                s.stale.unwrap_or(s.never_dnat),
            )
        })
        .collect();
    let mut states: Vec<(String, u64, u64)> = table
        .by_state
        .iter()
        .map(|(k, v)| (k.clone(), *v, 0))
        .collect();
    svcpath_syntax::stable_sort::sort_by(&mut states, |a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let protocols: BTreeMap<&String, &u64> = table.by_protocol.iter().collect();
    html! {
        <section id="conntrack-charts" class="panel" aria-labelledby="conntrack-charts-title">
            <h2 id="conntrack-charts-title">{ format!("Entries ({} listed, {} to Services)", table.entries, table.to_services) }</h2>
            <p class="muted">{ format!("From {}: ", table.source) }
                { protocols.iter().map(|(p, n)| format!("{p} {n}")).collect::<Vec<_>>().join(", ") }
                { if table.unreplied_udp > 0 { format!("; {} UDP entries never saw a reply", table.unreplied_udp) } else { String::new() } }
            </p>
            <div class="ct-charts">
                if services.is_empty() {
                    <p class="muted">{"No entry goes to a Service address of this node's rules."}</p>
                } else {
                    { bar_chart("ct-chart-services", &format!("By Service port (top {}; red: stale)", services.len()), &services) }
                }
                { bar_chart("ct-chart-states", "By state", &states) }
            </div>
        </section>
    }
}

fn stale_table(c: &ConntrackReport, on_highlight: &Callback<(Vec<u32>, String)>) -> Html {
    let unknown: Vec<&str> = c
        .services
        .iter()
        .filter(|s| s.endpoints_unknown.is_some())
        .map(|s| s.service.as_str())
        .collect();
    html! {
        <section id="conntrack-stale" class="panel" aria-labelledby="conntrack-stale-title">
            <h2 id="conntrack-stale-title">{ format!("Stale entries ({})", c.stale.len()) }</h2>
            if c.stale.is_empty() {
                <p class="muted">{ if c.table.is_some() { "No listed entry points at a target that is not a current endpoint." } else { "Needs a `conntrack -L` listing." } }</p>
            } else {
                <p>{"Each keeps its client's flow on a target that is not an endpoint now, until it expires. The command deletes the entries of that target."}</p>
                <div class="ct-table-scroll">
                <table class="ct-stale">
                    <thead><tr><th>{"Service"}</th><th>{"Client"}</th><th>{"Destination"}</th><th>{"Sent to"}</th><th>{"Why"}</th><th>{"Line"}</th><th>{"Clear with"}</th></tr></thead>
                    <tbody>
                    { for c.stale.iter().take(STALE_ROWS).map(|s| html! {
                        <tr class="ct-stale-row" title={s.meaning.clone()}>
                            <td>{ s.service.clone() }</td>
                            <td><code>{ s.client.clone() }</code></td>
                            <td><code>{ s.destination.clone() }</code></td>
                            <td><code class="dead">{ s.translated_to.clone() }</code></td>
                            <td>{ match s.kind { StaleKind::EndpointGone => "endpoint gone", StaleKind::NeverDnat => "never DNAT'd" } }</td>
                            <td>{ line_links(&[s.line], "stale conntrack entry", on_highlight) }</td>
                            <td><code class="command">{ s.command.clone() }</code></td>
                        </tr>
                    }) }
                    </tbody>
                </table>
                </div>
            }
            if !unknown.is_empty() {
                <p class="muted">{ format!("Not judged (their endpoints are unknown from the rules): {}.", unknown.join(", ")) }</p>
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::parse_query;

    #[test]
    fn reads_a_flow_query() {
        assert_eq!(
            parse_query("client 10.244.1.5 → 10.96.0.10:53"),
            Some(("10.244.1.5".into(), "10.96.0.10".into(), "53".into()))
        );
        assert_eq!(
            parse_query("fd00::5 -> [fd00::a]:53").map(|q| q.1),
            Some("fd00::a".into())
        );
        assert_eq!(parse_query("10.244.1.5"), None);
        assert_eq!(parse_query("client x → 10.96.0.10:53"), None);
    }
}
