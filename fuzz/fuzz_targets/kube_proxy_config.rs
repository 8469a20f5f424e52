//! Fuzz target: the kube-proxy settings reader (`/flagz`, `KubeProxyConfiguration`, the ConfigMap, over the
//! bounded YAML tree) never panics, and every diagnostic's span lies inside its section, read both as a
//! configuration and as a `/flagz` page.
#![no_main]

use libfuzzer_sys::fuzz_target;
use svcpath_fuzz::check_section_parser;
use svcpath_syntax::kube_proxy_config::parse;

fuzz_target!(|data: &[u8]| {
    check_section_parser(data, |text, origin| parse(text, origin, None));
    check_section_parser(data, |text, origin| {
        parse(text, origin, Some("curl -s localhost:10249/flagz"))
    });
});
