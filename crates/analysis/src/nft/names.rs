//! kube-proxy's nftables chain and set names: `service-HASH-ns/name/proto/port`,
//! `endpoint-HASH-ns/name/proto/port__IP/PORT`, `affinity-…`, `external-…`, `local-…`, `firewall-…`.

use crate::report::Protocol;

/// What a kube-proxy chain (or affinity set) is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChainKind {
    /// `service-…`: the endpoints of "Cluster" traffic policy.
    Service,
    /// `local-…`: the endpoints on this node, for a "Local" traffic policy.
    Local,
    /// `external-…`: where traffic to external IPs, load-balancer IPs and NodePorts goes first.
    External,
    /// `firewall-…`: `loadBalancerSourceRanges` checks.
    Firewall,
    /// `endpoint-…`: one endpoint (DNAT).
    Endpoint,
    /// `affinity-…`: the set remembering clients of one endpoint.
    Affinity,
}

/// A Service port as kube-proxy names it: namespace, name, protocol and port name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortKey {
    pub namespace: String,
    pub name: String,
    pub port_name: String,
}

impl PortKey {
    /// `namespace/name:port` (`namespace/name:` for an unnamed port), the Service id of every mode.
    pub fn id(&self) -> String {
        format!("{}/{}:{}", self.namespace, self.name, self.port_name)
    }

    /// Reads `ns/name:port` (or `ns/name`) from an element comment.
    pub fn from_comment(comment: &str) -> Option<PortKey> {
        let comment = comment.trim();
        let (namespace, rest) = comment.split_once('/')?;
        let (name, port_name) = match rest.split_once(':') {
            Some((n, p)) => (n, p),
            None => (rest, ""),
        };
        let ok = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        };
        if !ok(namespace) || !ok(name) || !(port_name.is_empty() || ok(port_name)) {
            return None;
        }
        Some(PortKey {
            namespace: namespace.into(),
            name: name.into(),
            port_name: port_name.into(),
        })
    }
}

/// A parsed kube-proxy chain or set name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainName {
    pub kind: ChainKind,
    pub key: PortKey,
    pub protocol: Option<Protocol>,
    /// For endpoint chains and affinity sets: the endpoint's IP as written in the name (an IPv6 address
    /// has its colons written as dots) and port.
    pub endpoint: Option<(String, Option<u16>)>,
}

/// Reads a kube-proxy chain or set name; `None` for other names and for names kube-proxy shortened with
/// `...`.
pub fn parse(name: &str) -> Option<ChainName> {
    let (kind, rest) = [
        ("service-", ChainKind::Service),
        ("local-", ChainKind::Local),
        ("external-", ChainKind::External),
        ("firewall-", ChainKind::Firewall),
        ("endpoint-", ChainKind::Endpoint),
        ("affinity-", ChainKind::Affinity),
    ]
    .iter()
    .find_map(|(prefix, kind)| name.strip_prefix(prefix).map(|rest| (*kind, rest)))?;
    // An 8-character hash, then `-`.
    let hash = rest.get(..8)?;
    if !hash
        .chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        || rest.get(8..9) != Some("-")
    {
        return None;
    }
    let body = rest.get(9..)?;
    if body.ends_with("...") {
        return None;
    }
    let (service, endpoint) = match body.split_once("__") {
        Some((s, e)) => (s, Some(e)),
        None => (body, None),
    };
    let needs_endpoint = matches!(kind, ChainKind::Endpoint | ChainKind::Affinity);
    if needs_endpoint != endpoint.is_some() {
        return None;
    }
    let parts: Vec<&str> = service.split('/').collect();
    let [namespace, svc, proto, port_name] = parts.as_slice() else {
        return None;
    };
    if namespace.is_empty() || svc.is_empty() {
        return None;
    }
    let endpoint = endpoint.map(|e| match e.rsplit_once('/') {
        Some((ip, port)) => (ip.to_string(), port.parse().ok()),
        None => (e.to_string(), None),
    });
    Some(ChainName {
        kind,
        key: PortKey {
            namespace: (*namespace).into(),
            name: (*svc).into(),
            port_name: (*port_name).into(),
        },
        protocol: Protocol::parse(proto),
        endpoint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_and_endpoint_names() {
        let s = parse("service-P6J77WGM-riset/hellopod-np-svc/tcp/").unwrap();
        assert_eq!(s.kind, ChainKind::Service);
        assert_eq!(s.key.id(), "riset/hellopod-np-svc:");
        assert_eq!(s.protocol, Some(Protocol::Tcp));
        let e = parse("endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80").unwrap();
        assert_eq!(e.kind, ChainKind::Endpoint);
        assert_eq!(e.key.id(), "ns1/svc1:p80");
        assert_eq!(e.endpoint, Some(("10.180.0.1".into(), Some(80))));
        let a = parse("affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80").unwrap();
        assert_eq!(a.kind, ChainKind::Affinity);
    }

    #[test]
    fn other_names_are_not_kube_proxy_service_chains() {
        assert!(parse("services").is_none());
        assert!(parse("service-endpoints-check").is_none());
        assert!(parse("service-ips").is_none());
        assert!(parse("endpoint-5OJB2KTY-ns1/svc1/tcp/p80").is_none());
        assert!(parse("service-ULMVA6XW-ns1/svc1/tcp/p8...").is_none());
    }

    #[test]
    fn comments_name_ports() {
        assert_eq!(
            PortKey::from_comment("ns2/svc2:p80").unwrap().id(),
            "ns2/svc2:p80"
        );
        assert_eq!(PortKey::from_comment("riset/x").unwrap().port_name, "");
        assert!(PortKey::from_comment("not a name").is_none());
    }
}
