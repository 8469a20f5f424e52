//! Unit tests of the packet tracer.

use super::*;

fn run(dump: &str, node_ips: &[&str], packet: Packet) -> Trace {
    let options = Options { node_ips: node_ips.iter().map(|s| s.to_string()).collect(), ..Options::default() };
    let snapshot = Snapshot::parse(dump, &options);
    trace(&snapshot, &options, &packet)
}

fn pkt(from: From, src: Option<&str>, dst: &str, port: u16) -> Packet {
    Packet { src: src.map(str::to_string), dst: dst.to_string(), dst_port: port, protocol: Protocol::Tcp, from, returning_client: false }
}

#[test]
fn explore() {
    let Ok(path) = std::env::var("TRACE_DUMP") else { return };
    let dump = std::fs::read_to_string(path).unwrap();
    let from = match std::env::var("TRACE_FROM").as_deref() { Ok("node") => From::Node, Ok("external") => From::External, _ => From::Pod };
    let mut p = pkt(from, std::env::var("TRACE_SRC").ok().as_deref(), &std::env::var("TRACE_DST").unwrap(), std::env::var("TRACE_PORT").unwrap().parse().unwrap());
    if std::env::var("TRACE_UDP").is_ok() { p.protocol = Protocol::Udp; }
    p.returning_client = std::env::var("TRACE_RET").is_ok();
    let nips = std::env::var("TRACE_NODE").unwrap_or_default();
    let nips: Vec<&str> = nips.split(',').filter(|s| !s.is_empty()).collect();
    let t = run(&dump, &nips, p);
    println!("{}", serde_json::to_string_pretty(&t).unwrap());
}
