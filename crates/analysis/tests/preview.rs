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
