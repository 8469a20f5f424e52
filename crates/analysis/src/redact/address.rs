//! Address redaction: a keyed, prefix-preserving, class-preserving mapping of IPv4 and IPv6 addresses.
//!
//! Every address keeps its class: RFC 1918 addresses stay in their block (10/8, 172.16/12, 192.168/16),
//! CGNAT stays in 100.64/10, ULA in fc00::/7; loopback, link-local, multicast, "this network", the
//! unspecified and broadcast addresses, and documentation and benchmarking addresses are kept. Public IPv4 addresses
//! go to the documentation ranges 192.0.2.0/24 and 198.51.100.0/24 (one original /24 to one mapped /24,
//! then /24s of 198.18.0.0/15 when more are needed), public IPv6 to 2001:db8::/32.
//!
//! Inside a class the bits below the class prefix are renumbered the way Crypto-PAn does: bit `i` of
//! the result is bit `i` of the input flipped by a keyed function of the input's first `i` bits. Two
//! addresses that share their first `k` bits still share exactly `k` bits after redaction, so an
//! address in a CIDR stays in the mapped CIDR and the mapping is one to one. The key is derived from
//! the whole dump: the same dump always redacts the same way, and nobody without the dump can invert
//! the mapping or recompute it for a guessed address.

use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, Ipv6Addr};

use sha2::{Digest, Sha256};

/// 203.0.113.0/24 is the tracer's stand-in for a client outside the cluster: never a mapped target, so a
/// redacted rule cannot start matching that client.
const RESERVED_V4_24: u32 = 0xCB00_7100;
/// The documentation /24s public addresses are mapped to, in order.
const DOCUMENTATION_V4_24: [u32; 2] = [0xC000_0200, 0xC633_6400];
/// 198.18.0.0/15: more /24s when the documentation ranges are used up.
const BENCHMARK_V4: u32 = 0xC612_0000;

/// A keyed mapping of addresses; the same address always gets the same placeholder.
#[derive(Debug, Clone, Default)]
pub struct AddressMap {
    key: [u8; 32],
    v4: HashMap<Ipv4Addr, Ipv4Addr>,
    v6: HashMap<Ipv6Addr, Ipv6Addr>,
    /// (family bits, depth, prefix) → whether bit `depth` flips.
    flips: HashMap<(u8, u8, u128), bool>,
    /// Public /24 of the input → its mapped /24.
    public_24: HashMap<u32, u32>,
    /// Public /24s the input itself uses inside the documentation and benchmarking ranges: kept as
    /// they are and never handed out as targets.
    taken_24: HashSet<u32>,
    next_target: usize,
    /// Networks of the input, (family, prefix length, network bits): the first addresses of each keep
    /// their offset from the network's start (see [`AddressMap::anchor`]).
    anchors: HashSet<(u8, u8, u128)>,
    anchor_lengths: Vec<(u8, u8)>,
}

/// How many of a network's first addresses keep their offset: 2^11, more than the tracer counts when
/// it picks an address from a network (a pod's source address from the pod CIDR, say).
const ANCHORED_BITS: u8 = 11;

/// How one IPv4 address is treated.
enum ClassV4 {
    Keep,
    /// Within a block of this prefix length: the bits below it are renumbered.
    Block(u8),
    Public,
}

fn class_v4(ip: Ipv4Addr) -> ClassV4 {
    let o = ip.octets();
    let n = u32::from(ip);
    if o[0] == 0 || o[0] == 127 || o[0] >= 224 || (o[0] == 169 && o[1] == 254) {
        return ClassV4::Keep;
    }
    if o[0] == 10 {
        return ClassV4::Block(8);
    }
    if n & 0xFFF0_0000 == 0xAC10_0000 {
        return ClassV4::Block(12);
    }
    if n & 0xFFFF_0000 == 0xC0A8_0000 {
        return ClassV4::Block(16);
    }
    if n & 0xFFC0_0000 == 0x6440_0000 {
        return ClassV4::Block(10);
    }
    let n24 = n & 0xFFFF_FF00;
    if n24 == RESERVED_V4_24 || DOCUMENTATION_V4_24.contains(&n24) {
        // Already a documentation address: it names nobody.
        return ClassV4::Keep;
    }
    if n & 0xFFFE_0000 == BENCHMARK_V4 {
        // Benchmarking addresses name nobody either; their /24s are reserved (see `reserve`).
        return ClassV4::Keep;
    }
    ClassV4::Public
}

