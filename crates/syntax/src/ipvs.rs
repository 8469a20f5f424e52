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

use std::net::{IpAddr, Ipv4Addr};

use serde::Serialize;

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
    pub host_name: Option<String>,
    /// The service name when ipvsadm printed one instead of a port number (`http`).
    pub port_name: Option<String>,
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

/// One real server (destination) of a virtual service.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RealServer {
    pub line: u32,
    pub span: Span,
    pub lines: Vec<u32>,
    pub address: Address,
    /// `Masq`, `Local`, `Tunnel`, `Route`.
    pub forward: Option<String>,
    pub weight: Option<i64>,
    pub active_connections: Option<u64>,
    pub inactive_connections: Option<u64>,
    /// `--persistent-conn`: persistence templates pointing here.
    pub persistent_connections: Option<u64>,
    pub upper_threshold: Option<u64>,
    pub lower_threshold: Option<u64>,
    pub tunnel_info: Option<String>,
    pub stats: Option<Counters>,
    pub rate: Option<Rates>,
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

impl ListingParser {
    fn line(&mut self, line: &Line<'_>) {
        let text = line.text.trim();
        if text.is_empty() {
            return;
        }
        if text == "..." || text == "…" || text.starts_with("[...") || text == "[snip]" {
            self.elided.push(line.number);
            return;
        }
        if let Some(command) = ipvsadm_command(text) {
            self.start_block();
            self.command = Some(command.chars().take(200).collect());
            self.watch_interval = None;
            self.view = view_of_command(command);
            self.layout = layout_of_view(self.view);
            return;
        }
        if let Some(rest) = text.strip_prefix("Every ") {
            if let Some((interval, command)) = rest.split_once(':') {
                let interval = interval
                    .trim()
                    .trim_end_matches('s')
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite());
                let command = command.trim();
                // `watch` right-aligns the host and the date after the command.
                let command = command.split("   ").next().unwrap_or(command).trim();
                self.start_block();
                self.command = Some(command.chars().take(200).collect());
                self.watch_interval = interval;
                self.view = view_of_command(command);
                self.layout = layout_of_view(self.view);
                return;
            }
        }
        if let Some(rest) = text.strip_prefix("IP Virtual Server version ") {
            if !self.block.services.is_empty() || !self.block.connections.is_empty() {
                self.start_block();
            }
            let mut words = rest.split_whitespace();
            self.block.version = words.next().map(str::to_string);
            self.block.table_size = words
                .next()
                .and_then(|w| w.strip_prefix("(size="))
                .and_then(|w| w.strip_suffix(')'))
                .and_then(|w| w.parse().ok());
            return;
        }
        if text.starts_with("Prot LocalAddress:Port") {
            if !self.block.services.is_empty() {
                self.start_block();
            }
            let columns: Vec<&str> = text.split_whitespace().skip(2).collect();
            let (view, layout) = match columns.first().copied() {
                Some("Scheduler") => (View::List, RealServerLayout::List),
                Some("Conns") => (View::Stats, RealServerLayout::Stats),
                Some("CPS") => (View::Rate, RealServerLayout::Rate),
                Some("Uthreshold") => (View::Thresholds, RealServerLayout::Thresholds),
                Some("Weight") => (View::PersistentConn, RealServerLayout::PersistentConn),
                _ => {
                    self.diagnostics.push(Diagnostic::warning(
                        line,
                        format!(
                            "unknown ipvsadm column header {}; read as a plain listing",
                            quote(text)
                        ),
                    ));
                    (View::List, RealServerLayout::List)
                }
            };
            self.set_view(view, line.number);
            self.layout = Some(layout);
            return;
        }
        if text.starts_with("-> RemoteAddress:Port") {
            if text.contains("TunnelInfo") {
                self.layout = Some(RealServerLayout::TunnelInfo);
                if let Some(v) = self.block.views.last_mut() {
                    v.view = View::TunnelInfo;
                }
            }
            return;
        }
        if text == "IPVS connection entries" {
            if !self.block.services.is_empty() || !self.block.connections.is_empty() {
                self.start_block();
            }
            self.set_view(View::Connections, line.number);
            return;
        }
        if text.starts_with("pro expire state") {
            if self.view != Some(View::Connections) {
                self.set_view(View::Connections, line.number);
            }
            return;
        }
        if let Some(rest) = text.strip_prefix("Timeout (tcp tcpfin udp):") {
            let numbers: Vec<u64> = rest
                .split_whitespace()
                .filter_map(|w| w.parse().ok())
                .collect();
            match numbers.as_slice() {
                [tcp, tcp_fin, udp] => {
                    self.set_view(View::Timeout, line.number);
                    self.block.timeouts = Some(Timeouts {
                        line: line.number,
                        tcp: *tcp,
                        tcp_fin: *tcp_fin,
                        udp: *udp,
                    });
                }
                _ => self.diagnostics.push(Diagnostic::error(
                    line,
                    format!("expected three timeouts (tcp tcpfin udp): {}", quote(text)),
                )),
            }
            return;
        }
        if text.starts_with("-A ")
            || text.starts_with("-a ")
            || text.starts_with("--add-service ")
            || text.starts_with("--add-server ")
        {
            if self.view != Some(View::Save) {
                if !self.block.services.is_empty() {
                    self.start_block();
                }
                self.set_view(View::Save, line.number);
            }
            self.save_rule(line, text);
            return;
        }
        if let Some(rest) = text.strip_prefix("->") {
            self.real_server(line, rest.trim());
            return;
        }
        let words: Vec<&str> = text.split_whitespace().collect();
        if words.len() >= 6 && Protocol::parse(words[0]).is_some() && is_expire(words[1]) {
            if self.view != Some(View::Connections) {
                self.set_view(View::Connections, line.number);
            }
            self.connection(line, &words);
            return;
        }
        if words.first().is_some_and(|w| Protocol::parse(w).is_some()) {
            self.virtual_service(line, text);
            return;
        }
        self.diagnostics.push(Diagnostic::error(
            line,
            format!("not an ipvsadm line, ignored: {}", quote(text)),
        ));
    }

    fn set_view(&mut self, view: View, line: u32) {
        self.view = Some(view);
        self.block.views.push(ViewSeen {
            view,
            line,
            command: self.command.clone(),
            watch_interval: self.watch_interval,
        });
    }

    /// Ends the current listing and merges it into what was read before.
    fn start_block(&mut self) {
        self.save_index.clear();
        let block = std::mem::take(&mut self.block);
        if block != Listing::default() {
            let notes = self.merged.merge(block);
            self.diagnostics.extend(notes);
        }
        self.view = None;
        self.layout = None;
        self.command = None;
        self.watch_interval = None;
    }

    /// The view of the current block, guessing (and saying so) when no header told.
    fn current_view(&mut self, line: &Line<'_>, guess: View) -> View {
        match self.view {
            Some(v) => v,
            None => {
                self.set_view(guess, line.number);
                self.layout = layout_of_view(Some(guess));
                if guess != View::List {
                    self.diagnostics.push(Diagnostic::info(
                        line,
                        "numbers without a column header: read as `--stats` (Conns, InPkts, OutPkts, InBytes, OutBytes)",
                    ));
                }
                guess
            }
        }
    }

    fn virtual_service(&mut self, line: &Line<'_>, text: &str) {
        let words: Vec<&str> = text.split_whitespace().collect();
        let Some(protocol) = words.first().and_then(|w| Protocol::parse(w)) else {
            return;
        };
        let mut vs = VirtualService {
            line: line.number,
            span: line.span,
            lines: vec![line.number],
            protocol: Some(protocol),
            ..VirtualService::default()
        };
        let mut i;
        if protocol == Protocol::Fwm {
            match words.get(1).and_then(|w| w.parse::<u32>().ok()) {
                Some(mark) => vs.fwmark = Some(mark),
                None => {
                    self.diagnostics.push(Diagnostic::error(
                        line,
                        format!("FWM without a mark number: {}", quote(text)),
                    ));
                    return;
                }
            }
            i = 2;
            if words.get(2) == Some(&"IPv6") {
                vs.fwmark_ipv6 = true;
                i = 3;
            }
        } else {
            let Some(addr) = words.get(1) else {
                self.diagnostics.push(Diagnostic::error(
                    line,
                    format!("virtual service without an address: {}", quote(text)),
                ));
                return;
            };
            let address = parse_address(addr, NAME_WIDTH);
            self.note_names(line, &address);
            vs.address = Some(address);
            i = 2;
        }
        let rest = &words[i.min(words.len())..];
        let looks_numeric = rest.first().is_some_and(|w| Number::parse(w).is_some());
        let view = self.current_view(
            line,
            if looks_numeric {
                View::Stats
            } else {
                View::List
            },
        );
        match view {
            View::Stats | View::Rate => match parse_five(rest) {
                Some(n) => {
                    if view == View::Stats {
                        vs.stats = Some(counters_of(n));
                    } else {
                        vs.rate = Some(rates_of(n));
                    }
                }
                None => {
                    self.diagnostics.push(Diagnostic::warning(
                        line,
                        format!(
                            "expected five numbers after the virtual service: {}",
                            quote(text)
                        ),
                    ));
                }
            },
            _ => self.service_flags(line, rest, &mut vs),
        }
        self.block.services.push(vs);
    }

    fn service_flags(&mut self, line: &Line<'_>, words: &[&str], vs: &mut VirtualService) {
        let mut i = 0;
        if let Some(s) = words.first() {
            if s.starts_with('(') || Number::parse(s).is_some() {
                self.diagnostics.push(Diagnostic::warning(
                    line,
                    "virtual service without a scheduler name",
                ));
            } else {
                vs.scheduler = Some((*s).to_string());
                i = 1;
            }
        } else {
            self.diagnostics.push(Diagnostic::warning(
                line,
                "virtual service without a scheduler name",
            ));
        }
        while i < words.len() {
            let w = words[i];
            if w.starts_with('(') {
                // `(flag-1,flag-2)`; ipvsadm prints it without spaces.
                let mut group = w.to_string();
                while !group.ends_with(')') && i + 1 < words.len() {
                    i += 1;
                    group.push_str(words[i]);
                }
                vs.scheduler_flags = group
                    .trim_start_matches('(')
                    .trim_end_matches(')')
                    .split(',')
                    .filter(|f| !f.is_empty())
                    .map(str::to_string)
                    .collect();
                i += 1;
                continue;
            }
            match w {
                "persistent" => {
                    match words.get(i + 1).and_then(|v| v.parse().ok()) {
                        Some(seconds) => vs.persistent_seconds = Some(seconds),
                        None => self.diagnostics.push(Diagnostic::warning(
                            line,
                            "`persistent` without a number of seconds",
                        )),
                    }
                    i += 2;
                }
                "mask" => {
                    vs.persistence_mask = words.get(i + 1).map(|v| (*v).to_string());
                    i += 2;
                }
                "pe" => {
                    vs.persistence_engine = words.get(i + 1).map(|v| (*v).to_string());
                    i += 2;
                }
                "ops" => {
                    vs.one_packet = true;
                    i += 1;
                }
                other => {
                    self.diagnostics.push(Diagnostic::warning(
                        line,
                        format!("unknown virtual service flag {}, ignored", quote(other)),
                    ));
                    i += 1;
                }
            }
        }
    }

    fn real_server(&mut self, line: &Line<'_>, rest: &str) {
        let words: Vec<&str> = rest.split_whitespace().collect();
        let Some(addr) = words.first() else {
            self.diagnostics.push(Diagnostic::error(
                line,
                "real server line without an address",
            ));
            return;
        };
        let address = parse_address(addr, NAME_WIDTH);
        self.note_names(line, &address);
        let mut rs = RealServer {
            line: line.number,
            span: line.span,
            lines: vec![line.number],
            address,
            ..RealServer::default()
        };
        let values = &words[1..];
        let layout = match self.layout {
            Some(layout) => layout,
            None => {
                let guess = if values.first().is_some_and(|w| is_forward_method(w)) {
                    View::List
                } else {
                    View::Stats
                };
                let view = self.current_view(line, guess);
                layout_of_view(Some(view)).unwrap_or(RealServerLayout::List)
            }
        };
        let ok = match layout {
            RealServerLayout::List => match values {
                [forward, weight, active, inactive, ..] => {
                    rs.forward = Some((*forward).to_string());
                    rs.weight = weight.parse().ok();
                    rs.active_connections = active.parse().ok();
                    rs.inactive_connections = inactive.parse().ok();
                    rs.weight.is_some()
                        && rs.active_connections.is_some()
                        && rs.inactive_connections.is_some()
                }
                _ => false,
            },
            RealServerLayout::TunnelInfo => match values {
                [forward, middle @ .., weight, active, inactive] => {
                    rs.forward = Some((*forward).to_string());
                    rs.tunnel_info = Some(middle.join(" ")).filter(|t| !t.is_empty());
                    rs.weight = weight.parse().ok();
                    rs.active_connections = active.parse().ok();
                    rs.inactive_connections = inactive.parse().ok();
                    rs.weight.is_some()
                        && rs.active_connections.is_some()
                        && rs.inactive_connections.is_some()
                }
                _ => false,
            },
            RealServerLayout::Thresholds => match values {
                [upper, lower, active, inactive, ..] => {
                    rs.upper_threshold = upper.parse().ok();
                    rs.lower_threshold = lower.parse().ok();
                    rs.active_connections = active.parse().ok();
                    rs.inactive_connections = inactive.parse().ok();
                    rs.active_connections.is_some() && rs.inactive_connections.is_some()
                }
                _ => false,
            },
            RealServerLayout::PersistentConn => match values {
                [weight, persistent, active, inactive, ..] => {
                    rs.weight = weight.parse().ok();
                    rs.persistent_connections = persistent.parse().ok();
                    rs.active_connections = active.parse().ok();
                    rs.inactive_connections = inactive.parse().ok();
                    rs.weight.is_some() && rs.active_connections.is_some()
                }
                _ => false,
            },
            RealServerLayout::Stats | RealServerLayout::Rate => match parse_five(values) {
                Some(n) => {
                    if layout == RealServerLayout::Stats {
                        rs.stats = Some(counters_of(n));
                    } else {
                        rs.rate = Some(rates_of(n));
                    }
                    true
                }
                None => false,
            },
        };
        if !ok {
            self.diagnostics.push(Diagnostic::warning(
                line,
                format!(
                    "real server line does not have the expected columns: {}",
                    quote(line.text.trim())
                ),
            ));
        }
        if let Some(weight) = rs.weight.filter(|w| *w < 0) {
            self.diagnostics.push(Diagnostic::warning(
                line,
                format!(
                    "weight {weight} is negative (IPVS weights run from 0 to 2147483647): the line was edited \
                     or garbled; this real server is counted as weight 0, with no share of new connections"
                ),
            ));
        }
        match self.block.services.last_mut() {
            Some(vs) => vs.real_servers.push(rs),
            None => self.diagnostics.push(Diagnostic::error(
                line,
                "real server line before any virtual service line; ignored",
            )),
        }
    }

    fn connection(&mut self, line: &Line<'_>, words: &[&str]) {
        let (Some(protocol), Some(expire), Some(state), Some(client), Some(vip), Some(dest)) = (
            words.first(),
            words.get(1),
            words.get(2),
            words.get(3),
            words.get(4),
            words.get(5),
        ) else {
            return;
        };
        let client = parse_address(client, usize::MAX);
        let virtual_address = parse_address(vip, usize::MAX);
        let destination = parse_address(dest, usize::MAX);
        for a in [&client, &virtual_address, &destination] {
            self.note_names(line, a);
        }
        self.block.connections.push(Connection {
            line: line.number,
            span: line.span,
            protocol: protocol.to_ascii_lowercase(),
            expire_seconds: parse_expire(expire),
            state: (*state).to_string(),
            client,
            virtual_address,
            destination,
            persistence_engine: words.get(6).map(|w| (*w).to_string()),
            persistence_data: words.get(7).map(|w| (*w).to_string()),
        });
    }

    fn save_rule(&mut self, line: &Line<'_>, text: &str) {
        let words: Vec<&str> = text.split_whitespace().collect();
        let adds_service = matches!(words.first(), Some(&"-A") | Some(&"--add-service"));
        let mut protocol = None;
        let mut service_address = None;
        let mut fwmark = None;
        let mut vs = VirtualService {
            line: line.number,
            span: line.span,
            lines: vec![line.number],
            ..VirtualService::default()
        };
        let mut rs = RealServer {
            line: line.number,
            span: line.span,
            lines: vec![line.number],
            ..RealServer::default()
        };
        let mut i = 1;
        let mut unknown = Vec::new();
        while i < words.len() {
            let w = words[i];
            let value = words.get(i + 1).copied();
            let mut step = 2;
            match w {
                "-t" | "--tcp-service" => {
                    protocol = Some(Protocol::Tcp);
                    service_address = value;
                }
                "-u" | "--udp-service" => {
                    protocol = Some(Protocol::Udp);
                    service_address = value;
                }
                "--sctp-service" => {
                    protocol = Some(Protocol::Sctp);
                    service_address = value;
                }
                "-f" | "--fwmark-service" => {
                    protocol = Some(Protocol::Fwm);
                    fwmark = value.and_then(|v| v.parse::<u32>().ok());
                }
                "-s" | "--scheduler" => vs.scheduler = value.map(str::to_string),
                "-p" | "--persistent" => match value.and_then(|v| v.parse().ok()) {
                    Some(seconds) => vs.persistent_seconds = Some(seconds),
                    None => {
                        // `-p` alone means ipvsadm's default of 300 seconds.
                        vs.persistent_seconds = Some(300);
                        step = 1;
                    }
                },
                "-M" | "--netmask" => vs.persistence_mask = value.map(str::to_string),
                "--pe" => vs.persistence_engine = value.map(str::to_string),
                "-b" | "--sched-flags" => {
                    vs.scheduler_flags = value
                        .unwrap_or("")
                        .split(',')
                        .filter(|f| !f.is_empty())
                        .map(str::to_string)
                        .collect();
                }
                "-o" | "--ops" => {
                    vs.one_packet = true;
                    step = 1;
                }
                "-r" | "--real-server" => {
                    if let Some(v) = value {
                        let a = parse_address(v, usize::MAX);
                        self.note_names(line, &a);
                        rs.address = a;
                    }
                }
                "-m" | "--masquerading" => {
                    rs.forward = Some("Masq".to_string());
                    step = 1;
                }
                "-g" | "--gatewaying" => {
                    rs.forward = Some("Route".to_string());
                    step = 1;
                }
                "-i" | "--ipip" => {
                    rs.forward = Some("Tunnel".to_string());
                    step = 1;
                }
                "-w" | "--weight" => rs.weight = value.and_then(|v| v.parse().ok()),
                "-x" | "--u-threshold" => rs.upper_threshold = value.and_then(|v| v.parse().ok()),
                "-y" | "--l-threshold" => rs.lower_threshold = value.and_then(|v| v.parse().ok()),
                other => {
                    unknown.push(other.to_string());
                    step = 1;
                }
            }
            i += step;
        }
        if !unknown.is_empty() {
            self.diagnostics.push(Diagnostic::warning(
                line,
                format!(
                    "ignored words in an ipvsadm rule: {}",
                    quote(&unknown.join(" "))
                ),
            ));
        }
        let Some(protocol) = protocol else {
            self.diagnostics.push(Diagnostic::error(
                line,
                format!(
                    "ipvsadm rule without -t, -u, --sctp-service or -f: {}",
                    quote(text)
                ),
            ));
            return;
        };
        vs.protocol = Some(protocol);
        if protocol == Protocol::Fwm {
            if fwmark.is_none() {
                self.diagnostics
                    .push(Diagnostic::error(line, "-f without a mark number"));
                return;
            }
            vs.fwmark = fwmark;
        } else {
            let Some(addr) = service_address else {
                self.diagnostics.push(Diagnostic::error(
                    line,
                    "ipvsadm rule without a service address",
                ));
                return;
            };
            let a = parse_address(addr, usize::MAX);
            self.note_names(line, &a);
            vs.address = Some(a);
        }
        if adds_service {
            if let Some(k) = vs.key() {
                self.save_index.insert(k, self.block.services.len());
            }
            self.block.services.push(vs);
            return;
        }
        let key = vs.key();
        // The `-A` rule usually comes right before its `-a` rules: look at the last service first.
        let last = self.block.services.len().checked_sub(1);
        let found = match (&key, last) {
            (Some(k), Some(i)) if self.block.services[i].key().as_ref() == Some(k) => Some(i),
            (Some(k), _) => self.save_index.get(k).copied(),
            _ => None,
        };
        let target = found.and_then(|i| self.block.services.get_mut(i));
        match target {
            Some(service) => service.real_servers.push(rs),
            None => {
                self.diagnostics.push(Diagnostic::warning(
                    line,
                    "real server rule (-a) for a service without its -A rule before it; the service is kept without a scheduler",
                ));
                vs.real_servers.push(rs);
                self.block.services.push(vs);
            }
        }
    }

    fn note_names(&mut self, line: &Line<'_>, address: &Address) {
        if address.host_name.is_none() && address.port_name.is_none() && !address.truncated {
            return;
        }
        self.block.numeric = Some(false);
        if self.block.unresolved_names.len() + self.merged.unresolved_names.len() >= MAX_NAMES {
            return;
        }
        let mut missing = Vec::new();
        if address.ip.is_none() {
            missing.push("address");
        }
        if address.port.is_none() {
            missing.push("port");
        }
        if missing.is_empty() {
            // A name that could be read (a known service name, or an address in an AWS-style host name).
            if let Some(host) = &address.host_name {
                if !self.block.unresolved_names.iter().any(|u| &u.name == host)
                    && !self.merged.unresolved_names.iter().any(|u| &u.name == host)
                {
                    self.diagnostics.push(Diagnostic::info(
                        line,
                        format!(
                            "read the address {} from the host name {}",
                            address.ip.as_deref().unwrap_or("?"),
                            quote(host)
                        ),
                    ));
                    self.block.unresolved_names.push(UnresolvedName {
                        name: host.clone(),
                        lines: vec![line.number],
                        missing: "nothing (address read from the name)".to_string(),
                    });
                }
            }
            return;
        }
        let cut = if address.truncated {
            " (ipvsadm cut the name to its column width)"
        } else {
            ""
        };
        let missing = format!("{}{cut}", missing.join(" and "));
        let name = address.text.clone();
        if let Some(known) = self
            .block
            .unresolved_names
            .iter_mut()
            .find(|u| u.name == name)
        {
            if known.lines.len() < 1000 && known.lines.last() != Some(&line.number) {
                known.lines.push(line.number);
            }
            return;
        }
        let read = match (&address.host_name, &address.ip) {
            (Some(_), Some(ip)) => format!(" (the address {ip} was read from the host name)"),
            _ => String::new(),
        };
        self.diagnostics.push(Diagnostic::warning(
            line,
            format!(
                "{} is a name, not an address: its {missing} could not be read{read}; list with `ipvsadm -Ln` to see numbers",
                quote(&name)
            ),
        ));
        self.block.unresolved_names.push(UnresolvedName {
            name,
            lines: vec![line.number],
            missing,
        });
    }

    fn finish(mut self) -> Parsed<Listing> {
        self.start_block();
        if let Some(first) = self.elided.first() {
            let count = self.elided.len();
            self.diagnostics.push(Diagnostic {
                line: *first,
                span: Span::default(),
                severity: crate::diag::Severity::Info,
                message: format!("{count} elision mark(s) (`...`): the listing is incomplete"),
            });
        }
        let mut listing = self.merged;
        if listing.numeric.is_none() && !listing.services.is_empty() {
            listing.numeric = Some(true);
        }
        Parsed {
            value: listing,
            diagnostics: self.diagnostics,
        }
    }
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

