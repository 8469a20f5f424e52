//! The svcpath wasm module's entry point, for the page and for its analysis worker alike: in a
//! window it mounts the Yew app; in the dedicated worker the page starts from the same module it
//! answers the page's requests (`svcpath_web::worker`).
#![forbid(unsafe_code)]

#[cfg(target_arch = "wasm32")]
fn main() {
    use wasm_bindgen::JsCast;
    if js_sys::global()
        .dyn_ref::<web_sys::DedicatedWorkerGlobalScope>()
        .is_some()
    {
        svcpath_web::worker::start();
    } else {
        yew::Renderer::<svcpath_web::ui::App>::new().render();
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "svcpath-web runs in a browser: build it with `make build` or serve it with `make serve`."
    );
}
