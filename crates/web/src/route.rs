//! The page's places, kept in the URL fragment so that links, back and forward work on a static host.

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
    /// The packet trace form.
    Trace,
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
            return Route::Trace;
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
        Route::Overview
    }

    /// The fragment for this place, starting with `#`.
    pub fn href(&self) -> String {
        match self {
            Route::Overview => "#/".to_string(),
            Route::Service(id) => format!("#/service/{}", percent_encode(id)),
            Route::Source(None) => "#/source".to_string(),
            Route::Source(Some(line)) => format!("#/source/L{line}"),
            Route::Trace => "#/trace".to_string(),
            Route::Sample(name) => format!("#/sample/{}", percent_encode(name)),
            Route::Shared(data) => format!("#/share/{}", percent_encode(data)),
            Route::Gallery => "#/gallery".to_string(),
            Route::Glossary(None) => "#/glossary".to_string(),
            Route::Glossary(Some(key)) => format!("#/glossary/{}", percent_encode(key)),
            Route::Finding(code) => format!("#/finding/{}", percent_encode(code)),
            Route::Migration => "#/migration".to_string(),
        }
    }
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
        assert_eq!(Route::parse("#/trace"), Route::Trace);
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
    fn percent_decode_keeps_malformed_escapes() {
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
        assert_eq!(percent_decode("%FF"), "\u{FFFD}");
    }
}
