//! Processing errors keep the original value of what normalization dropped or cut
//! ([`errata_protocol::ProcessingError::value`]), so a password dropped for being the
//! wrong type would be stored anyway. The value is filtered whole when the error's path
//! names a sensitive key (`extra.db_password`, `request.data.auth`); otherwise it is
//! scrubbed like free-form data: maps by key, `[name, value]` pairs (what header, cookie
//! and tag lists hold) by name, strings by pattern, including cut JSON text. The reason
//! is scrubbed as text too: some quote the value they reject.

use super::{Scrubber, filter};
use errata_protocol::ProcessingError;
use serde_json::Value;

/// Scrubs the reasons and original values of `errors`.
pub(super) fn scrub_errors(errors: &mut [ProcessingError], scrubber: &Scrubber<'_>) {
    for error in errors {
        scrubber.string(&mut error.reason);
        let Some(value) = &mut error.value else {
            continue;
        };
        if scrubber.rules.is_sensitive(&error.name) {
            filter(value);
            continue;
        }
        if let Value::Array(pair) = value
            && let [Value::String(name), item] = pair.as_mut_slice()
            && scrubber.rules.is_sensitive(name)
        {
            filter(item);
            continue;
        }
        scrubber.value(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scrub::{FILTERED, ScrubRules};
    use errata_protocol::ErrorKind;
    use serde_json::json;

    fn scrubbed(name: &str, reason: &str, value: Value) -> ProcessingError {
        let mut errors = [ProcessingError {
            kind: ErrorKind::InvalidData,
            name: name.to_owned(),
            reason: reason.to_owned(),
            value: Some(value),
        }];
        let rules = ScrubRules::default();
        scrub_errors(&mut errors, &Scrubber { rules: &rules });
        let [error] = errors;
        error
    }

    #[test]
    fn values_under_sensitive_paths_are_filtered_whole() {
        let e = scrubbed("request.headers.Authorization", "bad", json!({"x": "y"}));
        assert_eq!(e.value, Some(json!(FILTERED)));
        let e = scrubbed("extra.db_password", "too long", json!("hunter2..."));
        assert_eq!(e.value, Some(json!(FILTERED)));
    }

    #[test]
    fn other_values_are_scrubbed_like_data() {
        let e = scrubbed(
            "user.email",
            "expected a string",
            json!({"password": "p", "a": 1}),
        );
        assert_eq!(e.value, Some(json!({"password": FILTERED, "a": 1})));
        let e = scrubbed("tags.0", "expected a pair", json!(["api_token", "t-1"]));
        assert_eq!(e.value, Some(json!(["api_token", FILTERED])));
        // Large values are kept as cut JSON text.
        let e = scrubbed(
            "dist",
            "expected a string",
            json!(r#"{"secret":"s-1","pad":"xx..."#),
        );
        assert_eq!(
            e.value,
            Some(json!(r#"{"secret":"[Filtered]","pad":"xx..."#))
        );
        let e = scrubbed(
            "release",
            "\"4111 1111 1111 1111\" is not valid",
            json!(null),
        );
        assert_eq!(e.reason, "\"[Filtered]\" is not valid");
    }

    #[test]
    fn ordinary_values_are_kept() {
        let e = scrubbed(
            "user.email",
            "expected a string",
            json!(["ana@example.com"]),
        );
        assert_eq!(e.value, Some(json!(["ana@example.com"])));
        let e = scrubbed("tags.0", "expected a pair", json!(["region", "eu"]));
        assert_eq!(e.value, Some(json!(["region", "eu"])));
    }
}
