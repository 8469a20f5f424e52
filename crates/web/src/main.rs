//! The svcpath web page (being written).
fn main() {}
