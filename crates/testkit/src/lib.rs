//! Shared test code for the svcpath workspace: the corpus of real node dumps, found in one place.
//!
//! The corpus lives beside the repository, at `../shared/corpus` from its root, one folder per input
//! kind (`iptables/`, `ipvs/`, `nft/`, …; its `SOURCES.md` says what each dump shows). The environment
//! variable `SVCPATH_CORPUS` points elsewhere; a relative path there is taken from the repository root.
#![forbid(unsafe_code)]

pub mod corpus;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The repository's root folder (where the workspace `Cargo.toml` is).
pub fn repository_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        here.ancestors().nth(2).unwrap_or(here).to_path_buf()
    })
}

/// The text of a file, invalid UTF-8 replaced; panics with the path when it cannot be read.
pub fn read_lossy(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    String::from_utf8_lossy(&bytes).into_owned()
}
