//! The Slack app's Request URL side of the Resolve and Ignore buttons: checking Slack's
//! request signature (`X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:{timestamp}:{body}">`
//! with the app's signing secret, the timestamp at most 5 minutes off) and reading the
//! clicked action from the form-encoded `payload=<json>` of a `block_actions` request.
//! The server answers 200 at once and posts [`crate::slack::slack_action_update`] to the
//! interaction's `response_url` afterwards.

use hmac::{Hmac, Mac};
use percent_encoding::percent_decode;
use serde_json::Value;
use sha2::Sha256;

use crate::slack::{ACTION_IGNORE, ACTION_RESOLVE};

/// How far a request's timestamp may be from now, either way.
pub const MAX_SKEW_SECS: i64 = 300;
/// The largest interaction body read.
pub const MAX_INTERACTION_BYTES: usize = 64 * 1024;

/// Why a request is not accepted as Slack's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlackAuthError {
    #[error("the X-Slack-Request-Timestamp or X-Slack-Signature header is missing")]
    MissingHeader,
    #[error("the X-Slack-Request-Timestamp header is not a number")]
    BadTimestamp,
    #[error("the request timestamp is more than {MAX_SKEW_SECS} seconds from now")]
    Stale,
    #[error("the request signature does not match")]
    BadSignature,
}

/// Checks Slack's signature of `body`, with the headers' values and the current time.
pub fn verify_slack_signature(
    secret: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now_secs: i64,
) -> Result<(), SlackAuthError> {
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return Err(SlackAuthError::MissingHeader);
    };
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SlackAuthError::BadTimestamp)?;
    if (now_secs - ts).abs() > MAX_SKEW_SECS {
        return Err(SlackAuthError::Stale);
    }
    let expected = signature
        .trim()
        .strip_prefix("v0=")
        .and_then(|h| hex::decode(h).ok())
        .ok_or(SlackAuthError::BadSignature)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|_| SlackAuthError::BadSignature)?;
    mac.update(b"v0:");
    mac.update(timestamp.trim().as_bytes());
    mac.update(b":");
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| SlackAuthError::BadSignature)
}

/// Which button was clicked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlackAction {
    Resolve,
    Ignore,
}

/// A button click, as read from Slack's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackInteraction {
    pub action: SlackAction,
    pub issue_id: i64,
    /// The Slack user's name (`user.name`, else `user.username`, else the id).
    pub user_name: String,
    pub user_id: String,
    pub response_url: Option<String>,
}

/// Why an interaction body is not a click this crate knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InteractionError {
    #[error("the interaction body is larger than {MAX_INTERACTION_BYTES} bytes")]
    TooLarge,
    #[error("the interaction body has no payload field")]
    NoPayload,
    #[error("the interaction payload is not JSON: {0}")]
    BadJson(String),
    #[error("the interaction is a {0:?}, not block_actions")]
    UnsupportedType(String),
    #[error("the interaction has no Errata action (resolve or ignore)")]
    UnknownAction,
    #[error("the action's value is not an issue id")]
    BadIssueId,
}

/// Reads the click of a `block_actions` request body (`payload=<url-encoded JSON>`).
pub fn parse_interaction(body: &[u8]) -> Result<SlackInteraction, InteractionError> {
    if body.len() > MAX_INTERACTION_BYTES {
        return Err(InteractionError::TooLarge);
    }
    let raw = body
        .split(|b| *b == b'&')
        .find_map(|pair| pair.strip_prefix(b"payload="))
        .ok_or(InteractionError::NoPayload)?;
    let plus_decoded: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    let json: Vec<u8> = percent_decode(&plus_decoded).collect();
    let payload: Value =
        serde_json::from_slice(&json).map_err(|e| InteractionError::BadJson(e.to_string()))?;
    let kind = payload["type"].as_str().unwrap_or_default();
    if kind != "block_actions" {
        return Err(InteractionError::UnsupportedType(crate::escape::truncate(
            kind, 40,
        )));
    }
    let (action, value) = payload["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|a| {
            let action = match a["action_id"].as_str()? {
                ACTION_RESOLVE => SlackAction::Resolve,
                ACTION_IGNORE => SlackAction::Ignore,
                _ => return None,
            };
            Some((action, a["value"].as_str().unwrap_or_default()))
        })
        .ok_or(InteractionError::UnknownAction)?;
    let issue_id = value
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(InteractionError::BadIssueId)?;
    let user = &payload["user"];
    let user_id = user["id"].as_str().unwrap_or_default().to_owned();
    let user_name = [&user["name"], &user["username"]]
        .into_iter()
        .filter_map(Value::as_str)
        .find(|s| !s.is_empty())
        .map_or_else(|| user_id.clone(), str::to_owned);
    Ok(SlackInteraction {
        action,
        issue_id,
        user_name: crate::escape::truncate(&user_name, 200),
        user_id: crate::escape::truncate(&user_id, 100),
        response_url: payload["response_url"].as_str().map(str::to_owned),
    })
}

