//! Command-line arguments of `svcpath`, declared with clap: one struct per subcommand, `--help` for each,
//! usage errors in clap's words with exit status 2.

use clap::{Args, Parser, Subcommand, ValueEnum};
use svcpath_analysis::report::Protocol;
use svcpath_analysis::trace::{Origin, Packet};
use svcpath_analysis::Options;

const ABOUT: &str =
    "Explains what kube-proxy programmed on a Kubernetes node, from captures of it.";

const LONG_ABOUT: &str = "\
Explains what kube-proxy programmed on a Kubernetes node.

Reads what was captured on the node (iptables-save, ipvsadm -Ln, ipset list, nft list ruleset, sysctl,
conntrack -S, dmesg — one file or several, or one paste with all of them) from the FILEs, or from
standard input when there is none. A FILE may be an archive (.tar, .tar.gz, .tgz, .zip, .gz) of one
node or of several (a folder or a file per node), or text in UTF-16 with a byte-order mark.";

const EXIT_STATUS: &str = "\
Exit status: 0 when the input was read (even if parts were not understood), 1 when a file could not be
read, 2 for a usage error.";

/// `svcpath` and its subcommands.
#[derive(Debug, Parser)]
#[command(
    name = "svcpath",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = EXIT_STATUS,
    arg_required_else_help = true,
    propagate_version = true
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Explains the dump: proxy mode, Services, endpoints and their odds, findings.
    #[command(after_help = EXIT_STATUS)]
    Explain(ExplainArgs),
    /// Follows one new connection through the rules as netfilter would.
    ///
    /// Prints each possible outcome with its probability, verdict (dnat, accept, drop, reject),
    /// endpoint, whether it is masqueraded, and the dump lines it passed.
    #[command(after_help = EXIT_STATUS)]
    Trace(TraceArgs),
    /// Writes the input with its addresses, Service names, namespaces, port and host names replaced.
    ///
    /// Replaced consistently, and kube-proxy's chain names hashed again from the new names, so that the
    /// redacted dump explains exactly as the original does (to OUT, or to standard output). Scrub a
    /// paste with it before it goes into a ticket.
    #[command(after_help = EXIT_STATUS)]
    Redact(RedactArgs),
    /// Prints a shell completion script: `svcpath completions bash > /etc/bash_completion.d/svcpath`.
    Completions {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
    /// Compares nodes side by side: one row per Service port, one column per node (each FILE a node).
    ///
    /// Rows where the nodes disagree come first; findings across nodes name the nodes (an
    /// externalTrafficPolicy: Local black hole, a node whose endpoints differ, mixed modes, a conntrack
    /// table near full).
    #[command(after_help = EXIT_STATUS)]
    Compare(CompareArgs),
    /// Says what changed between two captures of one node, by meaning: Services, endpoints, odds,
    /// policies, findings, rule counts and conntrack; a reordered dump or new chain hashes are no change.
    #[command(after_help = EXIT_STATUS)]
    Diff(DiffArgs),
}

/// How `compare` and `diff` write their answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum NodesFormat {
    /// Plain text.
    Text,
    /// JSON (see README).
    Json,
    /// Markdown for GitHub.
    #[value(alias = "md")]
    Markdown,
}

#[derive(Debug, Args)]
pub(crate) struct CompareArgs {
    /// One capture per node (named by its hostname, prompt or file name), or a bundle of several nodes.
    #[arg(value_name = "FILE", required = true, num_args = 1..)]
    pub(crate) files: Vec<String>,
    /// How the comparison is written.
    #[arg(short, long, value_enum, default_value_t = NodesFormat::Text, value_name = "FORMAT")]
    pub(crate) format: NodesFormat,
}

#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// The earlier capture.
    #[arg(value_name = "BEFORE")]
    pub(crate) before: String,
    /// The later capture of the same node.
    #[arg(value_name = "AFTER")]
    pub(crate) after: String,
    /// When BEFORE or AFTER is a bundle of several nodes, the node whose two moments are compared.
    #[arg(long = "node", value_name = "NAME")]
    pub(crate) node: Option<String>,
    /// How the diff is written.
    #[arg(short, long, value_enum, default_value_t = NodesFormat::Text, value_name = "FORMAT")]
    pub(crate) format: NodesFormat,
}

/// What every subcommand reads: the dump and the facts about the node the dump may not show.
#[derive(Debug, Args)]
pub(crate) struct InputArgs {
    /// Dump files, read one after another as one snapshot; `-` or none reads standard input.
    #[arg(value_name = "FILE")]
    pub(crate) files: Vec<String>,
    /// An address of this node (NodePort and --dst-type LOCAL); may be repeated.
    #[arg(long = "node-ip", value_name = "IP", value_parser = ip_address)]
    pub(crate) node_ips: Vec<String>,
    /// A pod network of this node (10.244.0.0/16), when the rules do not show it; may be repeated.
    #[arg(long = "pod-cidr", value_name = "CIDR", value_parser = cidr)]
    pub(crate) pod_cidrs: Vec<String>,
    /// In a bundle of several nodes (an archive with a folder or file per node), the node to read.
    #[arg(long = "node", value_name = "NAME")]
    pub(crate) node: Option<String>,
}

