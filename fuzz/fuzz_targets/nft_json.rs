//! Fuzz target: the nft JSON reader never panics; every diagnostic, table, chain, rule and element span lies
//! inside its section, also with a non-zero origin; and `nft::parse` sends what looks like JSON to it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use svcpath_fuzz::{check_diagnostics, check_span, embed, text_of};
use svcpath_syntax::nft::{self, Expr};
use svcpath_syntax::Origin;

fuzz_target!(|data: &[u8]| {
    let text = text_of(data);
    for (paste, origin) in [(text.clone(), Origin::START), embed(&text)] {
        let section = &paste[origin.offset..];
        let parsed = nft::json::parse(section, origin);
        check_diagnostics(&paste, origin, &parsed.diagnostics);
        for table in &parsed.value.tables {
            for chain in &table.chains {
                check_span(&paste, origin, chain.span, "chain");
                for rule in &chain.rules {
                    check_span(&paste, origin, rule.span, "rule");
                    for e in &rule.exprs {
                        if let Expr::Unknown { span, .. } = e {
                            check_span(&paste, origin, *span, "unknown statement");
                        }
                    }
                }
            }
            for set in &table.sets {
                check_span(&paste, origin, set.span, "set");
                for element in &set.elements {
                    check_span(&paste, origin, element.span(), "element");
                }
            }
        }
        if nft::json::looks_like_json(section) {
            let dispatched = nft::parse(section, origin);
            assert_eq!(dispatched.value, parsed.value, "nft::parse did not read the JSON");
        }
    }
});
