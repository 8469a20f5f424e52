//! Readers that count: the compressed bytes taken in and the bytes unpacked, and that stop a stream
//! past the limits (a bomb's ratio, the total unpacked) with an error the archive reader passes up.

use std::cell::Cell;
use std::io::{self, Read};

use crate::Limits;

/// Why a guarded stream stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trip {
    /// More than [`Limits::max_ratio`] bytes out per byte in.
    Bomb,
    /// More than [`Limits::max_unpacked_bytes`] in all.
    Unpacked,
}

/// What one archive's readers have counted.
#[derive(Debug, Default)]
pub(crate) struct Meter {
    /// Compressed bytes read so far.
    pub(crate) consumed: Cell<u64>,
    /// Bytes unpacked so far, every entry together.
    pub(crate) unpacked: Cell<u64>,
    pub(crate) tripped: Cell<Option<Trip>>,
}

/// Below this much output no ratio is judged: a small file may compress very well.
const RATIO_FLOOR: u64 = 4 * 1024 * 1024;

/// Counts the bytes read through it into `meter.consumed`.
pub(crate) struct Counting<'m, R> {
    pub(crate) inner: R,
    pub(crate) meter: &'m Meter,
}

impl<R: std::io::Seek> std::io::Seek for Counting<'_, R> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.meter
            .consumed
            .set(self.meter.consumed.get() + n as u64);
        Ok(n)
    }
}

/// What a guarded stream's output is compared with.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RatioBase {
    /// The compressed bytes the meter has counted (one stream: gzip).
    Consumed,
    /// This entry's own output against the compressed bytes read since it began (a zip entry).
    Since { start: u64 },
    /// Not compressed: no ratio.
    None,
}

/// Counts what is read through it into `meter.unpacked` and fails once a limit is passed.
pub(crate) struct Guarded<'m, R> {
    pub(crate) inner: R,
    pub(crate) meter: &'m Meter,
    pub(crate) limits: &'m Limits,
    pub(crate) base: RatioBase,
    /// Output of this reader alone.
    pub(crate) produced: u64,
}

impl<'m, R> Guarded<'m, R> {
    pub(crate) fn new(inner: R, meter: &'m Meter, limits: &'m Limits, base: RatioBase) -> Self {
        Guarded {
            inner,
            meter,
            limits,
            base,
            produced: 0,
        }
    }
}

impl<R: Read> Read for Guarded<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(trip) = self.meter.tripped.get() {
            return Err(tripped(trip));
        }
        let n = self.inner.read(buf)?;
        self.produced += n as u64;
        let unpacked = self.meter.unpacked.get() + n as u64;
        self.meter.unpacked.set(unpacked);
        let (out, input) = match self.base {
            RatioBase::Consumed => (unpacked, self.meter.consumed.get()),
            RatioBase::Since { start } => (
                self.produced,
                self.meter.consumed.get().saturating_sub(start),
            ),
            RatioBase::None => (0, 0),
        };
        let trip = if out > RATIO_FLOOR && out > input.max(1).saturating_mul(self.limits.max_ratio)
        {
            Some(Trip::Bomb)
        } else if unpacked > self.limits.max_unpacked_bytes {
            Some(Trip::Unpacked)
        } else {
            None
        };
        if let Some(trip) = trip {
            self.meter.tripped.set(Some(trip));
            return Err(tripped(trip));
        }
        Ok(n)
    }
}

fn tripped(trip: Trip) -> io::Error {
    io::Error::other(match trip {
        Trip::Bomb => "unpacks far more than it is compressed",
        Trip::Unpacked => "past the limit of bytes unpacked",
    })
}
