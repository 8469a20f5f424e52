//! Text and Markdown renderings of a [`Report`], shared by the CLI and the web page's "Copy Markdown".
//! Each opens with the diagnosis ("What is wrong here", `diagnosis.rs`).
//!
//! Everything taken from the paste (names, comments, addresses) is escaped for the format. Markdown
//! comes in two flavours: GitHub ([`markdown`]), where characters that would start formatting, links,
//! HTML or break a table are backslash-escaped or replaced, and plain chat ([`markdown_chat`],
//! `chat.rs`), which has no backslash escapes and no tables, and puts such text in code spans.

mod api;
mod chat;
mod diagnosis;
mod kube_proxy;

use std::fmt::Write;

use crate::migration::Migration;

/// Which Markdown renderer the report is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavour {
    /// GitHub, GitLab and other CommonMark renderers with tables and backslash escapes.
    #[default]
    Github,
    /// Chat tools and tickets: no backslash escapes, no tables, no HTML.
    Chat,
}

impl Flavour {
    /// Text taken from the paste, safe for this flavour.
    fn text(self, text: &str) -> String {
        match self {
            Flavour::Github => md(text),
            Flavour::Chat => chat::text(text),
        }
    }

    /// A code span holding `text` literally.
    fn code(self, text: &str) -> String {
        chat::code(text)
    }

    fn heading(self, title: &str) -> String {
        match self {
            Flavour::Github => format!("#### {title}"),
            Flavour::Chat => format!("**{title}**"),
        }
    }
}

use crate::report::{Report, Service, Severity, TrafficPolicy};

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Warning => "warning",
        Severity::Critical => "critical",
    }
}

/// The Service's entry points as one line: `10.96.0.10:53/udp, NodePort 30080, LB 1.2.3.4`.
pub fn entry_points(s: &Service) -> String {
    let mut parts = Vec::new();
    let proto = s.protocol.map(|p| p.name()).unwrap_or("?");
    match (&s.cluster_ip, s.port) {
        (Some(ip), Some(port)) if ip.contains(':') => parts.push(format!("[{ip}]:{port}/{proto}")),
        (Some(ip), Some(port)) => parts.push(format!("{ip}:{port}/{proto}")),
        (Some(ip), None) => parts.push(format!("{ip}/{proto}")),
        _ => {}
    }
    if let Some(np) = s.node_port {
        parts.push(format!("NodePort {np}"));
    }
    for ip in &s.external_ips {
        parts.push(format!("external {ip}"));
    }
    for ip in &s.load_balancer_ips {
        parts.push(format!("LB {ip}"));
    }
    parts.join(", ")
}

