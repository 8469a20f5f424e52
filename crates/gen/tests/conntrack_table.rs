//! Generated `conntrack -L` tables joined with the generated cluster: the counts, the stale entries
//! (every 97th Service entry is DNAT'd to a pod that is gone) and the Service ports are exactly what the
//! generator wrote; a 20,000-entry table is pinned as a golden file. The million-entry table is read the
//! same way (`svcpath-gen --conntrack 1000000`); its time and memory belong to the benchmarks.

use svcpath_analysis::{analyze, Options};
use svcpath_gen::{cluster, conntrack, iptables, Spec};

fn paste(spec: &Spec, entries: usize) -> String {
    let c = cluster(spec);
    let mut out = Vec::new();
    iptables::write(&c, &mut out).unwrap();
    out.extend_from_slice(b"===== svcpath: conntrack-list =====\n");
    conntrack::write(&c, entries, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn a_generated_table_is_joined_entry_by_entry() {
    let spec = Spec::new(40, 3, 7);
    let entries = 20_000;
    let text = paste(&spec, entries);
    let r = analyze(&text, &Options::default());
    let c = r.conntrack.expect("conntrack part");
    let table = c.table.clone().expect("table");
    assert_eq!(table.entries, entries as u64);
    // One entry in 11 is node traffic to no Service.
    let to_services = entries - entries.div_ceil(11);
    assert_eq!(table.to_services, to_services as u64);
    let stale: u64 = c.services.iter().filter_map(|s| s.stale).sum();
    assert_eq!(stale, (to_services / conntrack::STALE_EVERY) as u64);
    assert!(c.stale.iter().all(|s| s
        .translated_to
        .starts_with(&conntrack::DEAD_POD.to_string())));
    assert!(r
        .findings
        .iter()
        .any(|f| f.code.as_str() == "conntrack-stale-entries"));
    let value = serde_json::json!({
        "table": table,
        "services": c.services.iter().take(5).collect::<Vec<_>>(),
        "stale_first": c.stale.iter().take(3).collect::<Vec<_>>(),
        "stale_listed": c.stale.len(),
    });
    insta::assert_json_snapshot!("conntrack-20000", value);
}
