//! A typed redaction of the [`Report`]: every field of every report type says, by name, whether it is
//! rewritten by the [`Redactor`] or kept as it is.
//!
//! Each impl takes its struct apart with an exhaustive pattern (no `..`), so a field that is added or
//! renamed does not compile until someone decides here whether it can name a node, a Service or an
//! address. Kept fields are written `field: _`: they hold codes, counts, line numbers and kinds, and may
//! change type without this file changing. Text that can hold names or addresses (ids, messages, rule
//! text, chain names) goes through [`Redactor::text`], the same mapping the redacted dump uses, so a
//! redacted report names its Services as the report of the redacted dump does.
//!
//! The page and the CLI show the report of the redacted dump itself ([`super::redacted_report`]); this
//! is for a report that is at hand and must be shared without its dump.

use super::Redactor;
use crate::diagnosis::{Cause, CauseTrace};
use crate::kube_proxy::{KubeProxyLog, LogError, ModeFallback};
use crate::migration::{Migration, MigrationItem};
use crate::report::{
    ConntrackReport, ConntrackService, DiagnosticEntry, Endpoint, Fact, Finding, Layout, NodeFacts,
    Report, SectionEntry, Service, StaleEntry, Unknown,
};
use crate::trace::{Packet, Step};

/// A value that can be redacted in place with a [`Redactor`].
pub trait Redact {
    /// Replaces what can name a node, a Service or an address, consistently with `redactor`.
    fn redact(&mut self, redactor: &mut Redactor);
}

impl Redact for String {
    fn redact(&mut self, redactor: &mut Redactor) {
        *self = redactor.text(self);
    }
}

impl<T: Redact> Redact for Option<T> {
    fn redact(&mut self, redactor: &mut Redactor) {
        if let Some(value) = self {
            value.redact(redactor);
        }
    }
}

impl<T: Redact> Redact for Vec<T> {
    fn redact(&mut self, redactor: &mut Redactor) {
        for value in self {
            value.redact(redactor);
        }
    }
}

impl Report {
    /// A copy of this report with its names and addresses redacted by `redactor`.
    pub fn redacted(&self, redactor: &mut Redactor) -> Report {
        let mut copy = self.clone();
        copy.redact(redactor);
        copy
    }
}

impl Redact for Report {
    fn redact(&mut self, r: &mut Redactor) {
        let Report {
            mode: _,
            leftover_modes: _,
            services,
            findings,
            diagnostics,
            sections,
            node,
            rules: _,
            conntrack,
            layout,
            migration,
            diagnosis,
            kube_proxy,
            api,
            configured_mode,
        } = self;
        services.redact(r);
        findings.redact(r);
        diagnostics.redact(r);
        sections.redact(r);
        node.redact(r);
        conntrack.redact(r);
        layout.redact(r);
        migration.redact(r);
        diagnosis.redact(r);
        kube_proxy.redact(r);
        configured_mode.redact(r);
        api.redact(r);
    }
}

impl Redact for crate::report::ApiJoin {
    fn redact(&mut self, r: &mut Redactor) {
        let crate::report::ApiJoin {
            node_name,
            node_name_source,
            zone,
            services: _,
            slices: _,
            nodes: _,
            services_without_rules,
            rules_without_service,
        } = self;
        node_name.redact(r);
        node_name_source.redact(r);
        zone.redact(r);
        for s in services_without_rules {
            s.id.redact(r);
            s.address.redact(r);
        }
        rules_without_service.redact(r);
    }
}

impl Redact for crate::report::ServiceApi {
    fn redact(&mut self, r: &mut Redactor) {
        let crate::report::ServiceApi {
            service,
            port_name,
            endpoints,
            missing_on_node,
            extra_on_node,
            external_traffic_policy: _,
            internal_traffic_policy: _,
            session_affinity_seconds: _,
            load_balancer_source_ranges,
            traffic_distribution: _,
            unknown,
            notes,
            lines: _,
        } = self;
        service.redact(r);
        *port_name = r.port(port_name);
        endpoints.redact(r);
        for m in missing_on_node {
            m.endpoint.redact(r);
            m.detail.redact(r);
        }
        extra_on_node.redact(r);
        load_balancer_source_ranges.redact(r);
        unknown.redact(r);
        notes.redact(r);
    }
}

