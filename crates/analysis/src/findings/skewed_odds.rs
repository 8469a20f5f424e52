//! `skewed-odds`: a Service whose endpoints do not get equal shares of new connections, or whose shares
//! do not add up to one.
//!
//! kube-proxy's iptables mode always writes probabilities 1/n, 1/(n−1), …, 1/2 so that every endpoint
//! gets 1/n. Other shares mean hand-edited or stale rules (or, in IPVS mode, unequal weights).

use super::Context;
use crate::report::FindingCode;
use crate::report::{Finding, Severity};

/// Relative difference between the largest and smallest share above which odds count as skewed.
pub const SKEW_TOLERANCE: f64 = 0.01;

pub fn check(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in &cx.report.services {
        if s.endpoints.len() < 2 || s.scheduler.is_some() {
            continue;
        }
        let total: f64 = s.endpoints.iter().map(|e| e.probability).sum();
        let max = s
            .endpoints
            .iter()
            .map(|e| e.probability)
            .fold(0.0_f64, f64::max);
        let min = s
            .endpoints
            .iter()
            .map(|e| e.probability)
            .fold(1.0_f64, f64::min);
        let lines: Vec<u32> = s
            .endpoints
            .iter()
            .filter_map(|e| e.lines.first().copied())
            .collect();
        if (total - 1.0).abs() > 1e-6 {
            out.push(Finding::new(
                FindingCode::OddsDoNotSum,
                Severity::Warning,
                Some(&s.id),
                lines,
                format!(
                    "The endpoint rules of {} reach only {:.1} % of new connections; the remaining {:.1} % fall \
                     through the Service chain without being sent to any endpoint (the last endpoint rule should \
                     have no `-m statistic`).",
                    s.id,
                    total * 100.0,
                    (1.0 - total) * 100.0
                ),
            ));
        } else if max > 0.0 && (max - min) / max > SKEW_TOLERANCE {
            let shares: Vec<String> = s
                .endpoints
                .iter()
                .map(|e| format!("{} {:.1} %", e.ip, e.probability * 100.0))
                .collect();
            out.push(Finding::new(
                FindingCode::SkewedOdds,
                Severity::Warning,
                Some(&s.id),
                lines,
                format!(
                    "The endpoints of {} get unequal shares of new connections ({}). kube-proxy always gives each \
                     of n endpoints 1/n, so these rules were edited by hand or are stale.",
                    s.id,
                    shares.join(", ")
                ),
            ));
        }
    }
    out
}
