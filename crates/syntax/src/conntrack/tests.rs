//! Unit tests of the conntrack parsers.

use super::*;

#[test]
fn per_cpu_rows_with_any_keys() {
    let text = "cpu=0   \tfound=96 invalid=0 ignore=2185350 insert=0 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=403 \ncpu=1 found=1 drop=3 clash_resolve=7 chaintoolong=0\n";
    let p = parse_stats(text, Origin::START);
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let s = p.value;
    assert_eq!(s.per_cpu.len(), 2);
    assert_eq!(s.per_cpu[0].get("search_restart"), Some(403));
    assert_eq!(s.total("drop"), Some(3));
    assert_eq!(s.total("clash_resolve"), Some(7));
    assert_eq!(s.total("nonexistent"), None);
    // A second run in the same section replaces the first one's rows in the totals.
    let again = parse_stats(&format!("{text}cpu=1 drop=5\n"), Origin::START).value;
    assert_eq!(again.total("drop"), Some(5));
    assert_eq!(s.per_cpu[1].cpu, 1);
    assert_eq!(s.per_cpu[1].line, 2);
}

#[test]
fn old_form_and_errors() {
    let text = "entries   \t\t90\ndrop      \t\t2\nconntrack v1.4.4 (conntrack-tools): Operation failed: sorry\ncommand terminated with exit code 1\n";
    let s = parse_stats(text, Origin::START).value;
    assert_eq!(s.entries(), Some((90, 1)));
    assert_eq!(s.total("drop"), Some(2));
    assert_eq!(s.errors.len(), 2);
}

#[test]
fn count_and_proc_stat_table() {
    let s = parse_stats("1234\n", Origin::START).value;
    assert_eq!(s.entries(), Some((1234, 1)));
    let text = "entries  searched found new invalid ignore delete delete_list insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart\n0000002a  00000000 00000010 00000000 00000000 00000000 00000000 00000000 00000000 00000001 00000002 00000000 00000000  00000000 00000000 00000000 00000000\n0000002a  00000000 00000010 00000000 00000000 00000000 00000000 00000000 00000000 00000000 0000000a 00000000 00000000  00000000 00000000 00000000 00000000\n";
    let p = parse_stats(text, Origin::START);
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    assert_eq!(p.value.per_cpu.len(), 2);
    assert_eq!(p.value.total("drop"), Some(12));
    assert_eq!(p.value.entries(), Some((42, 2)));
    assert_eq!(p.value.per_cpu[1].cpu, 1);
}

#[test]
fn exec_context_from_command() {
    let p = parse_stats_with_command(
        "entries 3\n",
        Origin {
            offset: 50,
            line: 2,
        },
        Some("$ kubectl exec -it p -- conntrack -S"),
    );
    assert_eq!(p.value.via_exec.as_ref().unwrap().line, 1);
    let p = parse_stats(
        "$ kubectl exec -it p -- conntrack -S\nentries 3\n",
        Origin::START,
    );
    assert_eq!(p.value.via_exec.as_ref().unwrap().line, 1);
    assert!(p.diagnostics.is_empty());
}

#[test]
fn entries_of_every_form() {
    let text = "\
tcp      6 431999 ESTABLISHED src=10.244.1.5 dst=10.96.0.1 sport=40000 dport=443 src=192.168.1.10 dst=10.244.1.5 sport=6443 dport=40000 [ASSURED] mark=0 use=1
udp      17 29 src=10.244.1.5 dst=10.96.0.10 sport=5353 dport=53 [UNREPLIED] src=10.244.2.3 dst=10.244.1.5 sport=53 dport=5353 mark=0 use=1
ipv4     2 tcp      6 117 TIME_WAIT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [ASSURED] mark=0 zone=0 use=2
icmp     1 29 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=7 src=10.0.0.2 dst=10.0.0.1 type=0 code=0 id=7 mark=0 use=1
 [NEW] tcp      6 120 SYN_SENT src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1
6 46 TIME_WAIT src=10.64.4.48 dst=10.0.0.10 sport=59817 dport=53 src=10.64.2.4 dst=10.64.4.48 sport=53 dport=59817 [ASSURED] mark=0 use=1
conntrack v1.4.5 (conntrack-tools): 6 flow entries have been shown.
";
    let p = parse_list(text, Origin::START);
    let l = p.value;
    assert_eq!(l.entries.len(), 6, "{:?}", p.diagnostics);
    assert!(l.entries[0].is_dnat());
    assert!(!l.entries[0].is_snat());
    assert_eq!(l.entries[1].protocol, "udp");
    assert!(l.entries[1].has_flag("UNREPLIED"));
    assert_eq!(l.entries[1].reply.as_ref().unwrap().src, "10.244.2.3");
    assert_eq!(l.entries[2].family.as_deref(), Some("ipv4"));
    assert_eq!(l.entries[2].state.as_deref(), Some("TIME_WAIT"));
    assert_eq!(l.entries[2].zone, Some(0));
    assert_eq!(l.entries[3].original.other.len(), 3);
    assert_eq!(l.entries[4].event.as_deref(), Some("NEW"));
    assert!(l.entries[5].partial);
    assert_eq!(l.entries[5].protocol, "tcp");
    assert_eq!(l.entries[5].timeout, Some(46));
    assert_eq!(l.shown.unwrap().value, 6);
    assert_eq!(p.diagnostics.len(), 1);
}

#[test]
fn counting_lines() {
    let p = parse_list_with_command("5321\n", Origin::START, Some("# conntrack -L | wc -l"));
    assert_eq!(p.value.counted.unwrap().value, 5321);
    let p = parse_list("5321 /proc/net/nf_conntrack\n", Origin::START);
    assert_eq!(p.value.counted.unwrap().value, 5321);
    let p = parse_list("5321\n", Origin::START);
    assert!(p.value.counted.is_none());
    assert_eq!(p.diagnostics.len(), 1);
}
