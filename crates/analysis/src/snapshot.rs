//! The snapshot: every section of a paste, parsed by the parser for its kind.

use svcpath_syntax::{
    addresses, conntrack, ipset, iptables, ipvs, kernlog, kubelog, nft,
    split::split_with_overrides, sysctl, Diagnostic, SectionKind,
};

use crate::{Options, MAX_INPUT_BYTES};

/// The parsed content of one paste.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub sections: Vec<svcpath_syntax::Section>,
    pub iptables: Vec<iptables::Ruleset>,
    /// One merged listing per `ipvsadm` section.
    pub ipvs: Vec<ipvs::Listing>,
    /// The sets of each `ipset list` section.
    pub ipsets: Vec<Vec<ipset::IpSet>>,
    pub sysctls: Vec<sysctl::Sysctls>,
    pub conntrack_stats: Vec<conntrack::Stats>,
    pub conntrack_lists: Vec<conntrack::Listing>,
    pub kernel_logs: Vec<kernlog::KernelLog>,
    pub nft: Vec<nft::Ruleset>,
    pub diagnostics: Vec<Diagnostic>,
    /// Kernel and nft versions the paste shows (`uname -r`, `nft --version`, dmesg).
    pub versions: Vec<crate::versions::ToolVersion>,
    /// kube-proxy's own records in the log sections (one per section that has any).
    pub kube_proxy_logs: Vec<kubelog::KubeProxyLog>,
    /// The interface addresses of each `ip addr` section.
    pub addresses: Vec<Vec<addresses::InterfaceAddress>>,
    /// The cluster's API objects (`kubectl get … -o json|yaml`), every such section merged.
    pub kube_api: svcpath_syntax::kube_api::ApiObjects,
    /// kube-proxy's own settings: each `/flagz`, configuration file or ConfigMap section that held any.
    pub kube_proxy_settings: Vec<svcpath_syntax::kube_proxy_config::KubeProxySettings>,
}

impl Snapshot {
    pub fn parse(paste: &str, options: &Options) -> Snapshot {
        let mut snapshot = Snapshot::default();
        let paste = cut_to_limit(paste, &mut snapshot.diagnostics);
        // Diagnostics from here on are made on the text the parsers read.
        let first_parsed = snapshot.diagnostics.len();
        // Terminal colour codes (`grep --color=always`, a `script` capture) are removed before reading;
        // line numbers stay those of the paste.
        let stripped = svcpath_syntax::source::strip_ansi(paste);
        let paste = match &stripped {
            Some(s) => {
                snapshot
                    .diagnostics
                    .push(ansi_note(&s.text, s.lines, s.first_line));
                s.text.as_str()
            }
            None => paste,
        };
        snapshot.sections = split_with_overrides(paste, &options.section_overrides);
        // `iptables -L` and the like: said with the command to run instead.
        let near_misses = svcpath_syntax::near_miss::find(paste);
        if near_misses.is_empty() {
            if let Some(d) = nothing_to_read(paste, &snapshot.sections) {
                snapshot.diagnostics.push(d);
            }
        }
        snapshot.diagnostics.extend(near_misses);
        for section in &snapshot.sections {
            let text = section.text(paste);
            let origin = section.origin();
            let command = section.command.as_deref();
            let diagnostics = &mut snapshot.diagnostics;
            match section.kind {
                SectionKind::Iptables => {
                    let parsed = iptables::parse_with_command(text, origin, command);
                    snapshot.iptables.push(keep(diagnostics, parsed));
                }
                SectionKind::Ipvsadm => {
                    let value = keep(diagnostics, ipvs::parse(text, origin));
                    snapshot.ipvs.push(value);
                }
                SectionKind::Ipset => {
                    let value = keep(diagnostics, ipset::parse(text, origin));
                    snapshot.ipsets.push(value);
                }
                SectionKind::Sysctl => {
                    let value = keep(
                        diagnostics,
                        sysctl::parse_with_command(text, origin, command),
                    );
                    snapshot.sysctls.push(value);
                }
                SectionKind::ConntrackStats => {
                    let parsed = conntrack::parse_stats_with_command(text, origin, command);
                    snapshot.conntrack_stats.push(keep(diagnostics, parsed));
                }
                SectionKind::ConntrackList => {
                    let parsed = conntrack::parse_list_with_command(text, origin, command);
                    snapshot.conntrack_lists.push(keep(diagnostics, parsed));
                }
                SectionKind::KernelLog => {
                    let found = crate::versions::scan(text, origin, command);
                    snapshot.versions.extend(found);
                    let value = keep(diagnostics, kernlog::parse(text, origin));
                    snapshot.kernel_logs.push(value);
                    let proxy = keep(diagnostics, kubelog::parse(text, origin));
                    if !proxy.is_empty() {
                        snapshot.kube_proxy_logs.push(proxy);
                    }
                }
                SectionKind::Nft => {
                    if command.is_some_and(|c| c.contains("version") || c.contains(" -v")) {
                        let found = crate::versions::scan(text, origin, command);
                        snapshot.versions.extend(found);
                    }
                    let value = keep(diagnostics, nft::parse(text, origin));
                    snapshot.nft.push(value);
                }
                SectionKind::Addresses => {
                    let value = keep(diagnostics, addresses::parse(text, origin));
                    snapshot.addresses.push(value);
                }
                SectionKind::KubeApi => {
                    let value = keep(diagnostics, svcpath_syntax::kube_api::parse(text, origin));
                    snapshot.kube_api.extend(value);
                }
                SectionKind::Other => {
                    let found = crate::versions::scan(text, origin, command);
                    snapshot.versions.extend(found);
                }
                SectionKind::KubeProxyConfig => {
                    let parsed = svcpath_syntax::kube_proxy_config::parse(text, origin, command);
                    let value = keep(diagnostics, parsed);
                    if !value.is_empty() {
                        snapshot.kube_proxy_settings.push(value);
                    }
                }
            }
        }
        snapshot.iptables =
            crate::fragments::merge_fragments(std::mem::take(&mut snapshot.iptables));
        if let Some(s) = &stripped {
            // Spans in the report point into what the user pasted, colour codes and all.
            for d in &mut snapshot.diagnostics[first_parsed..] {
                d.span.start = s.paste_offset(d.span.start);
                d.span.end = s.paste_offset(d.span.end).max(d.span.start);
            }
        }
        svcpath_syntax::stable_sort::sort_by_key(&mut snapshot.diagnostics, |d| {
            (d.line, d.span.start)
        });
        snapshot
    }
}

