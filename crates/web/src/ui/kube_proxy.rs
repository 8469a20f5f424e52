//! The kube-proxy panel of the overview: what kube-proxy's own log says (mode, version, syncs, rule
//! counts), its errors linked to their lines, and a sync-duration chart drawn as SVG.

use svcpath_analysis::kube_proxy::KubeProxyLog;
use yew::prelude::*;

use super::widgets::line_links;
use crate::sync_chart::{chart_dots, CHART_HEIGHT, CHART_WIDTH, MIN_CHART_SYNCS};

fn seconds(s: f64) -> String {
    if s < 1.0 {
        format!("{:.1} ms", s * 1000.0)
    } else {
        format!("{s:.2} s")
    }
}

fn chart(kp: &KubeProxyLog) -> Html {
    let dots = chart_dots(&kp.sync_points);
    let path: String = dots
        .iter()
        .map(|d| format!("{:.1},{:.1}", d.x, d.y))
        .collect::<Vec<_>>()
        .join(" ");
    let max = kp.sync_seconds.map(|d| d.max).unwrap_or(0.0);
    let label = format!(
        "sync durations of {} syncs, slowest {}",
        kp.sync_points.len(),
        seconds(max)
    );
    html! {
        <figure class="sync-chart">
            <svg viewBox={format!("0 0 {CHART_WIDTH} {CHART_HEIGHT}")} width="100%" role="img"
                aria-label={label.clone()}>
                <rect x="0" y="0" width={CHART_WIDTH.to_string()} height={CHART_HEIGHT.to_string()} class="chart-bg" />
                <polyline points={path} class="chart-line" />
                { for dots.iter().map(|d| html! {
                    <circle cx={format!("{:.1}", d.x)} cy={format!("{:.1}", d.y)} r="3"
                        class={classes!("chart-dot", d.failed.then_some("failed"))}>
                        <title>{ format!("line {}: {}{}", d.line, seconds(d.seconds), if d.failed { " (failed)" } else { "" }) }</title>
                    </circle>
                }) }
            </svg>
            <figcaption>{ format!("Sync duration per sync (top: {}); red dots are failed syncs.", seconds(max)) }</figcaption>
        </figure>
    }
}

pub fn panel(
    kp: &KubeProxyLog,
    has_conntrack_panel: bool,
    on_highlight: &Callback<(Vec<u32>, String)>,
) -> Html {
    let failing = kp.unrecovered_failure_line.is_some();
    let class = if failing {
        "critical"
    } else if !kp.errors.is_empty() {
        "warning"
    } else {
        "ok"
    };
    let lines = |l: Option<u32>, label: &str| {
        line_links(&l.into_iter().collect::<Vec<_>>(), label, on_highlight)
    };
    html! {
        <section id="kube-proxy" class={classes!("panel", "kube-proxy", class)} aria-labelledby="kube-proxy-title">
            <h2 id="kube-proxy-title">{"kube-proxy log"}</h2>
            <dl class="facts">
                <dt>{"mode announced"}</dt>
                <dd>{ kp.mode.clone().unwrap_or_else(|| "not in the log".into()) }{" "}{ lines(kp.mode_line, "mode") }</dd>
                <dt>{"version"}</dt>
                <dd>{ kp.version.clone().unwrap_or_else(|| "not in the log".into()) }{" "}{ lines(kp.version_line, "version") }</dd>
                <dt>{"syncs"}</dt>
                <dd class="kp-syncs">{ format!("{} completed, {} failed", kp.syncs, kp.sync_failures) }</dd>
                if let Some(d) = kp.sync_seconds {
                    <dt>{"duration"}</dt>
                    <dd>{ format!("median {}, max {} ", seconds(d.median), seconds(d.max)) }{ lines(Some(d.max_line), "slowest sync") }</dd>
                }
                if let Some(rate) = kp.syncs_per_minute {
                    <dt>{"frequency"}</dt><dd>{ format!("{rate:.1} syncs per minute") }</dd>
                }
                if let (Some(full), Some(partial)) = (kp.full_syncs, kp.partial_syncs) {
                    <dt>{"full / partial"}</dt><dd>{ format!("{full} / {partial}") }</dd>
                }
                if let Some(r) = kp.rule_counts.last() {
                    <dt>{"rules at last sync"}</dt>
                    <dd>{ format!("{} Services, {} endpoints, {} nat rules ",
                        r.services.map(|n| n.to_string()).unwrap_or_else(|| "?".into()),
                        r.endpoints.map(|n| n.to_string()).unwrap_or_else(|| "?".into()),
                        r.nat_rules.map(|n| n.to_string()).unwrap_or_else(|| "?".into())) }
                        { lines(Some(r.line), "rule counts") }</dd>
                }
                if !kp.pods.is_empty() {
                    <dt>{"pods"}</dt><dd>{ kp.pods.join(", ") }</dd>
                }
            </dl>
            if let Some(f) = &kp.fallback {
                <p class="kp-fallback">{ format!("Could not use {}: {} ", f.from, f.reason) }{ lines(Some(f.line), "mode fallback") }</p>
            }
            if kp.sync_points.len() >= MIN_CHART_SYNCS {
                { chart(kp) }
            }
            if !kp.errors.is_empty() {
                <h3>{ format!("Errors ({})", kp.errors.len() + kp.errors_left_out) }</h3>
                <ul class="kp-errors">
                    { for kp.errors.iter().take(50).map(|e| html! {
                        <li>
                            { line_links(&[e.line], &format!("kube-proxy {}", e.kind), on_highlight) }
                            {" "}<span class="kp-kind">{ &e.kind }</span>{" "}{ &e.message }
                            if e.kind == "conntrack" && has_conntrack_panel {
                                {" "}<a href="#conntrack">{"conntrack view"}</a>
                            }
                        </li>
                    }) }
                </ul>
                if kp.errors.len() > 50 {
                    <p class="muted">{ format!("… and {} more", kp.errors.len() - 50 + kp.errors_left_out) }</p>
                }
            }
        </section>
    }
}
