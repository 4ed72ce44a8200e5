//! Built-in stack-trace rules: which frames are the application's and which say nothing
//! about the error, whatever the SDK claimed. Sentry applies "enhancement" rules of this
//! kind before grouping (its base rules mark the standard library, the runtime and the
//! SDK itself out of app). These are Errata's own, covering the platforms whose SDKs are
//! known to mislabel frames (the Rust SDK marks libc's `clone3` in-app, for example).

use errata_protocol::Frame;

/// What the rules decided for one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FrameRule {
    /// `Some(false)` forces the frame out of app.
    pub(crate) in_app: Option<bool>,
    /// Why, as the frame's hint in the explanation.
    pub(crate) hint: Option<&'static str>,
    /// The frame never contributes (SDK and panic machinery).
    pub(crate) ignore: bool,
}

/// Function prefixes of Rust's standard library, runtime and ecosystem plumbing.
const NATIVE_SYSTEM_FUNCTIONS: &[&str] = &[
    "std::",
    "core::",
    "alloc::",
    "<std::",
    "<core::",
    "<alloc::",
    "__rust",
    "rust_begin_unwind",
    "rust_panic",
    "_start",
    "__libc_start",
    "start_thread",
    "clone",
    "clone3",
    "_pthread",
    "thread_start",
    "tokio::",
    "<tokio::",
    "hyper::",
    "<hyper::",
    "hyper_util::",
    "<hyper_util::",
    "tower::",
    "<tower::",
    "axum::",
    "<axum::",
    "futures_util::",
    "<futures_util::",
    "futures::",
    "<futures::",
    "<F as ",
    "<T as ",
    "<&",
    "anyhow::",
    "<anyhow::",
    "at /",
];

/// Function prefixes of the Sentry SDKs themselves (never the cause of an error).
const NATIVE_SDK_FUNCTIONS: &[&str] = &[
    "sentry::",
    "<sentry::",
    "sentry_core::",
    "<sentry_core::",
    "sentry_panic::",
    "sentry_backtrace::",
    "sentry_anyhow::",
    "sentry_tracing::",
    "errata_tower::",
    "<errata_tower::",
    "backtrace::",
    "<backtrace::",
    "std::panicking::",
    "core::panicking::",
    "std::panic::",
    "core::panic::",
];

/// Applies the built-in rules for a frame on `platform`.
pub(crate) fn rule_for(frame: &Frame, platform: &str) -> FrameRule {
    let function = frame.function.as_deref().unwrap_or("");
    let abs_path = frame.abs_path.as_deref().unwrap_or("");
    let module = frame.module.as_deref().unwrap_or("");
    macro_rules! out {
        ($reason:literal) => {
            FrameRule {
                in_app: Some(false),
                hint: Some(concat!("non app frame (built-in rule: ", $reason, ")")),
                ignore: false,
            }
        };
    }
    macro_rules! ignore {
        ($reason:literal) => {
            FrameRule {
                in_app: Some(false),
                hint: Some(concat!("ignored by built-in rule (", $reason, ")")),
                ignore: true,
            }
        };
    }
    match family(platform) {
        Family::Native => {
            if NATIVE_SDK_FUNCTIONS.iter().any(|p| function.starts_with(p)) {
                return ignore!("SDK or panic machinery");
            }
            if NATIVE_SYSTEM_FUNCTIONS
                .iter()
                .any(|p| function.starts_with(p))
            {
                return out!("standard library or runtime function");
            }
            if abs_path.starts_with("/rustc/")
                || abs_path.contains("/.cargo/registry/")
                || abs_path.contains("/.cargo/git/")
                || abs_path.starts_with("./nptl/")
                || abs_path.starts_with("./misc/")
                || frame
                    .package
                    .as_deref()
                    .is_some_and(|p| p.starts_with("/lib") || p.starts_with("/usr/lib"))
            {
                return out!("toolchain, dependency or system library path");
            }
        }
        Family::Python => {
            if module.starts_with("sentry_sdk.") || module == "sentry_sdk" {
                return ignore!("the Sentry SDK");
            }
            if abs_path.contains("/site-packages/") || abs_path.contains("/dist-packages/") {
                return out!("installed package");
            }
        }
        Family::JavaScript => {
            if abs_path.contains("/node_modules/") || abs_path.starts_with("node:") {
                return out!("dependency or Node.js internals");
            }
            if abs_path.contains("/@sentry/") {
                return ignore!("the Sentry SDK");
            }
        }
        Family::Java => {
            if [
                "java.",
                "javax.",
                "jdk.",
                "sun.",
                "kotlin.",
                "kotlinx.",
                "android.",
                "com.android.",
            ]
            .iter()
            .any(|p| module.starts_with(p))
            {
                return out!("JDK or platform class");
            }
            if module.starts_with("io.sentry.") {
                return ignore!("the Sentry SDK");
            }
        }
        Family::Other => {}
    }
    FrameRule {
        in_app: None,
        hint: None,
        ignore: false,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Native,
    Python,
    JavaScript,
    Java,
    Other,
}

/// The behaviour family of a platform name.
pub(crate) fn family(platform: &str) -> Family {
    match platform {
        "native" | "c" | "cocoa" | "objc" | "swift" | "rust" => Family::Native,
        "python" => Family::Python,
        "javascript" | "node" => Family::JavaScript,
        "java" | "groovy" | "android" | "kotlin" => Family::Java,
        _ => Family::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(function: &str, abs_path: &str) -> Frame {
        Frame {
            function: Some(function.to_owned()),
            abs_path: Some(abs_path.to_owned()),
            ..Frame::default()
        }
    }

    #[test]
    fn rust_runtime_frames_are_out_of_app() {
        let libc = rule_for(
            &frame(
                "clone3",
                "./misc/../sysdeps/unix/sysv/linux/x86_64/clone3.S",
            ),
            "native",
        );
        assert_eq!(libc.in_app, Some(false));
        let tokio = rule_for(
            &frame(
                "tokio::runtime::task::raw::poll",
                "/x/.cargo/registry/src/tokio/raw.rs",
            ),
            "native",
        );
        assert_eq!(tokio.in_app, Some(false));
        let panic = rule_for(
            &frame(
                "std::panicking::begin_panic",
                "/rustc/abc/library/std/src/panicking.rs",
            ),
            "native",
        );
        assert!(panic.ignore);
        let user = rule_for(
            &frame("shop::orders::load", "/srv/shop/src/orders.rs"),
            "native",
        );
        assert_eq!(user.in_app, None);
    }

    #[test]
    fn python_sdk_frames_are_ignored() {
        let mut f = frame(
            "capture_exception",
            "/venv/lib/python3.11/site-packages/sentry_sdk/api.py",
        );
        f.module = Some("sentry_sdk.api".to_owned());
        assert!(rule_for(&f, "python").ignore);
    }
}
