//! Every finding code svcpath reports, in one place: the enum a finding carries and the word the JSON
//! keeps for it.

use serde::{Deserialize, Serialize};

/// What a finding is about; serialised as its stable code word (e.g. `etp-local-no-local-endpoints`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum FindingCode {
    #[serde(rename = "conntrack-critical")]
    ConntrackCritical,
    #[serde(rename = "conntrack-entries-without-endpoints")]
    ConntrackEntriesWithoutEndpoints,
    #[serde(rename = "conntrack-etp-local-no-local-endpoints")]
    ConntrackEtpLocalNoLocalEndpoints,
    #[serde(rename = "conntrack-stale-entries")]
    ConntrackStaleEntries,
    #[serde(rename = "conntrack-unreplied-udp")]
    ConntrackUnrepliedUdp,
    #[serde(rename = "conntrack-warning")]
    ConntrackWarning,
    #[serde(rename = "dangling-jump")]
    DanglingJump,
    #[serde(rename = "empty-kube-chain")]
    EmptyKubeChain,
    #[serde(rename = "endpoint-chain-missing")]
    EndpointChainMissing,
    #[serde(rename = "endpoints-unknown")]
    EndpointsUnknown,
    #[serde(rename = "etp-cluster-client-ip-lost")]
    EtpClusterClientIpLost,
    #[serde(rename = "etp-local-client-ip")]
    EtpLocalClientIp,
    #[serde(rename = "etp-local-no-local-endpoints")]
    EtpLocalNoLocalEndpoints,
    #[serde(rename = "foreign-rule-check-partial")]
    ForeignRuleCheckPartial,
    #[serde(rename = "garbled-dnat")]
    GarbledDnat,
    #[serde(rename = "hairpin-masquerade-missing")]
    HairpinMasqueradeMissing,
    #[serde(rename = "hairpin-not-masqueraded")]
    HairpinNotMasqueraded,
    #[serde(rename = "iptables-mode-leftovers")]
    IptablesModeLeftovers,
    #[serde(rename = "iptables-nft-listing")]
    IptablesNftListing,
    #[serde(rename = "ipvs-balanced")]
    IpvsBalanced,
    #[serde(rename = "ipvs-connections-pile-up")]
    IpvsConnectionsPileUp,
    #[serde(rename = "ipvs-conntrack-still-in-path")]
    IpvsConntrackStillInPath,
    #[serde(rename = "ipvs-hairpin-without-loopback-entry")]
    IpvsHairpinWithoutLoopbackEntry,
    #[serde(rename = "ipvs-masquerade-rules")]
    IpvsMasqueradeRules,
    #[serde(rename = "ipvs-no-real-servers")]
    IpvsNoRealServers,
    #[serde(rename = "ipvs-persistence-shared-source")]
    IpvsPersistenceSharedSource,
    #[serde(rename = "ipvs-rate-not-a-count")]
    IpvsRateNotACount,
    #[serde(rename = "ipvs-roles-guessed")]
    IpvsRolesGuessed,
    #[serde(rename = "ipvs-scheduler-hashing")]
    IpvsSchedulerHashing,
    #[serde(rename = "ipvs-scheduler-live-counts")]
    IpvsSchedulerLiveCounts,
    #[serde(rename = "ipvs-too-few-connections")]
    IpvsTooFewConnections,
    #[serde(rename = "ipvs-unbalanced")]
    IpvsUnbalanced,
    #[serde(rename = "ipvs-weight-zero-draining")]
    IpvsWeightZeroDraining,
    #[serde(rename = "itp-local-no-local-endpoints")]
    ItpLocalNoLocalEndpoints,
    #[serde(rename = "jump-depth")]
    JumpDepth,
    #[serde(rename = "jump-loop")]
    JumpLoop,
    #[serde(rename = "kube-proxy-api-watch-errors")]
    KubeProxyApiWatchErrors,
    #[serde(rename = "kube-proxy-conntrack-cleanup-failed")]
    KubeProxyConntrackCleanupFailed,
    #[serde(rename = "kube-proxy-ipvs-deprecated")]
    KubeProxyIpvsDeprecated,
    #[serde(rename = "kube-proxy-missing-binary")]
    KubeProxyMissingBinary,
    #[serde(rename = "kube-proxy-missing-kernel-module")]
    KubeProxyMissingKernelModule,
    #[serde(rename = "kube-proxy-mode-fallback")]
    KubeProxyModeFallback,
    #[serde(rename = "kube-proxy-mode-mismatch")]
    KubeProxyModeMismatch,
    #[serde(rename = "kube-proxy-slow-sync")]
    KubeProxySlowSync,
    #[serde(rename = "kube-proxy-sync-burst")]
    KubeProxySyncBurst,
    #[serde(rename = "kube-proxy-sync-failed")]
    KubeProxySyncFailed,
    #[serde(rename = "legacy-tables-present")]
    LegacyTablesPresent,
    #[serde(rename = "masquerade-chain-missing")]
    MasqueradeChainMissing,
    #[serde(rename = "masquerade-missing")]
    MasqueradeMissing,
    #[serde(rename = "no-endpoints")]
    NoEndpoints,
    #[serde(rename = "node-traffic-blocked")]
    NodeTrafficBlocked,
    #[serde(rename = "odds-do-not-sum")]
    OddsDoNotSum,
    #[serde(rename = "rule-ahead-of-kube-services")]
    RuleAheadOfKubeServices,
    #[serde(rename = "rule-count")]
    RuleCount,
    #[serde(rename = "service-blocked-by-foreign-rule")]
    ServiceBlockedByForeignRule,
    #[serde(rename = "service-bypassed-by-foreign-rule")]
    ServiceBypassedByForeignRule,
    #[serde(rename = "session-affinity")]
    SessionAffinity,
    #[serde(rename = "session-affinity-broken")]
    SessionAffinityBroken,
    #[serde(rename = "skewed-odds")]
    SkewedOdds,
    #[serde(rename = "unused-kube-chain")]
    UnusedKubeChain,
    #[serde(rename = "api-endpoint-stale-on-node")]
    ApiEndpointStaleOnNode,
    #[serde(rename = "api-endpoint-not-synced")]
    ApiEndpointNotSynced,
    #[serde(rename = "api-service-not-synced")]
    ApiServiceNotSynced,
    #[serde(rename = "api-service-stale-on-node")]
    ApiServiceStaleOnNode,
    #[serde(rename = "api-policy-mismatch")]
    ApiPolicyMismatch,
    #[serde(rename = "conntrack-oversized")]
    ConntrackOversized,
}