impl AddressMap {
    /// A mapping keyed by `seed` (the dump): unpredictable without it.
    pub fn new(seed: &[u8]) -> AddressMap {
        let mut hasher = Sha256::new();
        hasher.update(b"svcpath address redaction key\0");
        hasher.update(seed);
        AddressMap {
            key: hasher.finalize().into(),
            ..AddressMap::default()
        }
    }

    /// Notes an address of the input before any is mapped, so that public placeholders never collide
    /// with documentation or benchmarking addresses the input uses itself.
    pub fn reserve(&mut self, ip: Ipv4Addr) {
        let n = u32::from(ip);
        let n24 = n & 0xFFFF_FF00;
        if n & 0xFFFE_0000 == BENCHMARK_V4 || DOCUMENTATION_V4_24.contains(&n24) {
            self.taken_24.insert(n24);
        }
    }

    /// How many addresses were changed.
    pub fn changed(&self) -> usize {
        self.v4.iter().filter(|(k, v)| k != v).count()
            + self.v6.iter().filter(|(k, v)| k != v).count()
    }

    /// Real address → placeholder, for the addresses that changed.
    pub fn pairs(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .v4
            .iter()
            .filter(|(k, v)| k != v)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .chain(
                self.v6
                    .iter()
                    .filter(|(k, v)| k != v)
                    .map(|(k, v)| (k.to_string(), v.to_string())),
            )
            .collect();
        svcpath_syntax::stable_sort::sort(&mut out);
        out
    }

    /// Notes a network of the input (`ip/prefix`, host bits clear) before any address is mapped: the
    /// first 2^11 addresses of the network map to the first addresses of the mapped network, in
    /// order, so "the second address of the pod CIDR" means the same address before and after.
    pub fn anchor(&mut self, family: u8, network: u128, prefix: u8) {
        let width = if family == 4 { 32 } else { 128 };
        if prefix == 0 || prefix >= width {
            return;
        }
        self.anchors
            .insert((family, prefix, network >> (width - prefix)));
        if !self.anchor_lengths.contains(&(family, prefix)) {
            self.anchor_lengths.push((family, prefix));
        }
    }

    /// Whether the node of the bit tree at `depth` under `prefix` lies on an anchored network's
    /// first addresses.
    fn anchored(&self, family: u8, depth: u8, prefix: u128) -> bool {
        let width: u8 = if family == 4 { 32 } else { 128 };
        let low = width - ANCHORED_BITS;
        self.anchor_lengths.iter().any(|&(f, k)| {
            if f != family || k > depth {
                return false;
            }
            let network = prefix >> (depth - k);
            // Bits k..min(depth, low) of the prefix must be zero.
            let zeros = depth.min(low).saturating_sub(k);
            let shift = depth - k - zeros;
            let between = (prefix >> shift) & ((1u128 << zeros) - 1);
            between == 0 && self.anchors.contains(&(family, k, network))
        })
    }

    fn flip(&mut self, family: u8, depth: u8, prefix: u128) -> bool {
        if let Some(&f) = self.flips.get(&(family, depth, prefix)) {
            return f;
        }
        if self.anchored(family, depth, prefix) {
            self.flips.insert((family, depth, prefix), false);
            return false;
        }
        let mut hasher = Sha256::new();
        hasher.update(self.key);
        hasher.update([family, depth]);
        hasher.update(prefix.to_be_bytes());
        let f = hasher.finalize()[0] & 1 == 1;
        self.flips.insert((family, depth, prefix), f);
        f
    }

    /// Renumbers bits `fixed..width` of `value` (a `width`-bit number), keyed by the bits above each.
    fn permute(&mut self, family: u8, value: u128, width: u8, fixed: u8) -> u128 {
        let mut out = value;
        for depth in fixed..width {
            let prefix = value >> (width - depth);
            if self.flip(family, depth, prefix) {
                out ^= 1u128 << (width - 1 - depth);
            }
        }
        out
    }

    /// The placeholder of an IPv4 address.
    pub fn ipv4(&mut self, ip: Ipv4Addr) -> Ipv4Addr {
        if let Some(mapped) = self.v4.get(&ip) {
            return *mapped;
        }
        let n = u32::from(ip);
        let mapped = match class_v4(ip) {
            ClassV4::Keep => ip,
            ClassV4::Block(fixed) => {
                let out = self.permute(4, u128::from(n), 32, fixed);
                Ipv4Addr::from(u32::try_from(out).unwrap_or(n))
            }
            ClassV4::Public => {
                let target = self.public_target(n & 0xFFFF_FF00);
                let host = self.permute(4, u128::from(n), 32, 24) as u32 & 0xFF;
                Ipv4Addr::from(target | host)
            }
        };
        self.v4.insert(ip, mapped);
        mapped
    }

