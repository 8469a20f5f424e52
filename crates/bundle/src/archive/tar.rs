//! tar archives, plain or gzip-compressed, and a single gzip-compressed text, read as a stream: each
//! entry's bytes pass through the meter, so a bomb or a cut stream stops with a message.

use std::io::{Cursor, Read};

use flate2::read::MultiGzDecoder;

use super::{Collector, Counting, EntryKind, Flow, Guarded, Meter, RatioBase, Trip};
use crate::{Container, Severity};

/// A tar header block: `ustar` at offset 257, or (an old tar) a checksum that adds up.
pub(crate) fn looks_like_tar(bytes: &[u8]) -> bool {
    if bytes.len() < 512 {
        return false;
    }
    let header = &bytes[..512];
    if &header[257..262] == b"ustar" {
        return true;
    }
    let stored = std::str::from_utf8(&header[148..156])
        .ok()
        .map(|s| s.trim_matches(|c: char| c == '\0' || c == ' '))
        .and_then(|s| u32::from_str_radix(s, 8).ok());
    let Some(stored) = stored else {
        return false;
    };
    let sum: u32 = header
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(*b)
            }
        })
        .sum();
    // An all-zero block would sum to 256 with a zero checksum: not a header.
    stored == sum && header[0] != 0
}

/// An uncompressed tar.
pub(crate) fn open_tar(bytes: &[u8], collector: &mut Collector<'_>) {
    let meter = Meter::default();
    let reader = Guarded::new(
        Cursor::new(bytes),
        &meter,
        collector.limits,
        RatioBase::None,
    );
    read_entries(reader, &meter, collector);
}

/// A gzip stream: a tar inside (`.tar.gz`, `.tgz`), or one compressed text (`.gz`).
pub(crate) fn open_gzip(file_name: &str, bytes: &[u8], collector: &mut Collector<'_>) -> Container {
    let meter = Meter::default();
    let counted = Counting {
        inner: bytes,
        meter: &meter,
    };
    let mut reader = Guarded::new(
        MultiGzDecoder::new(counted),
        &meter,
        collector.limits,
        RatioBase::Consumed,
    );
    // The first block tells a tar from a text.
    let mut head = Vec::with_capacity(512);
    let head_error = (&mut reader).take(512).read_to_end(&mut head).err();
    if looks_like_tar(&head) {
        read_entries(Cursor::new(head).chain(reader), &meter, collector);
        return Container::TarGzip;
    }
    // One compressed text: the entry is the file without `.gz`.
    let inner = file_name
        .strip_suffix(".gz")
        .or_else(|| file_name.strip_suffix(".GZ"))
        .unwrap_or(file_name)
        .to_string();
    let inner = if inner.is_empty() || inner == "-" {
        "standard input".to_string()
    } else {
        inner
    };
    match head_error {
        Some(e) => cut_stream(collector, &meter, &inner, &e, head),
        None => {
            collector.entry(
                &inner,
                EntryKind::File,
                0,
                Cursor::new(head).chain(reader),
                &meter,
            );
        }
    }
    Container::Gzip
}

/// The gzip stream failed in its first block: what came out is still a text.
fn cut_stream(
    collector: &mut Collector<'_>,
    meter: &Meter,
    inner: &str,
    error: &std::io::Error,
    head: Vec<u8>,
) {
    if meter.tripped.get().is_some() || head.is_empty() {
        collector.note(
            Severity::Error,
            format!("{inner}: the compressed stream cannot be read: {error}"),
        );
        return;
    }
    collector.entry(inner, EntryKind::File, 0, Cursor::new(head), meter);
    collector.note(
        Severity::Warning,
        format!(
            "{inner}: the compressed stream is cut ({error}): what came before the cut is read"
        ),
    );
}

fn read_entries<R: Read>(reader: R, meter: &Meter, collector: &mut Collector<'_>) {
    let mut archive = tar::Archive::new(reader);
    let entries = match archive.entries() {
        Ok(entries) => entries,
        Err(e) => {
            collector.note(
                Severity::Error,
                format!("the tar archive cannot be read: {e}"),
            );
            return;
        }
    };
    for entry in entries {
        let mut entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                stopped(collector, meter, &e);
                return;
            }
        };
        if collector.count_entry() == Flow::Stop {
            return;
        }
        let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let kind = match entry.header().entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => EntryKind::File,
            tar::EntryType::Directory => EntryKind::Directory,
            tar::EntryType::Symlink | tar::EntryType::Link => EntryKind::Link,
            _ => EntryKind::Special,
        };
        let declared = entry.header().size().unwrap_or(0);
        if collector.entry(&path, kind, declared, &mut entry, meter) == Flow::Stop {
            return;
        }
    }
}

/// The archive could not be read on: cut, corrupt, or a limit tripped.
fn stopped(collector: &mut Collector<'_>, meter: &Meter, error: &std::io::Error) {
    let message = match meter.tripped.get() {
        Some(Trip::Bomb) => format!(
            "the archive unpacks more than {} times its compressed size (a zip bomb, not a \
             capture): it is not read further",
            collector.limits.max_ratio
        ),
        Some(Trip::Unpacked) => format!(
            "the archive unpacks to more than {}: it is not read further",
            super::mib(collector.limits.max_unpacked_bytes)
        ),
        None => {
            format!("the archive is cut or damaged ({error}): the files before that point are read")
        }
    };
    collector.note(Severity::Warning, message);
}
