//! The page's places, kept in the URL fragment so that links, back and forward work on a static host.

use svcpath_analysis::report::Protocol;
use svcpath_analysis::trace::Origin;

/// One place in the page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Route {
    /// The node overview and the Services table.
    #[default]
    Overview,
    /// One Service port, by its report id (`namespace/name:port`).
    Service(String),
    /// The pasted text, scrolled to a line when given.
    Source(Option<u32>),
    /// The packet trace form, with the packet it traces (empty: the form alone).
    Trace(TraceQuery),
    /// A bundled sample dump, loaded and explained.
    Sample(String),
    /// A shared, compressed dump (see [`crate::share`]).
    Shared(String),
    /// The samples with their guided tours.
    Gallery,
    /// The glossary, at an entry when given.
    Glossary(Option<String>),
    /// The overview, scrolled to the first finding with this code.
    Finding(String),
    /// What moving this node to nftables mode would change.
    Migration,
    /// The conntrack table: what fills it, stale entries, which endpoint a flow is pinned to.
    Conntrack,
    /// Several nodes side by side, and the diff of two moments.
    Nodes,
}

impl Route {
    /// Reads a `location.hash` value (with or without the leading `#`).
    pub fn parse(hash: &str) -> Route {
        let hash = hash.strip_prefix('#').unwrap_or(hash);
        let path = hash.strip_prefix('/').unwrap_or(hash);
        if let Some(id) = path.strip_prefix("service/") {
            return Route::Service(percent_decode(id));
        }
        if path == "source" {
            return Route::Source(None);
        }
        if let Some(line) = path.strip_prefix("source/") {
            let line = line.strip_prefix('L').unwrap_or(line);
            return Route::Source(line.parse().ok().filter(|n| *n > 0));
        }
        if path == "trace" {
            return Route::Trace(TraceQuery::default());
        }
        if let Some(query) = path.strip_prefix("trace?") {
            return Route::Trace(TraceQuery::parse(query));
        }
        if let Some(name) = path.strip_prefix("sample/") {
            return Route::Sample(percent_decode(name));
        }
        if let Some(data) = path.strip_prefix("share/") {
            return Route::Shared(data.to_string());
        }
        if path == "gallery" {
            return Route::Gallery;
        }
        if path == "glossary" {
            return Route::Glossary(None);
        }
        if let Some(key) = path.strip_prefix("glossary/") {
            return Route::Glossary(Some(percent_decode(key)).filter(|k| !k.is_empty()));
        }
        if let Some(code) = path.strip_prefix("finding/") {
            return Route::Finding(percent_decode(code));
        }
        if path == "migration" {
            return Route::Migration;
        }
        if path == "conntrack" {
            return Route::Conntrack;
        }
        if path == "nodes" {
            return Route::Nodes;
        }
        Route::Overview
    }

    /// The fragment for this place, starting with `#`.
    pub fn href(&self) -> String {
        match self {
            Route::Overview => "#/".to_string(),
            Route::Service(id) => format!("#/service/{}", percent_encode(id)),
            Route::Source(None) => "#/source".to_string(),
            Route::Source(Some(line)) => format!("#/source/L{line}"),
            Route::Trace(query) if query.is_empty() => "#/trace".to_string(),
            Route::Trace(query) => format!("#/trace?{}", query.format()),
            Route::Sample(name) => format!("#/sample/{}", percent_encode(name)),
            Route::Shared(data) => format!("#/share/{}", percent_encode(data)),
            Route::Gallery => "#/gallery".to_string(),
            Route::Glossary(None) => "#/glossary".to_string(),
            Route::Glossary(Some(key)) => format!("#/glossary/{}", percent_encode(key)),
            Route::Finding(code) => format!("#/finding/{}", percent_encode(code)),
            Route::Migration => "#/migration".to_string(),
            Route::Conntrack => "#/conntrack".to_string(),
            Route::Nodes => "#/nodes".to_string(),
        }
    }
}

