//! Parser for `ipvsadm` output: `-Ln` / `-L` listings (with or without the version banner), `--stats`,
//! `--rate`, `--thresholds`, `--persistent-conn`, `--tun-info`, `-Lnc` connection entries, `--timeout`,
//! `ipvsadm-save` / `ipvsadm -S` rules, `/proc/net/ip_vs` (hexadecimal addresses) and `watch` headers.
//!
//! The formats follow ipvsadm's `printf` strings: a virtual service line is `"%-4s %s"` (protocol, address)
//! followed by the scheduler and its flags, or by five numbers in `--stats` / `--rate`; a real server line
//! is `"  -> %-28s …"`. Without `-n` ipvsadm prints host and service names and cuts IPv4 service names to
//! 33 characters and real-server names to 28, so such addresses may have lost their port; the parser keeps
//! what can be read and says which names it could not turn into addresses.
//!
//! Several listings in one section (for example `-Ln` and then `--stats`) are merged by virtual service:
//! one [`Listing`] holds the scheduler and weights of the first and the counters of the second.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr};

use serde::Serialize;
use smallvec::SmallVec;

use crate::diag::{quote, Diagnostic, Parsed};
use crate::source::{lines, Line, Origin, Span};

/// Everything read from one or more `ipvsadm` listings, merged by virtual service.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Listing {
    /// `1.2.1` from `IP Virtual Server version 1.2.1 (size=4096)`.
    pub version: Option<String>,
    /// The connection hash table size from the banner.
    pub table_size: Option<u64>,
    /// Which listings were read, in order.
    pub views: Vec<ViewSeen>,
    /// `Some(false)` when at least one address was printed as a name (a listing without `-n`).
    pub numeric: Option<bool>,
    pub services: Vec<VirtualService>,
    /// `-Lnc` entries.
    pub connections: Vec<Connection>,
    /// `--timeout`.
    pub timeouts: Option<Timeouts>,
    /// Host and service names that could not be turned into addresses and ports.
    pub unresolved_names: Vec<UnresolvedName>,
}

/// The kinds of `ipvsadm` output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum View {
    /// `-L` / `-Ln`: scheduler, flags, forward method, weight, ActiveConn, InActConn.
    List,
    /// `--stats`: Conns, InPkts, OutPkts, InBytes, OutBytes.
    Stats,
    /// `--rate`: CPS, InPPS, OutPPS, InBPS, OutBPS.
    Rate,
    /// `--thresholds`: upper and lower connection thresholds.
    Thresholds,
    /// `--persistent-conn`: weight and persistent connection templates.
    PersistentConn,
    /// `--tun-info`: tunnel settings.
    TunnelInfo,
    /// `-Lc`: connection entries.
    Connections,
    /// `--timeout`.
    Timeout,
    /// `ipvsadm-save` / `ipvsadm -S`: `-A` / `-a` rules.
    Save,
}

/// One listing seen in the input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ViewSeen {
    pub view: View,
    /// Line of the header (or of the first line that showed the kind).
    pub line: u32,
    /// The command that printed it, when a command line or a `watch` header says so.
    pub command: Option<String>,
    /// Seconds between refreshes, from a `watch` header (`Every 2.0s: …`).
    pub watch_interval: Option<f64>,
}

/// A virtual service protocol; `FWM` is a firewall-mark service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
    Fwm,
}

impl Protocol {
    pub fn parse(text: &str) -> Option<Protocol> {
        match text.to_ascii_uppercase().as_str() {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            "FWM" => Some(Protocol::Fwm),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
            Protocol::Fwm => "fwm",
        }
    }
}

/// An address as ipvsadm printed it, and what could be read from it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Address {
    /// The text as printed (IPv6 with its brackets).
    pub text: String,
    /// The IP address in canonical form, when printed numerically (or read from the host name).
    pub ip: Option<String>,
    pub port: Option<u16>,
    /// The host name when ipvsadm printed a name instead of an address.
    pub host_name: Option<Box<str>>,
    /// The service name when ipvsadm printed one instead of a port number (`http`).
    pub port_name: Option<Box<str>>,
    pub ipv6: bool,
    /// True when ipvsadm cut the text to its column width, so the port (or more) is lost.
    pub truncated: bool,
}

impl Address {
    /// `ip:port` (`[ip]:port` for IPv6) when both are known.
    pub fn key(&self) -> Option<String> {
        let ip = self.ip.as_deref()?;
        let port = self.port?;
        Some(if self.ipv6 {
            format!("[{ip}]:{port}")
        } else {
            format!("{ip}:{port}")
        })
    }
}