fn merge_service(into: &mut VirtualService, from: VirtualService) {
    for l in from.lines {
        if !into.lines.contains(&l) {
            into.lines.push(l);
        }
    }
    if from.scheduler.is_some() {
        into.scheduler = from.scheduler;
        into.scheduler_flags = from.scheduler_flags;
        into.persistent_seconds = from.persistent_seconds;
        into.persistence_mask = from.persistence_mask;
        into.persistence_engine = from.persistence_engine;
        into.one_packet = from.one_packet;
    }
    if from.stats.is_some() {
        into.stats = from.stats;
    }
    if from.rate.is_some() {
        into.rate = from.rate;
    }
    for rs in from.real_servers {
        let key = rs.address.key();
        let found = key.as_ref().and_then(|k| {
            into.real_servers
                .iter()
                .position(|r| r.address.key().as_ref() == Some(k))
        });
        match found {
            Some(i) => merge_real_server(&mut into.real_servers[i], rs),
            None => into.real_servers.push(rs),
        }
    }
}

fn merge_real_server(into: &mut RealServer, from: RealServer) {
    for l in from.lines {
        if !into.lines.contains(&l) {
            into.lines.push(l);
        }
    }
    macro_rules! take {
        ($($field:ident),*) => { $( if from.$field.is_some() { into.$field = from.$field; } )* };
    }
    take!(
        forward,
        weight,
        active_connections,
        inactive_connections,
        persistent_connections,
        upper_threshold,
        lower_threshold,
        tunnel_info,
        stats,
        rate
    );
}