fn endpoint_list(s: &Service) -> String {
    if let Some(u) = &s.endpoints_unknown {
        let known = if s.endpoints.is_empty() {
            String::new()
        } else {
            let mut listed = s.clone();
            listed.endpoints_unknown = None;
            format!(" (listed: {})", endpoint_list(&listed))
        };
        return format!("unknown — {}{known}", u.reason);
    }
    if s.endpoints.is_empty() {
        return if s.no_endpoints {
            "no endpoints (rejected)".to_string()
        } else {
            "none".to_string()
        };
    }
    s.endpoints
        .iter()
        .map(|e| {
            let addr = match e.port {
                Some(p) if e.ip.contains(':') => format!("[{}]:{p}", e.ip),
                Some(p) => format!("{}:{p}", e.ip),
                None => e.ip.clone(),
            };
            let local = match e.local {
                Some(true) => " local",
                _ => "",
            };
            let weight = e.weight.map(|w| format!(" w{w}")).unwrap_or_default();
            format!(
                "{addr} {}{weight}{local}",
                crate::words::percent(e.probability)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn policy_and_affinity(s: &Service) -> String {
    let mut parts = Vec::new();
    match s.external_traffic_policy {
        Some(TrafficPolicy::Local) => parts.push("eTP Local".to_string()),
        Some(TrafficPolicy::Cluster) => parts.push("eTP Cluster".to_string()),
        None => {}
    }
    if let Some(sec) = s.session_affinity_seconds {
        parts.push(format!("affinity {sec}s"));
    }
    if let Some(sched) = &s.scheduler {
        parts.push(format!("scheduler {sched}"));
    }
    if !s.load_balancer_source_ranges.is_empty() {
        parts.push(format!(
            "source ranges {}",
            s.load_balancer_source_ranges.join(" ")
        ));
    }
    parts.join(", ")
}

/// A plain-text report for a terminal.
pub fn text(report: &Report) -> String {
    let mut out = diagnosis::text(report);
    let _ = writeln!(out, "proxy mode: {}", report.mode.name());
    if !report.leftover_modes.is_empty() {
        let names: Vec<_> = report.leftover_modes.iter().map(|m| m.name()).collect();
        let _ = writeln!(out, "leftovers of: {}", names.join(", "));
    }
    if let Some(l) = &report.layout {
        let _ = writeln!(
            out,
            "layout: {} — {}{}",
            clean(&l.name),
            clean(&l.summary),
            line_list(&l.evidence)
        );
    }
    let endpoints: usize = report.services.iter().map(|s| s.endpoints.len()).sum();
    let _ = writeln!(
        out,
        "services: {}  endpoints: {}  iptables rules: {}",
        report.services.len(),
        endpoints,
        report.rules.iptables_rules
    );
    for f in &report.node.node_ips {
        let _ = writeln!(out, "node IP: {} ({})", clean(&f.value), clean(&f.source));
    }
    for f in &report.node.pod_cidrs {
        let _ = writeln!(out, "pod CIDR: {} ({})", clean(&f.value), clean(&f.source));
    }
    if let Some(ct) = &report.conntrack {
        let _ = writeln!(out, "conntrack: {}", clean(&ct.summary));
        if let Some(e) = &ct.expected_max {
            let _ = writeln!(out, "kube-proxy's conntrack limit: {}", clean(&e.summary));
        }
    }
    if let Some(m) = &report.configured_mode {
        let _ = writeln!(
            out,
            "configured mode: {} ({})",
            clean(&m.value),
            clean(&m.source)
        );
    }
    if let Some(join) = &report.api {
        let _ = writeln!(out, "cluster API: {}", clean(&api::summary(join)));
    }
    let _ = writeln!(out);
    if !report.services.is_empty() {
        let _ = writeln!(out, "SERVICES");
        for s in &report.services {
            let _ = writeln!(out, "  {}", clean(&s.id));
            let _ = writeln!(out, "    entry:     {}", clean(&entry_points(s)));
            let extra = policy_and_affinity(s);
            if !extra.is_empty() {
                let _ = writeln!(out, "    policy:    {}", clean(&extra));
            }
            let _ = writeln!(out, "    endpoints: {}", clean(&endpoint_list(s)));
            if let Some(a) = &s.api {
                let _ = writeln!(out, "    API:       {}", clean(&api::service_line(a)));
            }
        }
        let _ = writeln!(out);
    }
    if let Some(kp) = &report.kube_proxy {
        out.push_str(&kube_proxy::text(kp));
    }
    if !report.findings.is_empty() {
        let _ = writeln!(out, "FINDINGS");
        for f in &report.findings {
            let lines = line_list(&f.lines);
            let _ = writeln!(out, "  [{}] {}{}", severity_name(f.severity), f.code, lines);
            let _ = writeln!(out, "    {}", clean(&f.message));
        }
        let _ = writeln!(out);
    }
    if let Some(m) = &report.migration {
        migration_text(&mut out, m);
    }
    if !report.diagnostics.is_empty() {
        let _ = writeln!(out, "NOT UNDERSTOOD");
        for d in report.diagnostics.iter().take(200) {
            let _ = writeln!(
                out,
                "  line {}: {} ({})",
                d.line,
                clean(&d.message),
                d.severity
            );
        }
        if report.diagnostics.len() > 200 {
            let _ = writeln!(out, "  … and {} more", report.diagnostics.len() - 200);
        }
    }
    out
}

fn line_list(lines: &[u32]) -> String {
    match lines.len() {
        0 => String::new(),
        1..=8 => format!(
            " (lines {})",
            lines
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        n => format!(
            " (lines {}, … {} in all)",
            lines[..8]
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            n
        ),
    }
}

/// Removes control characters (terminal escapes) from text taken from the paste.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

/// Escapes text for Markdown: formatting characters, HTML, links and table pipes are neutralised and
/// line breaks become spaces.
pub fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '!' | '|'
            | '~' | '>' | '<' | '&' | '@' | ':' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// A Markdown report for GitHub-style renderers (issues, pull requests, wikis).
pub fn markdown(report: &Report) -> String {
    markdown_flavour(report, Flavour::Github)
}

/// A Markdown report for a chat or a ticket: no backslash escapes, no tables.
pub fn markdown_chat(report: &Report) -> String {
    markdown_flavour(report, Flavour::Chat)
}

/// A Markdown report of the given flavour.
pub fn markdown_flavour(report: &Report, flavour: Flavour) -> String {
    let t = |s: &str| flavour.text(s);
    let mut out = String::new();
    let endpoints: usize = report.services.iter().map(|s| s.endpoints.len()).sum();
    let _ = writeln!(
        out,
        "{}",
        match flavour {
            Flavour::Github => "### svcpath report".to_string(),
            Flavour::Chat => "**svcpath report**".to_string(),
        }
    );
    let _ = writeln!(out);
    out.push_str(&diagnosis::markdown(report, flavour));
    let _ = writeln!(
        out,
        "- **Proxy mode:** {}{}",
        report.mode.name(),
        if report.leftover_modes.is_empty() {
            String::new()
        } else {
            format!(
                " (leftovers of {})",
                report
                    .leftover_modes
                    .iter()
                    .map(|m| m.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    if let Some(l) = &report.layout {
        let _ = writeln!(
            out,
            "- **Rule layout:** {} — {}{}",
            t(&l.name),
            t(&l.summary),
            line_list(&l.evidence)
        );
    }
    let _ = writeln!(
        out,
        "- **Services:** {}, **endpoints:** {}, **iptables rules:** {}",
        report.services.len(),
        endpoints,
        report.rules.iptables_rules
    );
    if let Some(mean) = report.rules.mean_rules_per_packet {
        let _ = writeln!(
            out,
            "- **Rules per new Service connection:** about {mean:.0}"
        );
    }
    if let Some(ct) = &report.conntrack {
        let _ = writeln!(out, "- **Conntrack:** {}", t(&ct.summary));
        if let Some(e) = &ct.expected_max {
            let _ = writeln!(out, "- **kube-proxy's conntrack limit:** {}", t(&e.summary));
        }
    }
    if let Some(m) = &report.configured_mode {
        let _ = writeln!(
            out,
            "- **Configured mode:** {} ({})",
            t(&m.value),
            t(&m.source)
        );
    }
    let _ = writeln!(out);
    if !report.findings.is_empty() {
        let _ = writeln!(out, "{}", flavour.heading("Findings"));
        let _ = writeln!(out);
        for f in &report.findings {
            let service = f
                .service
                .as_deref()
                .map(|s| format!(" — {}", t(s)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "- **{}** `{}`{}{}: {}",
                severity_name(f.severity),
                f.code,
                service,
                line_list(&f.lines),
                t(&f.message)
            );
        }
        let _ = writeln!(out);
    }
    if let Some(kp) = &report.kube_proxy {
        match flavour {
            Flavour::Github => out.push_str(&kube_proxy::markdown(kp)),
            Flavour::Chat => {
                let _ = writeln!(out, "{}\n", flavour.heading("kube-proxy log"));
                for fact in kube_proxy::facts(kp) {
                    let _ = writeln!(out, "- {}", t(&fact));
                }
                for e in kp.errors.iter().take(kube_proxy::LISTED_ERRORS) {
                    let _ = writeln!(out, "- line {}, {}: {}", e.line, t(&e.kind), t(&e.message));
                }
                let _ = writeln!(out);
            }
        }
    }
    if !report.services.is_empty() && flavour == Flavour::Chat {
        let _ = writeln!(out, "{}", flavour.heading("Services"));
        let _ = writeln!(out);
        for s in report.services.iter().take(500) {
            let extra = policy_and_affinity(s);
            let _ = writeln!(
                out,
                "- {}: {}{} → {}",
                t(&s.id),
                t(&entry_points(s)),
                if extra.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", t(&extra))
                },
                t(&endpoint_list(s))
            );
        }
        if report.services.len() > 500 {
            let _ = writeln!(
                out,
                "\n… {} more Services not listed.",
                report.services.len() - 500
            );
        }
        let _ = writeln!(out);
    }
    if !report.services.is_empty() && flavour == Flavour::Github {
        let _ = writeln!(out, "#### Services");
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "| Service | Entry points | Policy | Endpoints (share of new connections) |"
        );
        let _ = writeln!(out, "|---|---|---|---|");
        for s in report.services.iter().take(500) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                md(&s.id),
                md(&entry_points(s)),
                md(&policy_and_affinity(s)),
                md(&endpoint_list(s))
            );
        }
        if report.services.len() > 500 {
            let _ = writeln!(
                out,
                "\n… {} more Services not listed.",
                report.services.len() - 500
            );
        }
        let _ = writeln!(out);
    }
    if let Some(join) = &report.api {
        let _ = writeln!(out, "{}", flavour.heading("Cluster API"));
        let _ = writeln!(out);
        let _ = writeln!(out, "- {}", t(&api::summary(join)));
        for s in report.services.iter().take(500) {
            if let Some(a) = &s.api {
                let _ = writeln!(out, "- {}: {}", t(&s.id), t(&api::service_line(a)));
            }
        }
        let _ = writeln!(out);
    }
    if let Some(m) = &report.migration {
        migration_markdown(&mut out, m, flavour);
    }
    if !report.diagnostics.is_empty() && flavour == Flavour::Chat {
        let _ = writeln!(
            out,
            "{}",
            flavour.heading(&format!(
                "{} line(s) not understood",
                report.diagnostics.len()
            ))
        );
        let _ = writeln!(out);
        for d in report.diagnostics.iter().take(50) {
            let _ = writeln!(out, "- line {}: {}", d.line, t(&d.message));
        }
    }
    if !report.diagnostics.is_empty() && flavour == Flavour::Github {
        let _ = writeln!(
            out,
            "<details><summary>{} line(s) not understood</summary>",
            report.diagnostics.len()
        );
        let _ = writeln!(out);
        for d in report.diagnostics.iter().take(50) {
            let _ = writeln!(out, "- line {}: {}", d.line, md(&d.message));
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "</details>");
    }
    out
}

/// The per-packet work now and in nftables mode, in words.
fn per_packet_words(m: &Migration) -> Option<String> {
    let nft = m.rules_per_packet_nftables?;
    Some(match m.rules_per_packet_now {
        Some(now) => format!(
            "a new Service connection passes about {now:.0} iptables rules now, about {nft:.0} rules and map \
             lookups in nftables mode"
        ),
        None => format!("a new Service connection takes about {nft:.0} rules and map lookups in nftables mode"),
    })
}

/// The objects nftables mode would create, in words.
pub fn migration_objects_words(m: &Migration) -> String {
    let o = &m.objects;
    if o.service_ports == 0 {
        return format!(
            "no Service port in the paste: kube-proxy's fixed part only ({} chains, {} sets, {} maps)",
            o.chains, o.sets, o.maps
        );
    }
    let mut text = format!(
        "{} chains ({} Service and {} endpoint chains; {} from 1.36, which writes endpoint chains only for \
         session affinity), {} sets, {} maps, {} map and set elements, for {} Service port(s)",
        o.chains,
        o.service_chains,
        o.endpoint_chains,
        o.chains_from_1_36,
        o.sets,
        o.maps,
        o.elements,
        o.service_ports
    );
    if o.unknown_endpoints > 0 {
        let _ = write!(
            text,
            "; {} Service port(s) with endpoints unknown in the paste are counted with those read",
            o.unknown_endpoints
        );
    }
    text
}

fn migration_text(out: &mut String, m: &Migration) {
    let _ = writeln!(out, "MOVE TO NFTABLES MODE (from {})", m.from.name());
    let _ = writeln!(out, "  {}", clean(&m.summary));
    if let Some(words) = per_packet_words(m) {
        let _ = writeln!(out, "  per packet: {words}");
    }
    let _ = writeln!(out, "  objects:    {}", migration_objects_words(m));
    for i in &m.items {
        let _ = writeln!(
            out,
            "  [{}] {}: {}{}",
            severity_name(i.severity),
            i.code,
            clean(&i.title),
            line_list(&i.lines)
        );
        let _ = writeln!(out, "    {}", clean(&i.message));
        let _ = writeln!(out, "    what to do: {}", clean(&i.action));
    }
    for n in &m.notes {
        let _ = writeln!(out, "  note: {}", clean(n));
    }
    let _ = writeln!(out);
}

fn migration_markdown(out: &mut String, m: &Migration, flavour: Flavour) {
    let md = |text: &str| flavour.text(text);
    let _ = writeln!(
        out,
        "{}",
        flavour.heading(&format!("Move to nftables mode (from {})", m.from.name()))
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", md(&m.summary));
    let _ = writeln!(out);
    if let Some(words) = per_packet_words(m) {
        let _ = writeln!(out, "- **Per packet:** {}", md(&words));
    }
    let _ = writeln!(out, "- **Objects:** {}", md(&migration_objects_words(m)));
    for i in &m.items {
        let _ = writeln!(
            out,
            "- **{}** `{}`{}: **{}**. {} *What to do:* {}",
            severity_name(i.severity),
            i.code,
            line_list(&i.lines),
            md(&i.title),
            md(&i.message),
            md(&i.action)
        );
    }
    for n in &m.notes {
        let _ = writeln!(out, "- *Note:* {}", md(n.as_str()));
    }
    let _ = writeln!(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escapes_formatting_and_html() {
        let s = md("<script>alert(1)</script> [x](javascript:y) *b* `c` | d");
        assert!(!s.contains("<script>"));
        assert!(s.contains("\\<script\\>"));
        assert!(s.contains("\\[x\\]\\(javascript\\:y\\)"));
        assert!(s.contains("\\|"));
    }
}
