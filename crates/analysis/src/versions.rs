//! Versions a paste shows of the tools nftables mode depends on: the kernel (`uname -r`, `uname -a`,
//! `cat /proc/version`, dmesg's `Linux version` line) and the nft command (`nft --version`).

use serde::{Deserialize, Serialize};
use svcpath_syntax::source::lines;
use svcpath_syntax::Origin;

/// The tool a version belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tool {
    Kernel,
    Nft,
}

/// One version seen in the paste.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolVersion {
    pub tool: Tool,
    /// As printed, e.g. `5.15.0-91-generic` or `1.0.2`.
    pub text: String,
    /// Major, minor and patch numbers read from it.
    pub number: (u32, u32, u32),
    pub line: u32,
}

/// The oldest kernel nftables mode supports (the Kubernetes documentation: "requires kernel 5.13 or
/// later").
pub const MIN_KERNEL: (u32, u32, u32) = (5, 13, 0);
/// The oldest nft command kube-proxy's nftables library works with.
pub const MIN_NFT: (u32, u32, u32) = (1, 0, 1);

/// Versions in one section's text. `command` is the command line that opened the section, if any: a bare
/// kernel release (`5.15.0-91-generic`) is read only after `uname -r`.
pub fn scan(text: &str, origin: Origin, command: Option<&str>) -> Vec<ToolVersion> {
    let after_uname = command.is_some_and(|c| c.contains("uname"));
    let mut out = Vec::new();
    for line in lines(text, origin).take(10_000) {
        let t = line.text.trim();
        let found = if let Some(rest) = t.strip_prefix("nftables v") {
            first_word(rest).map(|v| (Tool::Nft, v))
        } else if let Some(at) = t.find("Linux version ") {
            first_word(&t[at + "Linux version ".len()..]).map(|v| (Tool::Kernel, v))
        } else if let Some(rest) = t.strip_prefix("Linux ") {
            // `uname -a`: Linux HOST RELEASE #BUILD …
            rest.split_whitespace()
                .nth(1)
                .filter(|_| t.contains('#'))
                .map(|v| (Tool::Kernel, v))
        } else if after_uname && !t.contains(' ') {
            Some((Tool::Kernel, t))
        } else {
            None
        };
        let Some((tool, text)) = found else { continue };
        if let Some(number) = parse_version(text) {
            out.push(ToolVersion {
                tool,
                text: text.chars().take(60).collect(),
                number,
                line: line.number,
            });
        }
    }
    out
}

fn first_word(text: &str) -> Option<&str> {
    text.split_whitespace().next()
}

/// `5.15.0-91-generic` → (5, 15, 0); `1.0.2` → (1, 0, 2); `6.1` → (6, 1, 0).
pub fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let core = text
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .next()?;
    let mut parts = core.split('.').filter(|p| !p.is_empty());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let patch = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    Some((major, minor, patch))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_of_each_form() {
        let v = scan("nftables v1.0.2 (Lester Gooch #2)\n", Origin::START, None);
        assert_eq!(
            (v[0].tool, v[0].number, v[0].line),
            (Tool::Nft, (1, 0, 2), 1)
        );
        let v = scan(
            "[    0.000000] Linux version 5.4.0-42-generic (buildd@lgw01) (gcc version 9.3.0) #46-Ubuntu SMP\n",
            Origin::START,
            None,
        );
        assert_eq!((v[0].tool, v[0].number), (Tool::Kernel, (5, 4, 0)));
        let v = scan(
            "Linux node-1 6.8.0-45-generic #45-Ubuntu SMP PREEMPT_DYNAMIC x86_64 GNU/Linux\n",
            Origin::START,
            None,
        );
        assert_eq!(v[0].number, (6, 8, 0));
        let v = scan("5.10.0-28-amd64\n", Origin::START, Some("$ uname -r"));
        assert_eq!(v[0].number, (5, 10, 0));
        // A bare number is a kernel release only after `uname -r`.
        assert!(scan("5.10.0-28-amd64\n", Origin::START, Some("$ date")).is_empty());
        assert!(scan("Linux is great\n", Origin::START, None).is_empty());
    }
}
