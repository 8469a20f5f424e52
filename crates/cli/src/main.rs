//! The `svcpath` command line (being written).
fn main() {}