/// The outcome line of a replaced message: "✅ Resolved by Ada", "🔕 Ignored by Ada".
pub fn outcome_text(action: SlackAction, user_name: &str) -> String {
    match action {
        SlackAction::Resolve => format!("✅ Resolved by {user_name}"),
        SlackAction::Ignore => format!("🔕 Ignored by {user_name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, ts: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("v0:{ts}:").as_bytes());
        mac.update(body);
        format!("v0={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn signatures_are_checked() {
        // Slack's documented example.
        let secret = "8f742231b10e8888abcd99yyyzzz85a5";
        let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        let sig = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
        let ts = "1531420618";
        assert_eq!(
            verify_slack_signature(secret, Some(ts), Some(sig), body, 1_531_420_618),
            Ok(())
        );
        assert_eq!(
            verify_slack_signature(secret, Some(ts), Some(sig), body, 1_531_420_618 + 301),
            Err(SlackAuthError::Stale)
        );
        assert_eq!(
            verify_slack_signature(secret, Some(ts), Some(sig), body, 1_531_420_618 - 301),
            Err(SlackAuthError::Stale)
        );
        assert_eq!(
            verify_slack_signature(secret, None, Some(sig), body, 0),
            Err(SlackAuthError::MissingHeader)
        );
        assert_eq!(
            verify_slack_signature(secret, Some(ts), None, body, 0),
            Err(SlackAuthError::MissingHeader)
        );
        assert_eq!(
            verify_slack_signature(secret, Some("x"), Some(sig), body, 0),
            Err(SlackAuthError::BadTimestamp)
        );
        assert_eq!(
            verify_slack_signature("other", Some(ts), Some(sig), body, 1_531_420_618),
            Err(SlackAuthError::BadSignature)
        );
        assert_eq!(
            verify_slack_signature(secret, Some(ts), Some("v0=zz"), body, 1_531_420_618),
            Err(SlackAuthError::BadSignature)
        );
        assert_eq!(
            verify_slack_signature(
                secret,
                Some(ts),
                Some(&sign(secret, ts, b"x")),
                body,
                1_531_420_618
            ),
            Err(SlackAuthError::BadSignature)
        );
    }

    fn form(payload: &Value) -> Vec<u8> {
        let encoded: String = percent_encoding::utf8_percent_encode(
            &payload.to_string(),
            percent_encoding::NON_ALPHANUMERIC,
        )
        .to_string();
        format!("payload={encoded}").into_bytes()
    }

    #[test]
    fn clicks_are_read() {
        let p = serde_json::json!({
            "type": "block_actions",
            "user": {"id": "U1", "username": "ada", "name": "Ada L"},
            "response_url": "https://hooks.slack.com/actions/T/1/x",
            "actions": [{"action_id": "errata_resolve", "block_id": "errata_issue:42", "value": "42"}],
        });
        let i = parse_interaction(&form(&p)).unwrap();
        assert_eq!(i.action, SlackAction::Resolve);
        assert_eq!(i.issue_id, 42);
        assert_eq!(i.user_name, "Ada L");
        assert_eq!(i.user_id, "U1");
        assert_eq!(
            i.response_url.as_deref(),
            Some("https://hooks.slack.com/actions/T/1/x")
        );
        assert_eq!(outcome_text(i.action, &i.user_name), "✅ Resolved by Ada L");

        let mut p2 = p.clone();
        p2["user"] = serde_json::json!({"id": "U2", "username": "bob"});
        p2["actions"][0]["action_id"] = "errata_ignore".into();
        let i = parse_interaction(&form(&p2)).unwrap();
        assert_eq!(
            (i.action, i.user_name.as_str()),
            (SlackAction::Ignore, "bob")
        );
    }

    #[test]
    fn other_bodies_are_rejected() {
        let base = serde_json::json!({"type": "block_actions", "user": {"id": "U"}, "actions": [{"action_id": "errata_resolve", "value": "7"}]});
        assert_eq!(
            parse_interaction(&vec![b'a'; MAX_INTERACTION_BYTES + 1]),
            Err(InteractionError::TooLarge)
        );
        assert_eq!(
            parse_interaction(b"token=x"),
            Err(InteractionError::NoPayload)
        );
        assert!(matches!(
            parse_interaction(b"payload=%7B"),
            Err(InteractionError::BadJson(_))
        ));
        let mut p = base.clone();
        p["type"] = "view_submission".into();
        assert!(matches!(
            parse_interaction(&form(&p)),
            Err(InteractionError::UnsupportedType(_))
        ));
        let mut p = base.clone();
        p["actions"][0]["action_id"] = "errata_view".into();
        assert_eq!(
            parse_interaction(&form(&p)),
            Err(InteractionError::UnknownAction)
        );
        let mut p = base.clone();
        p["actions"][0]["value"] = "-1".into();
        assert_eq!(
            parse_interaction(&form(&p)),
            Err(InteractionError::BadIssueId)
        );
        assert_eq!(parse_interaction(&form(&base)).unwrap().user_name, "U");
    }
}
