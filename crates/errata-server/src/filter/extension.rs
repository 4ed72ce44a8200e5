//! Errors caused by browser extensions: an exception thrown in a frame loaded from an
//! extension (`chrome-extension://`, `moz-extension://`, `safari-extension://`...: the
//! innermost frame, where it was thrown, as Sentry's filter looks), or whose message is one
//! that well-known extensions and injected scripts are known to cause. Matching is
//! case-insensitive; the messages are found anywhere in the exception's `Type: value` by one
//! automaton (linear in the text).

use std::sync::LazyLock;

use errata_protocol::Event;
use errata_protocol::exception::Exception;
use regex::{Regex, RegexBuilder};

/// URL schemes of scripts that extensions inject (Safari masks them as
/// `webkit-masked-url://`).
const SCHEMES: &[&str] = &[
    "chrome-extension://",
    "moz-extension://",
    "safari-extension://",
    "safari-web-extension://",
    "ms-browser-extension://",
    "webkit-masked-url://",
];

/// Messages of errors that extensions, toolbars and injected scripts cause.
const MESSAGES: &[&str] = &[
    // Old toolbars and injected helpers.
    "top.GLOBALS",
    "originalCreateNotification",
    "canvas.contentDocument",
    "MyApp_RemoveAllHighlights",
    "tt.epicplay.com",
    "Can't find variable: ZiteReader",
    "jigsaw is not defined",
    "ComboSearch is not defined",
    "loading.retry.widdit.com",
    "atomicFindClose",
    "fb_xd_fragment",
    "bmi_SafeAddOnload",
    "EBCallBackMessageReceived",
    "conduitPage",
    // Chrome on iOS, and video downloaders.
    "__gCrWeb",
    "vid_mate_check is not defined",
    // An extension whose context went away (reloaded or removed).
    "Extension context invalidated",
    // Wallet extensions fighting over `window.ethereum` / `window.solana`.
    "Cannot redefine property: ethereum",
    "Cannot redefine property: solana",
];

static MESSAGE: LazyLock<Regex> = LazyLock::new(|| {
    let messages: Vec<String> = MESSAGES.iter().map(|m| regex::escape(m)).collect();
    RegexBuilder::new(&messages.join("|"))
        .case_insensitive(true)
        .build()
        .expect("the built-in extension messages compile")
});

/// Whether `event` is an error caused by a browser extension.
pub fn is_extension_error(event: &Event) -> bool {
    event.exception.values.iter().any(|exception| {
        thrown_in_extension(exception) || exception_text(exception, |text| MESSAGE.is_match(text))
    })
}

/// Whether the exception's innermost frame (the last one) comes from an extension.
fn thrown_in_extension(exception: &Exception) -> bool {
    let Some(frame) = exception
        .stacktrace
        .as_ref()
        .and_then(|stack| stack.frames.last())
    else {
        return false;
    };
    [frame.abs_path.as_deref(), frame.filename.as_deref()]
        .into_iter()
        .flatten()
        .any(is_extension_url)
}

/// Whether `url` is a script of an extension.
pub fn is_extension_url(url: &str) -> bool {
    SCHEMES.iter().any(|scheme| {
        url.get(..scheme.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
    })
}

/// Calls `check` with the exception as Sentry describes it (`Type: value`, or whichever of
/// the two it has).
pub fn exception_text(exception: &Exception, check: impl Fn(&str) -> bool) -> bool {
    match (exception.ty.as_deref(), exception.value.as_deref()) {
        (Some(ty), Some(value)) => check(&format!("{ty}: {value}")),
        (Some(text), None) | (None, Some(text)) => check(text),
        (None, None) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: &str) -> Event {
        errata_protocol::normalize(
            json.as_bytes(),
            &errata_protocol::NormalizeContext::new(1_700_000_000.0),
        )
        .unwrap()
    }

    fn thrown_at(path: &str) -> Event {
        event(&format!(
            r#"{{"exception":{{"values":[{{"type":"TypeError","value":"x is null",
                "stacktrace":{{"frames":[
                    {{"abs_path":"https://shop.example/app.js","function":"main"}},
                    {{"abs_path":"{path}","function":"inject"}}]}}}}]}}}}"#
        ))
    }

    #[test]
    fn errors_thrown_in_extension_scripts() {
        for path in [
            "chrome-extension://abcdefghijklmnop/content.js",
            "moz-extension://1234-5678/script.js",
            "safari-extension://com.example.ext/inject.js",
            "safari-web-extension://ABCD/content.js",
            "webkit-masked-url://hidden/",
            "CHROME-EXTENSION://UPPER/x.js",
        ] {
            assert!(is_extension_error(&thrown_at(path)), "{path}");
        }
        assert!(!is_extension_error(&thrown_at(
            "https://shop.example/vendor.js"
        )));
        assert!(!is_extension_error(&thrown_at(
            "/static/chrome-extension.js"
        )));
        // Only the innermost frame counts: an app error passing through a wrapper that an
        // extension installed further out is the app's.
        let through = event(
            r#"{"exception":{"values":[{"type":"Error","value":"app bug",
                "stacktrace":{"frames":[
                    {"abs_path":"chrome-extension://wrapper/hook.js","function":"wrapped"},
                    {"abs_path":"https://shop.example/app.js","function":"main"}]}}]}}"#,
        );
        assert!(!is_extension_error(&through));
    }

    #[test]
    fn known_extension_messages() {
        let error = |ty: &str, value: &str| {
            event(&format!(
                r#"{{"exception":{{"values":[{{"type":"{ty}","value":"{value}"}}]}}}}"#
            ))
        };
        assert!(is_extension_error(&error(
            "Error",
            "Extension context invalidated."
        )));
        assert!(is_extension_error(&error(
            "TypeError",
            "Cannot redefine property: ethereum"
        )));
        assert!(is_extension_error(&error(
            "ReferenceError",
            "Can't find variable: __gCrWeb"
        )));
        assert!(is_extension_error(&error(
            "TypeError",
            "TOP.GLOBALS is undefined"
        )));
        assert!(!is_extension_error(&error(
            "TypeError",
            "Cannot read properties of undefined (reading 'id')"
        )));
        assert!(!is_extension_error(&event(
            r#"{"message":"plain message"}"#
        )));
    }
}