impl InputArgs {
    /// The analysis options these arguments give.
    pub(crate) fn options(&self) -> Options {
        Options {
            node_ips: self.node_ips.clone(),
            pod_cidrs: self.pod_cidrs.clone(),
            ..Options::default()
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// How the report is written.
    #[arg(short, long, value_enum, default_value_t = Format::Text, value_name = "FORMAT")]
    pub(crate) format: Format,
    /// Explain the redacted copy: the report names no address, Service or namespace.
    #[arg(long)]
    pub(crate) redact: bool,
}

#[derive(Debug, Args)]
pub(crate) struct TraceArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    #[arg(
        long,
        value_name = "IP:PORT",
        value_parser = destination,
        help = "Where the packet goes: IP:PORT ([IPv6]:PORT for IPv6)"
    )]
    pub(crate) dst: (String, u16),
    /// Its source (chosen from the dump when left out).
    #[arg(long, value_name = "IP", value_parser = ip_address)]
    pub(crate) src: Option<String>,
    /// Its protocol: tcp, udp or sctp.
    #[arg(long = "proto", visible_alias = "protocol", value_name = "PROTO", default_value = "tcp", value_parser = protocol)]
    pub(crate) protocol: Protocol,
    /// Where it comes from.
    #[arg(long, value_enum, default_value_t = OriginArg::Pod, value_name = "ORIGIN")]
    pub(crate) from: OriginArg,
    /// A returning client: session affinity sends it where it went before.
    #[arg(long)]
    pub(crate) returning: bool,
    /// How the outcomes are written.
    #[arg(short, long, value_enum, default_value_t = TraceFormat::Text, value_name = "FORMAT")]
    pub(crate) format: TraceFormat,
    /// A packet of an existing flow: answer with the endpoint of the listed `conntrack -L` entry of
    /// this client (--src) and destination, as the kernel does, instead of a new connection's odds.
    #[arg(long, requires = "src")]
    pub(crate) established: bool,
    /// The client's source port, to pick one entry of several (with --established).
    #[arg(long = "src-port", value_name = "PORT", requires = "established")]
    pub(crate) src_port: Option<u16>,
}

impl TraceArgs {
    /// The packet these arguments describe.
    pub(crate) fn packet(&self) -> Packet {
        let (dst, dst_port) = self.dst.clone();
        Packet {
            src: self.src.clone(),
            dst,
            dst_port,
            protocol: self.protocol,
            from: self.from.into(),
            returning_client: self.returning,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct RedactArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Write the redacted dump to OUT instead of standard output.
    #[arg(short, long, value_name = "OUT")]
    pub(crate) output: Option<String>,
}

/// How `explain` writes its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// Plain text.
    Text,
    /// The Report as JSON (see README).
    Json,
    /// Markdown for GitHub.
    #[value(alias = "md")]
    Markdown,
    /// Markdown for a chat or a ticket: no backslash escapes, no tables.
    #[value(alias = "chat")]
    MarkdownChat,
}

/// How `trace` writes its outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum TraceFormat {
    /// Plain text.
    Text,
    /// The Trace as JSON.
    Json,
}

/// Where a traced packet comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OriginArg {
    /// A pod on this node.
    Pod,
    /// A host process on the node.
    #[value(alias = "host")]
    Node,
    /// A client outside the node: the packet arrives from outside.
    #[value(alias = "outside")]
    External,
}

impl From<OriginArg> for Origin {
    fn from(origin: OriginArg) -> Origin {
        match origin {
            OriginArg::Pod => Origin::Pod,
            OriginArg::Node => Origin::Node,
            OriginArg::External => Origin::External,
        }
    }
}

fn ip_address(text: &str) -> Result<String, String> {
    match svcpath_analysis::net::parse_ip(text) {
        Some(_) => Ok(text.to_string()),
        None => Err("not an IP address".to_string()),
    }
}

fn cidr(text: &str) -> Result<String, String> {
    if text.contains('/') && svcpath_analysis::net::parse_cidr(text).is_some() {
        Ok(text.to_string())
    } else {
        Err("not a CIDR (10.244.0.0/16)".to_string())
    }
}

fn protocol(text: &str) -> Result<Protocol, String> {
    Protocol::parse(text).ok_or_else(|| "not a protocol (tcp, udp, sctp)".to_string())
}

/// `10.96.0.10:53` or `[fd00::10]:53`.
fn destination(text: &str) -> Result<(String, u16), String> {
    let bad = || "not IP:PORT ([IPv6]:PORT for IPv6)".to_string();
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_declaration_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn destinations_take_ipv4_and_bracketed_ipv6() {
        assert_eq!(destination("10.96.0.10:53"), Ok(("10.96.0.10".into(), 53)));
        assert_eq!(destination("[fd00::10]:53"), Ok(("fd00::10".into(), 53)));
        assert!(destination("10.96.0.10").is_err());
        assert!(destination("10.96.0.10:99999").is_err());
        assert!(destination("example:80").is_err());
    }

    #[test]
    fn aliases_of_the_old_parser_still_parse() {
        let cli = Cli::try_parse_from([
            "svcpath",
            "trace",
            "--protocol",
            "udp",
            "--from",
            "host",
            "--dst",
            "10.0.0.1:53",
        ])
        .unwrap();
        let Command::Trace(trace) = cli.command else {
            panic!("not a trace")
        };
        assert_eq!(trace.packet().protocol, Protocol::Udp);
        assert_eq!(trace.packet().from, Origin::Node);
        let cli = Cli::try_parse_from(["svcpath", "explain", "-f", "chat", "-"]).unwrap();
        let Command::Explain(explain) = cli.command else {
            panic!("not an explain")
        };
        assert_eq!(explain.format, Format::MarkdownChat);
        assert_eq!(explain.input.files, ["-"]);
    }
}