/// Recognises a command line that runs ipvsadm (after an optional prompt, `sudo`, `watch` or a path).
fn ipvsadm_command(text: &str) -> Option<&str> {
    if text.len() > 400 {
        return None;
    }
    let at = text.find("ipvsadm")?;
    let after = &text[at + "ipvsadm".len()..];
    if !(after.is_empty() || after.starts_with(' ') || after.starts_with("-save")) {
        return None;
    }
    let mut before = text[..at].trim_end();
    if before.ends_with('/') {
        // `/usr/sbin/ipvsadm`: drop the directory.
        before = before.trim_end_matches(|c: char| !matches!(c, ' ' | '$' | '#' | '>'));
    }
    let mut words: Vec<&str> = before.split_whitespace().collect();
    while let Some(last) = words.last() {
        let wrapper = matches!(*last, "sudo" | "watch" | "sudo:")
            || last.starts_with('-')
            || last.parse::<f64>().is_ok();
        if !wrapper {
            break;
        }
        words.pop();
    }
    let prompt_like = match words.last() {
        None => true,
        Some(w) => w.ends_with('$') || w.ends_with('#') || w.ends_with('>'),
    };
    prompt_like.then_some(&text[at..])
}

fn view_of_command(command: &str) -> Option<View> {
    let words: Vec<&str> = command.split_whitespace().collect();
    let has = |long: &str| words.contains(&long);
    let short = |c: char| {
        words
            .iter()
            .any(|w| w.starts_with('-') && !w.starts_with("--") && w[1..].contains(c))
    };
    if command.starts_with("ipvsadm-save") || has("--save") || short('S') {
        Some(View::Save)
    } else if has("--stats") {
        Some(View::Stats)
    } else if has("--rate") {
        Some(View::Rate)
    } else if has("--timeout") {
        Some(View::Timeout)
    } else if has("--connection") || (short('c') && (short('L') || short('l'))) {
        Some(View::Connections)
    } else if has("--thresholds") {
        Some(View::Thresholds)
    } else if has("--persistent-conn") {
        Some(View::PersistentConn)
    } else {
        None
    }
}

