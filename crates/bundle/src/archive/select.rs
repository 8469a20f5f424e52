//! Which archive entries are captures: paths made safe, a sosreport's command outputs picked by name,
//! binaries, archives inside the archive and resource files (JSON, YAML) told apart from text.

use crate::text::{self, Encoding};
use crate::SkipReason;

/// The path with `.` and empty parts dropped, `\` read as `/` and a leading `/` taken off; `None` when
/// a part is `..` (it would climb out of the archive).
pub(crate) fn normalise(raw: &str) -> Option<String> {
    let unified = raw.replace('\\', "/");
    let mut parts = Vec::new();
    for part in unified.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            // A Windows drive (`C:`) at the start.
            p if parts.is_empty() && p.len() == 2 && p.ends_with(':') => {}
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Some(String::new());
    }
    Some(parts.join("/"))
}

/// A path quoted for a message: at most 80 characters, control characters shown as `?`.
pub(crate) fn quote(path: &str) -> String {
    let shown: String = path
        .chars()
        .take(80)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if path.chars().count() > 80 {
        format!("{shown}…")
    } else {
        shown
    }
}

/// A sosreport's command outputs svcpath reads, by the start of their file name under `sos_commands/`.
const SOS_CAPTURES: &[&str] = &[
    "iptables-save",
    "ip6tables-save",
    "iptables_-t_nat_-S",
    "nft_list_ruleset",
    "nft_-a_list_ruleset",
    "ipvsadm_-Ln",
    "ipvsadm_-L_-n",
    "ipset_list",
    "conntrack_-S",
    "conntrack_-L",
    "sysctl_-a",
    "dmesg",
    "ip_-d_address",
    "ip_address",
    "ip_-o_addr",
    "uname_-a",
    "hostname",
];

/// Extensions of files that hold no capture svcpath reads.
const NOT_CAPTURES: &[(&str, &str)] = &[
    (".yaml", "YAML (a resource or configuration), not a capture"),
    (".yml", "YAML (a resource or configuration), not a capture"),
    (".xml", "XML, not a capture"),
    (".html", "HTML, not a capture"),
    (".htm", "HTML, not a capture"),
    (".csv", "CSV, not a capture"),
    (".md", "a document, not a capture"),
    (".pem", "a certificate or key, not a capture"),
    (".crt", "a certificate, not a capture"),
    (".key", "a key, not a capture"),
];

/// Why an entry is not read, judged by its path alone; `None` when it may be a capture.
pub(crate) fn not_a_capture(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').collect();
    let base = parts.last().copied().unwrap_or("");
    if parts.contains(&"sos_commands") {
        if SOS_CAPTURES.iter().any(|c| base.starts_with(c)) {
            return None;
        }
        return Some("a sosreport command output svcpath does not read".to_string());
    }
    if is_host_file(path) {
        return None;
    }
    // A sosreport's copies of the node's files (etc/, proc/, sys/, var/): not captures.
    if parts
        .first()
        .is_some_and(|p| p.starts_with("sosreport-") || p.starts_with("sos_"))
        && parts.len() > 2
    {
        return Some("a sosreport file svcpath does not read".to_string());
    }
    let lower = base.to_ascii_lowercase();
    NOT_CAPTURES
        .iter()
        .find(|(ext, _)| lower.ends_with(ext))
        .map(|(_, why)| (*why).to_string())
}

/// A file that holds the node's name: `hostname`, `etc/hostname`, `sos_commands/general/hostname`.
pub(crate) fn is_host_file(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    base == "hostname" || base == "hostname.txt" || base == "nodename"
}

/// Why bytes are not a text svcpath reads: an archive or compressed file inside the archive, or a
/// binary (NUL bytes near the start of what is not UTF-16).
pub(crate) fn not_text(path: &str, bytes: &[u8]) -> Option<(SkipReason, String)> {
    let nested = match bytes {
        [0x1f, 0x8b, ..] => Some("gzip-compressed"),
        [b'P', b'K', 3, 4, ..] => Some("a zip archive"),
        [0xfd, b'7', b'z', b'X', b'Z', 0, ..] => Some("xz-compressed"),
        [b'B', b'Z', b'h', ..] => Some("bzip2-compressed"),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Some("zstd-compressed"),
        _ if super::tar::looks_like_tar(bytes) => Some("a tar archive"),
        _ => None,
    };
    if let Some(what) = nested {
        return Some((
            SkipReason::Nested,
            format!(
                "{path}: skipped: {what} inside the archive (unpack it and open it on its own)"
            ),
        ));
    }
    let (encoding, _) = text::sniff(bytes);
    let utf16 = matches!(
        encoding,
        Encoding::Utf16LeBom | Encoding::Utf16BeBom | Encoding::Utf16LeGuessed
    );
    let start = &bytes[..bytes.len().min(8192)];
    if !utf16 && start.contains(&0) {
        return Some((
            SkipReason::Binary,
            format!("{path}: skipped: binary, not text"),
        ));
    }
    None
}

/// A `.json` file that is not libnftables JSON (`{"nftables": [...]}`).
pub(crate) fn json_not_nft(path: &str, text: &str) -> bool {
    path.to_ascii_lowercase().ends_with(".json") && {
        let compact: String = text
            .chars()
            .take(64)
            .filter(|c| !c.is_whitespace())
            .collect();
        !compact.starts_with("{\"nftables\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_made_safe() {
        assert_eq!(normalise("./a//b/c.txt").as_deref(), Some("a/b/c.txt"));
        assert_eq!(normalise("/etc/x").as_deref(), Some("etc/x"));
        assert_eq!(
            normalise("C:\\dump\\node.txt").as_deref(),
            Some("dump/node.txt")
        );
        assert_eq!(normalise("../../etc/passwd"), None);
        assert_eq!(normalise("a/../b"), None);
    }

    #[test]
    fn a_sosreport_gives_only_its_captures() {
        let root = "sosreport-node-a-2024";
        assert!(not_a_capture(&format!("{root}/sos_commands/networking/iptables-save")).is_none());
        assert!(
            not_a_capture(&format!("{root}/sos_commands/networking/ethtool_-i_eth0")).is_some()
        );
        assert!(not_a_capture(&format!("{root}/etc/hosts")).is_some());
        assert!(not_a_capture(&format!("{root}/hostname")).is_none());
        assert!(not_a_capture("node-a/iptables-save.txt").is_none());
        assert!(not_a_capture("cluster-resources/pods.yaml").is_some());
    }
}
