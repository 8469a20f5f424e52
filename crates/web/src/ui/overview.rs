//! The node overview: mode, counts, node facts, the conntrack and kube-proxy panels, findings, the
//! Services table, the sections the splitter recognised (with a way to correct them) and the parsers' diagnostics.

use svcpath_analysis::report::{
    ConntrackReport, ConntrackVerdict, Finding, Mode, Report, Severity,
};
use svcpath_syntax::SectionKind;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use super::widgets::{line_links, severity_badge};
use super::{services, App, Shown};
use crate::model;
use crate::protocol::FactKind;
use crate::route::Route;
use crate::state::Action;

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Iptables => "iptables",
        Mode::Ipvs => "IPVS",
        Mode::Nftables => "nftables",
        Mode::Unknown => "unknown",
    }
}

/// The overview's slice of the page's state.
pub struct Props<'a> {
    /// The finding a `#/finding/CODE` link points at.
    pub finding: Option<&'a str>,
    pub facts_error: &'a Option<(FactKind, String)>,
    pub table: services::Table<'a>,
    /// Only the Services of the report are in (it is still streaming in from the worker).
    pub streaming: bool,
}

pub fn view(ctx: &Context<App>, shown: &Shown, props: &Props<'_>) -> Html {
    let report = &shown.report;
    let on_highlight = ctx
        .link()
        .callback(|(lines, label): (Vec<u32>, String)| Action::Highlight(lines, label));
    if props.streaming {
        // Only what is final is drawn: no summary, diagnosis or findings that would read as "none".
        return html! {
            <>
                <section id="report-coming" class="panel" role="status">
                    <h2>{ format!("{} Services read", shown.services_total.unwrap_or(report.services.len())) }</h2>
                    <p class="muted">{ "The findings, the conntrack join and the diagnosis are still being worked out; \
                        they appear here, and in the Findings column, when they are." }</p>
                </section>
                { super::facts::panel(ctx, &report.node, props.facts_error) }
                { services::view(ctx, shown, &props.table) }
                { sections(ctx, report) }
                { diagnostics(report, &on_highlight) }
            </>
        };
    }
    html! {
        <>
            { super::diagnosis::view(ctx, shown) }
            { summary(report) }
            { super::facts::panel(ctx, &report.node, props.facts_error) }
            if let Some(conntrack) = &report.conntrack {
                { conntrack_panel(conntrack, &on_highlight) }
            }
            if let Some(kp) = &report.kube_proxy {
                { super::kube_proxy::panel(kp, report.conntrack.is_some(), &on_highlight) }
            }
            { findings(report, &on_highlight, props.finding) }
            { services::view(ctx, shown, &props.table) }
            { sections(ctx, report) }
            { diagnostics(report, &on_highlight) }
        </>
    }
}

