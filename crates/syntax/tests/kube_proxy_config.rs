//! Golden tests of the kube-proxy settings reader over `tests/fixtures/kube-proxy-config/` (sources in its
//! SOURCES.md): each file is split like a paste, its settings sections are read, and what was read is
//! pinned by a snapshot; the values that matter are asserted by hand against the files. A property
//! test checks that any text gives settings and diagnostics without a panic, with lines inside it.
#![allow(clippy::disallowed_methods)] // A test reads files; the crate it tests may not (clippy.toml).

use std::path::PathBuf;

use proptest::prelude::*;
use serde_json::json;
use svcpath_syntax::kube_proxy_config::{parse, KubeProxySettings, SettingsForm};
use svcpath_syntax::{split, Origin, SectionKind};

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/kube-proxy-config")
}

fn read_file(name: &str) -> String {
    let path = fixture_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The settings sections of a paste, read as the analysis reads them.
fn settings_of(paste: &str) -> (Vec<KubeProxySettings>, serde_json::Value) {
    let mut all = Vec::new();
    let mut pinned = Vec::new();
    for section in split(paste) {
        if section.kind != SectionKind::KubeProxyConfig {
            continue;
        }
        let parsed = parse(
            section.text(paste),
            section.origin(),
            section.command.as_deref(),
        );
        pinned.push(json!({
            "first_line": section.first_line,
            "command": section.command,
            "settings": parsed.value,
            "diagnostics": parsed.diagnostics.iter().map(|d| json!({"line": d.line, "message": d.message})).collect::<Vec<_>>(),
        }));
        all.push(parsed.value);
    }
    (all, json!(pinned))
}

fn only(name: &str) -> KubeProxySettings {
    let (mut all, _) = settings_of(&read_file(name));
    assert_eq!(all.len(), 1, "{name}: one settings section");
    all.remove(0)
}

#[test]
fn every_fixture_is_read_and_pinned() {
    let mut names: Vec<String> = std::fs::read_dir(fixture_dir())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "SOURCES.md")
        .collect();
    names.sort();
    assert!(names.len() >= 8, "{names:?}");
    for name in names {
        let (all, pinned) = settings_of(&read_file(&name));
        assert!(all.iter().any(|s| s.form.is_some()), "{name}: nothing read");
        insta::assert_json_snapshot!(name.clone(), pinned);
    }
}

#[test]
fn defaults_file_has_kube_proxys_defaults() {
    let s = only("v1alpha1-defaults.yaml");
    assert_eq!(s.form, Some(SettingsForm::ConfigFile));
    assert_eq!(s.mode, None, "mode \"\" is the platform default");
    assert!(s.cluster_cidrs.is_empty());
    let ct = &s.conntrack;
    assert_eq!(
        ct.max_per_core.as_ref().map(|v| (v.value, v.line)),
        Some((32_768, 13))
    );
    assert_eq!(
        ct.min.as_ref().map(|v| (v.value, v.line)),
        Some((131_072, 14))
    );
    assert_eq!(
        ct.tcp_close_wait_timeout.as_ref().map(|v| v.value),
        Some(3_600)
    );
    assert_eq!(
        ct.tcp_established_timeout.as_ref().map(|v| v.value),
        Some(86_400)
    );
    assert_eq!(ct.udp_timeout, None);
}

#[test]
fn cluster_api_configmap_nulls_are_unset_and_the_cidr_is_read() {
    let s = only("configmap-cluster-api-1584.yaml");
    assert_eq!(s.form, Some(SettingsForm::ConfigMap));
    assert!(s.conntrack.is_empty(), "{:?}", s.conntrack);
    let cidrs: Vec<_> = s
        .cluster_cidrs
        .iter()
        .map(|c| (c.value.as_str(), c.line))
        .collect();
    assert_eq!(cidrs, vec![("10.96.0.0/16", 12)]);
}

