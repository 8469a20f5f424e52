//! `svcpath-stages FILE [--runs N]`: times svcpath's stages on one dump — split, parse, model,
//! findings, report, JSON — and prints the best of N runs (3 by default) of each, in milliseconds, one
//! `stage milliseconds` line each, then what the analysis found.
#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::time::{Duration, Instant};

use svcpath_analysis::report::Mode;
use svcpath_analysis::{Options, Snapshot};

/// Runs `f` `runs` times and returns the shortest time and the last result.
fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let value = f();
        best = best.min(start.elapsed());
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

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("read {:.1}", ms(read));
    println!("split {:.1}", ms(split));
    println!("parse {:.1}", ms(parse));
    println!("model {:.1}", ms(model));
    println!("findings {:.1}", ms(findings));
    println!("report {:.1}", ms(report_time));
    println!("json {:.1}", ms(json));
    println!("total {:.1}", ms(total));
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
        _ => 0,
    }
}
