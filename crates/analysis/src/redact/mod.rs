//! Redaction: rewrites a dump so it can be shared without telling who runs the node, and so that it
//! still explains exactly as the original does.
//!
//! One [`Redactor`] maps consistently. Namespaces become `ns-N`, Service names `svc-N`, host names in
//! shell prompts `node-N`, wherever they appear (comments, nft chain, set and element names, free
//! text); names every cluster has (`default`, `kube-system`, `kubernetes`, …) stay. Everything kube-proxy
//! derives from a name is derived again from the redacted name: the `KUBE-SVC-`/`KUBE-SEP-`/… chain
//! hashes and nft `service-HASH-…` names are recomputed as kube-proxy computes them (see [`chains`]),
//! so nobody can hash a guessed name and find it; a chain hash whose name the dump does not show is
//! replaced by a keyed hash. Addresses are mapped by [`address`]: class and prefix structure kept,
//! ports kept. Line structure is kept, so line numbers still match between the two dumps.
//!
//! The report of a redacted copy is the analysis of the redacted dump ([`redacted_report`]), not a
//! rewrite of the original report: what the recipient of a redacted dump sees is what the sender saw.

pub mod address;
pub mod chains;
pub mod report;
mod words;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{Ipv4Addr, Ipv6Addr};

use sha2::{Digest, Sha256};

use crate::report::Report;
use crate::Options;
use address::AddressMap;
use chains::{ChainIndex, HashOrigin};
pub use report::Redact;
pub use words::{KEPT_NAMES, VOCABULARY};

/// A redacted dump with the options that go with it and what was replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct Redacted {
    pub dump: String,
    /// The analysis options with their addresses (node IPs) redacted the same way.
    pub options: Options,
    /// Distinct addresses replaced.
    pub addresses: usize,
    /// Distinct namespaces, Service names and host names replaced.
    pub names: usize,
    /// Distinct chain hashes computed again.
    pub chains: usize,
    /// For each Service of the report the redaction learnt from, its id in the redacted copy.
    pub service_ids: Vec<String>,
}

/// Redacts a dump. It is analysed first, so that every Service port and endpoint the analysis finds
/// (also where the dump's comments are missing) is recognised in its chain names.
pub fn redact_dump(dump: &str, options: &Options) -> Redacted {
    let report = crate::analyze(dump, options);
    redact_with_report(dump, options, &report)
}

/// Redacts a dump whose report is at hand.
pub fn redact_with_report(dump: &str, options: &Options, report: &Report) -> Redacted {
    let mut redactor = Redactor::for_input(Some(report), dump);
    let text = redactor.text(dump);
    let options = redactor.options(options);
    let service_ids = report
        .services
        .iter()
        .map(|s| redactor.text(&s.id))
        .collect();
    Redacted {
        service_ids,
        dump: text,
        options,
        addresses: redactor.addresses.changed(),
        names: redactor.namespaces.len()
            + redactor.services.len()
            + redactor.hosts.len()
            + redactor.ports.len(),
        chains: redactor.chains_rehashed.len(),
    }
}

/// The redacted dump and its own report: what a recipient of the redacted copy sees.
pub fn redacted_report(dump: &str, options: &Options, report: &Report) -> (Redacted, Report) {
    let redacted = redact_with_report(dump, options, report);
    let report = crate::analyze(&redacted.dump, &redacted.options);
    (redacted, report)
}

/// A consistent mapping from real values to placeholders.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    key: [u8; 32],
    addresses: AddressMap,
    namespaces: HashMap<String, String>,
    services: HashMap<String, String>,
    hosts: HashMap<String, String>,
    /// Port names that say more than a protocol (`fileserver`, not `https`).
    ports: HashMap<String, String>,
    index: ChainIndex,
    /// Chain hashes already replaced: original → new.
    chains_rehashed: HashMap<String, String>,
}

impl Redactor {
    /// A redactor that knows the names of the dump and, when given, of its report.
    pub fn for_input(report: Option<&Report>, dump: &str) -> Redactor {
        let mut hasher = Sha256::new();
        hasher.update(b"svcpath chain redaction key\0");
        hasher.update(dump.as_bytes());
        let mut redactor = Redactor {
            key: hasher.finalize().into(),
            addresses: AddressMap::new(dump.as_bytes()),
            ..Redactor::default()
        };
        if let Some(report) = report {
            redactor.learn_report(report);
        }
        redactor.learn_text(dump);
        redactor
    }