fn layout_of_view(view: Option<View>) -> Option<RealServerLayout> {
    Some(match view? {
        View::List => RealServerLayout::List,
        View::Stats => RealServerLayout::Stats,
        View::Rate => RealServerLayout::Rate,
        View::Thresholds => RealServerLayout::Thresholds,
        View::PersistentConn => RealServerLayout::PersistentConn,
        View::TunnelInfo => RealServerLayout::TunnelInfo,
        View::Connections | View::Timeout | View::Save => return None,
    })
}

fn is_forward_method(word: &str) -> bool {
    matches!(word, "Masq" | "Local" | "Tunnel" | "Route" | "FullNat")
}

fn is_expire(word: &str) -> bool {
    parse_expire(word).is_some()
}

fn parse_expire(word: &str) -> Option<u32> {
    let (m, s) = word.split_once(':')?;
    if m.is_empty()
        || s.len() != 2
        || !m.bytes().all(|b| b.is_ascii_digit())
        || !s.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let m: u32 = m.parse().ok()?;
    let s: u32 = s.parse().ok()?;
    m.checked_mul(60)?.checked_add(s)
}

fn parse_five(words: &[&str]) -> Option<[Number; 5]> {
    if words.len() < 5 {
        return None;
    }
    let mut out = [Number::default(); 5];
    for (slot, word) in out.iter_mut().zip(words) {
        *slot = Number::parse(word)?;
    }
    Some(out)
}

