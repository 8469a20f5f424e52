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
    let e = |i: usize| l.get(i).unwrap();
    assert!(e(0).is_dnat());
    assert!(!e(0).is_snat());
    assert!(e(0).has_flag("ASSURED"));
    assert_eq!(e(0).entry.use_count, Some(1));
    assert_eq!(e(1).protocol(), "udp");
    assert!(e(1).has_flag("UNREPLIED"));
    assert_eq!(e(1).reply().unwrap().src.to_string(), "10.244.2.3");
    assert_eq!(e(2).entry.family, Some(Family::Ipv4));
    assert_eq!(e(2).state(), Some("TIME_WAIT"));
    assert_eq!(e(2).entry.zone, Some(0));
    assert_eq!(e(3).entry.original.icmp, Some((8, 0, 7)));
    assert_eq!(e(3).entry.id, None);
    assert_eq!(e(4).event(), Some("NEW"));
    assert!(e(5).entry.partial);
    assert_eq!(e(5).protocol(), "tcp");
    assert_eq!(e(5).entry.timeout, Some(46));
    assert_eq!(l.shown.unwrap().value, 6);
    assert_eq!(p.diagnostics.len(), 1);
    // Ten entries share few addresses: each is stored once.
    assert!(l.addresses.len() <= 14, "{}", l.addresses.len());
    let json = serde_json::to_value(&l).unwrap();
    assert_eq!(
        json["entries"][3]["original"]["other"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(json["entries"][1]["reply"]["src"], "10.244.2.3");
}

#[test]
fn extended_id_ipv6_and_proc_forms() {
    let text = "\
ipv6     10 udp      17 28 src=fd00:10:244:1::5 dst=fd00:10:96::a sport=41000 dport=53 src=fd00:10:244:2::9 dst=fd00:10:244:1::5 sport=53 dport=41000 mark=0 zone=3 use=2 id=3735928559
ipv6     10 tcp      6 86398 ESTABLISHED src=fd00:0000:0000:0000:0000:0000:0000:0001 dst=fd00:0000:0000:0000:0000:0000:0000:0002 sport=1 dport=2 src=fd00:0000:0000:0000:0000:0000:0000:0002 dst=fd00:0000:0000:0000:0000:0000:0000:0001 sport=2 dport=1 [ASSURED] mark=16384 secctx=system_u:object_r:unlabeled_t:s0 zone=0 use=2
tcp      6 300 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [OFFLOAD] mark=0 use=1 id=42
icmp     1 29 src=10.0.0.1 dst=10.0.0.2 type=8 code=0 id=7 src=10.0.0.2 dst=10.0.0.1 type=0 code=0 id=7 mark=0 use=1 id=99
udp      17 29 src=10.0.0.1 dst=nonsense sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1
";
    let p = parse_list(text, Origin::START);
    let l = p.value;
    assert_eq!(l.entries.len(), 4, "{:?}", p.diagnostics);
    let e = |i: usize| l.get(i).unwrap();
    assert_eq!(e(0).entry.family, Some(Family::Ipv6));
    assert_eq!(e(0).original().dst.to_string(), "fd00:10:96::a");
    assert_eq!(e(0).entry.zone, Some(3));
    assert_eq!(e(0).entry.id, Some(3_735_928_559));
    assert!(e(0).is_dnat());
    assert_eq!(e(1).original().src.to_string(), "fd00::1");
    assert_eq!(e(1).entry.mark, Some(16384));
    assert!(e(2).has_flag("OFFLOAD"));
    assert_eq!(e(2).entry.id, Some(42));
    assert_eq!(e(3).entry.reply.unwrap().icmp, Some((0, 0, 7)));
    assert_eq!(e(3).entry.id, Some(99));
    assert_eq!(p.diagnostics.len(), 1, "{:?}", p.diagnostics);
    assert_eq!(p.diagnostics[0].line, 5);
}

#[test]
fn entries_are_compact() {
    // A million entries in about 128 MB besides the text: no heap allocation per entry.
    assert!(
        std::mem::size_of::<Entry>() <= 128,
        "{}",
        std::mem::size_of::<Entry>()
    );
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