    /// Learns the report's Service ports and endpoints.
    pub fn learn_report(&mut self, report: &Report) {
        for service in &report.services {
            let (Some(namespace), Some(name)) = (&service.namespace, &service.name) else {
                continue;
            };
            if !is_namespace(namespace) || !is_service_name(name) {
                continue;
            }
            self.learn_namespace(namespace);
            self.learn_service(name);
            self.learn_port(&service.port_name);
            let port_name = if service.port_name.is_empty() {
                format!("{namespace}/{name}")
            } else {
                format!("{namespace}/{name}:{}", service.port_name)
            };
            self.index.add_service(&port_name);
            let protocol = service.protocol.map(|p| p.name()).unwrap_or("tcp");
            for endpoint in &service.endpoints {
                let Some(port) = endpoint.port else { continue };
                let address = if endpoint.ip.contains(':') {
                    format!("[{}]:{port}", endpoint.ip)
                } else {
                    format!("{}:{port}", endpoint.ip)
                };
                self.index.add_endpoint(&port_name, protocol, &address);
            }
        }
    }

    /// Learns names from the dump itself: comments (`ns/name:port`), nft chain names and shell prompts;
    /// notes every IPv4 address (see [`AddressMap::reserve`]).
    pub fn learn_text(&mut self, text: &str) {
        for line in text.lines() {
            self.learn_line(line);
        }
    }

    fn learn_line(&mut self, line: &str) {
        let mut port_name = None;
        let mut protocol = None;
        let mut destination = None;
        let mut previous = "";
        let mut in_comment = false;
        let mut in_quotes = false;
        for (token, quoted) in tokens(line) {
            if let Ok(ip) = token.parse::<Ipv4Addr>() {
                self.addresses.reserve(ip);
            }
            self.learn_network(token);
            if let Some((a, b, _)) = split_range(token) {
                // A range keeps its order when its smallest enclosing network is anchored.
                let (a, b) = (u32::from(a), u32::from(b));
                let common = (a ^ b).leading_zeros().min(32) as u8;
                let mask = u32::MAX.checked_shl(32 - u32::from(common)).unwrap_or(0);
                self.addresses.anchor(4, u128::from(a & mask), common);
            }
            if let Some((_, _, rest)) = chains::split_nft_name(token) {
                if let Some(name) = chains::parse_nft_name(rest) {
                    if is_namespace(name.namespace) && is_service_name(name.name) {
                        self.learn_namespace(name.namespace);
                        self.learn_service(name.name);
                        self.learn_port(name.port);
                    }
                }
            }
            if previous == "comment" || previous == "--comment" {
                in_comment = true;
                in_quotes = quoted;
            } else if in_comment && !(in_quotes && quoted) {
                in_comment = false;
            }
            if in_comment {
                if let Some((namespace, name, port)) = split_port_name(token) {
                    self.learn_namespace(namespace);
                    self.learn_service(name);
                    self.learn_port(port.unwrap_or(""));
                    port_name.get_or_insert(token);
                }
            }
            match previous {
                "-p" | "--protocol" => protocol = Some(token),
                "--to-destination" => destination = Some(token),
                _ => {}
            }
            previous = token;
        }
        if let (Some(port_name), Some(protocol), Some(destination)) =
            (port_name, protocol, destination)
        {
            self.index.add_service(port_name);
            self.index.add_endpoint(port_name, protocol, destination);
        } else if let Some(port_name) = port_name {
            self.index.add_service(port_name);
        }
        if let Some(host) = prompt_host(line) {
            if !self.keeps(host) && !self.hosts.contains_key(host) && parse_ip(host).is_none() {
                let placeholder = format!("node-{}", self.hosts.len() + 1);
                self.hosts.insert(host.to_string(), placeholder);
            }
        }
    }

    /// `ip/length` in the input: a network whose first addresses keep their order.
    fn learn_network(&mut self, token: &str) {
        let Some((ip, length)) = token.split_once('/') else {
            return;
        };
        let Ok(length) = length.parse::<u8>() else {
            return;
        };
        if let Ok(ip) = ip.parse::<Ipv4Addr>() {
            if length <= 32 {
                let mask = u32::MAX.checked_shl(32 - u32::from(length)).unwrap_or(0);
                self.addresses
                    .anchor(4, u128::from(u32::from(ip) & mask), length);
            }
        } else if let Ok(ip) = ip.parse::<Ipv6Addr>() {
            if length <= 128 {
                let mask = u128::MAX.checked_shl(128 - u32::from(length)).unwrap_or(0);
                self.addresses.anchor(6, u128::from(ip) & mask, length);
            }
        }
    }

