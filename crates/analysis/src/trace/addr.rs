//! Addresses, prefixes and port ranges as iptables writes them, for the packet tracer.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// An address prefix (`10.0.0.0/8`, `fd00::/64`, a bare address = a host prefix, or an address with a
/// dotted mask such as `10.0.0.0/255.0.0.0`), with the address as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr(IpNet);

impl Cidr {
    /// The prefix `addr/prefix`, or the host prefix of `addr` when the length is longer than the
    /// address.
    pub fn new_or_host(addr: IpAddr, prefix: u8) -> Cidr {
        Cidr(IpNet::new(addr, prefix).unwrap_or(IpNet::from(addr)))
    }

    pub fn parse(text: &str) -> Option<Cidr> {
        let text = text.trim();
        let (addr, mask) = match text.split_once('/') {
            Some((a, m)) => (a, Some(m)),
            None => (text, None),
        };
        let addr: IpAddr = addr
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok()?;
        let net = match mask {
            None => IpNet::from(addr),
            Some(m) => match m.parse::<u8>() {
                Ok(prefix) => IpNet::new(addr, prefix).ok()?,
                Err(_) => match (addr, m.parse::<IpAddr>().ok()?) {
                    (IpAddr::V4(_), mask @ IpAddr::V4(_)) => {
                        IpNet::with_netmask(addr, mask).ok()?
                    }
                    _ => return None,
                },
            },
        };
        Some(Cidr(net))
    }

    /// The address as written (not truncated to the prefix).
    pub fn addr(&self) -> IpAddr {
        self.0.addr()
    }

    pub fn prefix(&self) -> u8 {
        self.0.prefix_len()
    }

    /// Whether `ip` is in the prefix (never for an address of the other family).
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.contains(&ip)
    }

    /// The `n`-th address of the prefix (0 = the network address), if the prefix holds it.
    pub fn nth(&self, n: u128) -> Option<IpAddr> {
        match self.0 {
            IpNet::V4(net) => {
                if n > u128::from(u32::from(net.hostmask())) {
                    return None;
                }
                let n = u32::try_from(n).ok()?;
                Some(IpAddr::V4(Ipv4Addr::from(
                    u32::from(net.network()).checked_add(n)?,
                )))
            }
            IpNet::V6(net) => {
                if n > u128::from(net.hostmask()) {
                    return None;
                }
                Some(IpAddr::V6(Ipv6Addr::from(
                    u128::from(net.network()).checked_add(n)?,
                )))
            }
        }
    }
}

/// Whether `ip` is in any prefix of a comma-separated list (`-s 10.0.0.0/8,192.168.0.0/16`).
/// `None` when a part cannot be read.
pub fn list_contains(list: &str, ip: IpAddr) -> Option<bool> {
    let mut any = false;
    for part in list.split(',') {
        let cidr = Cidr::parse(part)?;
        any |= cidr.contains(ip);
    }
    Some(any)
}

pub fn parse_ip(text: &str) -> Option<IpAddr> {
    text.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// Loopback addresses: 127.0.0.0/8 and ::1.
pub fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.octets()[0] == 127,
        IpAddr::V6(v6) => v6 == Ipv6Addr::LOCALHOST,
    }
}

pub fn is_multicast(ip: IpAddr) -> bool {
    ip.is_multicast()
}

pub fn is_broadcast(ip: IpAddr) -> bool {
    matches!(ip, IpAddr::V4(v4) if v4 == Ipv4Addr::BROADCAST)
}

/// `ip:port` with brackets around IPv6 addresses.
pub fn endpoint(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    }
}

/// An inclusive range of ports from `80`, `80:90` (iptables) or `80-90` (NAT targets).
pub fn port_range(text: &str) -> Option<(u16, u16)> {
    let text = text.trim();
    let (lo, hi) = match text.split_once([':', '-']) {
        Some((lo, hi)) => (lo, hi),
        None => (text, text),
    };
    let lo = if lo.is_empty() { 0 } else { lo.parse().ok()? };
    let hi = if hi.is_empty() {
        u16::MAX
    } else {
        hi.parse().ok()?
    };
    (lo <= hi).then_some((lo, hi))
}