fn counters_of(n: [Number; 5]) -> Counters {
    Counters {
        connections: n[0],
        in_packets: n[1],
        out_packets: n[2],
        in_bytes: n[3],
        out_bytes: n[4],
    }
}

fn rates_of(n: [Number; 5]) -> Rates {
    Rates {
        connections_per_second: n[0],
        in_packets_per_second: n[1],
        out_packets_per_second: n[2],
        in_bytes_per_second: n[3],
        out_bytes_per_second: n[4],
    }
}

/// Reads `10.96.0.1:443`, `[fd00::1]:443`, `0A600001:01BB` (`/proc/net/ip_vs`), or a resolved
/// `host:service`. `width` is the column width ipvsadm cuts names to; text of that length may be cut.
pub fn parse_address(text: &str, width: usize) -> Address {
    let mut address = Address {
        text: text.to_string(),
        ..Address::default()
    };
    if let Some(rest) = text.strip_prefix('[') {
        address.ipv6 = true;
        let (host, port) = match rest.split_once(']') {
            Some((h, p)) => (h, p.strip_prefix(':').unwrap_or(p)),
            None => (rest, ""),
        };
        match host.parse::<IpAddr>() {
            Ok(ip) => address.ip = Some(ip.to_string()),
            Err(_) => address.host_name = Some(host.to_string()),
        }
        read_port(&mut address, port);
        return address;
    }
    if let Some(decoded) = decode_hex(text) {
        address.ip = Some(decoded.0.to_string());
        address.port = Some(decoded.1);
        return address;
    }
    let (host, port) = match text.rsplit_once(':') {
        Some((h, p)) => (h, p),
        None => (text, ""),
    };
    if host.contains(':') {
        // An IPv6 address without brackets (as some tools print), with or without a port.
        if let Ok(ip) = text.parse::<IpAddr>() {
            address.ip = Some(ip.to_string());
            address.ipv6 = true;
            return address;
        }
        if let Ok(ip) = host.parse::<IpAddr>() {
            address.ip = Some(ip.to_string());
            address.ipv6 = true;
            read_port(&mut address, port);
            return address;
        }
    }
    match host.parse::<IpAddr>() {
        Ok(ip) => {
            address.ipv6 = ip.is_ipv6();
            address.ip = Some(ip.to_string());
        }
        Err(_) => {
            address.host_name = Some(host.to_string()).filter(|h| !h.is_empty());
            address.ip = ip_from_host_name(host).map(|ip| ip.to_string());
        }
    }
    if text.chars().count() >= width && address.host_name.is_some() {
        // ipvsadm cut the name: whatever stands after the colon may be the start of a longer port.
        address.truncated = true;
        if !port.is_empty() {
            address.port_name = Some(port.to_string());
        }
        return address;
    }
    read_port(&mut address, port);
    address
}