fn summary(report: &Report) -> Html {
    let endpoints: usize = report.services.iter().map(|s| s.endpoints.len()).sum();
    let rules = &report.rules;
    let mut rule_line = Vec::new();
    if rules.iptables_rules > 0 {
        rule_line.push(format!(
            "{} iptables rules in {} chains ({} kube-proxy, {} nat)",
            rules.iptables_rules, rules.iptables_chains, rules.kube_rules, rules.nat_rules
        ));
    }
    if rules.ipvs_virtual_services > 0 {
        rule_line.push(format!(
            "{} IPVS virtual services, {} real servers",
            rules.ipvs_virtual_services, rules.ipvs_real_servers
        ));
    }
    if rules.nft_rules > 0 {
        rule_line.push(format!("{} nft rules", rules.nft_rules));
    }
    let per_packet = rules.mean_rules_per_packet.map(|m| {
        let max = rules
            .max_rules_per_packet
            .map(|x| format!(", {x} at most"))
            .unwrap_or_default();
        let nft = rules
            .nftables_rules_per_packet
            .map(|n| format!("; about {n:.1} in nftables mode"))
            .unwrap_or_default();
        format!("A new Service connection passes {m:.1} rules on average{max}{nft}.")
    });
    let node = &report.node;
    html! {
        <section class="panel summary" aria-labelledby="summary-title">
            <h2 id="summary-title">{"Node overview"}</h2>
            <div class="cards">
                <div class="card">
                    <span class="card-label">{"Proxy mode"}</span>
                    <span id="mode" class="card-value">{ mode_name(report.mode) }</span>
                    if !report.leftover_modes.is_empty() {
                        <span class="card-note warn">{ format!("leftover rules of: {}",
                            report.leftover_modes.iter().map(|m| mode_name(*m)).collect::<Vec<_>>().join(", ")) }</span>
                    }
                </div>
                <div class="card">
                    <span class="card-label">{"Services"}</span>
                    <span id="service-count" class="card-value">{ report.services.len() }</span>
                    <span class="card-note">{ format!("{} with no endpoints",
                        report.services.iter().filter(|s| s.no_endpoints).count()) }</span>
                </div>
                <div class="card">
                    <span class="card-label">{"Endpoints"}</span>
                    <span class="card-value">{ endpoints }</span>
                </div>
                <div class="card">
                    <span class="card-label">{"Findings"}</span>
                    <span class="card-value">{ report.findings.len() }</span>
                    <span class="card-note">{ format!("{} critical, {}",
                        report.findings.iter().filter(|f| f.severity == Severity::Critical).count(),
                        plural(report.findings.iter().filter(|f| f.severity == Severity::Warning).count(), "warning")) }</span>
                </div>
            </div>
            if !rule_line.is_empty() { <p>{ rule_line.join("; ") }{"."}</p> }
            if let Some(line) = per_packet { <p class="muted">{ line }</p> }
            <dl class="facts">
                if !node.node_ips.is_empty() {
                    <dt>{"Node addresses"}</dt>
                    <dd>{ for node.node_ips.iter().map(|f| html! { <span class="fact" title={f.source.clone()}>{ &f.value }</span> }) }</dd>
                }
                if !node.pod_cidrs.is_empty() {
                    <dt>{"Pod ranges"}</dt>
                    <dd>{ for node.pod_cidrs.iter().map(|f| html! { <span class="fact" title={f.source.clone()}>{ &f.value }</span> }) }</dd>
                }
                if let Some(family) = node.ip_family { <dt>{"IP family"}</dt><dd>{ family.name() }</dd> }
                if let Some(backend) = &node.iptables_backend { <dt>{"iptables backend"}</dt><dd>{ backend }</dd> }
                if let Some(l) = &report.layout {
                    <dt>{"Rule layout"}</dt>
                    <dd id="layout" title={format!("seen on lines {}", l.evidence.iter().map(u32::to_string).collect::<Vec<_>>().join(", "))}>
                        <strong>{ &l.name }</strong>{ format!(": {}", l.summary) }
                    </dd>
                }
            </dl>
        </section>
    }
}