/// Keeps a parser's diagnostics and hands back its value.
fn keep<T>(diagnostics: &mut Vec<Diagnostic>, parsed: svcpath_syntax::Parsed<T>) -> T {
    diagnostics.extend(parsed.diagnostics);
    parsed.value
}

/// The note that terminal escape sequences were removed.
fn ansi_note(text: &str, lines: u32, first_line: u32) -> Diagnostic {
    let span = svcpath_syntax::source::lines(text, svcpath_syntax::Origin::START)
        .nth(first_line.saturating_sub(1) as usize)
        .map(|l| l.span)
        .unwrap_or_default();
    Diagnostic {
        line: first_line,
        span,
        severity: svcpath_syntax::Severity::Info,
        message: format!(
            "terminal colour codes (ANSI escape sequences, as `grep --color=always` writes) were removed from {lines} \
             line(s) before reading"
        ),
    }
}

/// A diagnostic for a paste that is empty or holds nothing svcpath reads.
fn nothing_to_read(paste: &str, sections: &[svcpath_syntax::Section]) -> Option<Diagnostic> {
    let message = if paste.trim().is_empty() {
        "the input is empty: paste the output of `iptables-save` (or `ipvsadm -Ln`, `nft list ruleset`, \
         `ipset list`, `sysctl`, `conntrack -S`, `dmesg`) to have it explained"
    } else if sections.iter().all(|s| s.kind == SectionKind::Other) {
        "nothing in the input looks like the output of iptables-save, ipvsadm, ipset, nft, sysctl, conntrack \
         or dmesg: there is nothing to explain (is this the right file?)"
    } else {
        return None;
    };
    let span = svcpath_syntax::source::lines(paste, svcpath_syntax::Origin::START)
        .next()
        .map(|l| l.span)
        .unwrap_or_default();
    Some(Diagnostic {
        line: 1,
        span,
        severity: svcpath_syntax::Severity::Error,
        message: message.to_string(),
    })
}

fn cut_to_limit<'a>(paste: &'a str, diagnostics: &mut Vec<Diagnostic>) -> &'a str {
    if paste.len() <= MAX_INPUT_BYTES {
        return paste;
    }
    let mut end = MAX_INPUT_BYTES;
    while !paste.is_char_boundary(end) {
        end -= 1;
    }
    let cut = paste[..end].rfind('\n').map(|i| i + 1).unwrap_or(end);
    let line = svcpath_syntax::source::count_lines(&paste[..cut]) + 1;
    diagnostics.push(Diagnostic {
        line,
        span: svcpath_syntax::Span::new(cut, paste.len()),
        severity: svcpath_syntax::Severity::Error,
        message: format!(
            "the paste is {} MB; svcpath reads the first {} MB (up to line {}) and ignores the rest",
            paste.len() / (1024 * 1024),
            MAX_INPUT_BYTES / (1024 * 1024),
            line - 1
        ),
    });
    &paste[..cut]
}