/// Numbers ipvsadm prints in `--stats` and `--rate`: values of 10^8 and more are divided and suffixed
/// (`K`, `M`, `G`, `T`), so the true value lies in `[value, value + unit)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Number {
    /// The value, multiplied back by the suffix's unit.
    pub value: u64,
    /// True when a suffix was printed: the last digits are unknown.
    pub approximate: bool,
}

impl Number {
    pub fn parse(text: &str) -> Option<Number> {
        let (digits, unit) = match text.as_bytes().last()? {
            b'K' => (&text[..text.len() - 1], 1_000u64),
            b'M' => (&text[..text.len() - 1], 1_000_000),
            b'G' => (&text[..text.len() - 1], 1_000_000_000),
            b'T' => (&text[..text.len() - 1], 1_000_000_000_000),
            _ => (text, 1),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // Only digits are left, so the one possible error is overflow.
        let value: u64 = digits.parse().unwrap_or(u64::MAX);
        Some(Number {
            value: value.saturating_mul(unit),
            approximate: unit > 1,
        })
    }
}

/// `--stats` columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    pub connections: Number,
    pub in_packets: Number,
    pub out_packets: Number,
    pub in_bytes: Number,
    pub out_bytes: Number,
}

/// `--rate` columns (per second, averaged by the kernel's estimator over a few seconds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Rates {
    pub connections_per_second: Number,
    pub in_packets_per_second: Number,
    pub out_packets_per_second: Number,
    pub in_bytes_per_second: Number,
    pub out_bytes_per_second: Number,
}

/// One virtual service with its real servers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct VirtualService {
    /// Line of the first listing that showed it.
    pub line: u32,
    pub span: Span,
    /// Every line that showed it, across listings.
    pub lines: Vec<u32>,
    pub protocol: Option<Protocol>,
    /// `None` for a firewall-mark service.
    pub address: Option<Address>,
    pub fwmark: Option<u32>,
    /// `FWM  100 IPv6`.
    pub fwmark_ipv6: bool,
    pub scheduler: Option<String>,
    /// `(sh-fallback,sh-port)` and the like.
    pub scheduler_flags: Vec<String>,
    /// `persistent N`: client affinity timeout in seconds.
    pub persistent_seconds: Option<u32>,
    /// `mask 255.255.255.0`: clients in one such network share the affinity.
    pub persistence_mask: Option<String>,
    /// `pe sip`.
    pub persistence_engine: Option<String>,
    /// `ops`: one-packet scheduling.
    pub one_packet: bool,
    pub stats: Option<Counters>,
    pub rate: Option<Rates>,
    pub real_servers: Vec<RealServer>,
}

impl VirtualService {
    /// `tcp/10.96.0.1:443` or `fwm/100`; `None` when the address lost its port or is a name.
    pub fn key(&self) -> Option<String> {
        let protocol = self.protocol?;
        match (&self.address, self.fwmark) {
            (Some(a), _) => Some(format!("{}/{}", protocol.name(), a.key()?)),
            (None, Some(mark)) => Some(format!(
                "fwm/{mark}{}",
                if self.fwmark_ipv6 { "/ipv6" } else { "" }
            )),
            (None, None) => None,
        }
    }
}

/// One real server (destination) of a virtual service. A listing of a large node holds hundreds of
/// thousands, so what most do not have stays out of line: the lines are inline up to two, the forwarding
/// method is a shared name, and `--stats` / `--rate` counters are boxed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RealServer {
    pub line: u32,
    pub span: Span,
    pub lines: SmallVec<[u32; 2]>,
    pub address: Address,
    /// `Masq`, `Local`, `Tunnel`, `Route` (ipvsadm's names are shared, not copied).
    pub forward: Option<Cow<'static, str>>,
    pub weight: Option<i64>,
    pub active_connections: Option<u64>,
    pub inactive_connections: Option<u64>,
    /// What only `--persistent-conn`, `--thresholds` and `--tun-info` print.
    pub more: Option<Box<RealServerMore>>,
    pub stats: Option<Box<Counters>>,
    pub rate: Option<Box<Rates>>,
}

/// The columns of a real server that only some listings print.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RealServerMore {
    /// `--persistent-conn`: persistence templates pointing here.
    pub persistent_connections: Option<u64>,
    pub upper_threshold: Option<u64>,
    pub lower_threshold: Option<u64>,
    pub tunnel_info: Option<String>,
}

impl RealServer {
    /// The rarely printed columns, made when the first is read.
    pub fn more_mut(&mut self) -> &mut RealServerMore {
        self.more.get_or_insert_with(Box::default)
    }
}

