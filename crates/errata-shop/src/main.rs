//! The example shop service (work in progress).
fn main() {}