    /// The mapped /24 for a public /24 of the input.
    fn public_target(&mut self, real_24: u32) -> u32 {
        if let Some(&t) = self.public_24.get(&real_24) {
            return t;
        }
        let target = loop {
            let i = self.next_target;
            self.next_target += 1;
            let candidate = match DOCUMENTATION_V4_24.get(i) {
                Some(&t) => t,
                // 512 /24s in 198.18.0.0/15; past them placeholders are shared (a dump with more
                // than 500 public /24s is not a node's).
                None => BENCHMARK_V4 | ((((i - DOCUMENTATION_V4_24.len()) % 512) as u32) << 8),
            };
            if !self.taken_24.contains(&candidate) || i > 600 {
                break candidate;
            }
        };
        self.public_24.insert(real_24, target);
        target
    }

    /// The placeholder of an IPv6 address.
    pub fn ipv6(&mut self, ip: Ipv6Addr) -> Ipv6Addr {
        if let Some(mapped) = self.v6.get(&ip) {
            return *mapped;
        }
        let n = u128::from(ip);
        let g = ip.segments();
        let mapped =
            if ip.is_loopback() || ip.is_unspecified() || g[0] >= 0xff00 || g[0] & 0xffc0 == 0xfe80
            {
                ip
            } else if let Some(v4) = ip.to_ipv4_mapped() {
                self.ipv4(v4).to_ipv6_mapped()
            } else if g[0] & 0xfe00 == 0xfc00 {
                // Unique local: fc00::/7 keeps its first byte.
                Ipv6Addr::from(self.permute(6, n, 128, 8))
            } else if g[0] == 0x2001 && g[1] == 0x0db8 {
                ip
            } else {
                // Global: into 2001:db8::/32, the rest renumbered under the real first 32 bits.
                let low = self.permute(6, n, 128, 32) & ((1u128 << 96) - 1);
                Ipv6Addr::from((0x2001_0db8u128 << 96) | low)
            };
        self.v6.insert(ip, mapped);
        mapped
    }