impl Route {
    /// The tab's title on this place (`service` is the open Service's display name, when known).
    pub fn title(&self, service: Option<&str>) -> String {
        let place = match self {
            Route::Overview | Route::Sample(_) | Route::Shared(_) | Route::Finding(_) => {
                "Overview".to_string()
            }
            Route::Service(id) => format!("{} · Service", service.unwrap_or(id)),
            Route::Source(None) => "Source".to_string(),
            Route::Source(Some(line)) => format!("Source line {line}"),
            Route::Trace(q) if q.is_empty() => "Trace a packet".to_string(),
            Route::Trace(q) => format!(
                "Trace {}:{}/{} from {}",
                q.dst.trim(),
                q.port.trim(),
                q.protocol.name(),
                from_name(q.from)
            ),
            Route::Gallery => "Learn".to_string(),
            Route::Glossary(None) => "Glossary".to_string(),
            Route::Glossary(Some(key)) => format!("{key} · Glossary"),
            Route::Migration => "nftables move".to_string(),
            Route::Conntrack => "Conntrack".to_string(),
            Route::Nodes => "Nodes".to_string(),
        };
        format!("{place} — svcpath")
    }
}

/// A packet to trace as the Trace form holds it, kept in the URL as
/// `#/trace?dst=IP:PORT&src=IP&proto=udp&from=node&returning=1&sample=NAME`, so a trace can be linked
/// to, reloaded and shared. `sample` names the bundled sample it was traced on; a pasted dump is never
/// put in a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceQuery {
    pub from: Origin,
    pub src: String,
    pub dst: String,
    pub port: String,
    pub protocol: Protocol,
    pub returning: bool,
    pub sample: Option<String>,
    /// A packet of an existing flow (`established=1`): answered from the listed conntrack entry.
    pub established: bool,
}

impl Default for TraceQuery {
    fn default() -> TraceQuery {
        TraceQuery {
            from: Origin::Pod,
            src: String::new(),
            dst: String::new(),
            port: String::new(),
            protocol: Protocol::Tcp,
            returning: false,
            sample: None,
            established: false,
        }
    }
}

impl TraceQuery {
    /// True when no packet is given (the bare form).
    pub fn is_empty(&self) -> bool {
        self.dst.trim().is_empty() && self.port.trim().is_empty()
    }

    /// The same packet, whichever dump it names.
    pub fn same_packet(&self, other: &TraceQuery) -> bool {
        TraceQuery {
            sample: None,
            ..self.clone()
        } == TraceQuery {
            sample: None,
            ..other.clone()
        }
    }

    /// Reads the part after `?`; unknown keys are ignored, unreadable values left at their defaults.
    pub fn parse(query: &str) -> TraceQuery {
        let mut out = TraceQuery::default();
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode(value);
            match key {
                "dst" => {
                    let (addr, port) = split_host_port(&value);
                    out.dst = addr;
                    out.port = port;
                }
                "src" => out.src = value,
                "proto" => out.protocol = Protocol::parse(&value).unwrap_or(Protocol::Tcp),
                "from" => {
                    out.from = match value.as_str() {
                        "node" => Origin::Node,
                        "external" => Origin::External,
                        _ => Origin::Pod,
                    }
                }
                "returning" => out.returning = matches!(value.as_str(), "1" | "true" | "yes"),
                "sample" => out.sample = Some(value).filter(|v| !v.is_empty()),
                "established" => out.established = matches!(value.as_str(), "1" | "true" | "yes"),
                _ => {}
            }
        }
        out
    }

    /// The part after `?`, every value percent-encoded.
    pub fn format(&self) -> String {
        let dst = self.dst.trim();
        let port = self.port.trim();
        let host = if dst.contains(':') && !dst.starts_with('[') {
            format!("[{dst}]")
        } else {
            dst.to_string()
        };
        let dst = if port.is_empty() {
            host
        } else {
            format!("{host}:{port}")
        };
        let mut out = format!("dst={}", query_encode(&dst));
        if !self.src.trim().is_empty() {
            out.push_str(&format!("&src={}", query_encode(self.src.trim())));
        }
        out.push_str(&format!("&proto={}", self.protocol.name()));
        out.push_str(&format!("&from={}", from_name(self.from)));
        if self.returning {
            out.push_str("&returning=1");
        }
        if let Some(sample) = &self.sample {
            out.push_str(&format!("&sample={}", query_encode(sample)));
        }
        if self.established {
            out.push_str("&established=1");
        }
        out
    }
}