impl FindingCode {
    /// Every code, in the order of their words.
    pub const ALL: &'static [FindingCode] = &[
        FindingCode::ConntrackCritical,
        FindingCode::ConntrackEntriesWithoutEndpoints,
        FindingCode::ConntrackEtpLocalNoLocalEndpoints,
        FindingCode::ConntrackStaleEntries,
        FindingCode::ConntrackUnrepliedUdp,
        FindingCode::ConntrackWarning,
        FindingCode::DanglingJump,
        FindingCode::EmptyKubeChain,
        FindingCode::EndpointChainMissing,
        FindingCode::EndpointsUnknown,
        FindingCode::EtpClusterClientIpLost,
        FindingCode::EtpLocalClientIp,
        FindingCode::EtpLocalNoLocalEndpoints,
        FindingCode::ForeignRuleCheckPartial,
        FindingCode::GarbledDnat,
        FindingCode::HairpinMasqueradeMissing,
        FindingCode::HairpinNotMasqueraded,
        FindingCode::IptablesModeLeftovers,
        FindingCode::IptablesNftListing,
        FindingCode::IpvsBalanced,
        FindingCode::IpvsConnectionsPileUp,
        FindingCode::IpvsConntrackStillInPath,
        FindingCode::IpvsHairpinWithoutLoopbackEntry,
        FindingCode::IpvsMasqueradeRules,
        FindingCode::IpvsNoRealServers,
        FindingCode::IpvsPersistenceSharedSource,
        FindingCode::IpvsRateNotACount,
        FindingCode::IpvsRolesGuessed,
        FindingCode::IpvsSchedulerHashing,
        FindingCode::IpvsSchedulerLiveCounts,
        FindingCode::IpvsTooFewConnections,
        FindingCode::IpvsUnbalanced,
        FindingCode::IpvsWeightZeroDraining,
        FindingCode::ItpLocalNoLocalEndpoints,
        FindingCode::JumpDepth,
        FindingCode::JumpLoop,
        FindingCode::KubeProxyApiWatchErrors,
        FindingCode::KubeProxyConntrackCleanupFailed,
        FindingCode::KubeProxyIpvsDeprecated,
        FindingCode::KubeProxyMissingBinary,
        FindingCode::KubeProxyMissingKernelModule,
        FindingCode::KubeProxyModeFallback,
        FindingCode::KubeProxyModeMismatch,
        FindingCode::KubeProxySlowSync,
        FindingCode::KubeProxySyncBurst,
        FindingCode::KubeProxySyncFailed,
        FindingCode::LegacyTablesPresent,
        FindingCode::MasqueradeChainMissing,
        FindingCode::MasqueradeMissing,
        FindingCode::NoEndpoints,
        FindingCode::NodeTrafficBlocked,
        FindingCode::OddsDoNotSum,
        FindingCode::RuleAheadOfKubeServices,
        FindingCode::RuleCount,
        FindingCode::ServiceBlockedByForeignRule,
        FindingCode::ServiceBypassedByForeignRule,
        FindingCode::SessionAffinity,
        FindingCode::SessionAffinityBroken,
        FindingCode::SkewedOdds,
        FindingCode::UnusedKubeChain,
        FindingCode::ApiEndpointStaleOnNode,
        FindingCode::ApiEndpointNotSynced,
        FindingCode::ApiServiceNotSynced,
        FindingCode::ApiServiceStaleOnNode,
        FindingCode::ApiPolicyMismatch,
        FindingCode::ConntrackOversized,
    ];

    /// The code word, as the JSON, the text report and the page write it.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingCode::ConntrackCritical => "conntrack-critical",
            FindingCode::ConntrackEntriesWithoutEndpoints => "conntrack-entries-without-endpoints",
            FindingCode::ConntrackEtpLocalNoLocalEndpoints => {
                "conntrack-etp-local-no-local-endpoints"
            }
            FindingCode::ConntrackStaleEntries => "conntrack-stale-entries",
            FindingCode::ConntrackUnrepliedUdp => "conntrack-unreplied-udp",
            FindingCode::ConntrackWarning => "conntrack-warning",
            FindingCode::DanglingJump => "dangling-jump",
            FindingCode::EmptyKubeChain => "empty-kube-chain",
            FindingCode::EndpointChainMissing => "endpoint-chain-missing",
            FindingCode::EndpointsUnknown => "endpoints-unknown",
            FindingCode::EtpClusterClientIpLost => "etp-cluster-client-ip-lost",
            FindingCode::EtpLocalClientIp => "etp-local-client-ip",
            FindingCode::EtpLocalNoLocalEndpoints => "etp-local-no-local-endpoints",
            FindingCode::ForeignRuleCheckPartial => "foreign-rule-check-partial",
            FindingCode::GarbledDnat => "garbled-dnat",
            FindingCode::HairpinMasqueradeMissing => "hairpin-masquerade-missing",
            FindingCode::HairpinNotMasqueraded => "hairpin-not-masqueraded",
            FindingCode::IptablesModeLeftovers => "iptables-mode-leftovers",
            FindingCode::IptablesNftListing => "iptables-nft-listing",
            FindingCode::IpvsBalanced => "ipvs-balanced",
            FindingCode::IpvsConnectionsPileUp => "ipvs-connections-pile-up",
            FindingCode::IpvsConntrackStillInPath => "ipvs-conntrack-still-in-path",
            FindingCode::IpvsHairpinWithoutLoopbackEntry => "ipvs-hairpin-without-loopback-entry",
            FindingCode::IpvsMasqueradeRules => "ipvs-masquerade-rules",
            FindingCode::IpvsNoRealServers => "ipvs-no-real-servers",
            FindingCode::IpvsPersistenceSharedSource => "ipvs-persistence-shared-source",
            FindingCode::IpvsRateNotACount => "ipvs-rate-not-a-count",
            FindingCode::IpvsRolesGuessed => "ipvs-roles-guessed",
            FindingCode::IpvsSchedulerHashing => "ipvs-scheduler-hashing",
            FindingCode::IpvsSchedulerLiveCounts => "ipvs-scheduler-live-counts",
            FindingCode::IpvsTooFewConnections => "ipvs-too-few-connections",
            FindingCode::IpvsUnbalanced => "ipvs-unbalanced",
            FindingCode::IpvsWeightZeroDraining => "ipvs-weight-zero-draining",
            FindingCode::ItpLocalNoLocalEndpoints => "itp-local-no-local-endpoints",
            FindingCode::JumpDepth => "jump-depth",
            FindingCode::JumpLoop => "jump-loop",
            FindingCode::KubeProxyApiWatchErrors => "kube-proxy-api-watch-errors",
            FindingCode::KubeProxyConntrackCleanupFailed => "kube-proxy-conntrack-cleanup-failed",
            FindingCode::KubeProxyIpvsDeprecated => "kube-proxy-ipvs-deprecated",
            FindingCode::KubeProxyMissingBinary => "kube-proxy-missing-binary",
            FindingCode::KubeProxyMissingKernelModule => "kube-proxy-missing-kernel-module",
            FindingCode::KubeProxyModeFallback => "kube-proxy-mode-fallback",
            FindingCode::KubeProxyModeMismatch => "kube-proxy-mode-mismatch",
            FindingCode::KubeProxySlowSync => "kube-proxy-slow-sync",
            FindingCode::KubeProxySyncBurst => "kube-proxy-sync-burst",
            FindingCode::KubeProxySyncFailed => "kube-proxy-sync-failed",
            FindingCode::LegacyTablesPresent => "legacy-tables-present",
            FindingCode::MasqueradeChainMissing => "masquerade-chain-missing",
            FindingCode::MasqueradeMissing => "masquerade-missing",
            FindingCode::NoEndpoints => "no-endpoints",
            FindingCode::NodeTrafficBlocked => "node-traffic-blocked",
            FindingCode::OddsDoNotSum => "odds-do-not-sum",
            FindingCode::RuleAheadOfKubeServices => "rule-ahead-of-kube-services",
            FindingCode::RuleCount => "rule-count",
            FindingCode::ServiceBlockedByForeignRule => "service-blocked-by-foreign-rule",
            FindingCode::ServiceBypassedByForeignRule => "service-bypassed-by-foreign-rule",
            FindingCode::SessionAffinity => "session-affinity",
            FindingCode::SessionAffinityBroken => "session-affinity-broken",
            FindingCode::SkewedOdds => "skewed-odds",
            FindingCode::UnusedKubeChain => "unused-kube-chain",
            FindingCode::ApiEndpointStaleOnNode => "api-endpoint-stale-on-node",
            FindingCode::ApiEndpointNotSynced => "api-endpoint-not-synced",
            FindingCode::ApiServiceNotSynced => "api-service-not-synced",
            FindingCode::ApiServiceStaleOnNode => "api-service-stale-on-node",
            FindingCode::ApiPolicyMismatch => "api-policy-mismatch",
            FindingCode::ConntrackOversized => "conntrack-oversized",
        }
    }

    /// The code of this word, if it is one.
    pub fn from_word(word: &str) -> Option<FindingCode> {
        FindingCode::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == word)
    }
}

impl std::fmt::Display for FindingCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Compares with a code word (tests and callers holding the JSON word).
impl PartialEq<&str> for FindingCode {
    fn eq(&self, word: &&str) -> bool {
        self.as_str() == *word
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_code_serialises_to_its_word_and_back() {
        for code in FindingCode::ALL {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, code.as_str());
            assert_eq!(serde_json::from_value::<FindingCode>(json).unwrap(), *code);
            assert_eq!(FindingCode::from_word(code.as_str()), Some(*code));
        }
        let words: std::collections::BTreeSet<&str> =
            FindingCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(words.len(), FindingCode::ALL.len(), "no word twice");
    }
}
