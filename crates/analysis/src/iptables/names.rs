//! Service names as kube-proxy writes them in rule comments: `ns/name:port`, `ns/name:`, `ns/name`.

/// A Service port's name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceName {
    pub namespace: String,
    pub name: String,
    /// `""` for an unnamed port.
    pub port: String,
}

impl ServiceName {
    /// `namespace/name:port`.
    pub fn id(&self) -> String {
        format!("{}/{}:{}", self.namespace, self.name, self.port)
    }
}

/// Reads the Service name at the start of a kube-proxy comment, or after the words kube-proxy puts
/// before it (`masquerade traffic for ns/name:port external destinations`, `Balancing rule 0 for ns/name:`).
pub fn parse_service_comment(comment: &str) -> Option<ServiceName> {
    let comment = comment.trim();
    let candidates = std::iter::once(comment.split_whitespace().next().unwrap_or("")).chain(
        comment
            .split(" for ")
            .skip(1)
            .map(|s| s.split_whitespace().next().unwrap_or("")),
    );
    for word in candidates {
        if let Some(name) = parse_name(word) {
            return Some(name);
        }
    }
    None
}

fn parse_name(word: &str) -> Option<ServiceName> {
    let (namespace, rest) = word.split_once('/')?;
    if !is_dns_label(namespace) {
        return None;
    }
    let (name, port) = match rest.split_once(':') {
        Some((n, p)) => (n, p),
        None => (rest, ""),
    };
    if !is_dns_label(name) || port.contains('/') || port.contains(':') {
        return None;
    }
    Some(ServiceName {
        namespace: namespace.to_string(),
        name: name.to_string(),
        port: port.to_string(),
    })
}

fn is_dns_label(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 253
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let n = parse_service_comment("kube-system/kube-dns:dns cluster IP").unwrap();
        assert_eq!(n.id(), "kube-system/kube-dns:dns");
        assert_eq!(
            parse_service_comment("2048-game/service-2048-local:")
                .unwrap()
                .port,
            ""
        );
        assert_eq!(
            parse_service_comment("project-hamster/p2-service")
                .unwrap()
                .id(),
            "project-hamster/p2-service:"
        );
        assert_eq!(
            parse_service_comment("masquerade traffic for ns4/svc4:p80 external destinations")
                .unwrap()
                .id(),
            "ns4/svc4:p80"
        );
        assert_eq!(
            parse_service_comment("Balancing rule 0 for 2048-game/service-2048-local:")
                .unwrap()
                .name,
            "service-2048-local"
        );
        assert!(parse_service_comment("kubernetes service portals").is_none());
        assert!(parse_service_comment("flanneld masq").is_none());
    }
}