fn read_port(address: &mut Address, port: &str) {
    if port.is_empty() {
        return;
    }
    match port.parse::<u16>() {
        Ok(p) => address.port = Some(p),
        Err(_) => {
            address.port_name = Some(port.to_string());
            address.port = well_known_port(port);
        }
    }
}

/// `0A600001:01BB` as `/proc/net/ip_vs` prints IPv4 addresses.
fn decode_hex(text: &str) -> Option<(Ipv4Addr, u16)> {
    let (ip, port) = text.split_once(':')?;
    if ip.len() != 8 || port.len() != 4 {
        return None;
    }
    let hex = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
    };
    if !hex(ip) || !hex(port) {
        return None;
    }
    let ip = u32::from_str_radix(ip, 16).ok()?;
    let port = u16::from_str_radix(port, 16).ok()?;
    Some((Ipv4Addr::from(ip), port))
}

/// Cloud host names that spell their address: `ip-10-0-62-121.ec2.internal`, `ip-10-0-62-121`.
fn ip_from_host_name(host: &str) -> Option<Ipv4Addr> {
    let label = host.split('.').next()?;
    let rest = label.strip_prefix("ip-")?;
    let parts: Vec<&str> = rest.split('-').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut octets = [0u8; 4];
    for (o, p) in octets.iter_mut().zip(&parts) {
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *o = p.parse().ok()?;
    }
    Some(Ipv4Addr::from(octets))
}

