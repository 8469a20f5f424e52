//! Which kind of file it is (by its first bytes, then its name), and the collector every archive
//! reader hands its entries to: it checks each entry's path, kind, size and bytes, keeps the text of
//! the captures and says why it left out the rest.

mod meter;
mod select;
mod tar;
mod zip;

use std::io::Read;

use crate::group::{self, Entry};
use crate::text::{self, Encoding};
use crate::{Container, Diagnostic, Limits, NodeText, Opened, Severity, SkipReason, Skipped};

pub(crate) use meter::{Counting, Guarded, Meter, RatioBase, Trip};

/// Opens one file by what its bytes are.
pub(crate) fn open(file_name: &str, bytes: &[u8], limits: &Limits) -> Opened {
    let lower = file_name.to_ascii_lowercase();
    if let Some(format) = unsupported(bytes, &lower) {
        return Opened {
            container: Container::Unsupported,
            nodes: Vec::new(),
            skipped: Vec::new(),
            diagnostics: vec![Diagnostic {
                severity: Severity::Error,
                message: format!(
                    "{format}, which svcpath does not unpack: it reads text, .tar, .tar.gz, .tgz, \
                     .zip and .gz; unpack it first (or repack it as .tar.gz)"
                ),
            }],
        };
    }
    let mut collector = Collector::new(limits);
    let container = if bytes.starts_with(&[0x1f, 0x8b]) {
        tar::open_gzip(file_name, bytes, &mut collector)
    } else if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        zip::open(bytes, &mut collector);
        Container::Zip
    } else if tar::looks_like_tar(bytes) {
        tar::open_tar(bytes, &mut collector);
        Container::Tar
    } else {
        return plain(file_name, text::decode(bytes));
    };
    collector.finish(file_name, container)
}

/// Whether [`open`] reads the bytes as an archive (or refuses them as a format it does not unpack)
/// rather than as text.
pub(crate) fn is_archive(bytes: &[u8], file_name: &str) -> bool {
    unsupported(bytes, &file_name.to_ascii_lowercase()).is_some()
        || bytes.starts_with(&[0x1f, 0x8b])
        || bytes.starts_with(b"PK\x03\x04")
        || bytes.starts_with(b"PK\x05\x06")
        || tar::looks_like_tar(bytes)
}

/// A text file: one node, its bytes decoded whatever they are (NUL bytes and invalid UTF-8 are
/// replaced and reported by line, never refused).
pub(crate) fn plain(file_name: &str, decoded: text::Decoded) -> Opened {
    let mut diagnostics = Vec::new();
    if decoded.encoding != Encoding::Utf8 && decoded.encoding != Encoding::Utf8Bom {
        diagnostics.push(Diagnostic {
            severity: Severity::Info,
            message: format!("read as {}", decoded.encoding.describe()),
        });
    }
    let entry = Entry {
        path: file_name.to_string(),
        decoded,
    };
    Opened {
        container: Container::Plain,
        nodes: vec![group::single(file_name, entry)],
        skipped: Vec::new(),
        diagnostics,
    }
}

/// Formats svcpath does not unpack, by magic bytes or by name.
fn unsupported(bytes: &[u8], lower_name: &str) -> Option<&'static str> {
    let by_magic = match bytes {
        [0xfd, b'7', b'z', b'X', b'Z', 0, ..] => Some("xz-compressed"),
        [b'B', b'Z', b'h', b'1'..=b'9', ..] => Some("bzip2-compressed"),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Some("zstd-compressed"),
        [b'7', b'z', 0xbc, 0xaf, 0x27, 0x1c, ..] => Some("a 7-Zip archive"),
        [b'R', b'a', b'r', b'!', 0x1a, 0x07, ..] => Some("a RAR archive"),
        _ => None,
    };
    by_magic.or_else(|| {
        [
            (".xz", "xz-compressed"),
            (".txz", "xz-compressed"),
            (".bz2", "bzip2-compressed"),
            (".zst", "zstd-compressed"),
        ]
        .iter()
        .find(|(ext, _)| lower_name.ends_with(ext))
        .map(|(_, what)| *what)
        // Bytes that are text after all (a capture named `.xz` by mistake) are read as text.
        .filter(|_| bytes.iter().take(512).any(|b| *b == 0 || *b >= 0x80))
    })
}