/// Whether `port` is in a comma-separated list of ports and ranges (multiport). `None` when unreadable.
pub fn port_list_contains(list: &str, port: u16) -> Option<bool> {
    let mut any = false;
    for part in list.split(',') {
        let (lo, hi) = port_range(part)?;
        any |= lo <= port && port <= hi;
    }
    Some(any)
}

/// A NAT target's `--to-destination`/`--to-source` value: the first address and the first port of the
/// ranges it gives (`10.0.0.1:80`, `10.0.0.1`, `[fd00::1]:80`, `10.0.0.1-10.0.0.3:80-82`, `:8080`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NatTo {
    pub ip: Option<IpAddr>,
    pub port: Option<u16>,
    /// True when the value gives a range of addresses or ports (the kernel picks one of them).
    pub range: bool,
}

pub fn parse_nat_to(text: &str) -> Option<NatTo> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    // Byte searches: these values are short, and a `str` search sets up a `memchr` for each.
    let position = |text: &str, byte: u8| text.bytes().position(|b| b == byte);
    let (addr_part, port_part) = if let Some(rest) = text.strip_prefix('[') {
        let end = position(rest, b']')?;
        (&rest[..end], rest[end + 1..].strip_prefix(':'))
    } else {
        match position(text, b':') {
            // A bare IPv6 address without a port: more than one colon.
            Some(colon) if position(&text[colon + 1..], b':').is_some() => (text, None),
            Some(colon) => (&text[..colon], Some(&text[colon + 1..])),
            None => (text, None),
        }
    };
    let mut range = false;
    let ip = if addr_part.is_empty() {
        None
    } else {
        let first = match position(addr_part, b'-') {
            Some(dash) => {
                range = true;
                &addr_part[..dash]
            }
            None => addr_part,
        };
        Some(parse_ip(first)?)
    };
    let port = match port_part {
        None => None,
        Some(p) => {
            let (lo, hi) = port_range(p)?;
            range |= lo != hi;
            Some(lo)
        }
    };
    if ip.is_none() && port.is_none() {
        return None;
    }
    Some(NatTo { ip, port, range })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn prefixes() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.contains(ip("10.180.0.5")));
        assert!(!c.contains(ip("11.0.0.1")));
        assert!(!c.contains(ip("fd00::1")));
        assert!(Cidr::parse("10.180.0.5")
            .unwrap()
            .contains(ip("10.180.0.5")));
        assert!(!Cidr::parse("10.180.0.5")
            .unwrap()
            .contains(ip("10.180.0.6")));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("1.2.3.4")));
        assert_eq!(Cidr::parse("10.0.0.0/255.255.0.0").unwrap().prefix(), 16);
        assert_eq!(Cidr::parse("10.0.0.0/255.0.255.0"), None);
        assert_eq!(Cidr::parse("10.0.0.0/33"), None);
        assert!(Cidr::parse("fd00:ab34::/64")
            .unwrap()
            .contains(ip("fd00:ab34::20")));
        assert!(!Cidr::parse("::1/128")
            .unwrap()
            .contains(ip("fd00:ab34::20")));
        assert_eq!(
            Cidr::parse("10.244.0.0/16").unwrap().nth(2),
            Some(ip("10.244.0.2"))
        );
        assert_eq!(Cidr::parse("10.244.0.0/31").unwrap().nth(2), None);
        assert_eq!(
            list_contains("10.0.0.0/8,192.168.0.0/16", ip("192.168.1.1")),
            Some(true)
        );
        assert_eq!(list_contains("nonsense", ip("192.168.1.1")), None);
    }

    #[test]
    fn ports() {
        assert_eq!(port_range("80"), Some((80, 80)));
        assert_eq!(port_range("80:90"), Some((80, 90)));
        assert_eq!(port_range(":90"), Some((0, 90)));
        assert_eq!(port_range("90:80"), None);
        assert_eq!(port_list_contains("53,80:90,443", 85), Some(true));
        assert_eq!(port_list_contains("53,443", 85), Some(false));
    }

    #[test]
    fn nat_targets() {
        assert_eq!(
            parse_nat_to("10.0.1.1:80"),
            Some(NatTo {
                ip: Some(ip("10.0.1.1")),
                port: Some(80),
                range: false
            })
        );
        assert_eq!(
            parse_nat_to("10.0.1.1"),
            Some(NatTo {
                ip: Some(ip("10.0.1.1")),
                port: None,
                range: false
            })
        );
        assert_eq!(
            parse_nat_to("[ff06::c1]:80"),
            Some(NatTo {
                ip: Some(ip("ff06::c1")),
                port: Some(80),
                range: false
            })
        );
        assert_eq!(
            parse_nat_to("ff06::c1"),
            Some(NatTo {
                ip: Some(ip("ff06::c1")),
                port: None,
                range: false
            })
        );
        assert_eq!(
            parse_nat_to("10.0.0.1-10.0.0.3:80-82"),
            Some(NatTo {
                ip: Some(ip("10.0.0.1")),
                port: Some(80),
                range: true
            })
        );
        assert_eq!(
            parse_nat_to(":0"),
            Some(NatTo {
                ip: None,
                port: Some(0),
                range: false
            })
        );
        assert_eq!(parse_nat_to("--random"), None);
        assert_eq!(parse_nat_to(""), None);
    }

    #[test]
    fn endpoints_bracket_ipv6() {
        assert_eq!(endpoint(ip("10.0.0.1"), 80), "10.0.0.1:80");
        assert_eq!(endpoint(ip("ff06::c1"), 80), "[ff06::c1]:80");
    }

    /// `parse_nat_to` as it was written with `str` searches, to compare the byte searches with.
    fn parse_nat_to_by_str_searches(text: &str) -> Option<NatTo> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let (addr_part, port_part) = if let Some(rest) = text.strip_prefix('[') {
            let (addr, after) = rest.split_once(']')?;
            (addr, after.strip_prefix(':'))
        } else if text.matches(':').count() > 1 {
            // A bare IPv6 address without a port.
            (text, None)
        } else {
            match text.split_once(':') {
                Some((a, p)) => (a, Some(p)),
                None => (text, None),
            }
        };
        let mut range = false;
        let ip = if addr_part.is_empty() {
            None
        } else {
            let first = match addr_part.split_once('-') {
                Some((first, _)) => {
                    range = true;
                    first
                }
                None => addr_part,
            };
            Some(parse_ip(first)?)
        };
        let port = match port_part {
            None => None,
            Some(p) => {
                let (lo, hi) = port_range(p)?;
                range |= lo != hi;
                Some(lo)
            }
        };
        if ip.is_none() && port.is_none() {
            return None;
        }
        Some(NatTo { ip, port, range })
    }

    const NAT_PIECES: &[&str] = &[
        "10.0.1.1", "fd00::1", "ff06::c1", "[", "]", ":", "-", "80", "65536", "10.0.0.3", " ", "::",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// The byte searches read every value as the `str` searches did.
        #[test]
        fn nat_values_read_as_the_str_searches_read_them(text in "[0-9a-f\\[\\]:.\\- ]{0,24}") {
            proptest::prop_assert_eq!(parse_nat_to(&text), parse_nat_to_by_str_searches(&text));
        }

        /// The same on values made of addresses, brackets, ports and ranges.
        #[test]
        fn nat_values_of_address_pieces_read_the_same(
            pieces in proptest::collection::vec(0..NAT_PIECES.len(), 0..6)
        ) {
            let text: String = pieces.iter().map(|&i| NAT_PIECES[i]).collect();
            proptest::prop_assert_eq!(parse_nat_to(&text), parse_nat_to_by_str_searches(&text));
        }
    }
}
