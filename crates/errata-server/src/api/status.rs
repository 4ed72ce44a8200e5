//! Sentry's issue status wire format, both ways: the `{"status", "statusDetails"}` body
//! of `PUT /api/0/issues/{id}/` and of the bulk endpoint (what `sentry-cli issues
//! resolve|mute|unresolve` and Sentry's UI send) read into a [`StatusChange`], and an
//! issue's [`StatusDetails`] written back as Sentry's `statusDetails` object.

use errata_store::{IgnoreUntil, Issue, IssueStatus, Resolution, StatusChange, StatusDetails};
use serde_json::{Map, Value, json};

use super::ApiError;
use super::date::iso8601;

const EXPECTED: &str = "expected a JSON object with \"status\": \"resolved\", \
    \"resolvedInNextRelease\", \"unresolved\" or \"ignored\", and optionally \
    \"statusDetails\": {\"inNextRelease\": true} | {\"inRelease\": \"1.2.3\"} | \
    {\"ignoreDuration\": minutes, \"ignoreCount\": n, \"ignoreUserCount\": n}";

/// Reads a status change; a 400 says what was wrong.
pub(super) fn parse(body: &[u8]) -> Result<StatusChange, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    let bad = |why: &str| ApiError::BadRequest(format!("{why}; {EXPECTED}"));
    let Some(object) = value.as_object() else {
        return Err(bad("the body is not an object"));
    };
    let status = match object.get("status") {
        None => return Err(bad("\"status\" is missing")),
        Some(Value::String(s)) => s.as_str(),
        Some(other) => return Err(bad(&format!("\"status\" is {other}, not a string"))),
    };
    let empty = Map::new();
    let details = match object.get("statusDetails") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(d)) => d,
        Some(_) => return Err(bad("\"statusDetails\" is not an object")),
    };
    match status {
        "resolved" => Ok(StatusChange::Resolve(resolution(details)?)),
        "resolvedInNextRelease" => Ok(StatusChange::Resolve(Resolution::InNextRelease)),
        "unresolved" => Ok(StatusChange::Unresolve),
        // `muted` is Sentry's old name for `ignored`.
        "ignored" | "muted" => Ok(StatusChange::Ignore(ignore_until(details)?)),
        other => Err(bad(&format!("unknown status {other:?}"))),
    }
}

fn resolution(details: &Map<String, Value>) -> Result<Resolution, ApiError> {
    if let Some(release) = details.get("inRelease") {
        return match release {
            Value::Null => Ok(Resolution::Now),
            Value::String(version) if !version.is_empty() => {
                Ok(Resolution::InRelease(version.clone()))
            }
            _ => Err(ApiError::BadRequest(
                "statusDetails.inRelease must be a release version".into(),
            )),
        };
    }
    match details.get("inNextRelease") {
        Some(Value::Bool(true)) => Ok(Resolution::InNextRelease),
        None | Some(Value::Bool(false) | Value::Null) => Ok(Resolution::Now),
        Some(_) => Err(ApiError::BadRequest(
            "statusDetails.inNextRelease must be true or false".into(),
        )),
    }
}

fn ignore_until(details: &Map<String, Value>) -> Result<IgnoreUntil, ApiError> {
    let number = |name: &str| -> Result<Option<u64>, ApiError> {
        match details.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match v.as_u64() {
                Some(0) => Ok(None),
                Some(n) if n <= MAX_IGNORE_NUMBER => Ok(Some(n)),
                _ => Err(ApiError::BadRequest(format!(
                    "statusDetails.{name} must be an integer from 1 to {MAX_IGNORE_NUMBER}"
                ))),
            },
        }
    };
    Ok(IgnoreUntil {
        minutes: number("ignoreDuration")?,
        events: number("ignoreCount")?,
        users: number("ignoreUserCount")?,
    })
}

/// The largest count or duration (minutes) an ignore takes: ten years of minutes.
pub(crate) const MAX_IGNORE_NUMBER: u64 = 10 * 366 * 24 * 60;

/// Sentry's `statusDetails` for an issue.
pub(super) fn details_view(issue: &Issue) -> Value {
    let details: &StatusDetails = &issue.details;
    let mut view = Map::new();
    match issue.status {
        IssueStatus::Resolved => {
            if let Some(at) = issue.resolved_at_ms {
                view.insert("resolvedAt".into(), json!(iso8601(at)));
            }
            match &details.resolution {
                Some(Resolution::InNextRelease) => {
                    view.insert("inNextRelease".into(), json!(true));
                }
                Some(Resolution::InRelease(version)) => {
                    view.insert("inRelease".into(), json!(version));
                }
                _ => {}
            }
        }
        IssueStatus::Ignored => {
            if let Some(ignore) = &details.ignore {
                if let Some(until) = ignore.until_ms {
                    view.insert("ignoreUntil".into(), json!(iso8601(until)));
                }
                let asked = &ignore.asked;
                for (name, n) in [
                    ("ignoreDuration", asked.minutes),
                    ("ignoreCount", asked.events),
                    ("ignoreUserCount", asked.users),
                ] {
                    if let Some(n) = n {
                        view.insert(name.into(), json!(n));
                    }
                }
            }
        }
        IssueStatus::Unresolved => {}
    }
    Value::Object(view)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(body: &str) -> StatusChange {
        parse(body.as_bytes()).unwrap()
    }

    #[test]
    fn reads_sentry_status_bodies() {
        assert_eq!(
            ok(r#"{"status":"resolved"}"#),
            StatusChange::Resolve(Resolution::Now)
        );
        assert_eq!(
            ok(r#"{"status":"resolved","statusDetails":{"inNextRelease":true}}"#),
            StatusChange::Resolve(Resolution::InNextRelease)
        );
        assert_eq!(
            ok(r#"{"status":"resolvedInNextRelease"}"#),
            StatusChange::Resolve(Resolution::InNextRelease)
        );
        assert_eq!(
            ok(r#"{"status":"resolved","statusDetails":{"inRelease":"1.2.3"}}"#),
            StatusChange::Resolve(Resolution::InRelease("1.2.3".into()))
        );
        assert_eq!(ok(r#"{"status":"unresolved"}"#), StatusChange::Unresolve);
        assert_eq!(
            ok(r#"{"status":"muted"}"#),
            StatusChange::Ignore(IgnoreUntil::default())
        );
        assert_eq!(
            ok(
                r#"{"status":"ignored","statusDetails":{"ignoreDuration":30,"ignoreCount":5,"ignoreUserCount":null}}"#
            ),
            StatusChange::Ignore(IgnoreUntil {
                minutes: Some(30),
                events: Some(5),
                users: None
            })
        );
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        for bad in [
            "{}",
            "nope",
            "[]",
            r#"{"status":"gone"}"#,
            r#"{"status":1}"#,
            r#"{"status":"resolved","statusDetails":[]}"#,
            r#"{"status":"resolved","statusDetails":{"inNextRelease":"yes"}}"#,
            r#"{"status":"resolved","statusDetails":{"inRelease":""}}"#,
            r#"{"status":"ignored","statusDetails":{"ignoreCount":-1}}"#,
            r#"{"status":"ignored","statusDetails":{"ignoreDuration":99999999999}}"#,
        ] {
            assert!(
                matches!(parse(bad.as_bytes()), Err(ApiError::BadRequest(_))),
                "{bad}"
            );
        }
    }
}