#[test]
fn issue_75575_yaml_and_json_give_the_same_settings() {
    let yaml = only("configmap-k8s-75575.yaml");
    let json = only("configmap-k8s-75575.json");
    for s in [&yaml, &json] {
        assert_eq!(s.form, Some(SettingsForm::ConfigMap));
        assert_eq!(
            s.conntrack.max_per_core.as_ref().map(|v| v.value),
            Some(65_535)
        );
        assert_eq!(s.conntrack.min.as_ref().map(|v| v.value), Some(655_350));
    }
    assert_eq!(
        yaml.conntrack.max_per_core.as_ref().map(|v| v.line),
        Some(6)
    );
    // The JSON string sits on one line.
    assert_eq!(
        json.conntrack.max_per_core.as_ref().map(|v| v.line),
        Some(5)
    );
}

#[test]
fn kind_leaves_the_limit_alone_and_asks_for_liberal_tcp() {
    let s = only("kind-nftables-config.yaml");
    assert_eq!(
        s.mode.as_ref().map(|m| (m.value.as_str(), m.line)),
        Some(("nftables", 5))
    );
    assert_eq!(
        s.conntrack.max_per_core.as_ref().map(|v| (v.value, v.line)),
        Some((0, 11))
    );
    assert_eq!(
        s.conntrack
            .tcp_be_liberal
            .as_ref()
            .map(|v| (v.value, v.line)),
        Some((true, 16))
    );
}

#[test]
fn flagz_pages_of_each_release() {
    let s = only("flagz-1.34.txt");
    assert_eq!(s.form, Some(SettingsForm::Flagz));
    assert_eq!(s.config_file, None, "`config: ` is empty");
    assert_eq!(
        s.mode.as_ref().map(|m| (m.value.as_str(), m.line)),
        Some(("ipvs", 31))
    );
    assert_eq!(
        s.cluster_cidrs.first().map(|c| c.value.as_str()),
        Some("10.244.0.0/16")
    );
    assert_eq!(s.conntrack.udp_timeout.as_ref().map(|v| v.value), Some(0));
    let s = only("flagz-1.32-with-config.txt");
    assert_eq!(
        s.config_file.as_ref().map(|c| (c.value.as_str(), c.line)),
        Some(("/var/lib/kube-proxy/config.conf", 11))
    );
    assert_eq!(s.mode, None);
    let s = only("flagz-1.35.json");
    assert_eq!(s.cluster_cidrs.len(), 2);
    assert_eq!(s.conntrack.udp_timeout.as_ref().map(|v| v.value), Some(30));
    assert_eq!(
        s.conntrack.tcp_be_liberal.as_ref().map(|v| v.value),
        Some(true)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_text_is_read_without_a_panic(
        text in prop::collection::vec(
            prop_oneof![
                Just("config.conf: |-".to_string()),
                Just("  conntrack:".to_string()),
                Just("    maxPerCore: 0".to_string()),
                Just("kind: KubeProxyConfiguration".to_string()),
                Just("kube-proxy flags".to_string()),
                Just("conntrack-min=131072".to_string()),
                Just("{\"flags\": {\"config\": 1}}".to_string()),
                Just("- &a [*a, *a]".to_string()),
                "[ -~]{0,40}",
            ],
            0..30,
        ).prop_map(|lines| lines.join("\n")),
        offset in 0usize..1000,
        first in 1u32..100,
    ) {
        let origin = Origin { offset, line: first };
        let last = first + text.lines().count().max(1) as u32;
        for command in [None, Some("curl -s localhost:10249/flagz")] {
            let parsed = parse(&text, origin, command);
            for d in &parsed.diagnostics {
                prop_assert!(d.line >= first && d.line <= last, "{d:?}");
                prop_assert!(d.span.start >= offset && d.span.end <= offset + text.len());
            }
            let s = &parsed.value;
            let lines = s.cluster_cidrs.iter().map(|c| c.line)
                .chain(s.mode.iter().map(|m| m.line))
                .chain(s.conntrack.max_per_core.iter().map(|m| m.line))
                .chain(s.conntrack.min.iter().map(|m| m.line));
            for line in lines {
                prop_assert!(line >= first && line <= last, "{line}");
            }
        }
    }
}
