//! Small pieces shared by the views: probability bars, line links, severity badges, downloads, clipboard.

use svcpath_analysis::report::{Endpoint, Severity};
use svcpath_analysis::words::percent_rounded;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::route::Route;

/// A horizontal bar split into one segment per endpoint, widths by probability (SVG, so no inline
/// styles are needed under the page's CSP).
pub fn probability_strip(endpoints: &[Endpoint], no_endpoints: bool) -> Html {
    if endpoints.is_empty() {
        let label = if no_endpoints { "no endpoints" } else { "—" };
        return html! { <span class={classes!("no-endpoints", no_endpoints.then_some("bad"))}>{ label }</span> };
    }
    let mut x = 0.0;
    let segments: Vec<Html> = endpoints
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let w = if e.probability.is_finite() {
                (e.probability * 100.0).clamp(0.0, 100.0)
            } else {
                0.0
            };
            let title = format!(
                "{}{} — {}",
                e.ip,
                e.port.map(|p| format!(":{p}")).unwrap_or_default(),
                percent_rounded(e.probability)
            );
            let seg = html! {
                <rect x={format!("{x:.3}")} y="0" width={format!("{:.3}", (w - 0.6).max(0.4))} height="10"
                    class={classes!("seg", format!("seg{}", i % 6))}>
                    <title>{ title }</title>
                </rect>
            };
            x += w;
            seg
        })
        .collect();
    html! {
        <span class="strip">
            <svg viewBox="0 0 100 10" preserveAspectRatio="none" width="100%" height="10" role="img"
                aria-label={format!("{} endpoints", endpoints.len())}>{ for segments }</svg>
            <span class="strip-label">{ format!("{} endpoint{}", endpoints.len(), if endpoints.len() == 1 { "" } else { "s" }) }</span>
        </span>
    }
}

/// One endpoint's bar: a labelled SVG bar sized by its probability.
pub fn probability_bar(probability: f64, index: usize) -> Html {
    let w = if probability.is_finite() {
        (probability * 100.0).clamp(0.0, 100.0)
    } else {
        0.0
    };
    html! {
        <svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" width="100%" height="12" aria-hidden="true">
            <rect x="0" y="0" width="100" height="10" class="bar-bg" />
            <rect x="0" y="0" width={format!("{w:.3}")} height="10" class={classes!("seg", format!("seg{}", index % 6))} />
        </svg>
    }
}

pub fn severity_badge(severity: Severity) -> Html {
    let (class, label) = match severity {
        Severity::Critical => ("sev-critical", "critical"),
        Severity::Warning => ("sev-warning", "warning"),
        Severity::Info => ("sev-info", "info"),
    };
    html! { <span class={classes!("badge", class)}>{ label }</span> }
}

/// Links to lines of the paste; clicking highlights them in the Source view.
pub fn line_links(lines: &[u32], label: &str, on_highlight: &Callback<(Vec<u32>, String)>) -> Html {
    if lines.is_empty() {
        return html! {};
    }
    let mut sorted = lines.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let shown: Vec<u32> = sorted.iter().copied().take(12).collect();
    let more = sorted.len().saturating_sub(shown.len());
    let all = sorted.clone();
    let label = label.to_string();
    let cb = on_highlight.clone();
    html! {
        <span class="lines">
            { for shown.iter().map(|&n| {
                let all = all.clone();
                let label = label.clone();
                let cb = cb.clone();
                html! {
                    <a class="line-link" href={Route::Source(Some(n)).href()}
                        onclick={Callback::from(move |e: MouseEvent| { e.prevent_default(); cb.emit((all.clone(), label.clone())) })}>
                        { format!("L{n}") }</a>
                }
            }) }
            if more > 0 { <span class="muted">{ format!(" +{more}") }</span> }
        </span>
    }
}

/// Offers `text` as a file download (a blob URL, revoked right after).
pub fn download(name: &str, mime: &str, text: &str) {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    let anchor = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok());
    if let Some(anchor) = anchor {
        anchor.set_href(&url);
        anchor.set_download(name);
        anchor.click();
    }
    gloo_timers::callback::Timeout::new(5_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
}

/// Puts text on the clipboard (the browser may refuse silently without a user gesture).
pub fn copy_text(text: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(text);
    }
}