impl Redact for Layout {
    fn redact(&mut self, r: &mut Redactor) {
        let Layout {
            mode: _,
            name,
            summary,
            evidence: _,
        } = self;
        name.redact(r);
        summary.redact(r);
    }
}

impl Redact for Service {
    fn redact(&mut self, r: &mut Redactor) {
        let Service {
            id,
            namespace,
            name,
            port_name,
            protocol: _,
            cluster_ip,
            port: _,
            node_port: _,
            external_ips,
            load_balancer_ips,
            load_balancer_source_ranges,
            external_traffic_policy: _,
            session_affinity_seconds: _,
            scheduler: _,
            endpoints,
            no_endpoints: _,
            lines: _,
            endpoints_unknown,
            api,
        } = self;
        id.redact(r);
        namespace.redact(r);
        name.redact(r);
        // A port name alone reads as a plain word to `text`: it is mapped as the id's last part is.
        *port_name = r.port(port_name);
        cluster_ip.redact(r);
        external_ips.redact(r);
        load_balancer_ips.redact(r);
        load_balancer_source_ranges.redact(r);
        endpoints.redact(r);
        endpoints_unknown.redact(r);
        api.redact(r);
    }
}

impl Redact for Unknown {
    fn redact(&mut self, r: &mut Redactor) {
        let Unknown { reason, lines: _ } = self;
        reason.redact(r);
    }
}

impl Redact for Endpoint {
    fn redact(&mut self, r: &mut Redactor) {
        let Endpoint {
            ip,
            port: _,
            probability: _,
            local: _,
            weight: _,
            active_connections: _,
            inactive_connections: _,
            lines: _,
        } = self;
        ip.redact(r);
    }
}

impl Redact for Finding {
    fn redact(&mut self, r: &mut Redactor) {
        let Finding {
            code: _,
            severity: _,
            service,
            lines: _,
            message,
        } = self;
        service.redact(r);
        message.redact(r);
    }
}

impl Redact for DiagnosticEntry {
    fn redact(&mut self, r: &mut Redactor) {
        let DiagnosticEntry {
            line: _,
            severity: _,
            message,
            start: _,
            end: _,
        } = self;
        message.redact(r);
    }
}

impl Redact for SectionEntry {
    fn redact(&mut self, r: &mut Redactor) {
        let SectionEntry {
            kind: _,
            detection: _,
            command,
            first_line: _,
            last_line: _,
        } = self;
        command.redact(r);
    }
}

impl Redact for NodeFacts {
    fn redact(&mut self, r: &mut Redactor) {
        let NodeFacts {
            node_ips,
            pod_cidrs,
            ip_family: _,
            iptables_backend: _,
            addresses,
        } = self;
        node_ips.redact(r);
        pod_cidrs.redact(r);
        addresses.redact(r);
    }
}

impl Redact for Fact {
    fn redact(&mut self, r: &mut Redactor) {
        let Fact {
            value,
            source,
            lines: _,
        } = self;
        value.redact(r);
        source.redact(r);
    }
}

impl Redact for ConntrackReport {
    fn redact(&mut self, r: &mut Redactor) {
        let ConntrackReport {
            count: _,
            max: _,
            buckets: _,
            fill_ratio: _,
            cpus: _,
            drops: _,
            insert_failed: _,
            early_drop: _,
            verdict: _,
            summary,
            reasons,
            recommendations,
            per_cpu: _,
            timeouts: _,
            table_full_lines: _,
            breakdown: _,
            missing: _,
            expected_max,
            kube_proxy_timeouts,
            table: _,
            services,
            stale,
        } = self;
        summary.redact(r);
        if let Some(e) = expected_max {
            e.summary.redact(r);
            e.settings_source.redact(r);
        }
        for t in kube_proxy_timeouts {
            t.source.redact(r);
        }
        reasons.redact(r);
        recommendations.redact(r);
        services.redact(r);
        stale.redact(r);
    }
}

