//! Normalization: one SDK payload in, one canonical [`Event`] out.
//!
//! [`normalize`] parses the JSON once from the payload bytes ([`crate::parse`]: the hot
//! fields kept as raw JSON, decoded by their typed readers straight from the payload;
//! the others as values), reads each field tolerantly ([`Event::read`]), then
//! applies the rules that span fields, in the spirit of Relay's `normalize_event`: the
//! event id (the envelope header wins), clock-drift correction and timestamp bounds,
//! level and platform defaults, the log message, type inference, tag rules, the SDK from
//! the client string, and the `{{auto}}` IP. It never fails for one bad field; it fails
//! only when the payload is not a JSON object at all (or holds JSON a `Value` could not
//! hold either, such as a lone surrogate escape, in a part it reads).

use crate::depth::{self, MAX_DEPTH};
use crate::event::{ClientSdk, Event, EventType, Level, LogEntry, MAX_MESSAGE};
use crate::meta::{ErrorKind, Meta, Path};
use crate::parse::{self, Parsed};
use crate::{Error, tags};
use serde_json::Value;

/// Platforms Sentry knows; anything else becomes `other`.
const VALID_PLATFORMS: [&str; 20] = [
    "as3",
    "c",
    "cfml",
    "cocoa",
    "csharp",
    "elixir",
    "go",
    "groovy",
    "haskell",
    "java",
    "javascript",
    "native",
    "node",
    "objc",
    "other",
    "perl",
    "php",
    "python",
    "ruby",
    "rust",
];

/// What the server knows about the request that carried the event.
#[derive(Debug, Clone)]
pub struct NormalizeContext {
    /// When the request was received, Unix seconds.
    pub received_at: f64,
    /// The client's address, to replace `{{auto}}` IPs.
    pub client_ip: Option<String>,
    /// The envelope header's `event_id` (already validated); it wins over the payload's.
    pub event_id: Option<String>,
    /// The envelope header's `sent_at`, Unix seconds, for clock-drift correction.
    pub sent_at: Option<f64>,
    /// The `sentry_client` of the auth (`sentry.python/2.75.0`), for a missing `sdk`.
    pub client: Option<String>,
    /// The event type implied by the item type (`transaction`, `feedback`).
    pub item_type: Option<EventType>,
    /// Timestamps further in the future than this are replaced.
    pub max_secs_in_future: f64,
    /// Timestamps older than this are replaced.
    pub max_age_secs: f64,
    /// A clock difference of at least this much between `sent_at` and receipt is drift.
    pub min_clock_drift_secs: f64,
}

impl NormalizeContext {
    /// Relay's defaults: 60 s into the future, 90 days into the past, 55 min of drift.
    pub fn new(received_at: f64) -> Self {
        Self {
            received_at,
            client_ip: None,
            event_id: None,
            sent_at: None,
            client: None,
            item_type: None,
            max_secs_in_future: 60.0,
            max_age_secs: 90.0 * 24.0 * 3600.0,
            min_clock_drift_secs: 55.0 * 60.0,
        }
    }
}

/// Reads and normalizes one event payload (the bytes of an `event` item or a `/store/`
/// body).
///
/// Arrays and objects nested deeper than [`MAX_DEPTH`] levels are replaced by `null`
/// before parsing (recorded at the root), so over-nested JSON is an event, not an error.
pub fn normalize(payload: &[u8], ctx: &NormalizeContext) -> Result<Event, Error> {
    let limited = depth::limit_depth(payload, MAX_DEPTH);
    let parsed = parse::parse_event(&limited.json).map_err(invalid_json)?;
    let mut meta = Meta::default();
    if limited.removed > 0 {
        meta.push(
            ErrorKind::Trimmed,
            &Path::Root,
            format!(
                "{} values nested deeper than {MAX_DEPTH} levels were removed",
                limited.removed
            ),
        );
    }
    normalize_with(parsed, ctx, meta)
}

/// [`normalize`] for a payload already parsed as JSON (written out again and read as
/// [`normalize`] reads it, without its depth limit). For tests and tools.
#[allow(
    clippy::needless_pass_by_value,
    reason = "the public signature takes the event it reads, as it did when it read it in place"
)]
pub fn normalize_value(value: Value, ctx: &NormalizeContext) -> Result<Event, Error> {
    let json = serde_json::to_vec(&value).map_err(invalid_json)?;
    let parsed = parse::parse_event(&json).map_err(invalid_json)?;
    normalize_with(parsed, ctx, Meta::default())
}

