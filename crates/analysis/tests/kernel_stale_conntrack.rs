//! Kernel conformance of the conntrack join: a stale UDP entry made by the real kernel.
//!
//! In private network namespaces (named after this process, deleted at the end) a node namespace
//! holds a kube-proxy-shaped UDP Service 10.96.0.10:53 whose one endpoint is the pod 10.244.2.7. A
//! client pod sends from port 41000; then the Service's endpoint becomes 10.244.2.8 (the rules are
//! reloaded, conntrack is not flushed) and the client sends again from 41000 and once from 41001.
//! The kernel keeps the old flow on 10.244.2.7 (the removed endpoint receives it) and sends the new
//! flow to 10.244.2.8. `conntrack -L` of the node namespace, pasted after the new rules, must give
//! exactly the 41000 entry as stale and the 41001 entry as current, and `trace --established` must
//! predict 10.244.2.7 for the old flow.
//!
//! Needs root, iproute2, iptables and conntrack-tools, so it is `#[ignore]`d: `scripts/conformance.sh`
//! runs it.
#![allow(clippy::disallowed_methods)] // A test runs commands; the crate it tests may not (clippy.toml).

use std::process::{Command, Stdio};
use std::time::Duration;

use svcpath_analysis::conntrack::trace_established;
use svcpath_analysis::report::{Protocol, StaleKind};
use svcpath_analysis::trace::{Origin, Packet};
use svcpath_analysis::{analyze, Options, Snapshot};

const VIP: &str = "10.96.0.10";
const CLIENT: &str = "10.244.1.5";
const OLD_ENDPOINT: &str = "10.244.2.7";
const NEW_ENDPOINT: &str = "10.244.2.8";

/// kube-proxy's rules for kube-system/kube-dns:dns with one endpoint.
fn rules(endpoint: &str) -> String {
    let sep = if endpoint == OLD_ENDPOINT {
        "KUBE-SEP-OLDOLDOLDOLDOLDOL"
    } else {
        "KUBE-SEP-NEWNEWNEWNEWNEWNE"
    };
    format!(
        "*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-TCOU7JCQXEZGVUNU - [0:0]
:{sep} - [0:0]
-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES
-A OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES
-A KUBE-SERVICES -d {VIP}/32 -p udp -m comment --comment \"kube-system/kube-dns:dns cluster IP\" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU
-A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment \"kube-system/kube-dns:dns -> {endpoint}:53\" -j {sep}
-A {sep} -p udp -m comment --comment \"kube-system/kube-dns:dns\" -m udp -j DNAT --to-destination {endpoint}:53
COMMIT
"
    )
}

/// The namespaces of one run, deleted by name when dropped.
struct Namespaces {
    names: Vec<String>,
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for n in &self.names {
            let _ = Command::new("ip").args(["netns", "delete", n]).status();
        }
    }
}

