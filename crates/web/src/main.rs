//! The svcpath web page's entry point: mounts the Yew app.
#![forbid(unsafe_code)]

#[cfg(target_arch = "wasm32")]
fn main() {
    yew::Renderer::<svcpath_web::ui::App>::new().render();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "svcpath-web runs in a browser: build it with `make build` or serve it with `make serve`."
    );
}