    fn learn_namespace(&mut self, namespace: &str) {
        if KEPT_NAMES.contains(&namespace) || self.namespaces.contains_key(namespace) {
            return;
        }
        let placeholder = format!("ns-{}", self.namespaces.len() + 1);
        self.namespaces.insert(namespace.to_string(), placeholder);
    }

    fn learn_service(&mut self, name: &str) {
        if KEPT_NAMES.contains(&name) || self.services.contains_key(name) {
            return;
        }
        let placeholder = format!("svc-{}", self.services.len() + 1);
        self.services.insert(name.to_string(), placeholder);
    }

    fn learn_port(&mut self, port: &str) {
        if self.ports.contains_key(port) || !is_namespace(port) || plain_port_name(port) {
            return;
        }
        let placeholder = match self
            .services
            .get(port)
            .or_else(|| self.namespaces.get(port))
        {
            Some(name) => name.clone(),
            None => format!("port-{}", self.ports.len() + 1),
        };
        self.ports.insert(port.to_string(), placeholder);
    }

    fn keeps(&self, word: &str) -> bool {
        word.is_empty()
            || KEPT_NAMES.contains(&word)
            || VOCABULARY.iter().any(|w| w.eq_ignore_ascii_case(word))
    }

    /// A namespace in a name position (a comment's `ns/name`, an nft chain name).
    fn namespace(&self, namespace: &str) -> String {
        self.namespaces
            .get(namespace)
            .cloned()
            .unwrap_or_else(|| namespace.to_string())
    }

    /// A Service name in a name position.
    fn service(&self, name: &str) -> String {
        self.services
            .get(name)
            .cloned()
            .unwrap_or_else(|| name.to_string())
    }

    /// A port name: kept when it only names a protocol (`https`, `dns-tcp`, `p80`), else replaced.
    fn port(&self, port: &str) -> String {
        self.ports
            .get(port)
            .cloned()
            .unwrap_or_else(|| port.to_string())
    }

    /// A Service port name `ns/name[:port]`, redacted.
    fn port_name(&self, port_name: &str) -> String {
        match split_port_name(port_name) {
            Some((namespace, name, Some(port))) => format!(
                "{}/{}:{}",
                self.namespace(namespace),
                self.service(name),
                self.port(port)
            ),
            Some((namespace, name, None)) => {
                format!("{}/{}", self.namespace(namespace), self.service(name))
            }
            None => port_name.to_string(),
        }
    }

    /// The placeholder of one address given as text (`None` when it is not one).
    pub fn address(&mut self, text: &str) -> Option<String> {
        match parse_ip(text)? {
            std::net::IpAddr::V4(ip) => Some(self.addresses.ipv4(ip).to_string()),
            std::net::IpAddr::V6(ip) => Some(self.addresses.ipv6(ip).to_string()),
        }
    }

    /// The options with their addresses redacted.
    pub fn options(&mut self, options: &Options) -> Options {
        let mut out = options.clone();
        for ip in &mut out.node_ips {
            if let Some(mapped) = self.address(ip) {
                *ip = mapped;
            }
        }
        out
    }

    /// `ip:port` or `[ip]:port`, redacted.
    fn endpoint(&mut self, endpoint: &str) -> String {
        if let Some(rest) = endpoint.strip_prefix('[') {
            if let Some((ip, port)) = rest.split_once("]:") {
                if let Ok(ip) = ip.parse::<Ipv6Addr>() {
                    return format!("[{}]:{port}", self.addresses.ipv6(ip));
                }
            }
        }
        if let Some((ip, port)) = endpoint.rsplit_once(':') {
            if let Ok(ip) = ip.parse::<Ipv4Addr>() {
                return format!("{}:{port}", self.addresses.ipv4(ip));
            }
        }
        endpoint.to_string()
    }