fn run(args: &[&str]) -> String {
    let out = Command::new(args[0])
        .args(&args[1..])
        .stderr(Stdio::inherit())
        .output()
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    assert!(out.status.success(), "{args:?} failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn in_ns(ns: &str, args: &[&str]) -> String {
    let mut all = vec!["ip", "netns", "exec", ns];
    all.extend_from_slice(args);
    run(&all)
}

fn restore(ns: &str, text: &str) {
    use std::io::Write;
    let mut child = Command::new("ip")
        .args(["netns", "exec", ns, "iptables-restore"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("iptables-restore");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "iptables-restore failed");
}

/// A UDP listener on port 53 that appends what it receives to `log`, one line a datagram.
fn listen(ns: &str, log: &std::path::Path) -> std::process::Child {
    let script = format!(
        "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('0.0.0.0',53))\nwhile True:\n d,a=s.recvfrom(512)\n open({:?},'a').write(d.decode()+'\\n')\n s.sendto(b'ok',a)\n",
        log.display().to_string()
    );
    Command::new("ip")
        .args(["netns", "exec", ns, "python3", "-c", &script])
        .spawn()
        .expect("listener")
}

fn send(ns: &str, sport: u16, payload: &str) {
    let script = format!(
        "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('{CLIENT}',{sport}))\ns.sendto(b'{payload}',('{VIP}',53))\ns.settimeout(1)\ntry: s.recvfrom(16)\nexcept Exception: pass\n"
    );
    in_ns(ns, &["python3", "-c", &script]);
}

#[test]
#[ignore = "needs root and network namespaces: scripts/conformance.sh runs it"]
fn kernel_keeps_the_old_flow_on_the_removed_endpoint_and_svcpath_calls_it_stale() {
    let id = std::process::id();
    let [node, client, old, new] = ["node", "cli", "old", "new"].map(|r| format!("svst-{r}-{id}"));
    let spaces = Namespaces {
        names: vec![node.clone(), client.clone(), old.clone(), new.clone()],
    };
    for n in &spaces.names {
        run(&["ip", "netns", "add", n]);
        in_ns(n, &["ip", "link", "set", "lo", "up"]);
    }
    in_ns(&node, &["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
    for (peer, ip, gw, net) in [
        (&client, CLIENT, "10.244.1.1", "10.244.1.0/24"),
        (&old, OLD_ENDPOINT, "10.244.2.1", "10.244.2.7/32"),
        (&new, NEW_ENDPOINT, "10.244.2.1", "10.244.2.8/32"),
    ] {
        let short = &peer[5..8];
        let (a, b) = (
            format!("n{short}{}", id % 10000),
            format!("p{short}{}", id % 10000),
        );
        run(&[
            "ip", "link", "add", &a, "netns", &node, "type", "veth", "peer", "name", &b, "netns",
            peer,
        ]);
        in_ns(
            &node,
            &["ip", "addr", "add", &format!("{gw}/32"), "dev", &a],
        );
        in_ns(&node, &["ip", "link", "set", &a, "up"]);
        in_ns(&node, &["ip", "route", "add", net, "dev", &a]);
        in_ns(peer, &["ip", "addr", "add", &format!("{ip}/32"), "dev", &b]);
        in_ns(peer, &["ip", "link", "set", &b, "up"]);
        in_ns(peer, &["ip", "route", "add", gw, "dev", &b]);
        in_ns(
            peer,
            &["ip", "route", "add", "default", "via", gw, "dev", &b],
        );
    }
    let dir = std::env::temp_dir().join(format!("svcpath-stale-{id}"));
    std::fs::create_dir_all(&dir).unwrap();
    let (old_log, new_log) = (dir.join("old.log"), dir.join("new.log"));
    let mut listeners = [listen(&old, &old_log), listen(&new, &new_log)];
    std::thread::sleep(Duration::from_millis(500));

    restore(&node, &rules(OLD_ENDPOINT));
    send(&client, 41000, "first");
    // The endpoint changes; conntrack is not flushed.
    restore(&node, &rules(NEW_ENDPOINT));
    send(&client, 41000, "again");
    send(&client, 41001, "fresh");
    std::thread::sleep(Duration::from_millis(300));
    let listing = in_ns(&node, &["conntrack", "-L", "-p", "udp"]);
    for l in &mut listeners {
        let _ = l.kill();
        let _ = l.wait();
    }
    let got_old = std::fs::read_to_string(&old_log).unwrap_or_default();
    let got_new = std::fs::read_to_string(&new_log).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    // The kernel: the old flow stays on the removed endpoint, the new flow goes to the new one.
    assert_eq!(got_old, "first\nagain\n", "old endpoint received");
    assert_eq!(got_new, "fresh\n", "new endpoint received");

    let paste = format!(
        "===== svcpath: iptables-save =====\n{}===== svcpath: conntrack-list =====\n{listing}",
        rules(NEW_ENDPOINT)
    );
    let report = analyze(&paste, &Options::default());
    let c = report.conntrack.expect("conntrack part");
    let stale: Vec<(&str, &str, StaleKind)> = c
        .stale
        .iter()
        .map(|s| (s.client.as_str(), s.translated_to.as_str(), s.kind))
        .collect();
    assert_eq!(
        stale,
        vec![("10.244.1.5:41000", "10.244.2.7:53", StaleKind::EndpointGone)],
        "{paste}"
    );
    let dns = &c.services[0];
    assert_eq!(dns.entries, 2, "{paste}");
    assert_eq!(dns.stale, Some(1));
    assert_eq!(dns.by_endpoint.get("10.244.2.8:53"), Some(&1));

    let options = Options::default();
    let snapshot = Snapshot::parse(&paste, &options);
    let packet = Packet {
        src: Some(CLIENT.to_string()),
        dst: VIP.to_string(),
        dst_port: 53,
        protocol: Protocol::Udp,
        from: Origin::Pod,
        returning_client: false,
    };
    let t = trace_established(&snapshot, &options, &packet, Some(41000));
    assert_eq!(t.outcomes[0].endpoint.as_deref(), Some("10.244.2.7:53"));
    let t = trace_established(&snapshot, &options, &packet, Some(41001));
    assert_eq!(t.outcomes[0].endpoint.as_deref(), Some("10.244.2.8:53"));
    drop(spaces);
}
