//! The node facts the analysis rests on — node IPs, pod CIDRs, the node's interface addresses — each
//! with where it came from, and the ones the user adds or removes; plus the reasons of an uncertain
//! trace outcome.

use svcpath_analysis::report::{Fact, NodeFacts};
use svcpath_analysis::trace::Outcome;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::{App, Shown};
pub use crate::protocol::{Edit, FactKind, UserFacts};
use crate::state::Action;

/// The panel on the overview.
pub fn panel(ctx: &Context<App>, node: &NodeFacts, error: &Option<(FactKind, String)>) -> Html {
    let link = ctx.link();
    let unknown_ip = node.node_ips.is_empty();
    html! {
        <section id="node-facts" class="panel" aria-labelledby="node-facts-title">
            <h2 id="node-facts-title">{"Node facts"}</h2>
            <p class="muted">{"What the traces and findings assume about this node, and where each fact comes from. \
                Add what the paste does not show; every trace and finding is worked out again."}</p>
            if unknown_ip {
                <p id="node-ip-unknown" class="warn-text">{"No node IP is known: traces to this node's NodePorts \
                    (and anything that asks whether an address is the node's own) cannot be decided. \
                    Give the node's IP below."}</p>
            }
            { fact_list(link, "Node IPs", "node-ips", FactKind::NodeIp, &node.node_ips,
                "no node IP in the paste", "192.168.0.2", error) }
            { fact_list(link, "Pod CIDRs", "pod-cidrs", FactKind::PodCidr, &node.pod_cidrs,
                "no pod CIDR in the paste", "10.244.0.0/16", error) }
            if !node.addresses.is_empty() {
                <h3>{"Interface addresses"}</h3>
                <ul class="fact-list" id="addresses">
                    { for node.addresses.iter().map(|f| html! {
                        <li><code>{ &f.value }</code><span class="fact-source">{ &f.source }</span></li>
                    }) }
                </ul>
            }
        </section>
    }
}

#[allow(clippy::too_many_arguments)]
fn fact_list(
    link: &yew::html::Scope<App>,
    title: &str,
    id: &str,
    kind: FactKind,
    facts: &[Fact],
    none: &str,
    example: &str,
    error: &Option<(FactKind, String)>,
) -> Html {
    let input = NodeRef::default();
    let on_submit = {
        let input = input.clone();
        link.callback(move |e: SubmitEvent| {
            e.prevent_default();
            let value = input
                .cast::<HtmlInputElement>()
                .map(|i| i.value())
                .unwrap_or_default();
            Action::Facts(Edit::Add(kind, value))
        })
    };
    let label = match kind {
        FactKind::NodeIp => "Add a node IP",
        FactKind::PodCidr => "Add a pod CIDR",
    };
    let error = error
        .as_ref()
        .filter(|(k, _)| *k == kind)
        .map(|(_, e)| e.clone());
    html! {
        <>
            <h3>{ title }</h3>
            <ul class="fact-list" id={id.to_string()}>
                if facts.is_empty() { <li class="muted">{ none }</li> }
                { for facts.iter().map(|f| {
                    let value = f.value.clone();
                    let remove = link.callback(move |_| Action::Facts(Edit::Remove(kind, value.clone())));
                    html! {
                        <li>
                            <code class="fact-value">{ &f.value }</code>
                            <span class="fact-source">{ if f.given_by_user() { "given by you".to_string() } else { f.source.clone() } }</span>
                            if f.given_by_user() {
                                <button type="button" class="quiet fact-remove" onclick={remove}
                                    aria-label={format!("Remove {}", f.value)}>{"Remove"}</button>
                            }
                        </li>
                    }
                }) }
            </ul>
            <form class="fact-add" onsubmit={on_submit}>
                <label>{ label }{" "}
                    <input id={format!("{id}-add")} ref={input} placeholder={example.to_string()}
                        autocomplete="off" spellcheck="false" />
                </label>
                <button type="submit">{"Add"}</button>
                if let Some(e) = error { <span class="warn-text" role="alert">{ e }</span> }
            </form>
        </>
    }
}

/// The Trace form's node-IP field: the node IPs the user gave, editable there too.
pub fn trace_field(ctx: &Context<App>, given: &UserFacts, shown: Option<&Shown>) -> Html {
    let on_change = ctx.link().callback(|e: Event| {
        let input: HtmlInputElement = e.target_unchecked_into();
        Action::Facts(Edit::SetNodeIps(input.value()))
    });
    let inferred: Vec<String> = shown
        .map(|s| {
            s.report
                .node
                .node_ips
                .iter()
                .filter(|f| !f.given_by_user())
                .map(|f| f.value.clone())
                .collect()
        })
        .unwrap_or_default();
    let placeholder = if inferred.is_empty() {
        "unknown: give one".to_string()
    } else {
        format!("from the paste: {}", inferred.join(", "))
    };
    html! {
        <label>{"node IP "}
            <input id="trace-node-ip" placeholder={placeholder} value={given.node_ips.join(", ")}
                onchange={on_change} autocomplete="off" spellcheck="false" />
        </label>
    }
}

/// Why an outcome is uncertain, listed under it.
pub fn uncertain_reasons(o: &Outcome) -> Html {
    if !o.uncertain {
        return html! {};
    }
    html! {
        <div class="uncertain-reasons">
            <span class="muted">{"Uncertain because:"}</span>
            <ul>{ for o.uncertain_reasons.iter().map(|r| html! { <li>{ r }</li> }) }</ul>
        </div>
    }
}