/// What kind of archive entry it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryKind {
    File,
    Directory,
    Link,
    Special,
}

/// Whether to read on after an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    Stop,
}

/// Size of the start of an entry looked at to tell text from binary.
const SNIFF_BYTES: usize = 8192;

/// Gathers the entries of one archive.
pub(crate) struct Collector<'l> {
    pub(crate) limits: &'l Limits,
    entries: Vec<Entry>,
    /// `hostname` files: the path and the name inside.
    host_files: Vec<(String, String)>,
    skipped: Vec<Skipped>,
    diagnostics: Vec<Diagnostic>,
    kept: u64,
    seen: usize,
}

impl<'l> Collector<'l> {
    pub(crate) fn new(limits: &'l Limits) -> Self {
        Collector {
            limits,
            entries: Vec::new(),
            host_files: Vec::new(),
            skipped: Vec::new(),
            diagnostics: Vec::new(),
            kept: 0,
            seen: 0,
        }
    }

    pub(crate) fn skip(&mut self, path: &str, reason: SkipReason, message: String) {
        self.skipped.push(Skipped {
            path: path.to_string(),
            reason,
            message,
        });
    }

    pub(crate) fn note(&mut self, severity: Severity, message: String) {
        self.diagnostics.push(Diagnostic { severity, message });
    }

    /// Counts one more entry; `Stop` past [`Limits::max_entries`].
    pub(crate) fn count_entry(&mut self) -> Flow {
        self.seen += 1;
        if self.seen > self.limits.max_entries {
            self.note(
                Severity::Warning,
                format!(
                    "the archive has more than {} entries: the rest is not read",
                    self.limits.max_entries
                ),
            );
            return Flow::Stop;
        }
        Flow::Continue
    }

