//! Command-line arguments of `svcpath`.

use svcpath_analysis::Options;

pub const USAGE: &str = "\
usage:
  svcpath explain [FILE…] [--format text|json|markdown] [--node-ip IP]…
  svcpath --help | --version

Reads what was captured on a Kubernetes node (iptables-save, ipvsadm -Ln, ipset list, nft list ruleset,
sysctl, conntrack -S, dmesg — one file or several, or one paste with all of them) from the FILEs, or from
standard input when there is none, and explains what kube-proxy programmed there.

  --format F     text (default), json (the Report, see README) or markdown (for a chat or a ticket)
  --node-ip IP   an address of this node (NodePort and --dst-type LOCAL); may be repeated

Exit status: 0 when the input was read (even if parts were not understood), 1 when a file could not be
read, 2 for a usage error.";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Markdown,
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
}

pub fn parse(argv: &[String]) -> Result<Command, String> {
    let Some(first) = argv.first() else {
        return Err("a command is needed".to_string());
    };
    match first.as_str() {
        "-h" | "--help" | "help" => return Ok(Command::Help),
        "-V" | "--version" => return Ok(Command::Version),
        "explain" => {}
        other => return Err(format!("unknown command {other:?}")),
    }
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
                    other => {
                        return Err(format!("unknown format {other:?} (text, json, markdown)"))
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
            "-h" | "--help" => return Ok(Command::Help),
            "-" => files.push("-".to_string()),
            s if s.starts_with('-') => return Err(format!("unknown option {s:?}")),
            file => files.push(file.to_string()),
        }
        i += 1;
    }
    Ok(Command::Explain {
        files,
        format,
        options,
    })
}
