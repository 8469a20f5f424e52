//! Opens what a user hands svcpath — a plain capture, a UTF-16 file, or an archive (`.tar`, `.tar.gz`,
//! `.tgz`, `.zip`, a single `.gz`) of one node or of many — into one named text per node, with every
//! entry it skipped and why.
//!
//! Pure: bytes in, texts out; no file system, no clock, so the CLI and the page (wasm32) open a file
//! alike. Every archive is read within [`Limits`] (bytes unpacked, bytes kept, entries, compression
//! ratio), so a zip bomb or a cut archive ends in a message, never in a crash or unbounded memory.
#![forbid(unsafe_code)]

mod archive;
mod group;
mod names;
mod text;

pub use names::NameSource;
pub use text::{decode, decode_owned, sniff, Decoded, Encoding, TextIssue};

/// How much an archive may make svcpath read and keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Text kept from all entries together (the analysis reads at most 256 MiB anyway).
    pub max_kept_bytes: u64,
    /// Bytes unpacked in all, the entries skipped included: bounds the time a huge archive takes.
    pub max_unpacked_bytes: u64,
    /// One entry larger than this is skipped.
    pub max_entry_bytes: u64,
    /// Entries looked at; the rest of the archive is not read.
    pub max_entries: usize,
    /// Unpacked bytes per compressed byte past which a stream is a bomb, not a capture (text
    /// captures compress about 5 to 30 times).
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_kept_bytes: 256 * 1024 * 1024,
            max_unpacked_bytes: 1024 * 1024 * 1024,
            max_entry_bytes: 256 * 1024 * 1024,
            max_entries: 10_000,
            max_ratio: 200,
        }
    }
}

/// What kind of file was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// Text (any encoding).
    Plain,
    /// A single gzip-compressed text.
    Gzip,
    Tar,
    /// A gzip-compressed tar (`.tar.gz`, `.tgz`).
    TarGzip,
    Zip,
    /// A format svcpath does not unpack (xz, bzip2, zstd, 7z, rar).
    Unsupported,
}

/// One file's place in a node's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The file, or the entry's path inside the archive.
    pub file: String,
    /// Its first and last line in the node's text (1-based).
    pub first_line: u32,
    pub last_line: u32,
    /// Its size as text.
    pub bytes: usize,
    pub encoding: Encoding,
}

/// The text of one node, as svcpath explains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeText {
    pub name: String,
    /// Where the name comes from.
    pub name_source: NameSource,
    /// The node's files joined, one after another with a line break between.
    pub text: String,
    /// The files (or archive entries) the text was made of, in order.
    pub files: Vec<String>,
    /// Where each file's lines are in `text`.
    pub parts: Vec<Part>,
    /// Lines of `text` where bytes were replaced (invalid UTF-8, NUL).
    pub text_issues: Vec<TextIssue>,
}

/// Why an archive entry was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// Not text (NUL bytes near its start).
    Binary,
    /// Larger than [`Limits::max_entry_bytes`].
    TooBig,
    /// Unpacks far more than it is compressed ([`Limits::max_ratio`]).
    Bomb,
    /// A path with `..` in it.
    UnsafePath,
    /// A symbolic or hard link.
    Link,
    /// A device, a pipe or another special file.
    Special,
    /// Compressed or an archive inside the archive.
    Nested,
    /// Text svcpath does not read (JSON or YAML resources, configuration, other logs).
    NotACapture,
    /// Past [`Limits::max_kept_bytes`] or [`Limits::max_unpacked_bytes`].
    OverLimit,
}

/// An entry left out, with the message a user reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: String,
    pub reason: SkipReason,
    pub message: String,
}

/// How much a note matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// A note about the file as a whole (its encoding, a cut archive, a limit reached).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
}

/// What a file held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub container: Container,
    /// One per node, in the order their first file appears; a plain file is one node.
    pub nodes: Vec<NodeText>,
    pub skipped: Vec<Skipped>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Opened {
    /// Every file's nodes, the files given together: a file holding several nodes gives each of
    /// them; plain files and one-node archives are grouped by the node they name ([`group_files`]).
    pub fn nodes_of(opened: Vec<Opened>) -> Vec<NodeText> {
        if opened.iter().any(|o| o.nodes.len() > 1) {
            return opened.into_iter().flat_map(|o| o.nodes).collect();
        }
        group_files(opened.into_iter().flat_map(|o| o.nodes).collect())
    }
}

/// Files given together, one node each as opened: the files of one node (`iptables.txt ipset.txt`, or
/// all naming the same node) joined into one, with a line break between; when they name two nodes or
/// more (`node-a.txt node-b.txt`, prompts of two hosts), one node per name, the files naming the same
/// node joined, and a file naming none kept apart.
pub fn group_files(nodes: Vec<NodeText>) -> Vec<NodeText> {
    group::group_files(nodes)
}

/// Opens one file: `file_name` (a path or a bare name, used for the node's name and the kind of file
/// when its bytes do not tell) and its bytes.
pub fn open(file_name: &str, bytes: &[u8], limits: &Limits) -> Opened {
    archive::open(file_name, bytes, limits)
}

/// [`open`] of bytes the caller gives up: a plain UTF-8 file becomes its node's text without a copy
/// (a 256 MiB capture is not held twice).
pub fn open_owned(file_name: &str, bytes: Vec<u8>, limits: &Limits) -> Opened {
    if archive::is_archive(&bytes, file_name) {
        return archive::open(file_name, &bytes, limits);
    }
    archive::plain(file_name, text::decode_owned(bytes))
}
