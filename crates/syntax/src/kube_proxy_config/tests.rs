//! Unit tests of the kube-proxy settings reader: each form, the lines values are read from, `null`
//! and empty values, and text that is not kube-proxy's.

use super::*;

fn read(text: &str) -> KubeProxySettings {
    parse(text, Origin::START, None).value
}

#[test]
fn config_file_values_keep_their_lines() {
    let s = read("apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nclusterCIDR: 10.244.0.0/16,fd00:10:244::/56\nconntrack:\n  maxPerCore: 0\n  min: null\n  tcpEstablishedTimeout: 24h0m0s\n  udpTimeout: 10s\n  tcpBeLiberal: true\nmode: ipvs\n");
    assert_eq!(s.form, Some(SettingsForm::ConfigFile));
    let mode = s.mode.unwrap();
    assert_eq!((mode.value.as_str(), mode.line), ("ipvs", 10));
    let cidrs: Vec<_> = s
        .cluster_cidrs
        .iter()
        .map(|c| (c.value.as_str(), c.line))
        .collect();
    assert_eq!(cidrs, vec![("10.244.0.0/16", 3), ("fd00:10:244::/56", 3)]);
    let ct = s.conntrack;
    assert_eq!(ct.max_per_core.map(|m| (m.value, m.line)), Some((0, 5)));
    assert_eq!(ct.min, None, "`null` is not set");
    assert_eq!(
        ct.tcp_established_timeout.map(|t| (t.value, t.line)),
        Some((86_400, 7))
    );
    assert_eq!(ct.udp_timeout.map(|t| t.value), Some(10));
    assert_eq!(
        ct.tcp_be_liberal.map(|t| (t.value, t.key)),
        Some((true, "conntrack.tcpBeLiberal".to_string()))
    );
}

#[test]
fn configmap_block_lines_point_into_the_paste() {
    let text = "apiVersion: v1\ndata:\n  config.conf: |-\n    apiVersion: kubeproxy.config.k8s.io/v1alpha1\n    conntrack:\n      maxPerCore: 65535\n      min: 655350\n    mode: \"\"\n  kubeconfig.conf: |-\n    apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kube-proxy\n  namespace: kube-system\n";
    let origin = Origin {
        offset: 100,
        line: 20,
    };
    let s = parse(text, origin, None).value;
    assert_eq!(s.form, Some(SettingsForm::ConfigMap));
    assert_eq!(
        s.conntrack.max_per_core.map(|m| (m.value, m.line)),
        Some((65_535, 25))
    );
    assert_eq!(
        s.conntrack.min.map(|m| (m.value, m.line)),
        Some((655_350, 26))
    );
    assert_eq!(s.mode, None, "an empty mode is the platform default");
}

#[test]
fn configmap_json_reads_the_embedded_string() {
    let text = "{\n    \"apiVersion\": \"v1\",\n    \"data\": {\n        \"config.conf\": \"apiVersion: kubeproxy.config.k8s.io/v1alpha1\\nconntrack:\\n  maxPerCore: 0\\nmode: nftables\\n\"\n    },\n    \"kind\": \"ConfigMap\"\n}\n";
    let s = read(text);
    assert_eq!(s.form, Some(SettingsForm::ConfigMap));
    assert_eq!(
        s.conntrack.max_per_core.map(|m| (m.value, m.line)),
        Some((0, 4))
    );
    assert_eq!(s.mode.map(|m| m.value), Some("nftables".to_string()));
}

#[test]
fn a_fragment_from_the_config_key_on_is_read() {
    let text = "  config.conf: |-\n    conntrack:\n      maxPerCore: 16384\n  kubeconfig.conf: |-\n    kind: Config\nkind: ConfigMap\nmetadata:\n  name: kube-proxy\n";
    let parsed = parse(text, Origin::START, None);
    assert_eq!(parsed.value.form, Some(SettingsForm::ConfigMap));
    assert_eq!(
        parsed
            .value
            .conntrack
            .max_per_core
            .map(|m| (m.value, m.line)),
        Some((16_384, 3))
    );
    assert!(
        parsed.diagnostics.iter().any(|d| d.line == 6),
        "{:?}",
        parsed.diagnostics
    );
}

#[test]
fn flagz_with_every_separator() {
    for sep in [":", ": ", "=", " "] {
        let text = format!("\nkube-proxy flags\nWarning: This endpoint is not meant to be machine parseable, has no formatting compatibility guarantees and is for debugging purposes only.\n\nbind-address{sep}0.0.0.0\ncluster-cidr{sep}10.244.0.0/16\nconfig{sep}\nconntrack-max-per-core{sep}32768\nconntrack-min{sep}131072\nconntrack-tcp-timeout-established{sep}24h0m0s\nmetrics-bind-address{sep}127.0.0.1:10249\nproxy-mode{sep}iptables\n");
        let s = read(&text);
        assert_eq!(s.form, Some(SettingsForm::Flagz), "{sep:?}");
        assert_eq!(
            s.mode.as_ref().map(|m| (m.value.as_str(), m.line)),
            Some(("iptables", 12)),
            "{sep:?}"
        );
        assert_eq!(
            s.conntrack.max_per_core.as_ref().map(|m| m.value),
            Some(32_768),
            "{sep:?}"
        );
        assert_eq!(
            s.conntrack
                .tcp_established_timeout
                .as_ref()
                .map(|m| m.value),
            Some(86_400),
            "{sep:?}"
        );
        assert_eq!(s.config_file, None, "{sep:?}");
        assert_eq!(s.cluster_cidrs.len(), 1, "{sep:?}");
    }
}

#[test]
fn flagz_json_and_another_component() {
    let s = read("{\"kind\":\"Flagz\",\"apiVersion\":\"config.k8s.io/v1beta1\",\"metadata\":{\"name\":\"kube-proxy\"},\"flags\":{\"config\":\"/var/lib/kube-proxy/config.conf\",\"conntrack-min\":\"131072\"}}");
    assert_eq!(s.form, Some(SettingsForm::Flagz));
    assert_eq!(
        s.config_file.map(|c| c.value),
        Some("/var/lib/kube-proxy/config.conf".to_string())
    );
    let kubelet = parse(
        "\nkubelet flagz\nWarning: x\n\nconntrack-min=1\n",
        Origin::START,
        None,
    );
    assert_eq!(kubelet.value.form, None);
    assert!(kubelet
        .diagnostics
        .iter()
        .any(|d| d.message.contains("kubelet")));
}

#[test]
fn prose_is_no_setting_and_says_so() {
    let parsed = parse("hello: world\n", Origin::START, None);
    assert!(parsed.value.is_empty());
    assert_eq!(parsed.diagnostics.len(), 1);
}

#[test]
fn an_alias_bomb_stops_at_the_limit() {
    let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    let mut prev = 'a';
    for name in 'b'..='k' {
        text.push_str(&format!("{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        prev = name;
    }
    text.push_str("kind: KubeProxyConfiguration\n");
    let parsed = parse(&text, Origin::START, None);
    assert!(
        parsed
            .diagnostics
            .iter()
            .any(|d| d.message.contains("aliases")),
        "{:?}",
        parsed.diagnostics
    );
}

#[test]
fn deep_nesting_stops_at_the_limit() {
    let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let parsed = parse(&text, Origin::START, None);
    assert!(parsed.value.is_empty());
    assert!(!parsed.diagnostics.is_empty());
}
