//! The platforms a project can be created for: the value stored in the project and the
//! label shown in the form.

/// (`platform` value, label), in the order the form offers them.
pub const PLATFORMS: [(&str, &str); 6] = [
    ("python", "Python"),
    ("javascript", "JavaScript (browser)"),
    ("node", "Node.js"),
    ("go", "Go"),
    ("rust", "Rust"),
    ("other", "Other"),
];
