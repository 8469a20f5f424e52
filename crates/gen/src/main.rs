//! `svcpath-gen`: writes a synthetic kube-proxy dump of the requested size to a file or stdout.
#![forbid(unsafe_code)]

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use svcpath_gen::large::LargeSet;
use svcpath_gen::{Mode, Release, Spec};

const USAGE: &str = "\
usage: svcpath-gen --mode iptables|ipvs|nftables --services N --endpoints M [--empty K] [--seed S]
                   [--conntrack E] [-o FILE]
       svcpath-gen --mode nftables --showcase [--kube-proxy-version 1.33|1.34|1.36|1.37] [-o FILE]
       svcpath-gen --large ipset|nft-map --elements N [-o FILE]
       svcpath-gen … [--node I [--stale]]   (one node of a per-node set)

Writes what a kube-proxy node shows for a cluster of N Service ports with M endpoints each, plus K
Service ports without endpoints (default N/100):
  iptables  iptables-save output (mangle, filter, nat)
  ipvs      ipvsadm -Ln, a blank line, then ipset list
  nftables  nft list table ip kube-proxy
--kube-proxy-version V (nftables) writes the layout of that kube-proxy release (1.29–1.33 by default;
1.34–1.35: filter chains before DNAT at -110 and the others at 0; 1.36: service chains DNAT through
`numgen … map { i : ADDR . PORT }`, hairpin set; 1.37: one endpoint DNATed with no map).
--showcase writes a small fixed cluster with one Service port per feature (ClusterIP, NodePort, eTP
Local with and without a local endpoint, affinity, UDP, one endpoint, no endpoints, a load balancer with
source ranges) instead of a drawn one (iptables or nftables).
--conntrack E adds a `conntrack -L` section of E entries to the node's Services (about one in 97
stale: DNAT'd to a pod that is no longer an endpoint).
--large writes one set of N members instead of a cluster (the memory benchmark's inputs): `ipset`
an `ipset list` of one hash:ip,port set, `nft-map` an nft table with a verdict map of N elements.
--node I writes the same cluster as node I programs it (address 192.168.0.(10+I), the endpoints in
172.16.I.0/24 local); --stale makes that node's kube-proxy one that missed the last changes (an old pod
in place of each Service's last endpoint, the newest Service port missing).
The same options and seed always give the same bytes. Output goes to FILE, or stdout without -o.";

struct Args {
    mode: Mode,
    spec: Spec,
    release: Release,
    showcase: bool,
    output: Option<String>,
    conntrack: Option<usize>,
    node: Option<u8>,
    stale: bool,
}

fn parse(argv: &[String]) -> Result<Args, String> {
    let mut mode = None;
    let mut services = None;
    let mut endpoints = None;
    let mut empty = None;
    let mut seed = 1u64;
    let mut output = None;
    let mut release = Release::V1_33;
    let mut showcase = false;
    let mut conntrack = None;
    let mut node = None;
    let mut stale = false;
    let mut i = 0;
    while i < argv.len() {
        let name = argv[i].as_str();
        if name == "-h" || name == "--help" {
            return Err(String::new());
        }
        if name == "--showcase" {
            showcase = true;
            i += 1;
            continue;
        }
        if name == "--stale" {
            stale = true;
            i += 1;
            continue;
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
            "--conntrack" => conntrack = Some(number(100_000_000)? as usize),
            "-o" | "--output" => output = Some(value.clone()),
            "--node" => node = Some(number(250)? as u8),
            "--kube-proxy-version" => {
                release = Release::parse(value).ok_or_else(|| {
                    format!("--kube-proxy-version {value:?}: expected 1.29 to 1.37")
                })?
            }
            other => return Err(format!("unknown option {other:?}")),
        }
        i += 2;
    }
    let mode = mode.ok_or("--mode is needed")?;
    if release != Release::V1_33 && mode != Mode::Nftables {
        return Err("--kube-proxy-version is for --mode nftables".into());
    }
    if showcase && mode == Mode::Ipvs {
        return Err("--showcase is for --mode iptables or nftables".into());
    }
    if stale && node.is_none() {
        return Err("--stale needs --node".into());
    }
    if showcase {
        return Ok(Args {
            mode,
            spec: Spec::new(0, 1, seed),
            release,
            showcase,
            output,
            conntrack,
            node,
            stale,
        });
    }
    let services = services.ok_or("--services is needed")?;
    let endpoints = endpoints.ok_or("--endpoints is needed")?;
    if endpoints == 0 {
        return Err("--endpoints must be at least 1 (use --empty for Services without)".into());
    }
    let mut spec = Spec::new(services, endpoints, seed);
    if let Some(k) = empty {
        spec.empty_services = k;
    }
    Ok(Args {
        mode,
        spec,
        release,
        showcase,
        output,
        conntrack,
        node,
        stale,
    })
}

/// `--large KIND --elements N [-o FILE]`: what to write and where.
fn parse_large(argv: &[String]) -> Result<(LargeSet, usize, Option<String>), String> {
    let mut kind = None;
    let mut count = None;
    let mut output = None;
    for pair in argv.chunks(2) {
        let [name, value] = pair else {
            return Err(format!("{} needs a value", pair[0]));
        };
        match name.as_str() {
            "--large" => {
                kind = Some(
                    LargeSet::parse(value)
                        .ok_or_else(|| format!("--large {value:?}: expected ipset or nft-map"))?,
                )
            }
            "--elements" => {
                count = Some(
                    value
                        .parse::<usize>()
                        .ok()
                        .filter(|n| *n <= 50_000_000)
                        .ok_or_else(|| {
                            format!("--elements {value:?}: expected a number up to 50000000")
                        })?,
                )
            }
            "-o" | "--output" => output = Some(value.clone()),
            other => return Err(format!("unknown option {other:?} with --large")),
        }
    }
    Ok((
        kind.ok_or("--large is needed")?,
        count.ok_or("--elements is needed")?,
        output,
    ))
}

/// Writes to FILE, or stdout without one.
fn write_out(
    output: Option<&str>,
    write: impl Fn(&mut dyn Write) -> std::io::Result<()>,
) -> ExitCode {
    let result = match output {
        Some(path) => std::fs::File::create(path).and_then(|f| {
            let mut out = BufWriter::with_capacity(1 << 20, f);
            write(&mut out)?;
            out.flush()
        }),
        None => {
            let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
            write(&mut out).and_then(|_| out.flush())
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

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.iter().any(|a| a == "--large") {
        return match parse_large(&argv) {
            Ok((kind, count, output)) => write_out(output.as_deref(), |out| {
                svcpath_gen::large::write(kind, count, &mut &mut *out)
            }),
            Err(message) => {
                eprintln!("svcpath-gen: {message}\n\n{USAGE}");
                ExitCode::from(2)
            }
        };
    }
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
    let mut cluster = if args.showcase {
        svcpath_gen::showcase()
    } else {
        svcpath_gen::cluster(&args.spec)
    };
    if let Some(node) = args.node {
        cluster = svcpath_gen::nodes::for_node(&cluster, node);
        if args.stale {
            cluster = svcpath_gen::nodes::stale(&cluster);
        }
    }
    let write = |out: &mut dyn Write| -> std::io::Result<()> {
        if args.mode == Mode::Nftables {
            svcpath_gen::nftables::write_release(&cluster, args.release, &mut &mut *out)
        } else {
            svcpath_gen::write(args.mode, &cluster, &mut &mut *out)
        }?;
        if let Some(entries) = args.conntrack {
            writeln!(out, "===== svcpath: conntrack-list =====")?;
            svcpath_gen::conntrack::write(&cluster, entries, &mut &mut *out)?;
        }
        Ok(())
    };
    write_out(args.output.as_deref(), write)
}
