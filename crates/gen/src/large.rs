//! Inputs made of one very large set, for the memory benchmark: an `ipset list` of one `hash:ip,port`
//! set with N members (the shape of a host firewall's allow list next to kube-proxy's sets), and an
//! `nft list ruleset` of one table whose verdict map has N elements and is used by an input chain.
//!
//! Neither set is kube-proxy's, so svcpath reads every member but reports no Service for them: what is
//! measured is what the parse tree of a large set costs, not a report of millions of Services.

use std::io::{self, Write};

/// Which large input to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LargeSet {
    /// `ipset list`: one `hash:ip,port` set.
    Ipset,
    /// `nft list ruleset`: one table with an `ipv4_addr . inet_service : verdict` map.
    NftMap,
}

impl LargeSet {
    pub fn parse(text: &str) -> Option<LargeSet> {
        match text {
            "ipset" => Some(LargeSet::Ipset),
            "nft-map" => Some(LargeSet::NftMap),
            _ => None,
        }
    }
}

/// The `i`-th distinct IPv4 address of 10.0.0.0/8 and above, its last byte never 0 (1 to 255).
fn address(i: usize) -> String {
    let i = i as u32;
    let n = (i / 255) * 256 + i % 255 + 1;
    std::net::Ipv4Addr::from(0x0a00_0000u32.wrapping_add(n)).to_string()
}

/// A port drawn from the member's number, the same for the same `i`.
fn port(i: usize) -> u16 {
    [80u16, 443, 8080, 8443, 53, 5432, 6379, 9090][i % 8]
}

/// Writes the input of `kind` with `count` members or elements.
pub fn write(kind: LargeSet, count: usize, out: &mut impl Write) -> io::Result<()> {
    match kind {
        LargeSet::Ipset => write_ipset(count, out),
        LargeSet::NftMap => write_nft_map(count, out),
    }
}

/// `ipset list` of one `hash:ip,port` set with `count` members, in ipset's layout.
fn write_ipset(count: usize, out: &mut impl Write) -> io::Result<()> {
    let mut hashsize = 1024usize;
    while hashsize * 4 < count {
        hashsize *= 2;
    }
    let maxelem = count.next_power_of_two().max(65536);
    writeln!(out, "Name: EDGE-ALLOW")?;
    writeln!(out, "Type: hash:ip,port")?;
    writeln!(out, "Revision: 6")?;
    writeln!(
        out,
        "Header: family inet hashsize {hashsize} maxelem {maxelem} bucketsize 12 initval 0x5e2c7a1b"
    )?;
    writeln!(out, "Size in memory: {}", 200 + count * 24)?;
    writeln!(out, "References: 1")?;
    writeln!(out, "Number of entries: {count}")?;
    writeln!(out, "Members:")?;
    for i in 0..count {
        let protocol = if i % 5 == 4 { "udp" } else { "tcp" };
        writeln!(out, "{},{protocol}:{}", address(i), port(i))?;
    }
    Ok(())
}

/// `nft list ruleset` of one table with a verdict map of `count` elements, one a line as nft wraps
/// map elements, and the input chain that looks packets up in it.
fn write_nft_map(count: usize, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "table ip edge {{")?;
    writeln!(out, "\tmap allow-list {{")?;
    writeln!(out, "\t\ttype ipv4_addr . inet_service : verdict")?;
    if count > 0 {
        write!(out, "\t\telements = {{ ")?;
        for i in 0..count {
            if i > 0 {
                write!(out, ",\n\t\t\t     ")?;
            }
            let verdict = if i % 7 == 6 { "drop" } else { "accept" };
            write!(out, "{} . {} : {verdict}", address(i), port(i))?;
        }
        writeln!(out, " }}")?;
    }
    writeln!(out, "\t}}")?;
    writeln!(out)?;
    writeln!(out, "\tchain input {{")?;
    writeln!(
        out,
        "\t\ttype filter hook input priority filter; policy accept;"
    )?;
    writeln!(out, "\t\tip saddr . tcp dport vmap @allow-list")?;
    writeln!(out, "\t}}")?;
    writeln!(out, "}}")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_distinct_and_never_end_in_zero() {
        let all: std::collections::BTreeSet<String> = (0..70_000).map(address).collect();
        assert_eq!(all.len(), 70_000);
        assert!(all.iter().all(|a| !a.ends_with(".0")));
    }

    #[test]
    fn the_ipset_lists_as_many_members_as_it_says() {
        let mut bytes = Vec::new();
        write(LargeSet::Ipset, 1000, &mut bytes).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains("Number of entries: 1000\n"));
        let members = text.lines().skip_while(|l| *l != "Members:").skip(1);
        assert_eq!(members.count(), 1000);
    }

    #[test]
    fn the_map_has_one_element_a_line() {
        let mut bytes = Vec::new();
        write(LargeSet::NftMap, 1000, &mut bytes).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(
            text.matches(" : accept").count() + text.matches(" : drop").count(),
            1000
        );
    }
}
