//! The analysis worker: runs inside a dedicated Web Worker, reads [`Request`]s and posts [`Reply`]s,
//! so a long analysis never blocks the page.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::protocol::{options, Reply, Request};

/// Installs the message handler. Called once when the worker's wasm starts.
pub fn start() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply_scope = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        for reply in handle(&event.data()) {
            // Serialising a report cannot fail (no maps with non-string keys, NaN becomes null).
            let json = serde_json::to_string(&reply).unwrap_or_default();
            // A post can only fail once the page is gone; nothing is left to tell then.
            let _ = reply_scope.post_message(&JsValue::from_str(&json));
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let ready = serde_json::to_string(&Reply::Ready).unwrap_or_default();
    let _ = scope.post_message(&JsValue::from_str(&ready));
}

fn handle(data: &JsValue) -> Vec<Reply> {
    let array: js_sys::Array = match data.clone().dyn_into() {
        Ok(array) => array,
        Err(_) => return vec![failed(0, "the message is not an array")],
    };
    let Some(header) = array.get(0).as_string() else {
        return vec![failed(0, "the message has no header")];
    };
    let request: Request = match serde_json::from_str(&header) {
        Ok(request) => request,
        Err(e) => return vec![failed(0, &format!("unreadable request: {e}"))],
    };
    match request {
        Request::Analyze {
            generation,
            section_overrides,
            node_ips,
        } => {
            let paste = array.get(1).as_string().unwrap_or_default();
            let options = options(&section_overrides, &node_ips);
            let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
            let started = Reply::Started {
                generation,
                bytes: paste.len(),
            };
            if let Ok(json) = serde_json::to_string(&started) {
                let _ = scope.post_message(&JsValue::from_str(&json));
            }
            let t0 = js_sys::Date::now();
            let report = svcpath_analysis::analyze(&paste, &options);
            vec![Reply::Analysed {
                generation,
                report: Box::new(report),
                millis: js_sys::Date::now() - t0,
            }]
        }
    }
}

fn failed(generation: u64, message: &str) -> Reply {
    Reply::Failed {
        generation,
        message: message.to_string(),
    }
}