    /// Takes one entry: `raw_path` as the archive names it, its kind, its size as the archive says
    /// (checked again while reading: a header may lie), and its bytes.
    pub(crate) fn entry<R: Read>(
        &mut self,
        raw_path: &str,
        kind: EntryKind,
        declared: u64,
        mut reader: R,
        meter: &Meter,
    ) -> Flow {
        let Some(path) = select::normalise(raw_path) else {
            if kind != EntryKind::Directory {
                self.skip(
                    raw_path,
                    SkipReason::UnsafePath,
                    format!(
                        "{}: skipped: its path climbs out of the archive (`..`)",
                        select::quote(raw_path)
                    ),
                );
            }
            return Flow::Continue;
        };
        match kind {
            EntryKind::Directory => return Flow::Continue,
            EntryKind::Link => {
                self.skip(
                    &path,
                    SkipReason::Link,
                    format!("{path}: skipped: a link, not a file (links are not followed)"),
                );
                return Flow::Continue;
            }
            EntryKind::Special => {
                self.skip(
                    &path,
                    SkipReason::Special,
                    format!("{path}: skipped: a device, pipe or other special file"),
                );
                return Flow::Continue;
            }
            EntryKind::File => {}
        }
        if let Some(why) = select::not_a_capture(&path) {
            self.skip(
                &path,
                SkipReason::NotACapture,
                format!("{path}: skipped: {why}"),
            );
            return Flow::Continue;
        }
        let limit = self.limits.max_entry_bytes;
        if declared > limit {
            self.skip(&path, SkipReason::TooBig, too_big(&path, limit));
            return Flow::Continue;
        }
        let mut bytes = Vec::new();
        let mut chunk = vec![0u8; 64 * 1024];
        let mut sniffed = false;
        let mut cut = None;
        loop {
            match reader.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    bytes.extend_from_slice(&chunk[..n]);
                    if !sniffed && bytes.len() >= SNIFF_BYTES {
                        sniffed = true;
                        if let Some((reason, message)) = select::not_text(&path, &bytes) {
                            self.skip(&path, reason, message);
                            return Flow::Continue;
                        }
                    }
                    if bytes.len() as u64 > limit {
                        self.skip(&path, SkipReason::TooBig, too_big(&path, limit));
                        return Flow::Continue;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    cut = Some(e);
                    break;
                }
            }
        }
        if let Some(trip) = meter.tripped.get() {
            let message = match trip {
                Trip::Bomb => format!(
                    "{path}: skipped, and the archive is not read further: it unpacks more than {} \
                     times its compressed size (a zip bomb, not a capture)",
                    self.limits.max_ratio
                ),
                Trip::Unpacked => format!(
                    "{path}: skipped, and the archive is not read further: the archive unpacks to \
                     more than {} in all",
                    mib(self.limits.max_unpacked_bytes)
                ),
            };
            let reason = if trip == Trip::Bomb {
                SkipReason::Bomb
            } else {
                SkipReason::OverLimit
            };
            self.skip(&path, reason, message);
            return Flow::Stop;
        }
        if let Some((reason, message)) = select::not_text(&path, &bytes) {
            self.skip(&path, reason, message);
            return if cut.is_some() {
                Flow::Stop
            } else {
                Flow::Continue
            };
        }
        if self.kept + bytes.len() as u64 > self.limits.max_kept_bytes {
            self.skip(
                &path,
                SkipReason::OverLimit,
                format!(
                    "{path}: skipped: the files read before it already hold {} of text, the most svcpath keeps",
                    mib(self.limits.max_kept_bytes)
                ),
            );
            return Flow::Continue;
        }
        if let Some(e) = &cut {
            self.note(
                Severity::Warning,
                format!(
                    "{path}: the archive ends inside this file ({e}): its first {} bytes are read",
                    bytes.len()
                ),
            );
        }
        self.kept += bytes.len() as u64;
        let decoded = text::decode(&bytes);
        drop(bytes);
        if select::is_host_file(&path) {
            if let Some(name) = decoded.text.lines().next().map(str::trim) {
                if crate::names::is_host_name(name) {
                    self.host_files.push((path, name.to_string()));
                    return if cut.is_some() {
                        Flow::Stop
                    } else {
                        Flow::Continue
                    };
                }
            }
        }
        if select::json_not_nft(&path, &decoded.text) {
            self.skip(
                &path,
                SkipReason::NotACapture,
                format!("{path}: skipped: JSON that is not `nft -j list ruleset` output"),
            );
        } else {
            self.entries.push(Entry { path, decoded });
        }
        if cut.is_some() {
            Flow::Stop
        } else {
            Flow::Continue
        }
    }

    /// The archive as nodes.
    fn finish(mut self, file_name: &str, container: Container) -> Opened {
        if self.entries.is_empty() {
            let message = if self.skipped.is_empty() {
                "the archive holds no file".to_string()
            } else {
                format!(
                    "the archive holds no file svcpath reads ({} skipped)",
                    self.skipped.len()
                )
            };
            self.note(Severity::Error, message);
        }
        let nodes: Vec<NodeText> = group::nodes(file_name, self.entries, &self.host_files);
        Opened {
            container,
            nodes,
            skipped: self.skipped,
            diagnostics: self.diagnostics,
        }
    }
}

fn too_big(path: &str, limit: u64) -> String {
    format!(
        "{path}: skipped: larger than {}, the most svcpath reads of one file",
        mib(limit)
    )
}

/// `256 MiB`.
pub(crate) fn mib(bytes: u64) -> String {
    let m = bytes as f64 / (1024.0 * 1024.0);
    if m >= 10.0 || m.fract() == 0.0 {
        format!("{m:.0} MiB")
    } else {
        format!("{m:.1} MiB")
    }
}
