//! Where the kube-proxy panel's sync-duration chart puts each sync: plain geometry, tested on the host.

use svcpath_analysis::kube_proxy::SyncPoint;

/// Fewest syncs for which the chart is drawn.
pub const MIN_CHART_SYNCS: usize = 3;
pub const CHART_WIDTH: f64 = 600.0;
pub const CHART_HEIGHT: f64 = 100.0;

/// One dot of the chart, in the chart's own coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct Dot {
    pub x: f64,
    pub y: f64,
    pub line: u32,
    pub seconds: f64,
    pub failed: bool,
}

/// Where each sync goes: x by time since the first sync when every point has one, else by order;
/// y by duration (0 at the bottom, the slowest at the top).
pub fn chart_dots(points: &[SyncPoint]) -> Vec<Dot> {
    let max = points
        .iter()
        .map(|p| p.seconds)
        .filter(|s| s.is_finite())
        .fold(0.0_f64, f64::max);
    let timed = points.iter().all(|p| p.at.is_some_and(f64::is_finite));
    let span = if timed {
        points.iter().filter_map(|p| p.at).fold(0.0_f64, f64::max)
    } else {
        0.0
    };
    let n = points.len();
    points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let fraction = if timed && span > 0.0 {
                p.at.unwrap_or(0.0) / span
            } else if n > 1 {
                i as f64 / (n - 1) as f64
            } else {
                0.5
            };
            let height = if max > 0.0 && p.seconds.is_finite() {
                (p.seconds / max).clamp(0.0, 1.0)
            } else {
                0.0
            };
            Dot {
                x: 4.0 + fraction * (CHART_WIDTH - 8.0),
                y: CHART_HEIGHT - 4.0 - height * (CHART_HEIGHT - 8.0),
                line: p.line,
                seconds: p.seconds,
                failed: p.failed,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(line: u32, seconds: f64, at: Option<f64>) -> SyncPoint {
        SyncPoint {
            line,
            seconds,
            at,
            failed: false,
        }
    }

    #[test]
    fn dots_scale_by_time_and_duration() {
        let dots = chart_dots(&[
            point(1, 0.01, Some(0.0)),
            point(2, 0.04, Some(10.0)),
            point(3, 0.02, Some(40.0)),
        ]);
        assert_eq!(dots[0].x, 4.0);
        assert_eq!(dots[2].x, CHART_WIDTH - 4.0);
        assert!((dots[1].x - (4.0 + 0.25 * (CHART_WIDTH - 8.0))).abs() < 1e-9);
        // The slowest at the top, the others below it.
        assert_eq!(dots[1].y, 4.0);
        assert!(dots[0].y > dots[2].y);
    }

    #[test]
    fn without_times_dots_go_by_order_and_never_leave_the_chart() {
        let dots = chart_dots(&[
            point(1, f64::NAN, None),
            point(2, 0.5, Some(3.0)),
            point(3, 0.0, None),
        ]);
        assert_eq!(dots[1].x, CHART_WIDTH / 2.0);
        for d in &dots {
            assert!(d.x.is_finite() && d.y.is_finite());
            assert!((0.0..=CHART_HEIGHT).contains(&d.y));
        }
    }
}
