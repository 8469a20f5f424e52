//! `svcpath-gen`: writes a synthetic kube-proxy dump of the requested size to a file or stdout.
#![forbid(unsafe_code)]

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use svcpath_gen::{Mode, Spec};

const USAGE: &str = "\
usage: svcpath-gen --mode iptables|ipvs|nftables --services N --endpoints M [--empty K] [--seed S] [-o FILE]

Writes what a kube-proxy node shows for a cluster of N Service ports with M endpoints each, plus K
Service ports without endpoints (default N/100):
  iptables  iptables-save output (mangle, filter, nat)
  ipvs      ipvsadm -Ln, a blank line, then ipset list
  nftables  nft list table ip kube-proxy
The same options and seed always give the same bytes. Output goes to FILE, or stdout without -o.";

struct Args {
    mode: Mode,
    spec: Spec,
    output: Option<String>,
}

fn parse(argv: &[String]) -> Result<Args, String> {
    let mut mode = None;
    let mut services = None;
    let mut endpoints = None;
    let mut empty = None;
    let mut seed = 1u64;
    let mut output = None;
    let mut i = 0;
    while i < argv.len() {
        let name = argv[i].as_str();
        if name == "-h" || name == "--help" {
            return Err(String::new());
        }
        let value = argv
            .get(i + 1)
            .ok_or_else(|| format!("{name} needs a value"))?;
        let number = |limit: u64| -> Result<u64, String> {
            match value.parse::<u64>() {
                Ok(n) if n <= limit => Ok(n),
                _ => Err(format!("{name} {value:?}: expected a number up to {limit}")),
            }
        };
        match name {
            "--mode" => {
                mode =
                    Some(Mode::parse(value).ok_or_else(|| {
                        format!("unknown mode {value:?} (iptables, ipvs, nftables)")
                    })?)
            }
            "--services" => services = Some(number(1_000_000)? as usize),
            "--endpoints" => endpoints = Some(number(1_000)? as usize),
            "--empty" => empty = Some(number(1_000_000)? as usize),
            "--seed" => seed = number(u64::MAX)?,
            "-o" | "--output" => output = Some(value.clone()),
            other => return Err(format!("unknown option {other:?}")),
        }
        i += 2;
    }
    let mode = mode.ok_or("--mode is needed")?;
    let services = services.ok_or("--services is needed")?;
    let endpoints = endpoints.ok_or("--endpoints is needed")?;
    if endpoints == 0 {
        return Err("--endpoints must be at least 1 (use --empty for Services without)".into());
    }
    let mut spec = Spec::new(services, endpoints, seed);
    if let Some(k) = empty {
        spec.empty_services = k;
    }
    Ok(Args { mode, spec, output })
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse(&argv) {
        Ok(a) => a,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("svcpath-gen: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let cluster = svcpath_gen::cluster(&args.spec);
    let result = match &args.output {
        Some(path) => std::fs::File::create(path).and_then(|f| {
            let mut out = BufWriter::with_capacity(1 << 20, f);
            svcpath_gen::write(args.mode, &cluster, &mut out)?;
            out.flush()
        }),
        None => {
            let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
            svcpath_gen::write(args.mode, &cluster, &mut out).and_then(|_| out.flush())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("svcpath-gen: cannot write the dump: {e}");
            ExitCode::from(1)
        }
    }
}
