//! zip archives: by the central directory, or — when the archive is cut before it — entry by entry
//! from the local headers, so the files before the cut are still read.

use std::io::Cursor;

use super::{Collector, Counting, EntryKind, Flow, Guarded, Meter, RatioBase};
use crate::{Severity, SkipReason};

pub(crate) fn open(bytes: &[u8], collector: &mut Collector<'_>) {
    let meter = Meter::default();
    let counted = Counting {
        inner: Cursor::new(bytes),
        meter: &meter,
    };
    let mut archive = match zip::ZipArchive::new(counted) {
        Ok(archive) => archive,
        Err(e) => {
            collector.note(
                Severity::Warning,
                format!(
                    "the zip archive's directory cannot be read ({e}): the archive is cut or \
                     damaged; its files are read one by one up to the damage"
                ),
            );
            return streaming(bytes, &meter, collector);
        }
    };
    for index in 0..archive.len() {
        if collector.count_entry() == Flow::Stop {
            return;
        }
        let name = archive
            .name_for_index(index)
            .unwrap_or("an entry")
            .to_string();
        let file = match archive.by_index(index) {
            Ok(file) => file,
            Err(e) => {
                collector.skip(
                    &name,
                    SkipReason::Special,
                    format!("{name}: skipped: cannot be unpacked ({e})"),
                );
                continue;
            }
        };
        if take(file, &meter, collector) == Flow::Stop {
            return;
        }
    }
}

/// Reads the local headers one after another.
fn streaming(bytes: &[u8], meter: &Meter, collector: &mut Collector<'_>) {
    let mut reader = Counting {
        inner: Cursor::new(bytes),
        meter,
    };
    loop {
        match zip::read::read_zipfile_from_stream(&mut reader) {
            Ok(Some(file)) => {
                if collector.count_entry() == Flow::Stop {
                    return;
                }
                if take(file, meter, collector) == Flow::Stop {
                    return;
                }
            }
            Ok(None) => return,
            Err(e) => {
                collector.note(
                    Severity::Warning,
                    format!("the zip archive is cut or damaged ({e}): the files before that point are read"),
                );
                return;
            }
        }
    }
}

fn take<R: std::io::Read>(
    file: zip::read::ZipFile<'_, R>,
    meter: &Meter,
    collector: &mut Collector<'_>,
) -> Flow {
    let path = file.name().to_string();
    let kind = if file.is_dir() {
        EntryKind::Directory
    } else if file.is_symlink() {
        EntryKind::Link
    } else if file
        .unix_mode()
        .is_some_and(|mode| mode & 0o170000 != 0 && mode & 0o170000 != 0o100000)
    {
        EntryKind::Special
    } else {
        EntryKind::File
    };
    let declared = file.size();
    let base = if file.compression() == zip::CompressionMethod::Stored {
        RatioBase::None
    } else {
        RatioBase::Since {
            start: meter.consumed.get(),
        }
    };
    let guarded = Guarded::new(file, meter, collector.limits, base);
    collector.entry(&path, kind, declared, guarded, meter)
}
