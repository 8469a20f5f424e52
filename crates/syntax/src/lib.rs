//! Parsers for the text an operator captures on a Kubernetes node, and the splitter that finds them in one paste.
//!
//! Every parser takes the text of one section together with its [`Origin`] in the whole paste and returns
//! a [`Parsed`] value: what was understood plus [`Diagnostic`]s for what was not. Parsing never fails and
//! never panics; every diagnostic carries a 1-based line number and a byte span into the whole paste.
#![forbid(unsafe_code)]

pub mod addresses;
pub mod conntrack;
pub mod diag;
pub mod ipset;
pub mod iptables;
pub mod ipvs;
pub mod kernlog;
pub mod kube_api;
pub mod kube_proxy_config;
pub mod kubelog;
pub mod near_miss;
pub mod nft;
pub mod source;
pub mod split;
pub mod stable_sort;
pub mod sysctl;
pub mod word;

pub use diag::{Diagnostic, Parsed, Severity};
pub use source::{Line, Origin, Span};
pub use split::{split, Section, SectionKind};
