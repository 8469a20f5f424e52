//! A first look at a paste before it is parsed: the Services kube-proxy's dispatch names, read
//! straight from their lines, so that a page can list them while the whole analysis runs.
//!
//! Only lines that name a Service for certain are read: an iptables `-A KUBE-SERVICES` rule whose
//! comment ends in `cluster IP`, and an nftables `service-ips` element (`ADDRESS . PROTOCOL . PORT :
//! goto service-…`). A Service this look does not find is not said to be absent: the analysis decides
//! what the node has, and its report replaces this look. Nothing here says anything of endpoints.

use serde::{Deserialize, Serialize};

/// A Service port seen in its dispatch line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenService {
    /// `namespace/name:port`, as the report names it (`namespace/name:` for an unnamed port).
    pub id: String,
    /// The address it was seen with: `10.96.0.10:53/udp`, `[fd00::a]:443/tcp`.
    pub address: String,
    /// The 1-based line that names it.
    pub line: u32,
}

/// The Services found by [`first_look`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstLook {
    /// The first `limit` of them by id.
    pub services: Vec<SeenService>,
    /// How many distinct Service ports the look found in all.
    pub total: usize,
}

/// The start of an iptables dispatch rule.
const DISPATCH: &[u8] = b"-A KUBE-SERVICES ";
/// What an nft `service-ips` element holds.
const ELEMENT: &[u8] = b": goto service-";

/// The Service ports named by the dispatch lines of `text`: the first `limit` by id, and how many in
/// all. Reads only the lines that start a dispatch rule or hold a map element.
pub fn first_look(text: &str, limit: usize) -> FirstLook {
    let bytes = text.as_bytes();
    // Where the lines worth reading start (found with a substring search over the whole paste, not
    // line by line), in order: dispatch rules, and lines holding `service-ips` elements.
    let dispatch = memchr::memmem::find_iter(bytes, DISPATCH)
        .filter(|&at| at == 0 || bytes[at - 1] == b'\n')
        .map(|at| (at, true));
    let mut elements: Vec<(usize, bool)> = Vec::new();
    for at in memchr::memmem::find_iter(bytes, ELEMENT) {
        let start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |n| n + 1);
        if elements.last().is_none_or(|&(last, _)| last != start) {
            elements.push((start, false));
        }
    }
    let mut starts: Vec<(usize, bool)> = dispatch.chain(elements).collect();
    svcpath_syntax::stable_sort::sort(&mut starts);
    starts.dedup();
    let mut seen: Vec<SeenService> = Vec::new();
    let (mut counted_to, mut line_no) = (0usize, 1usize);
    for (start, is_dispatch) in starts {
        line_no += memchr::memchr_iter(b'\n', &bytes[counted_to..start]).count();
        counted_to = start;
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |n| start + n);
        // Both needles and the newline are ASCII: `start` and `end` are character boundaries.
        let Some(line) = text.get(start..end) else {
            continue;
        };
        let line = line.strip_suffix('\r').unwrap_or(line);
        let line_no = u32::try_from(line_no).unwrap_or(u32::MAX);
        if is_dispatch {
            if let Some(service) = iptables_dispatch(&line[DISPATCH.len()..], line_no) {
                seen.push(service);
            }
        } else {
            nft_elements(line, line_no, &mut seen);
        }
    }
    // One entry per Service port (IPv4 and IPv6, or a line printed twice, name it again).
    svcpath_syntax::stable_sort::sort_by(&mut seen, |a, b| {
        a.id.cmp(&b.id).then(a.line.cmp(&b.line))
    });
    seen.dedup_by(|later, first| later.id == first.id);
    let total = seen.len();
    seen.truncate(limit);
    FirstLook {
        services: seen,
        total,
    }
}

/// `-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment "ns/name:port cluster IP" -m udp
/// --dport 53 -j KUBE-SVC-…`, the words after the chain name.
fn iptables_dispatch(rest: &str, line: u32) -> Option<SeenService> {
    let after = rest.split_once("--comment \"")?.1;
    let comment = after.split_once('"')?.0;
    let id = comment.strip_suffix(" cluster IP")?.trim();
    if id.is_empty() || !id.contains('/') || id.contains(' ') {
        return None;
    }
    // The rule that sends the ClusterIP on (a masquerade mark beside it says less).
    if !rest.contains(" -j KUBE-SVC-") && !rest.contains(" -j KUBE-SVL-") {
        return None;
    }
    let mut words = rest.split_ascii_whitespace();
    let (mut address, mut protocol, mut port) = (None, None, None);
    while let Some(word) = words.next() {
        match word {
            "-d" | "--destination" => address = words.next(),
            "-p" | "--protocol" => protocol = words.next(),
            "--dport" | "--destination-port" => port = words.next(),
            _ => {}
        }
    }
    let address = address?.split('/').next()?;
    let ip: std::net::IpAddr = address.parse().ok()?;
    // An unnamed port is `namespace/name:` in the report, as in every mode.
    let id = if id.contains(':') {
        id.to_string()
    } else {
        format!("{id}:")
    };
    Some(SeenService {
        id,
        address: socket(ip, port?, protocol?),
        line,
    })
}

