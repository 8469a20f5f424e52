//! Command-line arguments of `svcpath`.

use svcpath_analysis::report::Protocol;
use svcpath_analysis::trace::{Origin, Packet};
use svcpath_analysis::Options;

pub const USAGE: &str = "\
usage:
  svcpath explain [FILE…] [--format text|json|markdown|markdown-chat] [--node-ip IP]… [--pod-cidr CIDR]…
  svcpath trace [FILE…] --dst IP:PORT [--src IP] [--proto tcp|udp|sctp] [--from pod|node|external]
                [--returning] [--node-ip IP]… [--pod-cidr CIDR]… [--format text|json]
  svcpath redact [FILE…] [-o OUT] [--node-ip IP]…
  svcpath --help | --version

Reads what was captured on a Kubernetes node (iptables-save, ipvsadm -Ln, ipset list, nft list ruleset,
sysctl, conntrack -S, dmesg — one file or several, or one paste with all of them) from the FILEs, or from
standard input when there is none, and explains what kube-proxy programmed there.

  --format F     text (default), json (the Report, see README), markdown (GitHub) or markdown-chat
                 (for a chat or a ticket: no backslash escapes, no tables)
  --node-ip IP   an address of this node (NodePort and --dst-type LOCAL); may be repeated
  --pod-cidr C   a pod network of this node (10.244.0.0/16), when the rules do not show it; may be repeated
  --redact       (explain) explain the redacted copy: the report names no address, Service or namespace

redact writes the input with its addresses, Service names, namespaces, port and host names replaced
consistently and kube-proxy's chain names hashed again from the new names, so that it explains exactly as
the original does (to OUT, or to standard output). Scrub a paste with it before it goes into a ticket.

trace follows one new connection through the rules as netfilter would and prints each possible outcome
with its probability, verdict (dnat, accept, drop, reject), endpoint, whether it is masqueraded, and the
dump lines it passed.
  --dst IP:PORT  where the packet goes ([IPv6]:PORT for IPv6)
  --src IP       its source (chosen from the dump when left out)
  --proto P      tcp (default), udp or sctp
  --from F       pod (default: a pod on this node), node (a host process) or external (arrives from outside)
  --returning    a returning client: session affinity sends it where it went before

Exit status: 0 when the input was read (even if parts were not understood), 1 when a file could not be
read, 2 for a usage error.";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Markdown,
    /// Markdown for chat tools and tickets (no backslash escapes).
    MarkdownChat,
}

#[derive(Debug)]
pub enum Command {
    Help,
    Version,
    Explain {
        files: Vec<String>,
        format: Format,
        options: Options,
    },
    Trace {
        files: Vec<String>,
        format: Format,
        options: Options,
        packet: Packet,
    },
    /// `svcpath redact` (the redacted dump) and `svcpath explain --redact` (the redacted copy's report,
    /// in `report`'s format).
    Redact {
        files: Vec<String>,
        output: Option<String>,
        options: Options,
        report: Option<Format>,
    },
}

