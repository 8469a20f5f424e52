//! Reading ipvsadm output line by line: listing blocks, virtual services, real servers, connections.

use super::*;

impl ListingParser {
    pub(super) fn line(&mut self, line: &Line<'_>) {
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

    pub(super) fn set_view(&mut self, view: View, line: u32) {
        self.view = Some(view);
        self.block.views.push(ViewSeen {
            view,
            line,
            command: self.command.clone(),
            watch_interval: self.watch_interval,
        });
    }

    /// Ends the current listing and merges it into what was read before.
    pub(super) fn start_block(&mut self) {
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
    pub(super) fn current_view(&mut self, line: &Line<'_>, guess: View) -> View {
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

    pub(super) fn virtual_service(&mut self, line: &Line<'_>, text: &str) {
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

    pub(super) fn service_flags(
        &mut self,
        line: &Line<'_>,
        words: &[&str],
        vs: &mut VirtualService,
    ) {
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

    pub(super) fn real_server(&mut self, line: &Line<'_>, rest: &str) {
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
            lines: smallvec::smallvec![line.number],
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
                    rs.forward = Some(forward_name(forward));
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
                    rs.forward = Some(forward_name(forward));
                    let tunnel_info = Some(middle.join(" ")).filter(|t| !t.is_empty());
                    if tunnel_info.is_some() {
                        rs.more_mut().tunnel_info = tunnel_info;
                    }
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
                    let (upper, lower) = (upper.parse().ok(), lower.parse().ok());
                    if upper.is_some() || lower.is_some() {
                        let more = rs.more_mut();
                        more.upper_threshold = upper;
                        more.lower_threshold = lower;
                    }
                    rs.active_connections = active.parse().ok();
                    rs.inactive_connections = inactive.parse().ok();
                    rs.active_connections.is_some() && rs.inactive_connections.is_some()
                }
                _ => false,
            },
            RealServerLayout::PersistentConn => match values {
                [weight, persistent, active, inactive, ..] => {
                    rs.weight = weight.parse().ok();
                    if let Ok(persistent) = persistent.parse() {
                        rs.more_mut().persistent_connections = Some(persistent);
                    }
                    rs.active_connections = active.parse().ok();
                    rs.inactive_connections = inactive.parse().ok();
                    rs.weight.is_some() && rs.active_connections.is_some()
                }
                _ => false,
            },
            RealServerLayout::Stats | RealServerLayout::Rate => match parse_five(values) {
                Some(n) => {
                    if layout == RealServerLayout::Stats {
                        rs.stats = Some(Box::new(counters_of(n)));
                    } else {
                        rs.rate = Some(Box::new(rates_of(n)));
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

    pub(super) fn connection(&mut self, line: &Line<'_>, words: &[&str]) {
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
    pub(super) fn note_names(&mut self, line: &Line<'_>, address: &Address) {
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
                if !self
                    .block
                    .unresolved_names
                    .iter()
                    .any(|u| *u.name == **host)
                    && !self
                        .merged
                        .unresolved_names
                        .iter()
                        .any(|u| *u.name == **host)
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
                        name: host.to_string(),
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

    pub(super) fn finish(mut self) -> Parsed<Listing> {
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
        // The lists grew by doubling while they were read; a large node's listing is kept long.
        listing.services.shrink_to_fit();
        for service in &mut listing.services {
            service.real_servers.shrink_to_fit();
        }
        Parsed {
            value: listing,
            diagnostics: self.diagnostics,
        }
    }
}
