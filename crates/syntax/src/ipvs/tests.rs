//! Unit tests of the ipvsadm parser.

use super::*;

fn parse_text(text: &str) -> Parsed<Listing> {
    parse(text, Origin::START)
}

#[test]
fn plain_listing_with_persistence_and_flags() {
    let p = parse_text(
        "IP Virtual Server version 1.2.1 (size=4096)\n\
         Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n\
         TCP  10.254.0.1:443 rr persistent 10800\n  -> 172.16.16.81:6443            Masq    1      3          7         \n\
         UDP  [fd00::10]:53 mh (mh-fallback,mh-port) persistent 60 mask 64 pe sip ops\n  -> [fd00:1::5]:53              Masq    0      0          2\n\
         FWM  100 IPv6 wlc\n",
    );
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let l = &p.value;
    assert_eq!(l.version.as_deref(), Some("1.2.1"));
    assert_eq!(l.table_size, Some(4096));
    assert_eq!(l.services.len(), 3);
    let s = &l.services[0];
    assert_eq!(s.key().as_deref(), Some("tcp/10.254.0.1:443"));
    assert_eq!(s.persistent_seconds, Some(10800));
    assert_eq!(s.real_servers[0].active_connections, Some(3));
    assert_eq!(s.real_servers[0].inactive_connections, Some(7));
    let u = &l.services[1];
    assert_eq!(u.key().as_deref(), Some("udp/[fd00::10]:53"));
    assert_eq!(u.scheduler_flags, ["mh-fallback", "mh-port"]);
    assert_eq!(u.persistence_mask.as_deref(), Some("64"));
    assert_eq!(u.persistence_engine.as_deref(), Some("sip"));
    assert!(u.one_packet);
    assert_eq!(u.real_servers[0].weight, Some(0));
    assert_eq!(l.services[2].key().as_deref(), Some("fwm/100/ipv6"));
}

#[test]
fn numbers_with_suffixes() {
    assert_eq!(
        Number::parse("123"),
        Some(Number {
            value: 123,
            approximate: false
        })
    );
    assert_eq!(
        Number::parse("123K"),
        Some(Number {
            value: 123_000,
            approximate: true
        })
    );
    assert_eq!(Number::parse("7G").unwrap().value, 7_000_000_000);
    assert_eq!(Number::parse("K"), None);
    assert_eq!(Number::parse("-1"), None);
    assert_eq!(
        Number::parse("99999999999999999999T").unwrap().value,
        u64::MAX
    );
}

#[test]
fn list_then_stats_merge_by_service() {
    let p = parse_text(
        "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n\
         TCP  10.0.0.1:80 wrr\n  -> 10.1.0.1:80 Masq 3 0 0\n  -> 10.1.0.2:80 Masq 1 0 0\n\
         Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n  -> RemoteAddress:Port\n\
         TCP  10.0.0.1:80                      400     1200     800     120K      45M\n  -> 10.1.0.1:80 300 900 600 90000 30M\n  -> 10.1.0.2:80 100 300 200 30000 15M\n",
    );
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let l = &p.value;
    assert_eq!(l.services.len(), 1);
    let s = &l.services[0];
    assert_eq!(s.scheduler.as_deref(), Some("wrr"));
    assert_eq!(s.stats.unwrap().connections.value, 400);
    assert_eq!(
        s.stats.unwrap().in_bytes,
        Number {
            value: 120_000,
            approximate: true
        }
    );
    assert_eq!(s.real_servers[0].weight, Some(3));
    assert_eq!(
        s.real_servers[0].stats.as_ref().unwrap().connections.value,
        300
    );
    assert_eq!(s.lines, vec![3, 8]);
    assert_eq!(
        l.views.iter().map(|v| v.view).collect::<Vec<_>>(),
        [View::List, View::Stats]
    );
}