/// `pod`, `node` or `external`, as the CLI's `--from` names them.
pub fn from_name(from: Origin) -> &'static str {
    match from {
        Origin::Pod => "pod",
        Origin::Node => "node",
        Origin::External => "external",
    }
}

/// `10.0.0.1:80` → (`10.0.0.1`, `80`); `[fd00::1]:80` → (`fd00::1`, `80`); a bare address keeps an empty
/// port, and so does a bare IPv6 address.
fn split_host_port(text: &str) -> (String, String) {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix('[') {
        if let Some((host, tail)) = rest.split_once(']') {
            return (
                host.to_string(),
                tail.strip_prefix(':').unwrap_or("").to_string(),
            );
        }
    }
    match text.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (host.to_string(), port.to_string()),
        _ => (text.to_string(), String::new()),
    }
}

/// [`percent_encode`] keeping the brackets of an IPv6 `[addr]:port` readable; `&`, `=` and `?`, on which
/// a query splits, are escaped.
fn query_encode(text: &str) -> String {
    percent_encode(text).replace("%5B", "[").replace("%5D", "]")
}

/// Percent-encodes everything but unreserved characters, `/` and `:`, so a fragment built from input
/// text can only ever name a place in this page.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/' | b':') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Reverses [`percent_encode`]; malformed escapes stay as they are, invalid UTF-8 is replaced.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes.get(i).copied().unwrap_or(0);
        if b == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = hex {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_place() {
        assert_eq!(Route::parse(""), Route::Overview);
        assert_eq!(Route::parse("#/"), Route::Overview);
        assert_eq!(Route::parse("#/nonsense"), Route::Overview);
        assert_eq!(
            Route::parse("#/service/kube-system/kube-dns:dns-tcp"),
            Route::Service("kube-system/kube-dns:dns-tcp".into())
        );
        assert_eq!(Route::parse("#/source"), Route::Source(None));
        assert_eq!(Route::parse("#/source/L42"), Route::Source(Some(42)));
        assert_eq!(Route::parse("#/source/L0"), Route::Source(None));
        assert_eq!(Route::parse("#/source/Lx"), Route::Source(None));
        assert_eq!(Route::parse("#/trace"), Route::Trace(TraceQuery::default()));
        assert_eq!(Route::parse("#/migration"), Route::Migration);
        assert_eq!(
            Route::parse("#/sample/flannel"),
            Route::Sample("flannel".into())
        );
        assert_eq!(Route::parse("#/share/abc-_"), Route::Shared("abc-_".into()));
        assert_eq!(Route::parse("#/gallery"), Route::Gallery);
        assert_eq!(Route::parse("#/glossary"), Route::Glossary(None));
        assert_eq!(Route::parse("#/glossary/"), Route::Glossary(None));
        assert_eq!(
            Route::parse("#/glossary/hairpin"),
            Route::Glossary(Some("hairpin".into()))
        );
        assert_eq!(
            Route::parse("#/finding/no-endpoints"),
            Route::Finding("no-endpoints".into())
        );
        for route in [
            Route::Gallery,
            Route::Glossary(None),
            Route::Glossary(Some("kube-mark-masq".into())),
            Route::Finding("etp-local-no-local-endpoints".into()),
            Route::Migration,
        ] {
            assert_eq!(Route::parse(&route.href()), route);
        }
    }

    #[test]
    fn service_links_round_trip_and_stay_inert() {
        for id in [
            "default/kubernetes:https",
            "ns/na me:\"><script>",
            "10.96.0.1:443/tcp",
            "ns/javascript:alert(1)",
            "ünïcode/x:%zz",
        ] {
            let href = Route::Service(id.into()).href();
            assert!(href.starts_with("#/service/"));
            assert!(href[1..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~/:%".contains(&b)));
            assert_eq!(Route::parse(&href), Route::Service(id.into()));
        }
    }

    #[test]
    fn titles_follow_the_view() {
        assert_eq!(Route::Overview.title(None), "Overview — svcpath");
        assert_eq!(
            Route::Service("a/b:c".into()).title(Some("a/b:c")),
            "a/b:c · Service — svcpath"
        );
        assert_eq!(
            Route::parse("#/trace?dst=10.96.0.10:53&proto=udp").title(None),
            "Trace 10.96.0.10:53/udp from pod — svcpath"
        );
        assert_eq!(
            Route::Source(Some(7)).title(None),
            "Source line 7 — svcpath"
        );
    }

    #[test]
    fn trace_queries_round_trip() {
        let q = TraceQuery {
            from: Origin::External,
            src: "203.0.113.7".into(),
            dst: "10.96.0.10".into(),
            port: "53".into(),
            protocol: Protocol::Udp,
            returning: true,
            sample: Some("flannel".into()),
            established: false,
        };
        let href = Route::Trace(q.clone()).href();
        assert_eq!(
            href,
            "#/trace?dst=10.96.0.10:53&src=203.0.113.7&proto=udp&from=external&returning=1&sample=flannel"
        );
        assert_eq!(Route::parse(&href), Route::Trace(q));

        let v6 = TraceQuery {
            dst: "fd00:10:96::a".into(),
            port: "443".into(),
            ..TraceQuery::default()
        };
        let href = Route::Trace(v6.clone()).href();
        assert_eq!(href, "#/trace?dst=[fd00:10:96::a]:443&proto=tcp&from=pod");
        assert_eq!(Route::parse(&href), Route::Trace(v6));

        let flow = TraceQuery {
            src: "10.244.1.9".into(),
            dst: "10.96.0.10".into(),
            port: "53".into(),
            protocol: Protocol::Udp,
            established: true,
            ..TraceQuery::default()
        };
        let href = Route::Trace(flow.clone()).href();
        assert!(href.ends_with("&established=1"), "{href}");
        assert_eq!(Route::parse(&href), Route::Trace(flow));
        assert_eq!(Route::parse("#/conntrack"), Route::Conntrack);
        assert_eq!(Route::Conntrack.href(), "#/conntrack");
        // The bare form has no query.
        assert_eq!(Route::Trace(TraceQuery::default()).href(), "#/trace");
    }

    #[test]
    fn trace_queries_read_what_people_type() {
        let q = TraceQuery::parse("from=node&dst=10.0.0.5%3A30080&proto=UDP&junk=1&returning=0");
        assert_eq!(q.from, Origin::Node);
        assert_eq!((q.dst.as_str(), q.port.as_str()), ("10.0.0.5", "30080"));
        assert_eq!(q.protocol, Protocol::Udp);
        assert!(!q.returning);
        // A bare address keeps no port; a bare IPv6 address is not split at its last colon.
        let q = TraceQuery::parse("dst=10.96.0.1");
        assert_eq!((q.dst.as_str(), q.port.as_str()), ("10.96.0.1", ""));
        let q = TraceQuery::parse("dst=fd00::1");
        assert_eq!((q.dst.as_str(), q.port.as_str()), ("fd00::1", ""));
        // Unknown protocols and origins fall back to the form's defaults.
        let q = TraceQuery::parse("proto=icmp&from=mars&sample=");
        assert_eq!(
            (q.protocol, q.from, q.sample),
            (Protocol::Tcp, Origin::Pod, None)
        );
        // Whatever is typed, the link stays inert text in this page's fragment.
        let q = TraceQuery {
            src: "\"><script>&x=1".into(),
            dst: "a&b=c".into(),
            port: "1".into(),
            ..TraceQuery::default()
        };
        let href = Route::Trace(q.clone()).href();
        assert!(href[1..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~/:%?&=[]".contains(&b)));
        assert_eq!(Route::parse(&href), Route::Trace(q));
        assert!(TraceQuery::default().same_packet(&TraceQuery {
            sample: Some("x".into()),
            ..TraceQuery::default()
        }));
    }

    #[test]
    fn percent_decode_keeps_malformed_escapes() {
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
        assert_eq!(percent_decode("%FF"), "\u{FFFD}");
    }
}