    /// A chain hash the dump's names do not explain: a keyed hash of it, the same length.
    fn opaque_hash(&self, hash: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.key);
        hasher.update(hash.as_bytes());
        chains::base32_prefix(&hasher.finalize(), hash.len())
    }

    fn iptables_hash(&mut self, hash: &str) -> String {
        if let Some(done) = self.chains_rehashed.get(hash) {
            return done.clone();
        }
        let new = match self.index.get(hash).cloned() {
            Some(HashOrigin::Service {
                port_name,
                protocol,
            }) => chains::service_hash(&self.port_name(&port_name), protocol),
            Some(HashOrigin::Endpoint {
                port_name,
                protocol,
                endpoint,
            }) => {
                let endpoint = self.endpoint(&endpoint);
                chains::endpoint_hash(&self.port_name(&port_name), protocol, &endpoint)
            }
            None => self.opaque_hash(hash),
        };
        self.chains_rehashed.insert(hash.to_string(), new.clone());
        new
    }

    /// An nft chain or set name `head-HASH-ns/name/proto/port[__ip/port]`, redacted and hashed again.
    fn nft_name(&mut self, head: &str, hash: &str, rest: &str) -> String {
        let Some(name) = chains::parse_nft_name(rest) else {
            return format!("{head}-{}-{rest}", self.opaque_hash(hash));
        };
        let mut new_rest = format!(
            "{}/{}/{}/{}",
            self.namespace(name.namespace),
            self.service(name.name),
            name.protocol,
            self.port(name.port)
        );
        if let Some((ip, port)) = name.endpoint {
            let ip = if let Ok(v4) = ip.parse::<Ipv4Addr>() {
                self.addresses.ipv4(v4).to_string()
            } else if let Ok(v6) = ip.replace('.', ":").parse::<Ipv6Addr>() {
                self.addresses.ipv6(v6).to_string().replace(':', ".")
            } else {
                ip.to_string()
            };
            new_rest = format!("{new_rest}__{ip}/{port}");
        }
        let new_hash = chains::nft_hash(&new_rest);
        self.chains_rehashed
            .insert(hash.to_string(), new_hash.clone());
        format!("{head}-{new_hash}-{new_rest}")
    }

    /// Redacts free text. Line structure is kept.
    pub fn text(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + text.len() / 8);
        let mut rest = text;
        while !rest.is_empty() {
            let word_len = rest.find(|c: char| !is_word_char(c)).unwrap_or(rest.len());
            if word_len == 0 {
                let c_len = rest.chars().next().map(char::len_utf8).unwrap_or(1);
                out.push_str(rest.get(..c_len).unwrap_or(""));
                rest = rest.get(c_len..).unwrap_or("");
                continue;
            }
            let word = rest.get(..word_len).unwrap_or("");
            self.token(word, &mut out);
            rest = rest.get(word_len..).unwrap_or("");
        }
        out
    }

    /// One token: letters, digits and `.:-_/`.
    fn token(&mut self, token: &str, out: &mut String) {
        // `:KUBE-SVC-…` declares a chain in iptables-save.
        if let Some(chain) = token.strip_prefix(':') {
            if chain.starts_with("KUBE-") {
                out.push(':');
                return self.token(chain, out);
            }
        }
        if let Some((prefix, hash)) = chains::split_iptables_chain(token) {
            out.push_str(prefix);
            let new = self.iptables_hash(hash);
            out.push_str(&new);
            return;
        }
        if let Some((head, hash, rest)) = chains::split_nft_name(token) {
            let new = self.nft_name(head, hash, rest);
            out.push_str(&new);
            return;
        }
        if let Some((namespace, name, port)) = split_port_name(token) {
            if self.namespaces.contains_key(namespace)
                || self.services.contains_key(name)
                || KEPT_NAMES.contains(&namespace)
            {
                out.push_str(&self.namespace(namespace));
                out.push('/');
                out.push_str(&self.service(name));
                if let Some(port) = port {
                    out.push(':');
                    out.push_str(&self.port(port));
                }
                return;
            }
        }
        // Segments between slashes: an address with its prefix length is a network.
        let segments: Vec<&str> = token.split('/').collect();
        let mut i = 0;
        while i < segments.len() {
            if i > 0 {
                out.push('/');
            }
            let segment = segments[i];
            let length = segments.get(i + 1).and_then(|s| s.parse::<u8>().ok());
            if let Some(network) = length.and_then(|length| self.network(segment, length)) {
                out.push_str(&network);
                out.push('/');
                out.push_str(segments[i + 1]);
                i += 2;
                continue;
            }
            self.segment(segment, out);
            i += 1;
        }
    }

    fn network(&mut self, segment: &str, length: u8) -> Option<String> {
        if let Ok(ip) = segment.parse::<Ipv4Addr>() {
            if length <= 32 {
                return Some(self.addresses.network_v4(ip, length).to_string());
            }
        }
        if segment.contains(':') {
            if let Ok(ip) = segment.parse::<Ipv6Addr>() {
                if length <= 128 {
                    return Some(self.addresses.network_v6(ip, length).to_string());
                }
            }
        }
        None
    }

    /// A piece of a token without slashes.
    fn segment(&mut self, word: &str, out: &mut String) {
        if let Some(replaced) = self.address_word(word) {
            out.push_str(&replaced);
            return;
        }
        if let Some((a, b, tail)) = split_range(word) {
            let (a, b) = (self.addresses.ipv4(a), self.addresses.ipv4(b));
            out.push_str(&format!("{a}-{b}{tail}"));
            return;
        }
        if word.contains('.') {
            // A host name (`kube-dns.kube-system.svc.cluster.local:53`): part by part.
            for (i, part) in word.split('.').enumerate() {
                if i > 0 {
                    out.push('.');
                }
                self.bare(part, out);
            }
            return;
        }
        self.bare(word, out);
    }

    /// A word outside a name position: replaced when it is a learnt name and not a word of the dumps'
    /// vocabulary.
    fn bare(&mut self, word: &str, out: &mut String) {
        let (name, port) = match word.split_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (word, None),
        };
        let mapped = if self.keeps(name) {
            None
        } else {
            self.namespaces
                .get(name)
                .or_else(|| self.services.get(name))
                .or_else(|| self.hosts.get(name))
                .or_else(|| self.ports.get(name))
                .cloned()
        };
        if let Some(mapped) = mapped {
            out.push_str(&mapped);
            if let Some(port) = port {
                out.push(':');
                out.push_str(port);
            }
            return;
        }
        // `web-x7k2p`, `web-7d4b9c-x7k2p`: an EndpointSlice or a pod named after its Service.
        if let Some(mapped) = self.named_after_service(name) {
            out.push_str(&mapped);
            if let Some(port) = port {
                out.push(':');
                out.push_str(port);
            }
            return;
        }
        // `ip-10-0-62-121` or `10-0-62-121`: an address written into a host name.
        let (head, dashed) = match word.strip_prefix("ip-") {
            Some(rest) => ("ip-", rest),
            None => ("", word),
        };
        let (dashed, tail) = dashed.split_at(dashed.find(':').unwrap_or(dashed.len()));
        if let Some(ip) = dashed_ipv4(dashed) {
            out.push_str(head);
            out.push_str(&self.addresses.ipv4(ip).to_string().replace('.', "-"));
            out.push_str(tail);
            return;
        }
        out.push_str(word);
    }

    /// A name made of a known Service's name, a dash and a generated suffix (how Kubernetes names the
    /// EndpointSlices and pods of a Service), with the Service's part replaced; the longest known
    /// Service name wins.
    fn named_after_service(&self, name: &str) -> Option<String> {
        name.char_indices()
            .filter(|&(_, c)| c == '-')
            .rev()
            .map(|(at, _)| name.split_at(at))
            .filter(|(service, _)| !self.keeps(service))
            .find_map(|(service, suffix)| {
                self.services
                    .get(service)
                    .map(|mapped| format!("{mapped}{suffix}"))
            })
    }

    /// A word that is an address, possibly with `:port` or trailing punctuation.
    fn address_word(&mut self, word: &str) -> Option<String> {
        let first = word.chars().next()?;
        if !first.is_ascii_hexdigit() && first != ':' {
            return None;
        }
        if let Ok(ip) = word.parse::<Ipv4Addr>() {
            return Some(self.addresses.ipv4(ip).to_string());
        }
        if let Some((host, port)) = word.rsplit_once(':') {
            if let Ok(ip) = host.parse::<Ipv4Addr>() {
                return Some(format!("{}:{port}", self.addresses.ipv4(ip)));
            }
        }
        if word.contains(':') && word.len() >= 3 {
            if let Ok(ip) = word.parse::<Ipv6Addr>() {
                return Some(self.addresses.ipv6(ip).to_string());
            }
        }
        // Trailing dots or colons are punctuation (`to 10.0.0.1.`, `10.0.0.1:`).
        let trimmed = word.trim_end_matches(['.', ':']);
        if trimmed.len() != word.len() && !trimmed.is_empty() {
            if let Some(inner) = self.address_word(trimmed) {
                return Some(format!(
                    "{inner}{}",
                    word.get(trimmed.len()..).unwrap_or("")
                ));
            }
        }
        None
    }

    /// Real value → placeholder, for showing the user what was replaced.
    pub fn mapping(&self) -> BTreeMap<String, String> {
        let mut out: BTreeMap<String, String> = self.addresses.pairs().into_iter().collect();
        for map in [&self.namespaces, &self.services, &self.hosts, &self.ports] {
            for (k, v) in map {
                out.insert(k.clone(), v.clone());
            }
        }
        out
    }

    /// Chain hashes met so far: original → the one written instead.
    pub fn chain_hashes(&self) -> impl Iterator<Item = (&str, &str)> {
        self.chains_rehashed
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The original names this redactor replaces (namespaces, Services, hosts).
    pub fn replaced_names(&self) -> HashSet<String> {
        self.namespaces
            .keys()
            .chain(self.services.keys())
            .chain(self.hosts.keys())
            .chain(self.ports.keys())
            .cloned()
            .collect()
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '_' | '/')
}