/// Every `ADDRESS . PROTOCOL . PORT : goto service-HASH-ns/name/protocol/port` element of a line.
fn nft_elements(line: &str, line_no: u32, seen: &mut Vec<SeenService>) {
    let mut rest = line;
    while let Some(at) = rest.find(": goto service-") {
        let (before, after) = rest.split_at(at);
        let chain_start = &after[": goto ".len()..];
        let chain_end = chain_start
            .find(|c: char| c == ',' || c == '}' || c == ';' || c.is_ascii_whitespace())
            .unwrap_or(chain_start.len());
        let chain = &chain_start[..chain_end];
        rest = &chain_start[chain_end..];
        // The key runs back to the element's start: `{`, `,` or the line's start.
        let key = before.rsplit(['{', ',']).next().unwrap_or(before).trim();
        let parts: Vec<&str> = key.split(" . ").map(str::trim).collect();
        let [address, protocol, port] = parts[..] else {
            continue;
        };
        let Ok(ip) = address.parse::<std::net::IpAddr>() else {
            continue;
        };
        let Some(id) = nft_service_id(chain) else {
            continue;
        };
        seen.push(SeenService {
            id,
            address: socket(ip, port, protocol),
            line: line_no,
        });
    }
}

/// `service-ULMVA6XW-ns1/svc1/tcp/p80` → `ns1/svc1:p80` (`ns1/svc1:` for an unnamed port).
fn nft_service_id(chain: &str) -> Option<String> {
    let named = chain.strip_prefix("service-")?.split_once('-')?.1;
    let mut parts = named.splitn(4, '/');
    let (namespace, name, _protocol) = (parts.next()?, parts.next()?, parts.next()?);
    let port = parts.next().unwrap_or("");
    if namespace.is_empty() || name.is_empty() {
        return None;
    }
    Some(format!("{namespace}/{name}:{port}"))
}

fn socket(ip: std::net::IpAddr, port: &str, protocol: &str) -> String {
    let protocol = protocol.to_ascii_lowercase();
    match ip {
        std::net::IpAddr::V4(ip) => format!("{ip}:{port}/{protocol}"),
        std::net::IpAddr::V6(ip) => format!("[{ip}]:{port}/{protocol}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iptables_dispatch_rules_name_their_services() {
        let text = "*nat\n\
            -A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment \"kube-system/kube-dns:dns cluster IP\" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU\n\
            -A KUBE-SERVICES -m comment --comment \"ns2/svc2:p80 external IP\" -m tcp -p tcp -d 192.168.99.11 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT\n\
            -A KUBE-SERVICES -d fd00::a/128 -p tcp -m comment --comment \"default/kubernetes:https cluster IP\" -m tcp --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y\n\
            -A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS\n\
            COMMIT\n";
        let look = first_look(text, 10);
        assert_eq!(look.total, 2);
        assert_eq!(
            look.services,
            [
                SeenService {
                    id: "default/kubernetes:https".into(),
                    address: "[fd00::a]:443/tcp".into(),
                    line: 4,
                },
                SeenService {
                    id: "kube-system/kube-dns:dns".into(),
                    address: "10.96.0.10:53/udp".into(),
                    line: 2,
                },
            ]
        );
    }

    #[test]
    fn nft_service_ips_elements_name_their_services_and_nodeports_do_not() {
        let text = "table ip kube-proxy {\n\
            \tmap service-ips {\n\
            \t\telements = { 10.96.0.10 . udp . 53 : goto service-ULMVA6XW-kube-system/kube-dns/udp/dns, 10.96.0.1 . tcp . 443 : goto service-2QRHZV4L-default/kubernetes/tcp/https,\n\
            \t\t\t     172.30.0.44 . tcp . 80 : goto service-LAUZTJTB-ns4/svc4/tcp/ }\n\
            \t}\n\
            \tmap service-nodeports {\n\
            \t\telements = { tcp . 3001 : goto external-42NFTM6N-ns2/svc2/tcp/p80 }\n\
            \t}\n\
            }\n\
            add element ip kube-proxy service-ips { 172.30.0.41 . tcp . 80 : goto service-ULMVA6XW-ns1/svc1/tcp/p80 }\n";
        let look = first_look(text, 3);
        assert_eq!(look.total, 4);
        let ids: Vec<(&str, &str, u32)> = look
            .services
            .iter()
            .map(|s| (s.id.as_str(), s.address.as_str(), s.line))
            .collect();
        assert_eq!(
            ids,
            [
                ("default/kubernetes:https", "10.96.0.1:443/tcp", 3),
                ("kube-system/kube-dns:dns", "10.96.0.10:53/udp", 3),
                ("ns1/svc1:p80", "172.30.0.41:80/tcp", 10),
            ],
            "the first three by id"
        );
    }

    #[test]
    fn a_paste_without_dispatch_lines_gives_nothing_and_odd_lines_do_not_panic() {
        assert_eq!(first_look("", 10), FirstLook::default());
        let odd = "-A KUBE-SERVICES --comment \"\n-A KUBE-SERVICES --comment \" cluster IP\" -j KUBE-SVC-X\n\
            : goto service-\n{ . . : goto service-a-b/c/d/e }\nx . y . z : goto service-\n";
        assert_eq!(first_look(odd, 10).total, 0);
    }
}
