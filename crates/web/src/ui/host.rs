//! Hosting the analysis worker. Page and worker run the same wasm module: the page's wasm-bindgen
//! script is fetched once while the page loads (it is in the browser's cache already) and every worker
//! (the first, and each one that replaces a cancelled one) starts from a blob URL of that script with a
//! boot line appended, and receives the page's own compiled module in its first message. Its `main`
//! sees a worker scope and answers requests instead of drawing the page. So the analysis is downloaded
//! once, cancelling an analysis costs no network request, and the page makes none after its first load.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageEvent, Worker};
use yew::Callback;

use crate::state::Outgoing;

/// Appended to the page's wasm-bindgen script (an ES module): the first message is the compiled module
/// to instantiate; instantiating it runs `main`, which starts the worker.
const BOOT: &str = "\n;self.onmessage = (event) => { self.onmessage = null; \
                    initSync({ module: event.data }); };\n";

/// The worker's script as a blob URL and the compiled module it instantiates.
pub struct WorkerParts {
    url: String,
    module: JsValue,
}

impl Drop for WorkerParts {
    fn drop(&mut self) {
        let _ = web_sys::Url::revoke_object_url(&self.url);
    }
}

async fn fetch(url: &str) -> Result<web_sys::Response, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| format!("could not load {url}: {e:?}"))?
        .dyn_into()
        .map_err(|_| format!("{url}: not a response"))?;
    if !response.ok() {
        return Err(format!("could not load {url}: HTTP {}", response.status()));
    }
    Ok(response)
}

/// The URL of the page's wasm-bindgen script: the module Trunk's boot script preloads and imports.
fn page_script_url() -> Result<String, String> {
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let preload = document
        .query_selector(r#"link[rel="modulepreload"][href$=".js"]"#)
        .ok()
        .flatten()
        .and_then(|link| link.get_attribute("href"));
    let from_boot = || {
        let scripts = document.query_selector_all("script[type=module]").ok()?;
        (0..scripts.length())
            .filter_map(|i| scripts.get(i)?.text_content())
            .find_map(|text| {
                let (_, rest) = text.split_once(" from '")?;
                Some(rest.split_once('\'')?.0.to_string())
            })
    };
    preload
        .or_else(from_boot)
        .ok_or_else(|| "the page's script is not named in the page".to_string())
}

/// Fetches the page's script and makes the worker's from it.
pub async fn load() -> Result<WorkerParts, String> {
    let script = fetch(&page_script_url()?).await?;
    let text = JsFuture::from(script.text().map_err(|e| format!("{e:?}"))?)
        .await
        .map_err(|e| format!("{e:?}"))?
        .as_string()
        .unwrap_or_default();
    if !text.contains("function initSync(") {
        return Err("the page's script has no wasm-bindgen entry point".to_string());
    }
    let parts = js_sys::Array::of2(&JsValue::from_str(&text), &JsValue::from_str(BOOT));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/javascript");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|e| format!("{e:?}"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| format!("{e:?}"))?;
    Ok(WorkerParts {
        url,
        module: wasm_bindgen::module(),
    })
}

/// One running worker. When to start, replace or post to it is the worker client's choice
/// ([`crate::state::WorkerClient`]); this only does it.
pub struct WorkerHandle {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

impl WorkerHandle {
    /// Starts a worker from the loaded parts.
    pub fn spawn(
        parts: &WorkerParts,
        on_reply: Callback<String>,
        on_failure: Callback<String>,
    ) -> Option<WorkerHandle> {
        let options = web_sys::WorkerOptions::new();
        options.set_type(web_sys::WorkerType::Module);
        let worker = Worker::new_with_options(&parts.url, &options).ok()?;
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let Some(json) = event.data().as_string() {
                on_reply.emit(json);
            }
        });
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            let message = event
                .dyn_ref::<web_sys::ErrorEvent>()
                .map(|e| e.message())
                .unwrap_or_else(|| "the worker failed".to_string());
            on_failure.emit(message);
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        worker.post_message(&parts.module).ok()?;
        Some(WorkerHandle {
            worker,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// Posts a message: the JSON header, and the paste beside it as its UTF-8 bytes, the buffer
    /// handed over rather than copied (a 50 MB paste as a JS string is encoded twice more: into
    /// UTF-16 here and back to UTF-8 in the worker, most of a second).
    pub fn post(&self, outgoing: &Outgoing) -> Result<(), String> {
        let header =
            JsValue::from_str(&serde_json::to_string(&outgoing.request).unwrap_or_default());
        let posted = match &outgoing.paste {
            Some(paste) => {
                let bytes = js_sys::Uint8Array::from(paste.as_bytes());
                let message = js_sys::Array::of2(&header, &bytes);
                self.worker
                    .post_message_with_transfer(&message, &js_sys::Array::of1(&bytes.buffer()))
            }
            None => self.worker.post_message(&js_sys::Array::of1(&header)),
        };
        posted.map_err(|e| format!("could not reach the worker: {e:?}"))
    }
}
