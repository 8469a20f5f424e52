//! Fuzz target: the interface-address parser (`ip addr`, `ip -brief addr`) never panics, and every
//! diagnostic's span lies inside its section.
#![no_main]

use libfuzzer_sys::fuzz_target;
use svcpath_fuzz::check_section_parser;

fuzz_target!(|data: &[u8]| {
    check_section_parser(data, svcpath_syntax::addresses::parse);
});
