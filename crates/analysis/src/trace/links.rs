//! The node's links as the tracer tells them apart: the link a packet is on (loopback, the pods'
//! link, the uplink), what kind of link an interface name stands for, and the names taken for the
//! pods' link and the uplink.

/// A link of the node, as far as the tracer can tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Link {
    None,
    Loopback,
    Pod,
    Uplink,
}

/// What kind of link an interface name stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkClass {
    Loopback,
    /// The node's uplink (`eth0`, `ens5`, `bond0`, …): where outside traffic arrives.
    Uplink,
    /// A link pods on this node use (`cni0`, `cbr0`, `veth+`, `cali+`, …).
    Pod,
    /// Overlay tunnels (`flannel.1`, `vxlan.calico`, `tunl0`, …): traffic to pods on other nodes.
    Overlay,
    /// Links that carry none of the traced packets (`docker0`, `br-…`, `virbr0`, `kube-ipvs0`, …).
    Other,
    Unknown,
}

pub fn classify(name: &str) -> LinkClass {
    let base = name.trim_end_matches('+');
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| base.starts_with(p));
    if base == "lo" {
        LinkClass::Loopback
    } else if starts(&[
        "flannel",
        "vxlan",
        "tunl",
        "cilium_vxlan",
        "cilium_geneve",
        "genev",
        "wg",
        "weave-",
        "ipip",
        "tun",
    ]) {
        LinkClass::Overlay
    } else if base == "docker0"
        || starts(&[
            "docker_gwbridge",
            "br-",
            "virbr",
            "lxcbr",
            "kube-ipvs",
            "nodelocaldns",
            "dummy",
            "kube-dummy",
            "podman",
        ])
    {
        LinkClass::Other
    } else if starts(&[
        "eth", "ens", "enp", "eno", "enx", "em", "bond", "wl", "team", "br-ex", "ib",
    ]) {
        LinkClass::Uplink
    } else if starts(&[
        "cni",
        "cbr",
        "veth",
        "cali",
        "lxc",
        "weave",
        "kube-bridge",
        "azv",
        "eni",
        "gke",
        "vethwe",
        "tap",
        "cilium_host",
        "cilium_net",
        "antrea-gw",
        "ovn-k8s",
        "kube-router",
        "mynet",
        "bridge",
    ]) {
        LinkClass::Pod
    } else {
        LinkClass::Unknown
    }
}

/// Whether an interface pattern (`veth+` = any name starting with `veth`) matches a name.
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('+') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

/// The interface names the rules use, and the names taken for the pod link and the uplink.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Interfaces {
    /// Every name in `-i`/`-o`, in order of first use.
    pub referenced: Vec<String>,
    /// The name taken for the link pods on this node use: the first pod-like name in the rules
    /// (a `+` pattern made concrete: `veth+` -> `veth0`).
    pub pod: Option<String>,
    /// The name taken for the uplink: the first uplink-like name in the rules.
    pub uplink: Option<String>,
    /// More than one distinct pod-like (uplink-like) name: which one a packet uses is a guess.
    pub pod_ambiguous: bool,
    pub uplink_ambiguous: bool,
}

impl Interfaces {
    /// The names taken for the pod link and the uplink among these (in order of first use).
    pub fn from_names(referenced: Vec<String>) -> Interfaces {
        let concrete = |n: &str| match n.strip_suffix('+') {
            Some(prefix) => format!("{prefix}0"),
            None => n.to_string(),
        };
        let of_class = |class| {
            referenced
                .iter()
                .filter(|n| classify(n) == class)
                .collect::<Vec<_>>()
        };
        let pods = of_class(LinkClass::Pod);
        let uplinks = of_class(LinkClass::Uplink);
        let pod = pods.first().map(|n| concrete(n));
        let uplink = uplinks.first().map(|n| concrete(n));
        let ambiguous = |names: &[&String], chosen: &Option<String>| {
            chosen
                .as_ref()
                .is_some_and(|c| names.iter().any(|n| !pattern_matches(n, c)))
        };
        Interfaces {
            pod_ambiguous: ambiguous(&pods, &pod),
            uplink_ambiguous: ambiguous(&uplinks, &uplink),
            referenced,
            pod,
            uplink,
        }
    }
}