    /// The mapped network of `ip/prefix`: the placeholder of its address with the host bits cleared,
    /// so a canonical CIDR stays canonical.
    pub fn network_v4(&mut self, ip: Ipv4Addr, prefix: u8) -> Ipv4Addr {
        let mapped = u32::from(self.ipv4(ip));
        let mask = if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(prefix.min(32)))
        };
        let host_was_zero = u32::from(ip) & !mask == 0;
        if host_was_zero {
            Ipv4Addr::from(mapped & mask)
        } else {
            Ipv4Addr::from(mapped)
        }
    }

    /// As [`AddressMap::network_v4`] for IPv6.
    pub fn network_v6(&mut self, ip: Ipv6Addr, prefix: u8) -> Ipv6Addr {
        let mapped = u128::from(self.ipv6(ip));
        let mask = if prefix == 0 {
            0
        } else {
            u128::MAX << (128 - u32::from(prefix.min(128)))
        };
        if u128::from(ip) & !mask == 0 {
            Ipv6Addr::from(mapped & mask)
        } else {
            Ipv6Addr::from(mapped)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(m: &mut AddressMap, s: &str) -> Ipv4Addr {
        m.ipv4(s.parse().unwrap())
    }

    fn in_cidr(ip: Ipv4Addr, net: Ipv4Addr, prefix: u32) -> bool {
        let mask = if prefix == 0 {
            0
        } else {
            u32::MAX << (32 - prefix)
        };
        u32::from(ip) & mask == u32::from(net) & mask
    }

    #[test]
    fn classes_are_kept() {
        let mut m = AddressMap::new(b"dump");
        let private = v4(&mut m, "192.168.1.105");
        assert!(
            in_cidr(private, "192.168.0.0".parse().unwrap(), 16),
            "{private}"
        );
        assert_ne!(private, "192.168.1.105".parse::<Ipv4Addr>().unwrap());
        assert!(in_cidr(
            v4(&mut m, "10.244.1.5"),
            Ipv4Addr::new(10, 0, 0, 0),
            8
        ));
        assert!(in_cidr(
            v4(&mut m, "172.17.0.2"),
            Ipv4Addr::new(172, 16, 0, 0),
            12
        ));
        assert!(in_cidr(
            v4(&mut m, "100.64.3.4"),
            Ipv4Addr::new(100, 64, 0, 0),
            10
        ));
        let public = v4(&mut m, "35.191.10.4");
        assert!(in_cidr(public, Ipv4Addr::new(192, 0, 2, 0), 24), "{public}");
        let public2 = v4(&mut m, "52.1.2.3");
        assert!(
            in_cidr(public2, Ipv4Addr::new(198, 51, 100, 0), 24),
            "{public2}"
        );
        let public3 = v4(&mut m, "8.8.8.8");
        assert!(
            in_cidr(public3, Ipv4Addr::new(198, 18, 0, 0), 15),
            "{public3}"
        );
        for kept in [
            "127.0.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.251",
            "169.254.169.254",
        ] {
            assert_eq!(v4(&mut m, kept).to_string(), kept);
        }
        assert_eq!(v4(&mut m, "203.0.113.7").to_string(), "203.0.113.7");
    }

    #[test]
    fn prefixes_are_kept_at_every_length() {
        let mut m = AddressMap::new(b"another dump");
        let a: Ipv4Addr = "10.244.128.5".parse().unwrap();
        let b: Ipv4Addr = "10.244.200.9".parse().unwrap();
        let c: Ipv4Addr = "10.245.0.1".parse().unwrap();
        let (ma, mb, mc) = (m.ipv4(a), m.ipv4(b), m.ipv4(c));
        let common = |x: Ipv4Addr, y: Ipv4Addr| (u32::from(x) ^ u32::from(y)).leading_zeros();
        assert_eq!(common(a, b), common(ma, mb));
        assert_eq!(common(a, c), common(ma, mc));
        let net = m.network_v4("10.244.128.0".parse().unwrap(), 17);
        assert!(in_cidr(ma, net, 17) && in_cidr(mb, net, 17) && !in_cidr(mc, net, 17));
        assert_eq!(u32::from(net) & 0x7FFF, 0, "host bits cleared: {net}");
    }

    #[test]
    fn ipv6_classes() {
        let mut m = AddressMap::new(b"v6");
        let ula = m.ipv6("fd00:10:96::1".parse().unwrap());
        assert_eq!(ula.segments()[0] >> 8, 0xfd);
        assert_ne!(ula.to_string(), "fd00:10:96::1");
        let global = m.ipv6("2600:1f14::5".parse().unwrap());
        assert_eq!(&global.segments()[..2], &[0x2001, 0xdb8]);
        assert_eq!(m.ipv6("::1".parse().unwrap()).to_string(), "::1");
        assert_eq!(m.ipv6("fe80::1".parse().unwrap()).to_string(), "fe80::1");
        assert_eq!(m.ipv6("ff06::c1".parse().unwrap()).to_string(), "ff06::c1");
    }

    #[test]
    fn the_key_comes_from_the_dump() {
        let mut a = AddressMap::new(b"one");
        let mut b = AddressMap::new(b"two");
        let mut a2 = AddressMap::new(b"one");
        let ips: Vec<Ipv4Addr> = (1..20).map(|i| Ipv4Addr::new(10, 0, 0, i)).collect();
        let ma: Vec<_> = ips.iter().map(|ip| a.ipv4(*ip)).collect();
        let mb: Vec<_> = ips.iter().map(|ip| b.ipv4(*ip)).collect();
        let ma2: Vec<_> = ips.iter().map(|ip| a2.ipv4(*ip)).collect();
        assert_eq!(ma, ma2);
        assert_ne!(ma, mb);
    }

    proptest::proptest! {
        #[test]
        fn one_to_one_and_prefix_preserving(x: u32, y: u32) {
            let mut m = AddressMap::new(b"prop");
            let a = Ipv4Addr::from((x & 0x00FF_FFFF) | 0x0A00_0000);
            let b = Ipv4Addr::from((y & 0x00FF_FFFF) | 0x0A00_0000);
            let (ma, mb) = (m.ipv4(a), m.ipv4(b));
            proptest::prop_assert_eq!(a == b, ma == mb);
            let common = |p: Ipv4Addr, q: Ipv4Addr| (u32::from(p) ^ u32::from(q)).leading_zeros();
            proptest::prop_assert_eq!(common(a, b), common(ma, mb));
        }
    }
}