/// The error for a payload that is not JSON, or JSON a reader could not decode.
#[allow(
    clippy::needless_pass_by_value,
    reason = "used as `map_err(invalid_json)`"
)]
fn invalid_json(e: serde_json::Error) -> Error {
    Error::InvalidPayload(format!("not valid JSON: {e}"))
}

fn normalize_with(
    parsed: Parsed<'_>,
    ctx: &NormalizeContext,
    mut meta: Meta,
) -> Result<Event, Error> {
    let payload = match parsed {
        Parsed::Event(payload) => payload,
        Parsed::Other(other) => {
            return Err(Error::InvalidPayload(format!(
                "expected a JSON object, found {}",
                json_kind(&other)
            )));
        }
    };
    let (mut event, pending) = Event::read(payload, &mut meta);
    if let Some(e) = meta.take_failure() {
        return Err(invalid_json(e));
    }

    event.event_id = resolve_event_id(ctx.event_id.as_deref(), pending.event_id, &mut meta);
    event.received = ctx.received_at;
    resolve_timestamps(&mut event, pending.timestamp, ctx, &mut meta);

    event.ty = infer_type(&event, pending.declared_type, ctx.item_type);
    let default_level = if event.ty == EventType::Transaction {
        Level::Info
    } else {
        Level::Error
    };
    event.level = pending.level.unwrap_or(default_level);
    event.platform = match pending.platform {
        Some(p) if VALID_PLATFORMS.contains(&p.as_str()) => p,
        _ => "other".to_owned(),
    };

    resolve_message(&mut event, pending.message);
    move_stacktrace_into_exception(&mut event);

    let raw_tags = std::mem::take(&mut event.tags);
    let tags_path = Path::Root.key("tags");
    let cleaned = tags::normalize(raw_tags, &tags_path, &mut meta);
    event.tags = cleaned.tags;
    if event.environment.is_none() {
        event.environment = cleaned.environment;
    }
    let derived = [
        ("server_name", event.server_name.clone()),
        ("site", pending.site),
    ]
    .into_iter()
    .filter_map(|(key, value)| Some((key, value?)))
    .collect();
    tags::finish(
        &mut event.tags,
        cleaned.unread + pending.tags_skipped,
        derived,
        &tags_path,
        &mut meta,
    );

    if event.sdk.is_none() {
        event.sdk = ctx.client.as_deref().and_then(sdk_from_client);
    }
    resolve_user_ip(&mut event, ctx.client_ip.as_deref());

    let mut errors = meta.into_errors();
    event.errors.append(&mut errors);
    Ok(event)
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parses a dashed or undashed UUID into 32 lowercase hex characters.
pub fn parse_event_id(s: &str) -> Option<String> {
    uuid::Uuid::try_parse(s.trim())
        .ok()
        .map(|u| u.simple().to_string())
}

fn resolve_event_id(header: Option<&str>, payload: Option<String>, meta: &mut Meta) -> String {
    if let Some(id) = header.and_then(parse_event_id) {
        return id;
    }
    if let Some(raw) = payload {
        if let Some(id) = parse_event_id(&raw) {
            return id;
        }
        meta.invalid(
            &Path::Root.key("event_id"),
            "not a UUID; a new id was assigned",
            &Value::String(raw),
        );
    }
    uuid::Uuid::new_v4().simple().to_string()
}

fn resolve_timestamps(event: &mut Event, ts: Option<f64>, ctx: &NormalizeContext, meta: &mut Meta) {
    let root = Path::Root;
    let received = ctx.received_at;
    if let Some(sent_at) = ctx.sent_at {
        let drift = received - sent_at;
        if drift.abs() >= ctx.min_clock_drift_secs {
            meta.push(
                ErrorKind::ClockDrift,
                &root.key("timestamp"),
                format!("the SDK's clock is off by {drift:.0} s; timestamps were shifted"),
            );
            event.start_timestamp = event.start_timestamp.map(|t| t + drift);
            for crumb in &mut event.breadcrumbs.values {
                crumb.timestamp = crumb.timestamp.map(|t| t + drift);
            }
            event.timestamp = ts.map_or(received, |t| t + drift);
        } else {
            event.timestamp = ts.unwrap_or(received);
        }
    } else {
        event.timestamp = ts.unwrap_or(received);
    }
    if event.timestamp > received + ctx.max_secs_in_future {
        meta.push(
            ErrorKind::FutureTimestamp,
            &root.key("timestamp"),
            "more than 60 s in the future; the receive time was used",
        );
        event.timestamp = received;
    } else if event.timestamp < received - ctx.max_age_secs {
        meta.push(
            ErrorKind::PastTimestamp,
            &root.key("timestamp"),
            "older than the retention; the receive time was used",
        );
        event.timestamp = received;
    }
}

fn infer_type(event: &Event, declared: Option<EventType>, item: Option<EventType>) -> EventType {
    match item.or(declared) {
        Some(t @ (EventType::Transaction | EventType::Feedback)) => t,
        _ if !event.exception.is_empty() => EventType::Error,
        Some(
            t @ (EventType::Csp
            | EventType::Hpkp
            | EventType::ExpectCt
            | EventType::ExpectStaple
            | EventType::Nel),
        ) => t,
        _ => EventType::Default,
    }
}

/// A plain `message` becomes the log entry's formatted text (or its template when the
/// log entry has none); a template with parameters and no formatted text is formatted.
fn resolve_message(event: &mut Event, message: Option<String>) {
    match (&mut event.logentry, message) {
        (None, Some(message)) if !message.is_empty() => {
            event.logentry = Some(LogEntry {
                formatted: Some(message),
                ..LogEntry::default()
            });
        }
        (Some(entry), Some(message)) if entry.formatted.is_none() && entry.message.is_none() => {
            entry.formatted = Some(message);
        }
        _ => {}
    }
    if let Some(entry) = &mut event.logentry
        && entry.formatted.is_none()
        && let Some(template) = &entry.message
    {
        let text = if entry.params.is_empty() {
            template.clone()
        } else {
            format_message(template, &entry.params)
        };
        entry.formatted = Some(crate::meta::truncate_str(&text, MAX_MESSAGE).to_owned());
    }
}

/// Fills `%s`/`%d`-style and `{}`/`{0}`-style placeholders with `params`, stopping once
/// the text is longer than [`MAX_MESSAGE`] bytes (a short template repeating a long
/// parameter cannot make it grow further). Linear in the template.
pub fn format_message(template: &str, params: &[Value]) -> String {
    /// The longest `{...}` placeholder: `{` three digits `}`.
    const MAX_PLACEHOLDER: usize = 5;
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut out = String::with_capacity(template.len().min(MAX_MESSAGE) + 16);
    let mut next = 0;
    let mut chars = template.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if out.len() > MAX_MESSAGE {
            break;
        }
        match c {
            '%' => match chars.peek().map(|&(_, c)| c) {
                Some('%') => {
                    chars.next();
                    out.push('%');
                }
                Some(spec) if spec.is_ascii_alphabetic() => {
                    chars.next();
                    if let Some(p) = params.get(next) {
                        out.push_str(&text(p));
                    } else {
                        out.push('%');
                        out.push(spec);
                    }
                    next += 1;
                }
                _ => out.push('%'),
            },
            '{' => {
                let rest = &template[i + 1..];
                // Only a placeholder's length ahead: never a scan to the end per `{`.
                let close = rest.bytes().take(MAX_PLACEHOLDER).position(|b| b == b'}');
                let inner = close.map(|j| &rest[..j]);
                match inner {
                    Some("") => {
                        out.push_str(&params.get(next).map_or_else(|| "{}".into(), text));
                        next += 1;
                        chars.next();
                    }
                    Some(digits)
                        if digits.bytes().all(|b| b.is_ascii_digit()) && digits.len() < 4 =>
                    {
                        let index: usize = digits.parse().unwrap_or(usize::MAX);
                        if let Some(p) = params.get(index) {
                            out.push_str(&text(p));
                        } else {
                            out.push('{');
                            out.push_str(digits);
                            out.push('}');
                        }
                        for _ in 0..=digits.len() {
                            chars.next();
                        }
                    }
                    _ => out.push('{'),
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// With exactly one exception and a top-level stack trace, the stack belongs to it.
fn move_stacktrace_into_exception(event: &mut Event) {
    if let [only] = event.exception.values.as_mut_slice()
        && only.stacktrace.is_none()
        && let Some(stack) = event.stacktrace.take()
    {
        only.stacktrace = Some(stack);
    }
}

/// `sentry.python/2.75.0` -> an SDK named `sentry.python`, version `2.75.0`.
fn sdk_from_client(client: &str) -> Option<ClientSdk> {
    let (name, version) = client.split_once('/')?;
    Some(ClientSdk {
        name: name.to_owned(),
        version: version.to_owned(),
        ..ClientSdk::default()
    })
}

/// `{{auto}}` becomes the client address; `infer_ip: "never"` removes it instead.
fn resolve_user_ip(event: &mut Event, client_ip: Option<&str>) {
    let infer = event
        .sdk
        .as_ref()
        .and_then(|sdk| sdk.settings.get("infer_ip"))
        .and_then(Value::as_str)
        .unwrap_or("legacy")
        .to_owned();
    let Some(user) = &mut event.user else {
        if infer == "auto"
            && let Some(ip) = client_ip
        {
            event.user = Some(crate::user::User {
                ip_address: Some(ip.to_owned()),
                ..crate::user::User::default()
            });
        }
        return;
    };
    let auto = user.ip_address.as_deref() == Some("{{auto}}");
    if auto || (user.ip_address.is_none() && infer == "auto") {
        user.ip_address = if infer == "never" {
            None
        } else {
            client_ip.map(str::to_owned)
        };
    }
}

#[cfg(test)]
#[allow(
    clippy::float_cmp,
    reason = "timestamps are copied or shifted by whole seconds: exact"
)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use serde_json::json;

    const NOW: f64 = 1_795_288_800.0;

    fn run(payload: Value) -> Event {
        normalize_value(payload, &NormalizeContext::new(NOW)).unwrap()
    }

    fn error_names(event: &Event) -> Vec<&str> {
        event.errors.iter().map(|e| e.name.as_str()).collect()
    }

    #[test]
    fn payloads_that_are_not_objects_are_errors() {
        let ctx = NormalizeContext::new(NOW);
        for bad in [&b"[1,2]"[..], b"\"text\"", b"null", b"{\"a\":", b"\xff\xfe"] {
            let err = normalize(bad, &ctx).unwrap_err();
            assert!(err.is_malformed(), "{err}");
        }
        let unclosed = "[".repeat(10_000);
        let err = normalize(format!("{{\"extra\": {unclosed}}}").as_bytes(), &ctx).unwrap_err();
        assert!(err.is_malformed(), "{err}");
    }

    #[test]
    fn over_nested_json_is_cut_not_rejected() {
        let ctx = NormalizeContext::new(NOW);
        for open in ["[", "{\"k\":"] {
            let close = if open == "[" { "]" } else { "}" };
            let deep = open.repeat(10_000) + "1" + &close.repeat(10_000);
            let payload = format!("{{\"message\": \"m\", \"extra\": {{\"deep\": {deep}}}}}");
            let event = normalize(payload.as_bytes(), &ctx).unwrap();
            assert_eq!(
                event.logentry.unwrap().formatted.as_deref(),
                Some("m"),
                "{open}"
            );
            assert!(event.extra.contains_key("deep"));
            let root = &event.errors[0];
            assert_eq!((root.kind, root.name.as_str()), (ErrorKind::Trimmed, ""));
            assert!(
                root.reason.contains("deeper than 64 levels"),
                "{}",
                root.reason
            );
        }
        let shallow = normalize(br#"{"extra": {"a": [[1]]}}"#, &ctx).unwrap();
        assert!(shallow.errors.is_empty());
    }

    #[test]
    fn event_ids_prefer_the_envelope_and_accept_dashes() {
        let id = "99ce2dd9-6568-402b-9596-1f496461325f";
        assert_eq!(
            run(json!({ "event_id": id })).event_id,
            "99ce2dd96568402b95961f496461325f"
        );
        let mut ctx = NormalizeContext::new(NOW);
        ctx.event_id = Some("0123456789abcdef0123456789abcdef".into());
        let event = normalize_value(json!({ "event_id": id }), &ctx).unwrap();
        assert_eq!(event.event_id, "0123456789abcdef0123456789abcdef");
        let event = run(json!({ "event_id": "not-a-uuid" }));
        assert_eq!(event.event_id.len(), 32);
        assert_eq!(error_names(&event), ["event_id"]);
    }

    #[test]
    fn timestamps_are_bounded_and_corrected_for_drift() {
        assert_eq!(run(json!({})).timestamp, NOW);
        assert_eq!(run(json!({"timestamp": NOW - 5.0})).timestamp, NOW - 5.0);
        let future = run(json!({"timestamp": NOW + 3600.0}));
        assert_eq!(future.timestamp, NOW);
        assert_eq!(future.errors[0].kind, ErrorKind::FutureTimestamp);
        let past = run(json!({"timestamp": "2020-01-01T00:00:00Z"}));
        assert_eq!(past.timestamp, NOW);
        assert_eq!(past.errors[0].kind, ErrorKind::PastTimestamp);
        let mut ctx = NormalizeContext::new(NOW);
        ctx.sent_at = Some(NOW - 7200.0);
        let drifted = normalize_value(
            json!({"timestamp": NOW - 7210.0, "breadcrumbs": [{"timestamp": NOW - 7220.0}]}),
            &ctx,
        )
        .unwrap();
        assert_eq!(drifted.timestamp, NOW - 10.0);
        assert_eq!(drifted.breadcrumbs.values[0].timestamp, Some(NOW - 20.0));
        assert_eq!(drifted.errors[0].kind, ErrorKind::ClockDrift);
    }

    #[test]
    fn levels_platforms_and_types() {
        assert_eq!(run(json!({"level": 30})).level, Level::Warning);
        assert_eq!(run(json!({"level": "critical"})).level, Level::Fatal);
        let warn = run(json!({"level": "warn"}));
        assert_eq!(warn.level, Level::Error);
        assert_eq!(error_names(&warn), ["level"]);
        assert_eq!(run(json!({"type": "transaction"})).level, Level::Info);
        assert_eq!(run(json!({"platform": "python"})).platform, "python");
        assert_eq!(run(json!({"platform": "cobol"})).platform, "other");
        assert_eq!(
            run(json!({"exception": [{"type": "E"}]})).ty,
            EventType::Error
        );
        assert_eq!(run(json!({"message": "hi"})).ty, EventType::Default);
        assert_eq!(run(json!({"type": "error"})).ty, EventType::Default);
        let mut ctx = NormalizeContext::new(NOW);
        ctx.item_type = Some(EventType::Transaction);
        assert_eq!(
            normalize_value(json!({}), &ctx).unwrap().ty,
            EventType::Transaction
        );
    }

    #[test]
    fn messages_in_every_shape() {
        let plain = run(json!({"message": "boom"}));
        assert_eq!(plain.logentry.unwrap().formatted.as_deref(), Some("boom"));
        let entry = run(json!({"logentry": {"message": "took %s ms for %d", "params": ["30", 2]}}))
            .logentry
            .unwrap();
        assert_eq!(entry.formatted.as_deref(), Some("took 30 ms for 2"));
        assert_eq!(entry.message.as_deref(), Some("took %s ms for %d"));
        let braces = run(json!({"logentry": {"message": "user {} in {0}", "params": ["a"]}}));
        assert_eq!(
            braces.logentry.unwrap().formatted.as_deref(),
            Some("user a in a")
        );
        let legacy = run(json!({"sentry.interfaces.Message": {"message": "legacy"}}));
        assert_eq!(
            legacy.logentry.unwrap().formatted.as_deref(),
            Some("legacy")
        );
        let object_message = run(json!({"message": {"message": "m", "formatted": "f"}}));
        assert_eq!(
            object_message.logentry.unwrap().formatted.as_deref(),
            Some("f")
        );
        assert_eq!(format_message("100%% of %s", &[json!("x")]), "100% of x");
        assert_eq!(
            format_message("{ {0} {12} {1234}", &[json!("a")]),
            "{ a {12} {1234}"
        );
        // A short template repeating a long parameter stops growing past the limit.
        let long = json!("p".repeat(4000));
        let repeated = format_message(&"{0}".repeat(2000), &[long]);
        assert!(repeated.len() <= MAX_MESSAGE + 4000, "{}", repeated.len());
        // Thousands of unclosed braces: linear, and kept as text.
        let braces = "{".repeat(8000);
        assert_eq!(format_message(&braces, &[]), braces);
    }

    #[test]
    fn exceptions_in_every_shape() {
        let shapes = [
            json!({"exception": {"values": [{"type": "A", "value": "x"}]}}),
            json!({"exception": [{"type": "A", "value": "x"}]}),
            json!({"exception": {"type": "A", "value": "x"}}),
            json!({"exception": {"values": [{"value": "A: x"}]}}),
        ];
        for shape in shapes {
            let event = run(shape.clone());
            let exception = &event.exception.values[0];
            assert_eq!(exception.ty.as_deref(), Some("A"), "{shape}");
            assert_eq!(exception.value.as_deref(), Some("x"), "{shape}");
        }
        let moved = run(json!({
            "exception": [{"type": "A"}],
            "stacktrace": {"frames": [{"function": "f"}]}
        }));
        assert!(moved.stacktrace.is_none());
        assert!(moved.exception.values[0].stacktrace.is_some());
    }

    #[test]
    fn tags_environment_and_server_name() {
        let event = run(json!({
            "tags": [["environment", "staging"], ["region", "eu"], ["bad key!", "x"]],
            "server_name": "web-1",
            "site": "shop",
        }));
        assert_eq!(event.environment.as_deref(), Some("staging"));
        assert_eq!(
            event.tags,
            vec![
                ("region".to_owned(), "eu".to_owned()),
                ("server_name".to_owned(), "web-1".to_owned()),
                ("site".to_owned(), "shop".to_owned())
            ]
        );
        assert_eq!(error_names(&event), ["tags.2"]);
        let object_tags = run(json!({"tags": {"b": 2, "a": true}}));
        assert_eq!(object_tags.tags[0], ("a".to_owned(), "true".to_owned()));
        let bad_release = run(json!({"release": "a/b", "environment": "has space"}));
        assert_eq!((bad_release.release, bad_release.environment), (None, None));
    }

    #[test]
    fn sdk_and_user_ip() {
        let mut ctx = NormalizeContext::new(NOW);
        ctx.client = Some("sentry.rust/0.49.5".into());
        ctx.client_ip = Some("203.0.113.9".into());
        let event =
            normalize_value(json!({"user": {"ip_address": "{{auto}}", "id": 7}}), &ctx).unwrap();
        let sdk = event.sdk.unwrap();
        assert_eq!(
            (sdk.name.as_str(), sdk.version.as_str()),
            ("sentry.rust", "0.49.5")
        );
        let user = event.user.unwrap();
        assert_eq!(user.ip_address.as_deref(), Some("203.0.113.9"));
        assert_eq!(user.id.as_deref(), Some("7"));
        let never = normalize_value(
            json!({"user": {"ip_address": "{{auto}}"}, "sdk": {"name": "s", "settings": {"infer_ip": "never"}}}),
            &ctx,
        )
        .unwrap();
        assert_eq!(never.user.unwrap().ip_address, None);
    }

    #[test]
    fn one_bad_field_never_rejects_the_event() {
        let event = run(json!({
            "message": "still here",
            "level": ["error"],
            "timestamp": {"when": "now"},
            "tags": "nope",
            "user": 42,
            "request": {"headers": 7, "url": "http://x/a"},
            "exception": {"values": "broken"},
            "breadcrumbs": [{"level": "loud"}, 5],
            "contexts": {"os": "linux", "runtime": {"name": "CPython"}},
            "fingerprint": ["a", 1, {"x": 1}],
            "extra": {"fine": 1},
        }));
        assert_eq!(
            event.logentry.as_ref().unwrap().formatted.as_deref(),
            Some("still here")
        );
        assert_eq!(
            event.request.as_ref().unwrap().url.as_deref(),
            Some("http://x/a")
        );
        assert_eq!(
            event.fingerprint,
            Some(vec!["a".to_owned(), "1".to_owned()])
        );
        assert_eq!(event.contexts["runtime"]["type"], "runtime");
        assert!(!event.contexts.contains_key("os"));
        assert_eq!(event.breadcrumbs.values.len(), 1);
        let names = error_names(&event);
        for expected in [
            "level",
            "timestamp",
            "tags",
            "user",
            "request.headers",
            "exception.values",
            "breadcrumbs.0.level",
            "breadcrumbs.1",
            "contexts.os",
            "fingerprint.2",
        ] {
            assert!(
                names.contains(&expected),
                "{expected} missing from {names:?}"
            );
        }
    }

    #[test]
    fn unknown_fields_are_kept_and_output_is_stable() {
        let event = run(json!({"spans": [], "measurements": {"lcp": {"value": 1}}, "received": 5}));
        assert!(event.other.contains_key("measurements"));
        assert!(!event.other.contains_key("received"));
        assert_eq!(event.received, NOW);
        // Normalizing the normalized output changes nothing but the id source.
        let text = serde_json::to_vec(&event).unwrap();
        let again = normalize(&text, &NormalizeContext::new(NOW)).unwrap();
        assert_eq!(
            serde_json::to_value(&again).unwrap(),
            serde_json::to_value(&event).unwrap()
        );
    }
}