pub(super) fn conntrack_panel(
    c: &ConntrackReport,
    on_highlight: &Callback<(Vec<u32>, String)>,
) -> Html {
    let (class, word) = match c.verdict {
        ConntrackVerdict::Ok => ("ok", "OK"),
        ConntrackVerdict::Warning => ("warning", "Warning"),
        ConntrackVerdict::Critical => ("critical", "Critical"),
        ConntrackVerdict::Unknown => ("unknown", "Unknown"),
    };
    let fill = c
        .fill_ratio
        .filter(|f| f.is_finite())
        .map(|f| f.clamp(0.0, 1.0));
    let number = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_else(|| "—".into());
    let keys: Vec<String> = {
        let mut keys: Vec<String> = Vec::new();
        for cpu in &c.per_cpu {
            for (k, _) in &cpu.counters {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
        }
        keys
    };
    html! {
        <section id="conntrack" class={classes!("panel", "conntrack", class)} aria-labelledby="conntrack-title">
            <h2 id="conntrack-title">{"Conntrack "}<span class={classes!("verdict", class)}>{ word }</span></h2>
            <p class="verdict-sentence">{ &c.summary }</p>
            if let Some(fill) = fill {
                <div class="gauge">
                    <svg viewBox="0 0 100 8" preserveAspectRatio="none" width="100%" height="16" role="img"
                        aria-label={format!("table {:.0}% full", fill * 100.0)}>
                        <rect x="0" y="0" width="100" height="8" class="bar-bg" />
                        <rect x="0" y="0" width={format!("{:.2}", fill * 100.0)} height="8" class={classes!("gauge-fill", class)} />
                    </svg>
                    <span>{ format!("{} of {} entries ({:.1}%)", number(c.count), number(c.max), fill * 100.0) }</span>
                </div>
            }
            if let Some(e) = &c.expected_max {
                { super::conntrack_limit::expected_max(e) }
            }
            <dl class="facts">
                <dt>{"buckets"}</dt><dd>{ number(c.buckets) }</dd>
                <dt>{"CPUs"}</dt><dd>{ c.cpus.map(|n| n.to_string()).unwrap_or_else(|| "—".into()) }</dd>
                <dt>{"drops"}</dt><dd>{ number(c.drops) }</dd>
                <dt>{"insert_failed"}</dt><dd>{ number(c.insert_failed) }</dd>
                <dt>{"early_drop"}</dt><dd>{ number(c.early_drop) }</dd>
            </dl>
            if !c.reasons.is_empty() {
                <h3>{"Why"}</h3>
                <ul>{ for c.reasons.iter().map(|r| html! { <li>{ r }</li> }) }</ul>
            }
            if !c.recommendations.is_empty() {
                <h3>{"What to do"}</h3>
                <ul>{ for c.recommendations.iter().map(|r| html! { <li>{ r }</li> }) }</ul>
            }
            if !c.per_cpu.is_empty() {
                <h3>{"Per CPU"}</h3>
                <div class="scroll-x">
                    <table class="per-cpu">
                        <thead><tr><th>{"cpu"}</th>{ for keys.iter().map(|k| html! { <th>{ k }</th> }) }</tr></thead>
                        <tbody>{ for c.per_cpu.iter().map(|cpu| html! {
                            <tr><td>{ cpu.cpu }</td>{ for keys.iter().map(|k| {
                                let v = cpu.counters.iter().find(|(key, _)| key == k).map(|(_, v)| *v);
                                html! { <td class={classes!(v.is_some_and(|v| v > 0 && ["drop", "insert_failed", "early_drop", "error"].contains(&k.as_str())).then_some("bad"))}>
                                    { v.map(|v| v.to_string()).unwrap_or_default() }</td> }
                            }) }</tr>
                        }) }</tbody>
                    </table>
                </div>
            }
            if !c.timeouts.is_empty() {
                <h3>{"Timeouts"}</h3>
                <table class="timeouts">
                    <thead><tr><th>{"setting"}</th><th>{"value"}</th><th>{"kube-proxy default"}</th><th>{"kernel default"}</th></tr></thead>
                    <tbody>{ for c.timeouts.iter().map(|t| html! {
                        <tr><td>{ &t.key }</td><td>{ number(t.seconds) }</td><td>{ number(t.kube_proxy_default) }</td><td>{ number(t.kernel_default) }</td></tr>
                    }) }</tbody>
                </table>
            }
            if !c.kube_proxy_timeouts.is_empty() {
                { super::conntrack_limit::timeouts(&c.kube_proxy_timeouts) }
            }
            if !c.breakdown.is_empty() {
                <h3>{"What fills the table"}</h3>
                <ul>{ for c.breakdown.iter().map(|b| html! { <li>{ format!("{}: {}", b.key, b.entries) }</li> }) }</ul>
            }
            if !c.table_full_lines.is_empty() {
                <p>{"\"table full\" in the kernel log: "}{ line_links(&c.table_full_lines, "conntrack table full", on_highlight) }</p>
            }
            if !c.missing.is_empty() {
                <h3>{"To settle what is unknown, also capture"}</h3>
                <ul>{ for c.missing.iter().map(|m| html! { <li><code>{ m }</code></li> }) }</ul>
            }
        </section>
    }
}

fn finding_item(
    f: &Finding,
    on_highlight: &Callback<(Vec<u32>, String)>,
    first: bool,
    target: bool,
) -> Html {
    let id = first.then(|| format!("finding-{}", f.code));
    html! {
        <li class={classes!("finding", target.then_some("target"))} {id} data-code={f.code.as_str()}>
            { severity_badge(f.severity) }
            <div class="finding-body">
                <p class="finding-message">{ super::learn::rich(&f.message) }</p>
                <p class="finding-meta">
                    <code class="muted">{ f.code.as_str() }</code>
                    if let Some(key) = crate::glossary::for_finding(f.code.as_str()) {
                        {" · "}{ super::learn::term_link(key, &format!("what is {}?", crate::glossary::find(key).map_or(key, |e| e.term))) }
                    }
                    if let Some(id) = &f.service {
                        {" · "}<a href={Route::Service(id.clone()).href()}>{ id }</a>
                    }
                    if !f.lines.is_empty() {
                        {" · evidence "}{ line_links(&f.lines, &f.message, on_highlight) }
                    }
                </p>
            </div>
        </li>
    }
}

/// Findings of one code drawn in the overview's list; the rest of that code are counted.
const FINDINGS_PER_CODE: usize = 25;

fn findings(
    report: &Report,
    on_highlight: &Callback<(Vec<u32>, String)>,
    target: Option<&str>,
) -> Html {
    let sorted = model::sorted_findings(report);
    let (serious, info): (Vec<&Finding>, Vec<&Finding>) =
        sorted.iter().partition(|f| f.severity != Severity::Info);
    // A few notes are shown; many are folded so the serious ones stay in sight (unfolded when a link
    // points at one of them).
    let fold = info.len() > 3;
    let open = target.is_some_and(|code| info.iter().any(|f| f.code == code));
    // The first finding of each code gets the anchor `finding-CODE`. Past the first
    // FINDINGS_PER_CODE of one code the rest are counted, not drawn: 60,000 Services with the same
    // finding would keep the page busy for seconds, and each is on its Service's page and in the
    // exported report.
    let mut drawn: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut list = |findings: &[&Finding]| -> Vec<Html> {
        let mut items = Vec::new();
        let mut folded: Vec<(&str, usize)> = Vec::new();
        for f in findings {
            let count = drawn.entry(f.code.as_str()).or_default();
            *count += 1;
            if *count > FINDINGS_PER_CODE {
                match folded.iter_mut().find(|(code, _)| *code == f.code.as_str()) {
                    Some((_, n)) => *n += 1,
                    None => folded.push((f.code.as_str(), 1)),
                }
                continue;
            }
            let first = *count == 1;
            items.push(finding_item(
                f,
                on_highlight,
                first,
                target == Some(f.code.as_str()) && first,
            ));
        }
        items.extend(folded.into_iter().map(|(code, n)| {
            html! {
                <li class="finding-more muted" data-code={code.to_string()}>
                    { format!("…and {n} more {code} findings like these: each is on its Service's page \
                        (the Services table marks them) and in the Markdown and JSON reports.") }
                </li>
            }
        }));
        items
    };
    let serious_items: Vec<Html> = list(&serious);
    let info_items: Vec<Html> = list(&info);
    html! {
        <section id="findings" class="panel" aria-labelledby="findings-title">
            <h2 id="findings-title">{ format!("Findings ({})", sorted.len()) }</h2>
            if sorted.is_empty() {
                <p class="muted">{"Nothing to report about these rules."}</p>
            } else {
                if fold {
                    <ul class="findings">{ for serious_items }</ul>
                    <details class="more-findings" {open}>
                        <summary>{ format!("{} informational findings", info.len()) }</summary>
                        <ul class="findings">{ for info_items }</ul>
                    </details>
                } else {
                    <ul class="findings">{ for serious_items }{ for info_items }</ul>
                }
            }
        </section>
    }
}

fn sections(ctx: &Context<App>, report: &Report) -> Html {
    let link = ctx.link();
    html! {
        <section id="sections" class="panel" aria-labelledby="sections-title">
            <h2 id="sections-title">{ format!("Sections ({})", report.sections.len()) }</h2>
            <p class="muted">{"What svcpath recognised in the paste. If a guess is wrong, choose the right kind: the paste is read again."}</p>
            <table class="sections">
                <thead><tr><th>{"lines"}</th><th>{"kind"}</th><th>{"found by"}</th><th>{"command"}</th></tr></thead>
                <tbody>
                    { for report.sections.iter().map(|s| {
                        let first = s.first_line;
                        let onchange = link.callback(move |e: Event| {
                            let select: HtmlSelectElement = e.target_unchecked_into();
                            Action::Override(first, select.value())
                        });
                        html! {
                            <tr>
                                <td><a href={Route::Source(Some(s.first_line)).href()}>{ format!("{}–{}", s.first_line, s.last_line) }</a></td>
                                <td>
                                    <select class="section-kind" {onchange} aria-label={format!("kind of the section at line {}", s.first_line)}>
                                        { for SectionKind::ALL.iter().map(|k| html! {
                                            <option value={k.name()} selected={*k == s.kind}>{ k.name() }</option>
                                        }) }
                                    </select>
                                </td>
                                <td>{ s.detection.name() }</td>
                                <td>if let Some(command) = &s.command { <code>{ command }</code> }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
        </section>
    }
}

fn diagnostics(report: &Report, on_highlight: &Callback<(Vec<u32>, String)>) -> Html {
    if report.diagnostics.is_empty() {
        return html! {
            <section id="diagnostics" class="panel"><h2>{"Diagnostics"}</h2>
                <p class="muted">{"Every line was understood."}</p></section>
        };
    }
    const SHOWN: usize = 200;
    html! {
        <section id="diagnostics" class="panel" aria-labelledby="diagnostics-title">
            <h2 id="diagnostics-title">{ format!("Diagnostics ({})", report.diagnostics.len()) }</h2>
            <p class="muted">{"Lines svcpath did not (fully) understand. Everything else was still read."}</p>
            <ul class="diagnostics">
                { for report.diagnostics.iter().take(SHOWN).map(|d| html! {
                    <li>
                        { line_links(&[d.line], &d.message, on_highlight) }
                        <span class={classes!("badge", format!("diag-{}", d.severity))}>{ d.severity.name() }</span>
                        <span class="diag-message">{ &d.message }</span>
                    </li>
                }) }
            </ul>
            if report.diagnostics.len() > SHOWN {
                <p class="muted">{ format!("… and {} more.", report.diagnostics.len() - SHOWN) }</p>
            }
        </section>
    }
}