/// Service names from a common `/etc/services`, as ipvsadm prints ports without `-n`.
pub fn well_known_port(name: &str) -> Option<u16> {
    Some(match name {
        "ftp" => 21,
        "ssh" => 22,
        "telnet" => 23,
        "smtp" => 25,
        "domain" => 53,
        "http" | "www" => 80,
        "kerberos" => 88,
        "pop3" => 110,
        "ntp" => 123,
        "imap" | "imap2" => 143,
        "snmp" => 161,
        "ldap" => 389,
        "https" => 443,
        "microsoft-ds" => 445,
        "syslog" => 514,
        "submission" => 587,
        "ldaps" => 636,
        "imaps" => 993,
        "pop3s" => 995,
        "openvpn" => 1194,
        "ms-sql-s" => 1433,
        "mysql" => 3306,
        "postgresql" => 5432,
        "amqp" => 5672,
        "x11" => 6000,
        "http-alt" | "webcache" => 8080,
        "jetdirect" => 9100,
        "bacula-dir" => 9101,
        "bacula-fd" => 9102,
        "bacula-sd" => 9103,
        "zabbix-agent" => 10050,
        "zabbix-trapper" => 10051,
        "etcd-client" => 2379,
        "etcd-server" => 2380,
        "mongodb" => 27017,
        "redis" => 6379,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Parsed<Listing> {
        parse(text, Origin::START)
    }

    #[test]
    fn plain_listing_with_persistence_and_flags() {
        let p = parse_text(
            "IP Virtual Server version 1.2.1 (size=4096)\n\
             Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n\
             TCP  10.254.0.1:443 rr persistent 10800\n  -> 172.16.16.81:6443            Masq    1      3          7         \n\
             UDP  [fd00::10]:53 mh (mh-fallback,mh-port) persistent 60 mask 64 pe sip ops\n  -> [fd00:1::5]:53              Masq    0      0          2\n\
             FWM  100 IPv6 wlc\n",
        );
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        let l = &p.value;
        assert_eq!(l.version.as_deref(), Some("1.2.1"));
        assert_eq!(l.table_size, Some(4096));
        assert_eq!(l.services.len(), 3);
        let s = &l.services[0];
        assert_eq!(s.key().as_deref(), Some("tcp/10.254.0.1:443"));
        assert_eq!(s.persistent_seconds, Some(10800));
        assert_eq!(s.real_servers[0].active_connections, Some(3));
        assert_eq!(s.real_servers[0].inactive_connections, Some(7));
        let u = &l.services[1];
        assert_eq!(u.key().as_deref(), Some("udp/[fd00::10]:53"));
        assert_eq!(u.scheduler_flags, ["mh-fallback", "mh-port"]);
        assert_eq!(u.persistence_mask.as_deref(), Some("64"));
        assert_eq!(u.persistence_engine.as_deref(), Some("sip"));
        assert!(u.one_packet);
        assert_eq!(u.real_servers[0].weight, Some(0));
        assert_eq!(l.services[2].key().as_deref(), Some("fwm/100/ipv6"));
    }

    #[test]
    fn numbers_with_suffixes() {
        assert_eq!(
            Number::parse("123"),
            Some(Number {
                value: 123,
                approximate: false
            })
        );
        assert_eq!(
            Number::parse("123K"),
            Some(Number {
                value: 123_000,
                approximate: true
            })
        );
        assert_eq!(Number::parse("7G").unwrap().value, 7_000_000_000);
        assert_eq!(Number::parse("K"), None);
        assert_eq!(Number::parse("-1"), None);
        assert_eq!(
            Number::parse("99999999999999999999T").unwrap().value,
            u64::MAX
        );
    }

    #[test]
    fn list_then_stats_merge_by_service() {
        let p = parse_text(
            "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n\
             TCP  10.0.0.1:80 wrr\n  -> 10.1.0.1:80 Masq 3 0 0\n  -> 10.1.0.2:80 Masq 1 0 0\n\
             Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n  -> RemoteAddress:Port\n\
             TCP  10.0.0.1:80                      400     1200     800     120K      45M\n  -> 10.1.0.1:80 300 900 600 90000 30M\n  -> 10.1.0.2:80 100 300 200 30000 15M\n",
        );
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        let l = &p.value;
        assert_eq!(l.services.len(), 1);
        let s = &l.services[0];
        assert_eq!(s.scheduler.as_deref(), Some("wrr"));
        assert_eq!(s.stats.unwrap().connections.value, 400);
        assert_eq!(
            s.stats.unwrap().in_bytes,
            Number {
                value: 120_000,
                approximate: true
            }
        );
        assert_eq!(s.real_servers[0].weight, Some(3));
        assert_eq!(s.real_servers[0].stats.unwrap().connections.value, 300);
        assert_eq!(s.lines, vec![3, 8]);
        assert_eq!(
            l.views.iter().map(|v| v.view).collect::<Vec<_>>(),
            [View::List, View::Stats]
        );
    }

    #[test]
    fn connections_and_timeouts() {
        let p = parse_text(
            "IPVS connection entries\npro expire state       source             virtual            destination\n\
             TCP 14:58  ESTABLISHED 10.244.1.5:51234   10.96.0.1:443      172.16.0.4:6443\n\
             UDP 04:59  UDP         10.244.1.5:40000   10.96.0.10:53      10.244.0.3:53\n\
             Timeout (tcp tcpfin udp): 900 120 300\n",
        );
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        let c = &p.value.connections;
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].expire_seconds, Some(898));
        assert_eq!(c[0].destination.key().as_deref(), Some("172.16.0.4:6443"));
        assert_eq!(
            p.value.timeouts.map(|t| (t.tcp, t.tcp_fin, t.udp)),
            Some((900, 120, 300))
        );
    }

    #[test]
    fn save_format() {
        let p = parse_text(
            "-A -t 10.96.0.1:443 -s rr -p 10800\n-a -t 10.96.0.1:443 -r 172.16.0.4:6443 -m -w 1\n\
             -A -u [fd00::a]:53 -s sh -b sh-fallback,sh-port\n-a -u [fd00::a]:53 -r [fd00:1::3]:53 -m -w 0\n-A -f 7 -s wlc -o\n",
        );
        assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
        let s = &p.value.services;
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].persistent_seconds, Some(10800));
        assert_eq!(s[0].real_servers[0].forward.as_deref(), Some("Masq"));
        assert_eq!(s[1].scheduler_flags, ["sh-fallback", "sh-port"]);
        assert_eq!(s[1].real_servers[0].weight, Some(0));
        assert_eq!(s[2].fwmark, Some(7));
        assert!(s[2].one_packet);
    }

    #[test]
    fn names_are_read_where_possible() {
        let a = parse_address("ip-10-0-62-121.ec2.internal:", 28);
        assert_eq!(a.ip.as_deref(), Some("10.0.62.121"));
        assert!(a.truncated);
        assert_eq!(a.port, None);
        let b = parse_address("100.98.125.10:http", 28);
        assert_eq!(b.key().as_deref(), Some("100.98.125.10:80"));
        assert_eq!(b.port_name.as_deref(), Some("http"));
        let c = parse_address("ip-10-0-62-92.ec2.internal:9", 28);
        assert!(c.truncated);
        assert_eq!(c.port, None);
        let d = parse_address("AC100004:192B", 28);
        assert_eq!(d.key().as_deref(), Some("172.16.0.4:6443"));
        let e = parse_address("db.example:postgresql", 28);
        assert_eq!(e.ip, None);
        assert_eq!(e.port, Some(5432));
    }

    #[test]
    fn garbage_is_reported_with_its_line() {
        let p = parse(
            "TCP  10.0.0.1:80 rr\nhello there\n  -> 10.1.0.1:80 Masq x 0 0\n",
            Origin {
                offset: 100,
                line: 7,
            },
        );
        let lines: Vec<u32> = p.diagnostics.iter().map(|d| d.line).collect();
        assert_eq!(lines, vec![8, 9]);
        assert_eq!(p.value.services[0].real_servers.len(), 1);
    }
}
