//! Synthetic kube-proxy dumps of any size, for benchmarks and scale tests: `iptables-save` of an
//! iptables-mode node, `ipvsadm -Ln` plus `ipset list` of an IPVS-mode node, and `nft list table ip
//! kube-proxy` of an nftables-mode node, all drawn from one seeded [`Cluster`].
#![forbid(unsafe_code)]

pub mod conntrack;
pub mod iptables;
pub mod ipvs;
pub mod large;
pub mod model;
pub mod nftables;
pub mod nodes;

use std::io::{self, Write};

pub use model::{cluster, showcase, Cluster, Spec};
pub use nftables::Release;

/// Which node dump to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Iptables,
    Ipvs,
    Nftables,
}

impl Mode {
    pub fn parse(text: &str) -> Option<Mode> {
        match text {
            "iptables" => Some(Mode::Iptables),
            "ipvs" => Some(Mode::Ipvs),
            "nftables" | "nft" => Some(Mode::Nftables),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mode::Iptables => "iptables",
            Mode::Ipvs => "ipvs",
            Mode::Nftables => "nftables",
        }
    }
}

/// Writes the dump of `cluster` in `mode`.
pub fn write(mode: Mode, cluster: &Cluster, out: &mut impl Write) -> io::Result<()> {
    match mode {
        Mode::Iptables => iptables::write(cluster, out),
        Mode::Ipvs => ipvs::write(cluster, out),
        Mode::Nftables => nftables::write(cluster, out),
    }
}

/// The dump of the cluster drawn for `spec`, as text.
pub fn generate(mode: Mode, spec: &Spec) -> String {
    let mut bytes = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = write(mode, &cluster(spec), &mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}
