//! The analysis worker's entry point: answers the page's requests off the main thread.
#![forbid(unsafe_code)]

#[cfg(target_arch = "wasm32")]
fn main() {
    svcpath_web::worker::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("svcpath-worker runs as a Web Worker inside the svcpath web page.");
}
