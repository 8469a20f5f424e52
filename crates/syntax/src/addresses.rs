//! The node's interface addresses: `ip -brief addr` (what the capture command prints), `ip addr`
//! and `ip -o addr`. Each address with its interface, prefix length, scope when shown, and line.

use serde::Serialize;

use crate::diag::{Diagnostic, Diagnostics, Parsed, Severity};
use crate::source::{lines, Origin};

/// One address of one interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InterfaceAddress {
    /// The interface name without its `@peer` suffix (`eth0`, `cni0`, `kube-ipvs0`).
    pub interface: String,
    /// The address and prefix length as printed (`10.0.0.5/24`, `fe80::1/64`).
    pub address: String,
    /// `global`, `link`, `host` when the listing shows it (`ip addr`, `ip -o addr`).
    pub scope: Option<String>,
    pub line: u32,
}

impl InterfaceAddress {
    /// The address without its prefix length.
    pub fn ip(&self) -> &str {
        self.address.split('/').next().unwrap_or(&self.address)
    }
}

/// Reads an addresses section. Lines that are neither an interface line nor an address line are
/// reported once each (up to the diagnostics limit) and skipped.
pub fn parse(text: &str, origin: Origin) -> Parsed<Vec<InterfaceAddress>> {
    let mut out = Vec::new();
    let mut diagnostics = Diagnostics::default();
    // `ip addr`: the interface of the indented lines that follow `N: NAME: <FLAGS> …`.
    let mut current: Option<String> = None;
    for line in lines(text, origin) {
        let t = line.text.trim();
        if t.is_empty() {
            continue;
        }
        let words: Vec<&str> = t.split_whitespace().collect();
        // `2: eth0@if5: <BROADCAST,…> mtu …` (ip addr) or `2: eth0    inet 10.0.0.5/24 … scope global eth0`
        // (ip -o addr).
        if let Some(name) = numbered_interface(&words) {
            if let Some(i) = words.iter().position(|w| *w == "inet" || *w == "inet6") {
                if let Some(a) = address_after(&words, i, &name, line.number) {
                    out.push(a);
                }
            }
            current = Some(name);
            continue;
        }
        if matches!(words.first(), Some(&("inet" | "inet6"))) {
            match &current {
                Some(name) => {
                    if let Some(a) = address_after(&words, 0, name, line.number) {
                        out.push(a);
                    }
                }
                None => diagnostics.push(Diagnostic::new(
                    &line,
                    Severity::Info,
                    "an address line before any interface line; skipped",
                )),
            }
            continue;
        }
        if matches!(
            words.first(),
            Some(
                &("link/ether"
                    | "link/loopback"
                    | "link/none"
                    | "link/ipip"
                    | "link/void"
                    | "valid_lft"
                    | "altname")
            )
        ) || words.first().is_some_and(|w| w.starts_with("link/"))
        {
            continue;
        }
        // `ip -brief addr`: `NAME STATE ADDR/LEN…`.
        if words.len() >= 2 && is_state(words[1]) {
            let name = interface_name(words[0]);
            current = Some(name.clone());
            for w in &words[2..] {
                if is_prefix(w) {
                    out.push(InterfaceAddress {
                        interface: name.clone(),
                        address: (*w).to_string(),
                        scope: None,
                        line: line.number,
                    });
                }
            }
            continue;
        }
        diagnostics.push(Diagnostic::new(
            &line,
            Severity::Info,
            "not an interface or address line of `ip addr`; skipped",
        ));
    }
    Parsed {
        value: out,
        diagnostics: diagnostics.finish(),
    }
}

/// `N: NAME[@PEER]:` at the start of a line: the interface name.
fn numbered_interface(words: &[&str]) -> Option<String> {
    let index = words.first()?.strip_suffix(':')?;
    if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let name = words.get(1)?;
    let name = name.strip_suffix(':').unwrap_or(name);
    (!name.is_empty()).then(|| interface_name(name))
}

fn interface_name(word: &str) -> String {
    word.split('@')
        .next()
        .unwrap_or(word)
        .chars()
        .take(64)
        .collect()
}

/// The address after `inet`/`inet6` at `words[i]`, with the `scope` that follows it.
fn address_after(words: &[&str], i: usize, name: &str, line: u32) -> Option<InterfaceAddress> {
    let address = words.get(i + 1).filter(|w| is_prefix(w))?;
    let scope = words
        .iter()
        .position(|w| *w == "scope")
        .and_then(|s| words.get(s + 1))
        .map(|s| s.to_string());
    Some(InterfaceAddress {
        interface: name.to_string(),
        address: (*address).to_string(),
        scope,
        line,
    })
}

fn is_state(word: &str) -> bool {
    matches!(
        word,
        "UP" | "DOWN" | "UNKNOWN" | "DORMANT" | "LOWERLAYERDOWN" | "NOTPRESENT" | "TESTING"
    )
}

/// `addr/len` with a parseable address and length.
fn is_prefix(word: &str) -> bool {
    let Some((addr, len)) = word.split_once('/') else {
        return false;
    };
    let Ok(addr) = addr.parse::<std::net::IpAddr>() else {
        return false;
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    len.parse::<u8>().is_ok_and(|l| l <= max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<(String, String, Option<String>, u32)> {
        let parsed = parse(text, Origin::START);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        parsed
            .value
            .into_iter()
            .map(|a| (a.interface, a.address, a.scope, a.line))
            .collect()
    }

    #[test]
    fn reads_ip_brief_addr() {
        let text = "lo               UNKNOWN        127.0.0.1/8 ::1/128\n\
                    eth0@if12        UP             192.168.0.2/24 fe80::42:acff:fe11:2/64\n\
                    cni0             UP             10.244.0.1/24\n\
                    kube-ipvs0       DOWN           \n";
        let got = read(text);
        assert_eq!(got.len(), 5, "{got:?}");
        assert_eq!(got[2], ("eth0".into(), "192.168.0.2/24".into(), None, 2));
        assert_eq!(got[4].0, "cni0");
    }

    #[test]
    fn reads_ip_addr_and_ip_o_addr() {
        let text = "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n\
                    \x20   link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n\
                    \x20   inet 127.0.0.1/8 scope host lo\n\
                    \x20      valid_lft forever preferred_lft forever\n\
                    2: ens3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000\n\
                    \x20   link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff\n\
                    \x20   altname enp0s3\n\
                    \x20   inet 10.0.2.15/24 brd 10.0.2.255 scope global dynamic ens3\n\
                    \x20   inet6 fe80::5054:ff:fe12:3456/64 scope link\n\
                    3: eth1    inet 172.16.0.9/16 brd 172.16.255.255 scope global eth1\\       valid_lft forever preferred_lft forever\n";
        let got = read(text);
        assert_eq!(
            got,
            vec![
                ("lo".into(), "127.0.0.1/8".into(), Some("host".into()), 3),
                (
                    "ens3".into(),
                    "10.0.2.15/24".into(),
                    Some("global".into()),
                    8
                ),
                (
                    "ens3".into(),
                    "fe80::5054:ff:fe12:3456/64".into(),
                    Some("link".into()),
                    9
                ),
                (
                    "eth1".into(),
                    "172.16.0.9/16".into(),
                    Some("global".into()),
                    10
                ),
            ]
        );
    }

    #[test]
    fn other_lines_are_reported_and_skipped() {
        let parsed = parse("eth0 UP 10.0.0.5/24\nhello there\n", Origin::START);
        assert_eq!(parsed.value.len(), 1);
        assert_eq!(parsed.diagnostics.len(), 1);
        assert_eq!(parsed.diagnostics[0].line, 2);
    }
}
