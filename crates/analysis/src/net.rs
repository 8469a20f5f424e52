//! Address helpers: IPv4/IPv6 parsing and CIDR containment, without panics on any text.

use std::net::IpAddr;

/// Parses an address, tolerating a host prefix (`/32`, `/128`) and IPv6 brackets.
pub fn parse_ip(text: &str) -> Option<IpAddr> {
    let t = text.trim().trim_start_matches('[').trim_end_matches(']');
    let t = t
        .strip_suffix("/32")
        .or_else(|| t.strip_suffix("/128"))
        .unwrap_or(t);
    t.parse().ok()
}

/// An endpoint address `ip:port` or `[ipv6]:port` as DNAT writes it.
pub fn split_address(text: &str) -> Option<(String, Option<u16>)> {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix('[') {
        let (ip, after) = rest.split_once(']')?;
        let port = after.strip_prefix(':').and_then(|p| p.parse().ok());
        return Some((ip.to_string(), port));
    }
    match text.rsplit_once(':') {
        Some((ip, port)) if !ip.contains(':') => Some((ip.to_string(), port.parse().ok())),
        _ if !text.is_empty() => Some((text.to_string(), None)),
        _ => None,
    }
}

/// Removes a host prefix length (`/32`, `/128`) from an address.
pub fn host_address(text: &str) -> String {
    text.strip_suffix("/32")
        .or_else(|| text.strip_suffix("/128"))
        .unwrap_or(text)
        .to_string()
}

/// A network `addr/len`; a plain address is a host network.
pub fn parse_cidr(text: &str) -> Option<(IpAddr, u8)> {
    let text = text.trim();
    match text.split_once('/') {
        Some((a, l)) => {
            let addr: IpAddr = a.parse().ok()?;
            let len: u8 = match l.parse() {
                Ok(n) => n,
                Err(_) => {
                    // A dotted mask, as old iptables printed: 255.255.255.0
                    let mask: std::net::Ipv4Addr = l.parse().ok()?;
                    u32::from(mask).count_ones() as u8
                }
            };
            let max = if addr.is_ipv4() { 32 } else { 128 };
            (len <= max).then_some((addr, len))
        }
        None => {
            let addr: IpAddr = text.parse().ok()?;
            Some((addr, if addr.is_ipv4() { 32 } else { 128 }))
        }
    }
}

/// Whether `cidr` contains `ip`; `None` when either does not parse or the families differ.
pub fn cidr_contains(cidr: &str, ip: &str) -> Option<bool> {
    let (net, len) = parse_cidr(cidr)?;
    let ip = parse_ip(ip)?;
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let mask = if len == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(len))
            };
            Some(u32::from(n) & mask == u32::from(a) & mask)
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(len))
            };
            Some(u128::from(n) & mask == u128::from(a) & mask)
        }
        _ => None,
    }
}

/// The address of an `ip:port` endpoint (`10.0.0.5:443`, `[fd00::5]:443`, or a bare address).
pub fn host_of_endpoint(endpoint: &str) -> &str {
    let e = endpoint.trim();
    if let Some(rest) = e.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match e.rsplit_once(':') {
        Some((host, _)) if !host.contains(':') => host,
        _ => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containment() {
        assert_eq!(cidr_contains("10.0.0.0/8", "10.96.0.1"), Some(true));
        assert_eq!(cidr_contains("10.244.0.0/16", "10.96.0.1"), Some(false));
        assert_eq!(cidr_contains("0.0.0.0/0", "1.2.3.4"), Some(true));
        assert_eq!(cidr_contains("fd00::/8", "fd00:ab34::20"), Some(true));
        assert_eq!(cidr_contains("10.0.0.1", "10.0.0.1/32"), Some(true));
        assert_eq!(cidr_contains("10.0.0.0/8", "fd00::1"), None);
        assert_eq!(cidr_contains("10.0.0.0/99", "10.0.0.1"), None);
        assert_eq!(cidr_contains("10.0.0.0/255.0.0.0", "10.2.0.1"), Some(true));
    }

    #[test]
    fn endpoint_hosts() {
        assert_eq!(host_of_endpoint("10.0.0.5:443"), "10.0.0.5");
        assert_eq!(host_of_endpoint("[fd00::5]:443"), "fd00::5");
        assert_eq!(host_of_endpoint("fd00::5"), "fd00::5");
        assert_eq!(host_of_endpoint("10.0.0.5"), "10.0.0.5");
    }
}
