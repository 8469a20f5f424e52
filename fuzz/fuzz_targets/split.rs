//! Fuzz target: the splitter never panics, and its sections are in order, apart and inside the paste.
#![no_main]

use libfuzzer_sys::fuzz_target;
use svcpath_fuzz::{check_sections, text_of};

fuzz_target!(|data: &[u8]| {
    let paste = text_of(data);
    let sections = svcpath_syntax::split(&paste);
    check_sections(&paste, &sections);
});
