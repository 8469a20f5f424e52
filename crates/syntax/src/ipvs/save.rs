//! `ipvsadm-save` / `ipvsadm -S` rules (`-A -t …`, `-a -t … -r …`) read into virtual services and real servers.

use super::*;

impl ListingParser {
    pub(super) fn save_rule(&mut self, line: &Line<'_>, text: &str) {
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
            lines: smallvec::smallvec![line.number],
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
                    rs.forward = Some(std::borrow::Cow::Borrowed("Masq"));
                    step = 1;
                }
                "-g" | "--gatewaying" => {
                    rs.forward = Some(std::borrow::Cow::Borrowed("Route"));
                    step = 1;
                }
                "-i" | "--ipip" => {
                    rs.forward = Some(std::borrow::Cow::Borrowed("Tunnel"));
                    step = 1;
                }
                "-w" | "--weight" => rs.weight = value.and_then(|v| v.parse().ok()),
                "-x" | "--u-threshold" => {
                    if let Some(n) = value.and_then(|v| v.parse().ok()) {
                        rs.more_mut().upper_threshold = Some(n);
                    }
                }
                "-y" | "--l-threshold" => {
                    if let Some(n) = value.and_then(|v| v.parse().ok()) {
                        rs.more_mut().lower_threshold = Some(n);
                    }
                }
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
}
