//! Observed versus expected: do the connections each real server got (`--stats`) fit the shares its weight
//! promises? A chi-square goodness-of-fit test says, or says that there are too few connections to judge.
//! From `-Ln` live counts (ActiveConn/InActConn) it shows where connections pile up.

use super::percent;
use crate::ipvs::model::{Node, VirtualServer};
use crate::ipvs::stats::{goodness_of_fit, Fit, ALPHA, MIN_EXPECTED};
use crate::report::FindingCode;
use crate::report::{Finding, Service, Severity};

pub const UNBALANCED: FindingCode = FindingCode::IpvsUnbalanced;
pub const BALANCED: FindingCode = FindingCode::IpvsBalanced;
pub const TOO_FEW: FindingCode = FindingCode::IpvsTooFewConnections;
pub const RATE_ONLY: FindingCode = FindingCode::IpvsRateNotACount;
pub const PILE_UP: FindingCode = FindingCode::IpvsConnectionsPileUp;

pub fn find(node: &Node, services: &[(Service, Vec<usize>)]) -> Vec<Finding> {
    let mut out = Vec::new();
    for (service, group) in services {
        for i in group {
            let s = &node.servers[*i];
            if s.service.real_servers.len() < 2 {
                continue;
            }
            if let Some(f) = from_stats(service, s) {
                out.push(f);
            } else if let Some(f) = from_rate(service, s) {
                out.push(f);
            }
            if let Some(f) = from_live_counts(service, s) {
                out.push(f);
            }
        }
    }
    out
}

/// Real servers with a positive weight (or no weight listed: kube-proxy's weight 1), with their weights.
fn weighted(s: &VirtualServer) -> (Vec<usize>, Vec<f64>, bool) {
    let mut index = Vec::new();
    let mut weights = Vec::new();
    let mut assumed = false;
    for (i, r) in s.service.real_servers.iter().enumerate() {
        match r.weight {
            Some(w) if w > 0 => {
                index.push(i);
                weights.push(w as f64);
            }
            Some(_) => {}
            None => {
                assumed = true;
                index.push(i);
                weights.push(1.0);
            }
        }
    }
    (index, weights, assumed)
}