pub fn parse(argv: &[String]) -> Result<Command, String> {
    let Some(first) = argv.first() else {
        return Err("a command is needed".to_string());
    };
    match first.as_str() {
        "-h" | "--help" | "help" => return Ok(Command::Help),
        "-V" | "--version" => return Ok(Command::Version),
        "explain" | "trace" | "redact" => {}
        other => return Err(format!("unknown command {other:?}")),
    }
    let tracing = first == "trace";
    let redacting = first == "redact";
    let mut redact_report = false;
    let mut output = None;
    let mut dst: Option<(String, u16)> = None;
    let mut src = None;
    let mut protocol = Protocol::Tcp;
    let mut from = Origin::Pod;
    let mut returning_client = false;
    let mut files = Vec::new();
    let mut format = Format::Text;
    let mut options = Options::default();
    let mut i = 1;
    while i < argv.len() {
        let arg = argv[i].as_str();
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (arg, None),
        };
        let mut value = || -> Result<String, String> {
            if let Some(v) = inline.clone() {
                return Ok(v);
            }
            i += 1;
            argv.get(i)
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match name {
            "--format" | "-f" => {
                format = match value()?.as_str() {
                    "text" => Format::Text,
                    "json" => Format::Json,
                    "markdown" | "md" => Format::Markdown,
                    "markdown-chat" | "chat" => Format::MarkdownChat,
                    other => {
                        return Err(format!(
                            "unknown format {other:?} (text, json, markdown, markdown-chat)"
                        ))
                    }
                }
            }
            "--node-ip" => {
                let ip = value()?;
                if svcpath_analysis::net::parse_ip(&ip).is_none() {
                    return Err(format!("--node-ip {ip:?} is not an IP address"));
                }
                options.node_ips.push(ip);
            }
            "--pod-cidr" => {
                let cidr = value()?;
                if !cidr.contains('/') || svcpath_analysis::net::parse_cidr(&cidr).is_none() {
                    return Err(format!("--pod-cidr {cidr:?} is not a CIDR (10.244.0.0/16)"));
                }
                options.pod_cidrs.push(cidr);
            }
            "--dst" if tracing => dst = Some(parse_destination(&value()?)?),
            "--src" if tracing => {
                let ip = value()?;
                if svcpath_analysis::net::parse_ip(&ip).is_none() {
                    return Err(format!("--src {ip:?} is not an IP address"));
                }
                src = Some(ip);
            }
            "--proto" | "--protocol" if tracing => {
                let p = value()?;
                protocol = Protocol::parse(&p)
                    .ok_or_else(|| format!("unknown protocol {p:?} (tcp, udp, sctp)"))?;
            }
            "--from" if tracing => {
                from = match value()?.as_str() {
                    "pod" => Origin::Pod,
                    "node" | "host" => Origin::Node,
                    "external" | "outside" => Origin::External,
                    other => return Err(format!("unknown origin {other:?} (pod, node, external)")),
                }
            }
            "--returning" if tracing => returning_client = true,
            "--redact" if first == "explain" => redact_report = true,
            "-o" | "--output" if redacting => output = Some(value()?),
            "-h" | "--help" => return Ok(Command::Help),
            "-" => files.push("-".to_string()),
            s if s.starts_with('-') => return Err(format!("unknown option {s:?}")),
            file => files.push(file.to_string()),
        }
        i += 1;
    }
    if tracing {
        if matches!(format, Format::Markdown | Format::MarkdownChat) {
            return Err("trace prints text or json".to_string());
        }
        let (dst, dst_port) = dst.ok_or("trace needs --dst IP:PORT")?;
        let packet = Packet {
            src,
            dst,
            dst_port,
            protocol,
            from,
            returning_client,
        };
        return Ok(Command::Trace {
            files,
            format,
            options,
            packet,
        });
    }
    if redacting || redact_report {
        if redacting && format != Format::Text {
            return Err(
                "redact writes the redacted dump; use explain --redact for a report".into(),
            );
        }
        return Ok(Command::Redact {
            files,
            output,
            options,
            report: redact_report.then_some(format),
        });
    }
    Ok(Command::Explain {
        files,
        format,
        options,
    })
}

/// `10.96.0.10:53` or `[fd00::10]:53`.
fn parse_destination(text: &str) -> Result<(String, u16), String> {
    let bad = || format!("--dst {text:?} is not IP:PORT");
    let (ip, port) = if let Some(rest) = text.strip_prefix('[') {
        rest.split_once("]:").ok_or_else(bad)?
    } else {
        text.rsplit_once(':').ok_or_else(bad)?
    };
    if svcpath_analysis::net::parse_ip(ip).is_none() {
        return Err(bad());
    }
    let port: u16 = port.parse().map_err(|_| bad())?;
    Ok((ip.to_string(), port))
}
