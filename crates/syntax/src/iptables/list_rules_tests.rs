//! Unit tests of reading `iptables -S` listings.

use super::*;

const LISTED: &str = "-P PREROUTING ACCEPT -c 12 720\n\
    -N KUBE-SVC-AAAA\n\
    -A KUBE-SVC-AAAA ! -s 10.244.0.0/16 -d 10.96.0.20/32 -p tcp -m comment --comment \"default/web:http cluster IP\" -m tcp --dport 80 -c 3 180 -j KUBE-MARK-MASQ\n\
    -A KUBE-SVC-AAAA -m comment --comment \"default/web:http -> 10.244.1.5:8080\" -c 10 600 -j KUBE-SEP-A1\n";

#[test]
fn iptables_dash_s_verbose_is_read_as_rules() {
    let parsed = parse_with_command(
        LISTED,
        Origin::START,
        Some("root@node:~# iptables -t nat -S -v"),
    );
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let rs = parsed.value;
    assert_eq!(rs.tables.len(), 1);
    let nat = rs.table("nat").expect("nat from -t nat");
    let pre = nat.chain("PREROUTING").unwrap();
    assert_eq!(pre.policy.as_deref(), Some("ACCEPT"));
    assert_eq!(
        pre.counters,
        Some(Counters {
            packets: 12,
            bytes: 720
        })
    );
    let svc = nat.chain("KUBE-SVC-AAAA").unwrap();
    assert_eq!(svc.rules.len(), 2);
    assert_eq!(svc.rules[0].target_name(), Some("KUBE-MARK-MASQ"));
    assert_eq!(svc.rules[1].target_name(), Some("KUBE-SEP-A1"));
    assert_eq!(
        svc.rules[1].comment(),
        Some("default/web:http -> 10.244.1.5:8080")
    );
}

#[test]
fn the_listed_table_comes_from_the_command() {
    assert_eq!(
        table_of_list_command("iptables -t nat -S KUBE-SERVICES -v").as_deref(),
        Some("nat")
    );
    assert_eq!(
        table_of_list_command("sudo iptables -S").as_deref(),
        Some("filter")
    );
    assert_eq!(
        table_of_list_command("ip6tables --table=mangle --list-rules").as_deref(),
        Some("mangle")
    );
    assert_eq!(
        table_of_list_command("iptables -tnat -vS").as_deref(),
        Some("nat")
    );
    assert_eq!(table_of_list_command("iptables -L -n"), None);
    assert_eq!(table_of_list_command("iptables-save -t nat"), None);
    // `iptables -S KUBE-SERVICES` lists the filter table's chain of that name, not nat's.
    let rs = parse_with_command(
        "-N KUBE-SERVICES\n-A KUBE-SERVICES -d 10.96.0.30/32 -p tcp -m comment --comment \"default/empty:http has no endpoints\" -m tcp --dport 80 -j REJECT\n",
        Origin::START,
        Some("iptables -S KUBE-SERVICES"),
    )
    .value;
    assert!(rs
        .table("filter")
        .is_some_and(|t| t.chain("KUBE-SERVICES").is_some()));
    assert!(rs.table("nat").is_none());
}

#[test]
fn a_bad_policy_line_is_reported() {
    let parsed = parse("-P INPUT\n-P FORWARD DROP -c x y\n", Origin::START);
    let lines: Vec<u32> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity != crate::Severity::Info)
        .map(|d| d.line)
        .collect();
    assert_eq!(lines, vec![1, 2]);
    let filter = parsed.value.table("filter").unwrap();
    assert_eq!(
        filter.chain("FORWARD").unwrap().policy.as_deref(),
        Some("DROP")
    );
}
