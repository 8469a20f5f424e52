//! The corpus of real dumps: its folder, one file's path or text, and the dumps of a kind.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::{read_lossy, repository_root};

/// The environment variable that moves the corpus.
pub const ENV: &str = "SVCPATH_CORPUS";

/// The corpus folder: `SVCPATH_CORPUS`, else `../shared/corpus` from the repository root. Found once.
pub fn dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let chosen = std::env::var_os(ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("../shared/corpus"));
        // `join` keeps an absolute path as it is.
        repository_root().join(chosen)
    })
}

/// The path of a corpus file, `relative` to the corpus folder (`"nft/some-dump.txt"`).
pub fn path(relative: impl AsRef<Path>) -> PathBuf {
    dir().join(relative)
}

/// The text of a corpus file, `relative` to the corpus folder, invalid UTF-8 replaced.
pub fn read(relative: impl AsRef<Path>) -> String {
    read_lossy(&path(relative))
}

/// The dumps (`*.txt`) of one kind's folder (`"iptables"`, `"nft"`, …), sorted by name.
pub fn files(kind: &str) -> Vec<PathBuf> {
    let folder = dir().join(kind);
    let entries = std::fs::read_dir(&folder).unwrap_or_else(|e| {
        panic!(
            "the corpus folder {} is missing ({e}); set {ENV} to the corpus",
            folder.display()
        )
    });
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "txt"))
        .collect();
    out.sort();
    out
}

/// The dumps of every kind's folder, sorted by path.
pub fn every_file() -> Vec<PathBuf> {
    let entries = std::fs::read_dir(dir()).unwrap_or_else(|e| {
        panic!(
            "the corpus {} is missing ({e}); set {ENV} to the corpus",
            dir().display()
        )
    });
    let mut kinds: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    kinds.sort();
    kinds
        .iter()
        .flat_map(|k| files(&k.file_name().unwrap_or_default().to_string_lossy()))
        .collect()
}

/// The dumps of one kind as (file name, text), sorted by name.
pub fn texts(kind: &str) -> Vec<(String, String)> {
    files(kind)
        .into_iter()
        .map(|p| {
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            (name, read_lossy(&p))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corpus_is_found_and_lists_dumps_of_each_kind() {
        for kind in ["iptables", "ipvs", "nft"] {
            let found = files(kind);
            assert!(!found.is_empty(), "no {kind} dumps in {}", dir().display());
            assert!(found.windows(2).all(|w| w[0] < w[1]));
        }
        assert!(every_file().len() > 30);
        let (name, text) = &texts("iptables")[0];
        assert!(name.ends_with(".txt") && !text.is_empty());
    }
}
