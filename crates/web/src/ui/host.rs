//! Hosting the analysis worker. The worker's script and wasm module are fetched and compiled once,
//! while the page loads; every worker (the first, and each one that replaces a cancelled one) starts
//! from a blob URL of that script and receives the compiled module in its first message. So cancelling
//! an analysis costs no network request, and the page makes none after its first load.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageEvent, Worker};
use yew::Callback;

use crate::state::Outgoing;

/// The worker's wasm-bindgen script (no-modules target, unhashed name), relative to the page.
const WORKER_SCRIPT: &str = "./svcpath-worker.js";
const WORKER_WASM: &str = "./svcpath-worker_bg.wasm";
/// Appended to the worker script: the first message is the compiled module to instantiate.
const BOOT: &str = "\n;self.onmessage = (event) => { self.onmessage = null; \
                    wasm_bindgen({ module_or_path: event.data }); };\n";

/// The worker's script as a blob URL and its compiled module.
pub struct WorkerParts {
    url: String,
    module: js_sys::WebAssembly::Module,
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

/// Fetches and compiles the worker's parts.
pub async fn load() -> Result<WorkerParts, String> {
    let script = fetch(WORKER_SCRIPT).await?;
    let text = JsFuture::from(script.text().map_err(|e| format!("{e:?}"))?)
        .await
        .map_err(|e| format!("{e:?}"))?
        .as_string()
        .unwrap_or_default();
    let parts = js_sys::Array::of2(&JsValue::from_str(&text), &JsValue::from_str(BOOT));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/javascript");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)
        .map_err(|e| format!("{e:?}"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| format!("{e:?}"))?;
    let wasm = fetch(WORKER_WASM).await?;
    let bytes = JsFuture::from(wasm.array_buffer().map_err(|e| format!("{e:?}"))?)
        .await
        .map_err(|e| format!("{e:?}"))?;
    let module = JsFuture::from(js_sys::WebAssembly::compile(&bytes))
        .await
        .map_err(|e| format!("could not compile the worker: {e:?}"))?
        .dyn_into::<js_sys::WebAssembly::Module>()
        .map_err(|_| "the worker did not compile to a module".to_string())?;
    Ok(WorkerParts { url, module })
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
        let worker = Worker::new(&parts.url).ok()?;
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

    /// Posts a message: the JSON header, and the paste beside it as a plain string.
    pub fn post(&self, outgoing: &Outgoing) -> Result<(), String> {
        let header =
            JsValue::from_str(&serde_json::to_string(&outgoing.request).unwrap_or_default());
        let message = match &outgoing.paste {
            Some(paste) => js_sys::Array::of2(&header, &JsValue::from_str(paste)),
            None => js_sys::Array::of1(&header),
        };
        self.worker
            .post_message(&message)
            .map_err(|e| format!("could not reach the worker: {e:?}"))
    }
}
