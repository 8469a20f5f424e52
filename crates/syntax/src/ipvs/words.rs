//! Addresses, numbers, expiry times and command lines as ipvsadm prints them.

use super::*;

pub(super) fn merge_service(into: &mut VirtualService, from: VirtualService) {
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

pub(super) fn merge_real_server(into: &mut RealServer, from: RealServer) {
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
        stats,
        rate
    );
    if let Some(more) = from.more {
        let known = into.more_mut();
        if more.persistent_connections.is_some() {
            known.persistent_connections = more.persistent_connections;
        }
        if more.upper_threshold.is_some() {
            known.upper_threshold = more.upper_threshold;
        }
        if more.lower_threshold.is_some() {
            known.lower_threshold = more.lower_threshold;
        }
        if more.tunnel_info.is_some() {
            known.tunnel_info = more.tunnel_info;
        }
    }
}

/// Recognises a command line that runs ipvsadm (after an optional prompt, `sudo`, `watch` or a path).
pub(super) fn ipvsadm_command(text: &str) -> Option<&str> {
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

pub(super) fn view_of_command(command: &str) -> Option<View> {
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

pub(super) fn layout_of_view(view: Option<View>) -> Option<RealServerLayout> {
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

pub(super) fn is_forward_method(word: &str) -> bool {
    matches!(word, "Masq" | "Local" | "Tunnel" | "Route" | "FullNat")
}

pub(super) fn is_expire(word: &str) -> bool {
    parse_expire(word).is_some()
}

pub(super) fn parse_expire(word: &str) -> Option<u32> {
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

pub(super) fn parse_five(words: &[&str]) -> Option<[Number; 5]> {
    if words.len() < 5 {
        return None;
    }
    let mut out = [Number::default(); 5];
    for (slot, word) in out.iter_mut().zip(words) {
        *slot = Number::parse(word)?;
    }
    Some(out)
}

pub(super) fn counters_of(n: [Number; 5]) -> Counters {
    Counters {
        connections: n[0],
        in_packets: n[1],
        out_packets: n[2],
        in_bytes: n[3],
        out_bytes: n[4],
    }
}

pub(super) fn rates_of(n: [Number; 5]) -> Rates {
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
            Err(_) => address.host_name = Some(host.into()),
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
            address.host_name = (!host.is_empty()).then(|| host.into());
            address.ip = ip_from_host_name(host).map(|ip| ip.to_string());
        }
    }
    if text.chars().count() >= width && address.host_name.is_some() {
        // ipvsadm cut the name: whatever stands after the colon may be the start of a longer port.
        address.truncated = true;
        if !port.is_empty() {
            address.port_name = Some(port.into());
        }
        return address;
    }
    read_port(&mut address, port);
    address
}

pub(super) fn read_port(address: &mut Address, port: &str) {
    if port.is_empty() {
        return;
    }
    match port.parse::<u16>() {
        Ok(p) => address.port = Some(p),
        Err(_) => {
            address.port_name = Some(port.into());
            address.port = well_known_port(port);
        }
    }
}

/// `0A600001:01BB` as `/proc/net/ip_vs` prints IPv4 addresses.
pub(super) fn decode_hex(text: &str) -> Option<(Ipv4Addr, u16)> {
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
pub(super) fn ip_from_host_name(host: &str) -> Option<Ipv4Addr> {
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

/// The words of one ipvsadm line as the parser splits them (at whitespace), each with its byte offset.
pub fn line_words(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                out.push((s, &text[s..i]));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push((s, &text[s..]));
    }
    out
}
