//! `svcpath-stages FILE [--runs N]`: times svcpath's stages on one dump — split, parse, model,
//! findings, report, JSON — and prints the best of N runs (3 by default) of each, one
//! `stage wall-milliseconds cpu-milliseconds` line each, then what the analysis found. The CPU time (the
//! thread's time on a CPU, from `/proc/thread-self/schedstat`; `-` where that is not available) is the
//! steadier number on a machine shared with other work.
#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::time::{Duration, Instant};

use svcpath_analysis::report::Mode;
use svcpath_analysis::{Options, Snapshot};

/// The shortest wall-clock and on-CPU times of a stage over its runs.
#[derive(Debug, Clone, Copy)]
struct Timing {
    wall: Duration,
    cpu: Option<Duration>,
}

/// Nanoseconds this thread has spent on a CPU (Linux), if the kernel tells.
fn thread_cpu() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Runs `f` `runs` times and returns the shortest times and the last result.
fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Timing, T) {
    let mut best = Timing {
        wall: Duration::MAX,
        cpu: None,
    };
    let mut last = None;
    for _ in 0..runs.max(1) {
        let cpu_start = thread_cpu();
        let start = Instant::now();
        let value = f();
        let wall = start.elapsed();
        let cpu = match (cpu_start, thread_cpu()) {
            (Some(a), Some(b)) => Some(b.saturating_sub(a)),
            _ => None,
        };
        best.wall = best.wall.min(wall);
        best.cpu = match (best.cpu, cpu) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        // Drop the previous result outside the timed part.
        drop(last.replace(value));
    }
    match last {
        Some(value) => (best, value),
        None => unreachable!("runs.max(1) runs at least once"),
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut file = None;
    let mut runs = 3usize;
    let mut i = 0;
    while i < argv.len() {
        match argv[i].as_str() {
            "--runs" => {
                runs = match argv.get(i + 1).and_then(|v| v.parse().ok()) {
                    Some(n) if n > 0 => n,
                    _ => {
                        eprintln!("svcpath-stages: --runs needs a positive number");
                        return ExitCode::from(2);
                    }
                };
                i += 1;
            }
            f if file.is_none() && !f.starts_with('-') => file = Some(f.to_string()),
            other => {
                eprintln!("svcpath-stages: unexpected argument {other:?}\nusage: svcpath-stages FILE [--runs N]");
                return ExitCode::from(2);
            }
        }
        i += 1;
    }
    let Some(file) = file else {
        eprintln!("usage: svcpath-stages FILE [--runs N]");
        return ExitCode::from(2);
    };
    let (read, paste) = best_of(runs, || {
        std::fs::read(&file).map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    });
    let paste = match paste {
        Ok(p) => p,
        Err(e) => {
            eprintln!("svcpath-stages: cannot read {file}: {e}");
            return ExitCode::from(1);
        }
    };
    let options = Options::default();

    let (split, sections) = best_of(runs, || {
        svcpath_syntax::split::split_with_overrides(&paste, &options.section_overrides)
    });
    let (parse, snapshot) = best_of(runs, || Snapshot::parse(&paste, &options));
    let mode = snapshot.mode();
    let (model, services) = best_of(runs, || model(&snapshot, mode));
    let (report_time, report) = best_of(runs, || snapshot.report(&options));
    let (findings, found) = best_of(runs, || svcpath_analysis::findings::run(&snapshot, &report));
    let (json, text) = best_of(runs, || {
        serde_json::to_string_pretty(&report).unwrap_or_default()
    });
    let (total, _) = best_of(runs, || {
        let report = svcpath_analysis::analyze(&paste, &options);
        serde_json::to_string_pretty(&report).unwrap_or_default()
    });

    let line = |name: &str, t: Timing| {
        let cpu = t
            .cpu
            .map(|d| format!("{:.1}", d.as_secs_f64() * 1000.0))
            .unwrap_or_else(|| "-".to_string());
        println!("{name} {:.1} {cpu}", t.wall.as_secs_f64() * 1000.0);
    };
    line("read", read);
    line("split", split);
    line("parse", parse);
    line("model", model);
    line("findings", findings);
    line("report", report_time);
    line("json", json);
    line("total", total);
    let endpoints: usize = report.services.iter().map(|s| s.endpoints.len()).sum();
    println!(
        "# {} bytes, {} sections, mode {:?}, {} services ({} from the model stage), {} endpoints, {} findings, {} diagnostics, {} bytes of JSON",
        paste.len(),
        sections.len(),
        mode,
        report.services.len(),
        services,
        endpoints,
        found.len(),
        report.diagnostics.len(),
        text.len()
    );
    ExitCode::SUCCESS
}

/// The mode's own Service modelling, without findings and statistics; returns how many Services.
fn model(snapshot: &Snapshot, mode: Mode) -> usize {
    match mode {
        Mode::Iptables => snapshot
            .iptables
            .iter()
            .map(|r| svcpath_analysis::iptables::services(r).len())
            .sum(),
        Mode::Ipvs => {
            svcpath_analysis::ipvs::analyze(&snapshot.ipvs, &snapshot.ipsets, &snapshot.iptables)
                .services
                .len()
        }
        Mode::Nftables => svcpath_analysis::nft::analyze(&snapshot.nft).services.len(),
        Mode::Unknown => 0,
    }
}
