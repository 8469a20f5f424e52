//! kube-proxy's chain names, which are hashes of Service port names: computed the way kube-proxy
//! computes them, so that a redacted dump carries the hashes of its redacted names.
//!
//! iptables mode: `KUBE-SVC-`, `KUBE-EXT-`, `KUBE-SVL-`, `KUBE-FW-`, `KUBE-XLB-` + the first 16
//! characters of base32(sha256(`ns/name:port` + protocol)); `KUBE-SEP-` the same over
//! `ns/name:port` + protocol + `ip:port` of the endpoint. nftables mode: `service-`, `endpoint-`,
//! `external-`, `firewall-`, `affinity-` + base32(sha256(NAME))[..8] + `-` + NAME, where NAME is
//! `ns/name/protocol/port` or, for an endpoint, `ns/name/protocol/port__ip/port` (colons of an IPv6
//! address written as dots).

use std::collections::HashMap;

use sha2::{Digest, Sha256};

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The first `chars` characters of the standard base32 encoding of `bytes`.
pub fn base32_prefix(bytes: &[u8], chars: usize) -> String {
    let mut out = String::with_capacity(chars);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 31) as usize]));
            if out.len() == chars {
                return out;
            }
        }
        buffer &= 0xFF;
    }
    out
}

/// The hash of a Service port's iptables chains (`KUBE-SVC-…` and friends).
pub fn service_hash(port_name: &str, protocol: &str) -> String {
    base32_prefix(&Sha256::digest(format!("{port_name}{protocol}")), 16)
}

/// The hash of an endpoint's `KUBE-SEP-…` chain; `endpoint` is `ip:port` (`[ip]:port` for IPv6).
pub fn endpoint_hash(port_name: &str, protocol: &str, endpoint: &str) -> String {
    base32_prefix(
        &Sha256::digest(format!("{port_name}{protocol}{endpoint}")),
        16,
    )
}

/// The hash kube-proxy's nftables mode puts before a chain's name.
pub fn nft_hash(name: &str) -> String {
    base32_prefix(&Sha256::digest(name), 8)
}

/// A hash as kube-proxy writes it (base32), or as hand-written dumps fake it (`A1A1A1A1`).
pub fn is_hash(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// What an iptables chain hash was computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashOrigin {
    Service {
        port_name: String,
        protocol: &'static str,
    },
    Endpoint {
        port_name: String,
        protocol: &'static str,
        endpoint: String,
    },
}

/// Hashes of the Service ports and endpoints a dump names, to recognise its chains by.
#[derive(Debug, Clone, Default)]
pub struct ChainIndex {
    by_hash: HashMap<String, HashOrigin>,
}

pub const PROTOCOLS: [&str; 3] = ["tcp", "udp", "sctp"];

impl ChainIndex {
    pub fn add_service(&mut self, port_name: &str) {
        for protocol in PROTOCOLS {
            self.by_hash
                .entry(service_hash(port_name, protocol))
                .or_insert_with(|| HashOrigin::Service {
                    port_name: port_name.to_string(),
                    protocol,
                });
        }
    }

    pub fn add_endpoint(&mut self, port_name: &str, protocol: &str, endpoint: &str) {
        let Some(protocol) = PROTOCOLS.into_iter().find(|p| *p == protocol) else {
            return;
        };
        self.by_hash
            .entry(endpoint_hash(port_name, protocol, endpoint))
            .or_insert_with(|| HashOrigin::Endpoint {
                port_name: port_name.to_string(),
                protocol,
                endpoint: endpoint.to_string(),
            });
    }

    pub fn get(&self, hash: &str) -> Option<&HashOrigin> {
        self.by_hash.get(hash)
    }
}

/// Splits an iptables chain name `KUBE-KIND-HASH16` into its prefix (with the dash) and hash.
pub fn split_iptables_chain(word: &str) -> Option<(&str, &str)> {
    let rest = word.strip_prefix("KUBE-")?;
    let dash = rest.find('-')?;
    let (kind, hash) = (rest.get(..dash)?, rest.get(dash + 1..)?);
    if kind.is_empty()
        || !kind.bytes().all(|b| b.is_ascii_uppercase())
        || hash.len() != 16
        || !is_hash(hash)
    {
        return None;
    }
    Some((word.get(..5 + dash + 1)?, hash))
}

/// An nftables-mode name `head-HASH8-rest` where `rest` holds a `/`: (head, hash, rest).
pub fn split_nft_name(word: &str) -> Option<(&str, &str, &str)> {
    let bytes = word.as_bytes();
    let mut i = 0;
    while i + 10 <= bytes.len() {
        if bytes[i] == b'-' && bytes.get(i + 9) == Some(&b'-') {
            let hash = word.get(i + 1..i + 9)?;
            let head = word.get(..i)?;
            let rest = word.get(i + 10..)?;
            if is_hash(hash)
                && !head.is_empty()
                && head.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
                && rest.contains('/')
            {
                return Some((head, hash, rest));
            }
        }
        i += 1;
    }
    None
}

/// The parts of an nftables chain name: `ns/name/protocol/port` and, for an endpoint, `ip/port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NftName<'a> {
    pub namespace: &'a str,
    pub name: &'a str,
    pub protocol: &'a str,
    pub port: &'a str,
    pub endpoint: Option<(&'a str, &'a str)>,
}

pub fn parse_nft_name(rest: &str) -> Option<NftName<'_>> {
    let (service, endpoint) = match rest.split_once("__") {
        Some((s, e)) => (s, Some(e.split_once('/')?)),
        None => (rest, None),
    };
    let mut parts = service.splitn(4, '/');
    Some(NftName {
        namespace: parts.next()?,
        name: parts.next()?,
        protocol: parts.next()?,
        port: parts.next().unwrap_or(""),
        endpoint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_kube_proxys() {
        // Names and hashes as kube-proxy wrote them in the corpus dumps.
        assert_eq!(
            service_hash("default/kubernetes:https", "tcp"),
            "NPX46M4PTMTKRN6Y"
        );
        assert_eq!(
            service_hash("kube-system/kube-dns:dns-tcp", "tcp"),
            "ERIFXISQEP7F7OF4"
        );
        assert_eq!(
            endpoint_hash("kube-system/kube-dns:dns-tcp", "tcp", "10.244.0.4:53"),
            "SF3LG62VAE5ALYDV"
        );
        assert_eq!(nft_hash("kube-system/kube-dns/tcp/dns-tcp"), "NWBZK7IH");
    }

    #[test]
    fn chain_names_split() {
        assert_eq!(
            split_iptables_chain("KUBE-SVC-NPX46M4PTMTKRN6Y"),
            Some(("KUBE-SVC-", "NPX46M4PTMTKRN6Y"))
        );
        assert_eq!(split_iptables_chain("KUBE-SERVICES"), None);
        assert_eq!(split_iptables_chain("KUBE-MARK-MASQ"), None);
        assert_eq!(
            split_nft_name("endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80"),
            Some(("endpoint", "5OJB2KTY", "ns1/svc1/tcp/p80__10.180.0.1/80"))
        );
        assert_eq!(split_nft_name("no-endpoint-services"), None);
        let name = parse_nft_name("ns1/svc1/tcp/p80__10.180.0.1/80").unwrap();
        assert_eq!(name.namespace, "ns1");
        assert_eq!(name.port, "p80");
        assert_eq!(name.endpoint, Some(("10.180.0.1", "80")));
    }
}