#[test]
fn connections_and_timeouts() {
    let p = parse_text(
        "IPVS connection entries\npro expire state       source             virtual            destination\n\
         TCP 14:58  ESTABLISHED 10.244.1.5:51234   10.96.0.1:443      172.16.0.4:6443\n\
         UDP 04:59  UDP         10.244.1.5:40000   10.96.0.10:53      10.244.0.3:53\n\
         Timeout (tcp tcpfin udp): 900 120 300\n",
    );
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let c = &p.value.connections;
    assert_eq!(c.len(), 2);
    assert_eq!(c[0].expire_seconds, Some(898));
    assert_eq!(c[0].destination.key().as_deref(), Some("172.16.0.4:6443"));
    assert_eq!(
        p.value.timeouts.map(|t| (t.tcp, t.tcp_fin, t.udp)),
        Some((900, 120, 300))
    );
}

#[test]
fn save_format() {
    let p = parse_text(
        "-A -t 10.96.0.1:443 -s rr -p 10800\n-a -t 10.96.0.1:443 -r 172.16.0.4:6443 -m -w 1\n\
         -A -u [fd00::a]:53 -s sh -b sh-fallback,sh-port\n-a -u [fd00::a]:53 -r [fd00:1::3]:53 -m -w 0\n-A -f 7 -s wlc -o\n",
    );
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let s = &p.value.services;
    assert_eq!(s.len(), 3);
    assert_eq!(s[0].persistent_seconds, Some(10800));
    assert_eq!(s[0].real_servers[0].forward.as_deref(), Some("Masq"));
    assert_eq!(s[1].scheduler_flags, ["sh-fallback", "sh-port"]);
    assert_eq!(s[1].real_servers[0].weight, Some(0));
    assert_eq!(s[2].fwmark, Some(7));
    assert!(s[2].one_packet);
}

#[test]
fn names_are_read_where_possible() {
    let a = parse_address("ip-10-0-62-121.ec2.internal:", 28);
    assert_eq!(a.ip.as_deref(), Some("10.0.62.121"));
    assert!(a.truncated);
    assert_eq!(a.port, None);
    let b = parse_address("100.98.125.10:http", 28);
    assert_eq!(b.key().as_deref(), Some("100.98.125.10:80"));
    assert_eq!(b.port_name.as_deref(), Some("http"));
    let c = parse_address("ip-10-0-62-92.ec2.internal:9", 28);
    assert!(c.truncated);
    assert_eq!(c.port, None);
    let d = parse_address("AC100004:192B", 28);
    assert_eq!(d.key().as_deref(), Some("172.16.0.4:6443"));
    let e = parse_address("db.example:postgresql", 28);
    assert_eq!(e.ip, None);
    assert_eq!(e.port, Some(5432));
}

#[test]
fn garbage_is_reported_with_its_line() {
    let p = parse(
        "TCP  10.0.0.1:80 rr\nhello there\n  -> 10.1.0.1:80 Masq x 0 0\n",
        Origin {
            offset: 100,
            line: 7,
        },
    );
    let lines: Vec<u32> = p.diagnostics.iter().map(|d| d.line).collect();
    assert_eq!(lines, vec![8, 9]);
    assert_eq!(p.value.services[0].real_servers.len(), 1);
}

#[test]
fn line_words_are_the_whitespace_split_with_offsets() {
    let line = "  -> 10.0.0.1:80\u{a0}Masq    1 ";
    let words = line_words(line);
    let plain: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(words.iter().map(|w| w.1).collect::<Vec<_>>(), plain);
    for (at, w) in words {
        assert_eq!(&line[at..at + w.len()], w);
    }
}

#[test]
fn a_real_server_stays_small() {
    // Hundreds of thousands of real servers on a large node: counters and extra lines are out of line.
    // (It was 472 bytes with the counters, rates and rare columns inline.)
    let size = std::mem::size_of::<RealServer>();
    assert!(size <= 240, "RealServer is {size} bytes");
    assert!(std::mem::size_of::<Address>() <= 88);
}