/// The tokens of a line, each with whether it stands inside double quotes.
fn tokens(line: &str) -> impl Iterator<Item = (&str, bool)> {
    let mut quoted = false;
    let mut rest = line;
    std::iter::from_fn(move || loop {
        let skip = rest.find(|c: char| is_word_char(c) || c == '"')?;
        if rest[skip..].starts_with('"') {
            quoted = !quoted;
            rest = &rest[skip + 1..];
            continue;
        }
        rest = &rest[skip..];
        let len = rest.find(|c: char| !is_word_char(c)).unwrap_or(rest.len());
        let (token, tail) = rest.split_at(len);
        rest = tail;
        return Some((token, quoted));
    })
}

/// A DNS-1123 label: a namespace.
fn is_namespace(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 63
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
        && !text.ends_with('-')
}

/// A DNS-1035 label: a Service name (starts with a letter).
fn is_service_name(text: &str) -> bool {
    is_namespace(text) && text.starts_with(|c: char| c.is_ascii_lowercase())
}

/// A port name that names nothing but a protocol or a number: kept.
fn plain_port_name(port: &str) -> bool {
    if port.is_empty() || KEPT_NAMES.contains(&port) || VOCABULARY.contains(&port) {
        return true;
    }
    // `p80`, `tcp-80`, `udp53`, `8080`, `http-alt`, `https-1`.
    let letters = port.trim_end_matches(|c: char| c.is_ascii_digit() || c == '-');
    letters.is_empty()
        || matches!(
            letters,
            "p" | "port" | "tcp" | "udp" | "sctp" | "http-alt" | "http" | "https"
        )
        || letters.len() < port.len() && VOCABULARY.contains(&letters)
}

