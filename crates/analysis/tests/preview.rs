//! The first look at a paste (`preview::first_look`) names only Services the report has, with the
//! report's ClusterIP and port, on every corpus dump; and it finds Services in the dumps whose rules
//! name them (iptables and nftables), so a page listing them early lists the same Services.

use svcpath_analysis::preview::first_look;
use svcpath_analysis::{Options, Snapshot};

#[test]
fn every_service_the_first_look_names_is_in_the_report_with_its_address() {
    let mut named = 0;
    let mut dumps_with_services = 0;
    let mut nft_dumps = 0;
    for path in svcpath_testkit::corpus::every_file() {
        let text = svcpath_testkit::read_lossy(&path);
        let look = first_look(&text, usize::MAX);
        let name = path.display();
        assert_eq!(look.total, look.services.len(), "{name}");
        if look.total == 0 {
            continue;
        }
        dumps_with_services += 1;
        nft_dumps += usize::from(path.components().any(|c| c.as_os_str() == "nft"));
        let report = Snapshot::parse(&text, &Options::default()).report(&Options::default());
        for seen in &look.services {
            let matching: Vec<_> = report.services.iter().filter(|s| s.id == seen.id).collect();
            assert!(
                !matching.is_empty(),
                "{name}: line {} names {} which the report does not have",
                seen.line,
                seen.id
            );
            let addresses: Vec<String> = matching
                .iter()
                .filter_map(|s| {
                    let ip: std::net::IpAddr = s.cluster_ip.as_deref()?.parse().ok()?;
                    let port = s.port?;
                    Some(match ip {
                        std::net::IpAddr::V4(ip) => format!("{ip}:{port}"),
                        std::net::IpAddr::V6(ip) => format!("[{ip}]:{port}"),
                    })
                })
                .collect();
            let (seen_address, _protocol) = seen.address.rsplit_once('/').unwrap();
            assert!(
                addresses.iter().any(|a| a == seen_address),
                "{name}: {} seen at {} but the report has {addresses:?}",
                seen.id,
                seen.address
            );
            named += 1;
        }
    }
    assert!(dumps_with_services >= 5, "{dumps_with_services} dumps");
    assert!(named >= 40, "{named} Services named");
    assert!(nft_dumps >= 2, "{nft_dumps} nftables dumps");
}

proptest::proptest! {
    /// Whatever the lines around them, every Service seen points at a line that names it.
    #[test]
    fn each_service_seen_points_at_its_own_line(picks in proptest::collection::vec(0usize..6, 0..60)) {
        const LINES: [&str; 6] = [
            "-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment \"kube-system/kube-dns:dns cluster IP\" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU",
            "\t\telements = { 10.96.0.1 . tcp . 443 : goto service-2QRHZV4L-default/kubernetes/tcp/https, 10.96.0.2 . tcp . 80 : goto service-AAAAAAAA-ns/web/tcp/http }",
            "-A KUBE-SVC-TCOU7JCQXEZGVUNU -j KUBE-SEP-AAA",
            "",
            "x -A KUBE-SERVICES -d 10.9.9.9/32 --comment \"a/b:c cluster IP\" -j KUBE-SVC-X",
            "\r",
        ];
        let text: String = picks.iter().map(|&i| LINES[i]).collect::<Vec<_>>().join("\n");
        let look = first_look(&text, usize::MAX);
        let lines: Vec<&str> = text.split('\n').collect();
        for seen in &look.services {
            let line = lines[seen.line as usize - 1];
            let ip = seen.address.split(':').next().unwrap();
            proptest::prop_assert!(line.contains(ip), "{seen:?} on {line:?}");
        }
        // The first line names one Service, the second two; the rest none (a rule not at the start of
        // its line is no dispatch rule).
        let expected = usize::from(picks.contains(&0)) + 2 * usize::from(picks.contains(&1));
        proptest::prop_assert_eq!(look.total, expected);
    }
}
