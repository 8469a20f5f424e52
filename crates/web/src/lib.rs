//! The svcpath web page: a Yew app that explains a pasted node dump, with the analysis in a Web Worker.
//!
//! The pure parts (the page's state and its transitions, the worker client, routes, worker messages,
//! share links, the Services table's filtering and sorting, the bundled samples) build and test on any
//! target; the user interface and the worker glue only on wasm32.
#![forbid(unsafe_code)]

pub mod glossary;
pub mod guides;
pub mod model;
pub mod protocol;
pub mod reading;
pub mod route;
pub mod samples;
pub mod share;
pub mod state;
pub mod sync_chart;

#[cfg(target_arch = "wasm32")]
pub mod ui;
#[cfg(target_arch = "wasm32")]
pub mod worker;