fn table(s: &VirtualServer, index: &[usize], observed: &[u64], weights: &[f64]) -> String {
    let total: u64 = observed.iter().fold(0u64, |a, b| a.saturating_add(*b));
    let weight_sum: f64 = weights.iter().sum();
    index
        .iter()
        .zip(observed.iter().zip(weights))
        .filter_map(|(i, (o, w))| {
            let r = s.service.real_servers.get(*i)?;
            let expected = total as f64 * w / weight_sum;
            Some(format!(
                "{} got {o} (expected {expected:.1})",
                r.address.text
            ))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn from_stats(service: &Service, s: &VirtualServer) -> Option<Finding> {
    if s.service.real_servers.iter().any(|r| r.stats.is_none()) {
        return None;
    }
    let (index, weights, assumed) = weighted(s);
    let observed: Vec<u64> = index
        .iter()
        .filter_map(|i| {
            s.service
                .real_servers
                .get(*i)?
                .stats
                .as_ref()
                .map(|c| c.connections.value)
        })
        .collect();
    let total: u64 = observed.iter().fold(0u64, |a, b| a.saturating_add(*b));
    if total == 0 || observed.len() != index.len() {
        return None;
    }
    let approximate = s
        .service
        .real_servers
        .iter()
        .any(|r| r.stats.as_ref().is_some_and(|c| c.connections.approximate));
    let mut lines: Vec<u32> = vec![s.service.line];
    lines.extend(
        s.service
            .real_servers
            .iter()
            .flat_map(|r| r.lines.iter().copied()),
    );
    let assumption = if assumed {
        " (no weights listed: every real server is taken at kube-proxy's weight 1)"
    } else {
        ""
    };
    let rounding = if approximate {
        " Some counts carry a K/M/G suffix, so their last digits are rounded away."
    } else {
        ""
    };
    let finding = match goodness_of_fit(&observed, &weights) {
        Fit::NotApplicable => return None,
        Fit::TooFew { total, smallest_expected } => Finding::new(
            TOO_FEW,
            Severity::Info,
            Some(&service.id),
            lines,
            format!(
                "{}: {} has counted {total} connection(s) on its real servers{assumption}; the fewest expected on one server is \
                 {smallest_expected:.1}, below the {MIN_EXPECTED} a chi-square test needs, so the split ({}) is too small to \
                 judge. Counters run from when each real server was added; list again with `ipvsadm -Ln --stats` later.",
                service.id,
                s.id(),
                table(s, &index, &observed, &weights)
            ),
        ),
        Fit::Tested { statistic, degrees_of_freedom, p_value } => {
            let split = table(s, &index, &observed, &weights);
            if p_value < ALPHA {
                Finding::new(
                    UNBALANCED,
                    Severity::Warning,
                    Some(&service.id),
                    lines,
                    format!(
                        "{}: the connections of {} do not follow the weights{assumption}: {split}. Chi-square = {statistic:.1} \
                         with {degrees_of_freedom} degree(s) of freedom, p = {p_value:.2e}: a split this uneven happens by \
                         chance less than {} of the time. Usual causes: real servers added at different times (each one's \
                         counter starts when it is added), persistence pinning busy clients, or a least-connection scheduler \
                         steering around a slow server.{rounding}",
                        service.id,
                        s.id(),
                        percent(ALPHA)
                    ),
                )
            } else {
                Finding::new(
                    BALANCED,
                    Severity::Info,
                    Some(&service.id),
                    lines,
                    format!(
                        "{}: the connections of {} fit the weights{assumption}: {split}. Chi-square = {statistic:.2} with \
                         {degrees_of_freedom} degree(s) of freedom, p = {p_value:.2}: nothing unusual.{rounding}",
                        service.id,
                        s.id()
                    ),
                )
            }
        }
    };
    Some(finding)
}

fn from_rate(service: &Service, s: &VirtualServer) -> Option<Finding> {
    if s.service.real_servers.iter().any(|r| r.rate.is_none()) {
        return None;
    }
    let cps: Vec<u64> = s
        .service
        .real_servers
        .iter()
        .filter_map(|r| r.rate.as_ref().map(|x| x.connections_per_second.value))
        .collect();
    let total: u64 = cps.iter().sum();
    if total == 0 {
        return None;
    }
    let split: Vec<String> = s
        .service
        .real_servers
        .iter()
        .zip(&cps)
        .map(|(r, c)| {
            format!(
                "{} {c}/s ({})",
                r.address.text,
                percent(*c as f64 / total as f64)
            )
        })
        .collect();
    let mut lines: Vec<u32> = vec![s.service.line];
    lines.extend(
        s.service
            .real_servers
            .iter()
            .flat_map(|r| r.lines.iter().copied()),
    );
    Some(Finding::new(
        RATE_ONLY,
        Severity::Info,
        Some(&service.id),
        lines,
        format!(
            "{}: new connections per second on {}: {}. A rate is the kernel's moving average, not a count, so no test can say \
             whether the split is fair; `ipvsadm -Ln --stats` gives counts that can be tested against the weights.",
            service.id,
            s.id(),
            split.join(", ")
        ),
    ))
}

fn from_live_counts(service: &Service, s: &VirtualServer) -> Option<Finding> {
    if s.service
        .real_servers
        .iter()
        .any(|r| r.active_connections.is_none())
    {
        return None;
    }
    let (index, weights, _) = weighted(s);
    let observed: Vec<u64> = index
        .iter()
        .filter_map(|i| {
            let r = s.service.real_servers.get(*i)?;
            Some(
                r.active_connections
                    .unwrap_or(0)
                    .saturating_add(r.inactive_connections.unwrap_or(0)),
            )
        })
        .collect();
    let Fit::Tested {
        statistic,
        degrees_of_freedom,
        p_value,
    } = goodness_of_fit(&observed, &weights)
    else {
        return None;
    };
    if p_value >= ALPHA {
        return None;
    }
    let total: u64 = observed.iter().sum();
    let (top, max) = observed.iter().enumerate().max_by_key(|(_, c)| **c)?;
    let top = s.service.real_servers.get(*index.get(top)?)?;
    let mut lines: Vec<u32> = vec![s.service.line];
    lines.extend(
        s.service
            .real_servers
            .iter()
            .flat_map(|r| r.lines.iter().copied()),
    );
    Some(Finding::new(
        PILE_UP,
        Severity::Info,
        Some(&service.id),
        lines,
        format!(
            "{}: connections pile up on {} of {}: it holds {max} of the {total} open connections ({}), counting active and \
             inactive ones: {}. Chi-square = {statistic:.1}, {degrees_of_freedom} degree(s) of freedom, p = {p_value:.2e}. Live \
             counts depend on how long connections last as well as on how they were spread: a server whose connections last \
             longer (slow responses, long-lived streams) or that kept its clients through persistence collects more.",
            service.id,
            top.address.text,
            s.id(),
            percent(*max as f64 / total as f64),
            table(s, &index, &observed, &weights)
        ),
    ))
}
