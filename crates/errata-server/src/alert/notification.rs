//! Fills `errata-notify`'s view model from store rows: the issue with its counts (read at
//! send time, so a delayed delivery shows today's numbers), its project, the event that
//! set the alert off (environment, release, message or exception, the innermost stack
//! frames, tags, read from the stored payload) and the link back to the issue page.

use errata_notify::notification::{EventSummary, IssueSummary, Notification, ProjectSummary};
use errata_store::{Issue, Project, StoredEvent, Trigger};
use serde_json::Value;

use crate::api::issue::short_id;

/// The most frames an alert shows.
const FRAMES: usize = 8;

/// The notification for `issue` of `project`, with `event` when there is one.
pub(crate) fn build(
    public_url: &str,
    project: &Project,
    issue: &Issue,
    event: Option<&StoredEvent>,
    trigger: Trigger,
    delivery_id: String,
    rule: Option<String>,
) -> Notification {
    Notification {
        trigger,
        delivery_id,
        project: ProjectSummary {
            slug: project.slug.clone(),
            name: project.name.clone(),
        },
        issue: IssueSummary {
            id: issue.id.0,
            short_id: short_id(&project.slug, issue.short_id),
            title: issue.title.clone(),
            culprit: issue.culprit.clone(),
            level: issue.level.as_str().to_owned(),
            status: issue.status.as_str().to_owned(),
            times_seen: issue.times_seen,
            user_count: issue.user_count,
            first_seen_ms: issue.first_seen_ms,
            last_seen_ms: issue.last_seen_ms,
        },
        event: event.map(summary),
        issue_url: format!("{public_url}/issues/{}/", issue.id),
        rule,
    }
}

/// What an alert shows of an event, from its stored (normalized) JSON. A payload that
/// does not parse gives the row's fields only.
fn summary(event: &StoredEvent) -> EventSummary {
    let mut s = EventSummary {
        event_id: event.row.event_id.simple().to_string(),
        ..EventSummary::default()
    };
    let Ok(json) = serde_json::from_slice::<Value>(&event.payload) else {
        return s;
    };
    let text = |v: &Value| v.as_str().filter(|t| !t.is_empty()).map(str::to_owned);
    s.environment = text(&json["environment"]);
    s.release = text(&json["release"]);
    s.message = text(&json["logentry"]["formatted"])
        .or_else(|| text(&json["logentry"]["message"]))
        .or_else(|| text(&json["message"]));
    let exceptions = json["exception"]["values"]
        .as_array()
        .or_else(|| json["exception"].as_array());
    if let Some(last) = exceptions.and_then(|v| v.last()) {
        let ty = text(&last["type"]).unwrap_or_default();
        let value = text(&last["value"]).unwrap_or_default();
        if !ty.is_empty() || !value.is_empty() {
            s.exception = Some((ty, value));
        }
        s.frames = frames(&last["stacktrace"]["frames"]);
    }
    s.tags = tags(&json["tags"]);
    s
}

/// The innermost frames first, in-app ones preferred when there are any.
fn frames(frames: &Value) -> Vec<String> {
    let Some(frames) = frames.as_array() else {
        return Vec::new();
    };
    let in_app = frames.iter().any(|f| f["in_app"] == Value::Bool(true));
    frames
        .iter()
        .rev()
        .filter(|f| !in_app || f["in_app"] == Value::Bool(true))
        .take(FRAMES)
        .map(|f| {
            let file = ["filename", "abs_path", "module", "package"]
                .iter()
                .find_map(|k| f[*k].as_str().filter(|s| !s.is_empty()))
                .unwrap_or("?");
            let function = f["function"].as_str().unwrap_or("?");
            match f["lineno"].as_u64() {
                Some(line) => format!("{file} in {function} at line {line}"),
                None => format!("{file} in {function}"),
            }
        })
        .collect()
}

/// Tags as `[key, value]` pairs or an object.
fn tags(tags: &Value) -> Vec<(String, String)> {
    match tags {
        Value::Array(pairs) => pairs
            .iter()
            .filter_map(|p| Some((p[0].as_str()?.to_owned(), p[1].as_str()?.to_owned())))
            .collect(),
        Value::Object(map) => map
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use errata_store::{EventRow, IssueId, Level, ProjectId, Uuid};

    #[test]
    fn summaries_read_the_last_exception_innermost_frames_first() {
        let payload = serde_json::json!({
            "environment": "prod", "release": "1.2",
            "tags": [["browser", "Firefox"], ["bad", 3]],
            "exception": {"values": [
                {"type": "KeyError", "value": "inner"},
                {"type": "ValueError", "value": "bad input", "stacktrace": {"frames": [
                    {"filename": "lib.py", "function": "outer", "lineno": 1, "in_app": false},
                    {"filename": "app.py", "function": "handler", "lineno": 10, "in_app": true},
                    {"filename": "app.py", "function": "parse", "lineno": 20, "in_app": true}
                ]}}
            ]}
        });
        let event = StoredEvent {
            row: EventRow {
                project_id: ProjectId(1),
                issue_id: IssueId(1),
                event_id: Uuid::nil(),
                received_ms: 0,
                timestamp_ms: 0,
                level: Level::Error,
                event_type: "error".to_owned(),
                title: String::new(),
                release: None,
                environment: None,
                user: None,
                payload_len: 0,
            },
            payload: serde_json::to_vec(&payload).unwrap(),
        };
        let s = summary(&event);
        assert_eq!(s.environment.as_deref(), Some("prod"));
        assert_eq!(s.release.as_deref(), Some("1.2"));
        assert_eq!(
            s.exception,
            Some(("ValueError".to_owned(), "bad input".to_owned()))
        );
        assert_eq!(
            s.frames,
            vec![
                "app.py in parse at line 20".to_owned(),
                "app.py in handler at line 10".to_owned()
            ]
        );
        assert_eq!(s.tags, vec![("browser".to_owned(), "Firefox".to_owned())]);
        let broken = StoredEvent {
            payload: b"not json".to_vec(),
            ..event
        };
        assert!(summary(&broken).exception.is_none());
    }
}