/// `ns/name` or `ns/name:port` → (namespace, name, port).
fn split_port_name(token: &str) -> Option<(&str, &str, Option<&str>)> {
    let (namespace, rest) = token.split_once('/')?;
    let (name, port) = match rest.split_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (rest, None),
    };
    if !is_namespace(namespace)
        || !is_service_name(name)
        || port.is_some_and(|p| p.is_empty() || p.contains(['/', ':']))
    {
        return None;
    }
    Some((namespace, name, port))
}

/// The host of a shell prompt at the start of a line: `user@host:~$ …`, `[user@host dir]# …`.
fn prompt_host(line: &str) -> Option<&str> {
    let line = line.trim_start().trim_start_matches('[');
    let at = line.find('@')?;
    let user = line.get(..at)?;
    if user.is_empty()
        || user.len() > 32
        || !user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return None;
    }
    let rest = line.get(at + 1..)?;
    let end = rest.find([':', ' ', ']'])?;
    let host = rest.get(..end)?;
    let after = rest.get(end..)?;
    let is_prompt = after.contains("$ ") || after.contains("# ") || after.ends_with(['$', '#']);
    (is_prompt
        && !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'))
    .then_some(host)
}

/// An IPv4 range `a-b`, possibly followed by `:ports`: (a, b, the rest).
fn split_range(word: &str) -> Option<(Ipv4Addr, Ipv4Addr, &str)> {
    let (a, rest) = word.split_once('-')?;
    let a: Ipv4Addr = a.parse().ok()?;
    let end = rest.find(':').unwrap_or(rest.len());
    let b: Ipv4Addr = rest.get(..end)?.parse().ok()?;
    Some((a, b, rest.get(end..)?))
}

fn parse_ip(text: &str) -> Option<std::net::IpAddr> {
    text.parse().ok()
}

fn dashed_ipv4(text: &str) -> Option<Ipv4Addr> {
    let parts: Vec<&str> = text.split('-').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut octets = [0u8; 4];
    for (slot, part) in octets.iter_mut().zip(&parts) {
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = part.parse().ok()?;
    }
    Some(Ipv4Addr::from(octets))
}

#[cfg(test)]
mod tests;