/// The forwarding method as ipvsadm names it, shared when it is one of ipvsadm's own names.
pub fn forward_name(text: &str) -> Cow<'static, str> {
    match text {
        "Masq" => Cow::Borrowed("Masq"),
        "Local" => Cow::Borrowed("Local"),
        "Tunnel" => Cow::Borrowed("Tunnel"),
        "Route" => Cow::Borrowed("Route"),
        other => Cow::Owned(other.to_string()),
    }
}

/// One `-Lnc` entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Connection {
    pub line: u32,
    pub span: Span,
    pub protocol: String,
    /// Seconds until the entry expires (`MM:SS`).
    pub expire_seconds: Option<u32>,
    pub state: String,
    pub client: Address,
    pub virtual_address: Address,
    pub destination: Address,
    /// `--persistent-conn` extra columns.
    pub persistence_engine: Option<String>,
    pub persistence_data: Option<String>,
}

/// `Timeout (tcp tcpfin udp): 900 120 300`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Timeouts {
    pub line: u32,
    pub tcp: u64,
    pub tcp_fin: u64,
    pub udp: u64,
}

/// A name ipvsadm printed that svcpath could not turn into an address or a port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnresolvedName {
    pub name: String,
    pub lines: Vec<u32>,
    /// What is missing, in words (e.g. `address and port (cut to 28 characters)`).
    pub missing: String,
}

/// At most this many distinct unresolved names are recorded.
const MAX_NAMES: usize = 500;

/// The width ipvsadm cuts IPv4 names to: 28 for a real server, 33 for `"%-4s %s"` of a service.
const NAME_WIDTH: usize = 28;

/// Parses one `ipvsadm` section; several listings in it are merged by virtual service.
pub fn parse(text: &str, origin: Origin) -> Parsed<Listing> {
    let mut parser = ListingParser::default();
    for line in lines(text, origin) {
        parser.line(&line);
    }
    parser.finish()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RealServerLayout {
    List,
    Stats,
    Rate,
    Thresholds,
    PersistentConn,
    TunnelInfo,
}

#[derive(Default)]
struct ListingParser {
    merged: Listing,
    diagnostics: Vec<Diagnostic>,
    /// The listing being read; merged into `merged` when the next one starts.
    block: Listing,
    view: Option<View>,
    layout: Option<RealServerLayout>,
    command: Option<String>,
    watch_interval: Option<f64>,
    elided: Vec<u32>,
    /// Services of `-A` rules in the current block, by key, for the `-a` rules that follow.
    save_index: std::collections::HashMap<String, usize>,
}

impl Listing {
    /// Merges another listing into this one by virtual service (protocol, address and port) and real
    /// server. Values read later replace earlier ones of the same kind. Returns notes about what could not
    /// be matched.
    pub fn merge(&mut self, other: Listing) -> Vec<Diagnostic> {
        let notes = Vec::new();
        if self.version.is_none() {
            self.version = other.version;
        }
        if self.table_size.is_none() {
            self.table_size = other.table_size;
        }
        self.views.extend(other.views);
        self.numeric = match (self.numeric, other.numeric) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (a, b) => a.or(b),
        };
        let mut index: std::collections::HashMap<String, usize> = self
            .services
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some((s.key()?, i)))
            .collect();
        for service in other.services {
            let key = service.key();
            match key.as_ref().and_then(|k| index.get(k)).copied() {
                Some(i) => merge_service(&mut self.services[i], service),
                None => {
                    if let Some(k) = key {
                        index.insert(k, self.services.len());
                    }
                    self.services.push(service);
                }
            }
        }
        self.connections.extend(other.connections);
        if other.timeouts.is_some() {
            self.timeouts = other.timeouts;
        }
        for name in other.unresolved_names {
            let room = self.unresolved_names.len() < MAX_NAMES;
            match self
                .unresolved_names
                .iter_mut()
                .find(|u| u.name == name.name)
            {
                Some(known) => {
                    for l in name.lines {
                        if known.lines.len() < 1000 && !known.lines.contains(&l) {
                            known.lines.push(l);
                        }
                    }
                }
                None if room => self.unresolved_names.push(name),
                None => {}
            }
        }
        notes
    }

    /// Number of real servers over all virtual services.
    pub fn real_server_count(&self) -> usize {
        self.services.iter().map(|s| s.real_servers.len()).sum()
    }
}

mod parser;
mod save;
mod words;

use words::*;
pub use words::{line_words, parse_address, well_known_port};

#[cfg(test)]
mod tests;
