//! Learning views: the gallery of samples with their guided tours, the tour panel shown above the
//! overview while a sample is loaded, and the glossary.

use yew::prelude::*;

use super::App;
use crate::glossary::{self, ENTRIES};
use crate::guides::{self, Guide, Target};
use crate::route::Route;
use crate::samples::SAMPLES;
use crate::state::Action;

/// `#/gallery`: every sample, what it shows, and its tour's steps.
pub fn gallery(loaded_sample: Option<&str>) -> Html {
    html! {
        <section id="gallery" class="panel" aria-labelledby="gallery-title">
            <h2 id="gallery-title">{"Learn from real nodes"}</h2>
            <p class="muted">{"Each sample is a dump from a real node (or kube-proxy's own tests), with a short guided tour: \
                open one and follow the steps above its overview. Nothing is downloaded: the samples are part of this page."}</p>
            <ul class="gallery">
                { for SAMPLES.iter().map(|sample| {
                    let guide = guides::for_sample(sample.name);
                    let loaded = loaded_sample == Some(sample.name);
                    html! {
                        <li class="gallery-card" id={format!("sample-{}", sample.name)}>
                            <h3>{ sample.title }</h3>
                            if let Some(guide) = guide {
                                <p>{ guide.intro }</p>
                                <ol class="gallery-steps">
                                    { for guide.steps.iter().map(|s| html! { <li>{ rich(s.text) }</li> }) }
                                </ol>
                            }
                            <p class="gallery-open">
                                <a class="button primary-link" href={Route::Sample(sample.name.to_string()).href()}>
                                    { if loaded { "Back to this sample's tour" } else { "Open with the guided tour" } }</a>
                                <code class="muted">{ format!("#/sample/{}", sample.name) }</code>
                            </p>
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}

/// The tour of the loaded sample, above the overview.
pub fn tour(ctx: &Context<App>, guide: &Guide, text: &str) -> Html {
    let close = ctx.link().callback(|_| Action::CloseTour);
    html! {
        <section id="tour" class="panel tour" aria-labelledby="tour-title">
            <div class="tour-head">
                <h2 id="tour-title">{"Guided tour"}</h2>
                <a href={Route::Gallery.href()}>{"All samples"}</a>
                <button class="quiet" onclick={close} aria-label="Hide the guided tour">{"Hide"}</button>
            </div>
            <p>{ guide.intro }</p>
            <ol class="tour-steps">
                { for guide.steps.iter().map(|step| html! {
                    <li>
                        <span>{ rich(step.text) }</span>
                        <span class="tour-links">
                            { for step.links.iter().filter_map(|(label, target)| {
                                let href = guides::href(*target, text)?;
                                let class = match target {
                                    Target::Glossary(_) => "tour-link term",
                                    Target::Line(_) => "tour-link line",
                                    _ => "tour-link",
                                };
                                Some(html! { <a {class} {href}>{ *label }</a> })
                            }) }
                        </span>
                    </li>
                }) }
            </ol>
        </section>
    }
}

/// A one-line way back to the tour, on the Service, Source and Trace views.
pub fn tour_crumb(guide: &Guide) -> Html {
    html! {
        <p class="tour-crumb">
            <a href={Route::Sample(guide.sample.to_string()).href()}>{"← Back to the guided tour"}</a>
        </p>
    }
}

/// `#/glossary`: every entry with its anchor.
pub fn glossary(target: Option<&str>) -> Html {
    html! {
        <section id="glossary" class="panel" aria-labelledby="glossary-title">
            <h2 id="glossary-title">{"Glossary"}</h2>
            <p class="muted">{"What kube-proxy and netfilter do, in plain words. Findings, tours and the Source view's notes link here."}</p>
            <nav class="glossary-index" aria-label="Glossary entries">
                { for ENTRIES.iter().map(|e| html! {
                    <a href={Route::Glossary(Some(e.key.to_string())).href()}>{ e.term }</a>
                }) }
            </nav>
            <dl class="glossary">
                { for ENTRIES.iter().map(|e| html! {
                    <div id={format!("g-{}", e.key)}
                        class={classes!("glossary-entry", (target == Some(e.key)).then_some("target"))}>
                        <dt>
                            <a class="anchor" href={Route::Glossary(Some(e.key.to_string())).href()}
                                aria-label={format!("Link to {}", e.term)}>{"#"}</a>
                            { e.term }
                        </dt>
                        <dd>
                            { for e.text.iter().map(|p| html! { <p>{ rich(p) }</p> }) }
                            if !e.see.is_empty() {
                                <p class="see">{"See also: "}
                                    { for e.see.iter().filter_map(|k| glossary::find(k)).map(|s| html! {
                                        <a href={Route::Glossary(Some(s.key.to_string())).href()}>{ s.term }</a>
                                    }) }
                                </p>
                            }
                        </dd>
                    </div>
                }) }
            </dl>
        </section>
    }
}

/// Prose with `backquoted` words set as code (glossary, tours, finding messages). Everything stays text:
/// a backquote in quoted dump text only changes which words look like code.
pub fn rich(text: &str) -> Html {
    text.split('`')
        .enumerate()
        .map(|(i, piece)| {
            if i % 2 == 1 {
                html! { <code>{ piece.to_string() }</code> }
            } else {
                html! { piece.to_string() }
            }
        })
        .collect::<Html>()
}

/// A small "what is this?" link to a glossary entry.
pub fn term_link(key: &str, label: &str) -> Html {
    match glossary::find(key) {
        Some(entry) => html! {
            <a class="term-link" href={Route::Glossary(Some(entry.key.to_string())).href()}
                title={entry.term}>{ label.to_string() }</a>
        },
        None => html! {},
    }
}