impl Redact for ConntrackService {
    fn redact(&mut self, r: &mut Redactor) {
        let ConntrackService {
            service,
            protocol: _,
            entries: _,
            by_endpoint,
            by_state: _,
            stale: _,
            never_dnat: _,
            unreplied: _,
            endpoints_unknown,
            no_endpoints: _,
            node_port_entries: _,
        } = self;
        service.redact(r);
        endpoints_unknown.redact(r);
        *by_endpoint = std::mem::take(by_endpoint)
            .into_iter()
            .map(|(endpoint, count)| (r.text(&endpoint), count))
            .collect();
    }
}

impl Redact for StaleEntry {
    fn redact(&mut self, r: &mut Redactor) {
        let StaleEntry {
            service,
            protocol: _,
            client,
            destination,
            translated_to,
            kind: _,
            line: _,
            timeout: _,
            meaning,
            command,
        } = self;
        for text in [
            service,
            client,
            destination,
            translated_to,
            meaning,
            command,
        ] {
            text.redact(r);
        }
    }
}

impl Redact for Migration {
    fn redact(&mut self, r: &mut Redactor) {
        let Migration {
            from: _,
            summary,
            rules_per_packet_now: _,
            rules_per_packet_nftables: _,
            objects: _,
            items,
            notes,
        } = self;
        summary.redact(r);
        items.redact(r);
        notes.redact(r);
    }
}

impl Redact for MigrationItem {
    fn redact(&mut self, r: &mut Redactor) {
        let MigrationItem {
            code: _,
            severity: _,
            title,
            message,
            action,
            lines: _,
        } = self;
        title.redact(r);
        message.redact(r);
        action.redact(r);
    }
}

impl Redact for Cause {
    fn redact(&mut self, r: &mut Redactor) {
        let Cause {
            severity: _,
            code: _,
            summary,
            detail,
            services,
            findings: _,
            line: _,
            rule,
            owner: _,
            lines: _,
            trace,
        } = self;
        summary.redact(r);
        detail.redact(r);
        services.redact(r);
        rule.redact(r);
        trace.redact(r);
    }
}

impl Redact for CauseTrace {
    fn redact(&mut self, r: &mut Redactor) {
        let CauseTrace {
            label,
            packet,
            verdict: _,
            endpoint,
            probability: _,
            steps,
        } = self;
        label.redact(r);
        packet.redact(r);
        endpoint.redact(r);
        steps.redact(r);
    }
}

impl Redact for Packet {
    fn redact(&mut self, r: &mut Redactor) {
        let Packet {
            src,
            dst,
            dst_port: _,
            protocol: _,
            from: _,
            returning_client: _,
        } = self;
        src.redact(r);
        dst.redact(r);
    }
}

impl Redact for Step {
    fn redact(&mut self, r: &mut Redactor) {
        let Step {
            hook: _,
            table: _,
            chain,
            line: _,
            note,
            owner: _,
        } = self;
        chain.redact(r);
        note.redact(r);
    }
}

impl Redact for KubeProxyLog {
    fn redact(&mut self, r: &mut Redactor) {
        let KubeProxyLog {
            mode: _,
            version: _,
            syncs: _,
            sync_failures: _,
            sync_seconds: _,
            errors,
            mode_line: _,
            version_line: _,
            fallback,
            records: _,
            pods,
            formats: _,
            syncs_per_minute: _,
            full_syncs: _,
            partial_syncs: _,
            min_sync_period_seconds: _,
            sync_period_seconds: _,
            sync_points: _,
            failure_lines: _,
            last_sync_line: _,
            last_failure_line: _,
            unrecovered_failure_line: _,
            unrecovered_pod,
            unrecovered_last_sync_line: _,
            rule_counts: _,
            busiest_minute: _,
            ipvs_deprecated_line: _,
            errors_left_out: _,
        } = self;
        errors.redact(r);
        fallback.redact(r);
        pods.redact(r);
        unrecovered_pod.redact(r);
    }
}

impl Redact for LogError {
    fn redact(&mut self, r: &mut Redactor) {
        let LogError {
            line: _,
            kind: _,
            message,
            last_line: _,
            missing: _,
            pod,
        } = self;
        message.redact(r);
        pod.redact(r);
    }
}

impl Redact for ModeFallback {
    fn redact(&mut self, r: &mut Redactor) {
        let ModeFallback {
            line: _,
            from: _,
            reason,
        } = self;
        reason.redact(r);
    }
}
