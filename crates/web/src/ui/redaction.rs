//! The page's redaction views: what was replaced, the banner of a shared redacted copy, and the offer
//! made when a share link is too long for a chat.

use yew::prelude::*;

use crate::model;
use crate::state::{RedactedCopy, ShareLink, CHAT_LINK_LIMIT};

/// What redaction replaced, beside the Redact toggle.
pub fn summary(copy: &RedactedCopy) -> Html {
    html! {
        <span id="redaction-summary" class="muted">
            { format!(
                "{} addresses and {} names replaced, {} chain names hashed again from the new names.",
                copy.addresses, copy.names, copy.chains
            ) }
        </span>
    }
}

/// The banner over a dump opened from a share link.
pub fn shared_banner() -> Html {
    html! {
        <aside id="shared-banner" class="panel shared-banner" role="note" aria-label="Redacted copy">
            <strong>{"Redacted copy. "}</strong>
            {"This dump came through a share link. Its addresses, Service names, namespaces and the chain \
              names derived from them were replaced in the sender's browser before the link was made; \
              everything else is as captured, so this analysis is the one the sender saw with Redact on."}
        </aside>
    }
}

/// The offer made when a share link is longer than a chat takes: the file first, the link on request.
pub fn long_link_offer(
    share: &ShareLink,
    on_download: Callback<MouseEvent>,
    on_copy: Callback<MouseEvent>,
) -> Html {
    html! {
        <div id="long-link" class="long-link" role="status">
            <p>
                if share.too_large {
                    {"This dump is too large for a link. Attach the redacted dump as a file instead; \
                      whoever opens it here sees the same analysis."}
                } else {
                    { format!(
                        "This link is {} long: most chats and tickets cut messages over {}. \
                         Attach the redacted dump as a file instead; whoever opens it here sees the same analysis.",
                        model::bytes(share.link.len()),
                        model::bytes(CHAT_LINK_LIMIT)
                    ) }
                }
            </p>
            <button id="download-dump-offer" class="primary" onclick={on_download}>
                {"Download redacted dump"}</button>
            if !share.too_large {
                <button id="copy-long-link" class="quiet" onclick={on_copy}>
                    {"Copy the long link anyway"}</button>
            }
        </div>
    }
}
