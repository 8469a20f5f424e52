//! The conntrack panel's lines that know kube-proxy: the `nf_conntrack_max` kube-proxy's formula gives for
//! this node beside the node's value, and the timeouts kube-proxy's pasted settings set beside the node's.

use svcpath_analysis::report::{Agreement, ExpectedMax, KubeProxyTimeout};
use yew::prelude::*;

fn agreement_word(a: Agreement) -> (&'static str, &'static str) {
    match a {
        Agreement::Matches => ("ok", "set by kube-proxy"),
        Agreement::NotSetByKubeProxy => ("warning", "kube-proxy did not set this"),
        Agreement::LeftAlone => ("unknown", "kube-proxy leaves it alone"),
        Agreement::Unknown => ("unknown", "unknown"),
    }
}

fn thousands(v: u64) -> String {
    let digits = v.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// kube-proxy's limit for this node next to the node's, with the formula and the sentence.
pub(super) fn expected_max(e: &ExpectedMax) -> Html {
    let (class, word) = agreement_word(e.agreement);
    let expected = match (e.value, e.max_per_core, e.uncapped, e.capped) {
        (Some(v), _, _, _) => thousands(v),
        (None, 0, _, _) => "left alone (maxPerCore 0)".to_string(),
        (None, _, Some(u), Some(c)) => {
            format!("{} (≤ 1.35) or {} (≥ 1.36)", thousands(u), thousands(c))
        }
        _ => "unknown".to_string(),
    };
    html! {
        <div id="kube-proxy-limit" class="kube-proxy-limit" data-agreement={word}>
            <dl class="facts">
                <dt>{"kube-proxy's nf_conntrack_max"}</dt>
                <dd title={e.formula.clone()}>{ expected }</dd>
                <dt>{"on the node"}</dt>
                <dd>
                    { e.observed.map(thousands).unwrap_or_else(|| "—".into()) }{" "}
                    <span class={classes!("verdict", class)}>{ word }</span>
                </dd>
            </dl>
            <p class="muted">{ &e.summary }</p>
        </div>
    }
}

/// kube-proxy's timeouts and `tcp_be_liberal` against the node's.
pub(super) fn timeouts(rows: &[KubeProxyTimeout]) -> Html {
    let shown = |v: Option<u64>| v.map(thousands).unwrap_or_else(|| "—".into());
    html! {
        <>
            <h3>{"As kube-proxy's settings set them"}</h3>
            <div class="scroll-x">
                <table class="timeouts kube-proxy-timeouts">
                    <thead><tr><th>{"nf_conntrack_…"}</th><th>{"kube-proxy"}</th><th>{"node"}</th></tr></thead>
                    <tbody>{ for rows.iter().map(|r| {
                        let (class, word) = agreement_word(r.agreement);
                        html! {
                            <tr title={format!("{}: {}", r.key, r.source)} data-key={r.key.clone()}>
                                <td>{ r.key.trim_start_matches("nf_conntrack_") }</td>
                                <td>{ if r.kube_proxy.is_some() { shown(r.kube_proxy) } else { "left alone".to_string() } }</td>
                                <td>{ shown(r.node) }{" "}<span class={classes!("verdict", class)}>{ word }</span></td>
                            </tr>
                        }
                    }) }</tbody>
                </table>
            </div>
        </>
    }
}
