//! The event: what one error or message looks like after normalization.
//!
//! [`Event`] is the one canonical shape every SDK's payload is turned into: lists are
//! `{"values": [...]}`, tags/headers/cookies/query are pair lists, timestamps are Unix
//! seconds, levels are one of five. It serializes to the JSON the API returns. Reading
//! happens in [`Event::read`], field by field, through the tolerant readers; the rules
//! that span fields (ids, clock, type inference...) live in [`crate::normalize`].

use crate::breadcrumb::{Breadcrumb, MAX_BREADCRUMBS};
use crate::databag::{self, CONTEXT, EXTRA_VALUE, LOG_PARAMS, MODULES, SDK_PACKAGE};
use crate::exception::{Exception, MAX_EXCEPTIONS};
use crate::list::{self, Keep};
use crate::meta::{Meta, Path, ProcessingError};
use crate::parse::Payload;
use crate::request::Request;
use crate::stacktrace::Stacktrace;
use crate::thread::{MAX_THREADS, Thread};
use crate::user::User;
use crate::value::{array, bounded_object, bounded_string, object, pairs, string, take, timestamp};
use crate::wire::Nested;
use serde::Serialize;
use serde_json::{Map, Value};

/// Total size budget of `extra`, in bytes of JSON.
const MAX_EXTRA_BYTES: usize = 256 * 1024;
/// Most `extra` keys kept (the first in key order), besides the byte budget.
pub const MAX_EXTRA_KEYS: usize = 100;
/// Most contexts kept (the first in key order); SDKs send 5 to 15.
pub const MAX_CONTEXTS: usize = 100;
/// Most modules kept (the first in key order), within the `modules` byte budget; a large
/// Python environment lists a few hundred packages.
pub const MAX_MODULES: usize = 1000;
/// Most unknown top-level keys kept in `other` (the first in key order); Sentry's event
/// schema has about 40 keys in all.
pub const MAX_OTHER_KEYS: usize = 50;
/// Size budget of `other` in bytes of JSON: half of the largest event accepted, enough
/// for a transaction's spans. A value that does not fit is dropped whole.
pub const MAX_OTHER_BYTES: usize = 512 * 1024;
/// Most parts of a custom fingerprint kept (the first); SDKs send one to three.
pub const MAX_FINGERPRINT_PARTS: usize = 32;
/// Most log message parameters kept (the first), each within [`LOG_PARAMS`].
pub const MAX_LOG_PARAMS: usize = 100;
/// Most SDK integrations kept (the first); the Python SDK enables about 30.
pub const MAX_SDK_INTEGRATIONS: usize = 200;
/// Most SDK packages kept (the first); SDKs send one or two.
pub const MAX_SDK_PACKAGES: usize = 100;
/// Longest SDK name, version or integration name kept.
const MAX_SDK_NAME: usize = 200;
/// Longest message (template or formatted) kept.
pub(crate) const MAX_MESSAGE: usize = 8192;

/// Severity of an event or breadcrumb.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs, reason = "the five levels are self-explanatory")]
pub enum Level {
    Debug,
    Info,
    Warning,
    Error,
    Fatal,
}

impl Level {
    /// The level's name as on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
            Self::Fatal => "fatal",
        }
    }

    /// Relay's accepted spellings, plus Python's numeric logging levels.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "debug" => Self::Debug,
            "info" | "log" => Self::Info,
            "warning" => Self::Warning,
            "error" => Self::Error,
            "fatal" | "critical" => Self::Fatal,
            _ => return None,
        })
    }

    #[allow(
        clippy::needless_pass_by_value,
        reason = "readers share one signature: they take the value they read"
    )]
    pub(crate) fn read(value: Value, path: &Path<'_>, meta: &mut Meta) -> Option<Self> {
        let level = match &value {
            Value::Null => return None,
            Value::String(s) => Self::parse(s),
            Value::Number(n) => match n.as_u64() {
                Some(10) => Some(Self::Debug),
                Some(20) => Some(Self::Info),
                Some(30) => Some(Self::Warning),
                Some(40) => Some(Self::Error),
                Some(50) => Some(Self::Fatal),
                _ => None,
            },
            _ => None,
        };
        if level.is_none() {
            meta.invalid(
                path,
                "expected one of debug, info, warning, error, fatal",
                &value,
            );
        }
        level
    }
}

/// The kind of event, inferred from its content unless declared as one of the kinds
/// that have their own item type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs, reason = "Sentry's event types, named as on the wire")]
pub enum EventType {
    Error,
    Default,
    Transaction,
    Csp,
    Hpkp,
    ExpectCt,
    ExpectStaple,
    Nel,
    Feedback,
}

impl EventType {
    /// The type's name as on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Default => "default",
            Self::Transaction => "transaction",
            Self::Csp => "csp",
            Self::Hpkp => "hpkp",
            Self::ExpectCt => "expectct",
            Self::ExpectStaple => "expectstaple",
            Self::Nel => "nel",
            Self::Feedback => "feedback",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "error" => Self::Error,
            "default" => Self::Default,
            "transaction" => Self::Transaction,
            "csp" => Self::Csp,
            "hpkp" => Self::Hpkp,
            "expectct" => Self::ExpectCt,
            "expectstaple" => Self::ExpectStaple,
            "nel" => Self::Nel,
            "feedback" => Self::Feedback,
            _ => return None,
        })
    }
}

/// A log message: the template (`message`), its parameters, and the formatted text.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LogEntry {
    /// The template, such as `payment provider timeout after %d ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The text with parameters filled in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    /// The parameters.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<Value>,
}

/// The SDK that sent the event.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ClientSdk {
    /// Such as `sentry.python.flask`.
    pub name: String,
    /// Such as `2.75.0`.
    pub version: String,
    /// Integrations enabled in the SDK.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub integrations: Vec<String>,
    /// Packages making up the SDK.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<Value>,
    /// SDK settings (such as `infer_ip`).
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub settings: Map<String, Value>,
}

/// A list written as `{"values": [...]}`, Sentry's container for exceptions, threads
/// and breadcrumbs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Values<T> {
    /// The items, oldest first.
    pub values: Vec<T>,
}

impl<T> Default for Values<T> {
    fn default() -> Self {
        Self { values: Vec::new() }
    }
}

impl<T> Values<T> {
    /// No items.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// A normalized event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// 32 lowercase hex characters.
    pub event_id: String,
    /// What kind of event this is.
    #[serde(rename = "type")]
    pub ty: EventType,
    /// Severity.
    pub level: Level,
    /// The platform that sent it (one of Sentry's list, else `other`).
    pub platform: String,
    /// When it happened, Unix seconds (corrected for clock drift).
    pub timestamp: f64,
    /// When the server received it, Unix seconds.
    pub received: f64,
    /// Start of a transaction, Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_timestamp: Option<f64>,
    /// The logger's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logger: Option<String>,
    /// The transaction (route or task) the event happened in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction: Option<String>,
    /// Where the SDK says the error happened (legacy; grouping computes one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub culprit: Option<String>,
    /// The host name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// The release, such as `shop@1.4.2`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// The distribution of the release.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dist: Option<String>,
    /// The environment, such as `production`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The log message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logentry: Option<LogEntry>,
    /// The exception chain, oldest first.
    #[serde(skip_serializing_if = "Values::is_empty")]
    pub exception: Values<Exception>,
    /// Threads.
    #[serde(skip_serializing_if = "Values::is_empty")]
    pub threads: Values<Thread>,
    /// A stack trace not attached to an exception or thread.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stacktrace: Option<Stacktrace>,
    /// The breadcrumb trail, oldest first.
    #[serde(skip_serializing_if = "Values::is_empty")]
    pub breadcrumbs: Values<Breadcrumb>,
    /// Tags as a pair list.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<(String, String)>,
    /// Arbitrary extra data.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub extra: Map<String, Value>,
    /// Contexts by name (`os`, `runtime`, `trace`...), each with a `type`.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub contexts: Map<String, Value>,
    /// The affected user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    /// The HTTP request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<Request>,
    /// The SDK.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdk: Option<ClientSdk>,
    /// A custom fingerprint that overrides grouping.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<Vec<String>>,
    /// Loaded modules and their versions.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub modules: Map<String, Value>,
    /// Every other top-level key, kept as sent (transaction spans, measurements...).
    #[serde(flatten)]
    pub other: Map<String, Value>,
    /// What normalization dropped or changed, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProcessingError>,
}

/// Raw top-level values [`crate::normalize`] resolves across fields.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    pub(crate) event_id: Option<String>,
    pub(crate) timestamp: Option<f64>,
    pub(crate) level: Option<Level>,
    pub(crate) declared_type: Option<EventType>,
    pub(crate) message: Option<String>,
    pub(crate) platform: Option<String>,
    pub(crate) site: Option<String>,
    /// Tags the parser skipped unread (after the first it read).
    pub(crate) tags_skipped: usize,
}

impl Event {
    /// Reads every known field of a payload object; unknown keys go to `other`.
    #[allow(
        clippy::too_many_lines,
        reason = "one line per event field; splitting hides the list"
    )]
    /// The hot fields are read from the raw JSON the parser kept (see [`crate::wire`]).
    pub(crate) fn read(payload: Payload<'_>, meta: &mut Meta) -> (Self, Pending) {
        let mut map = payload.fields;
        let root = Path::Root;
        let p = |key: &'static str| root.key(key);
        let mut pending = Pending {
            event_id: string(take(&mut map, "event_id"), &p("event_id"), meta),
            timestamp: timestamp(take(&mut map, "timestamp"), &p("timestamp"), meta),
            level: Level::read(take(&mut map, "level"), &p("level"), meta),
            platform: string(take(&mut map, "platform"), &p("platform"), meta),
            site: string(take(&mut map, "site"), &p("site"), meta),
            tags_skipped: payload.tags_skipped,
            ..Pending::default()
        };
        pending.declared_type =
            string(take(&mut map, "type"), &p("type"), meta).and_then(|t| EventType::parse(&t));
        let message = take(&mut map, "message");
        let logentry = match take(&mut map, "logentry") {
            Value::Null => take(&mut map, "sentry.interfaces.Message"),
            v => v,
        };
        let logentry = match (logentry, message) {
            (Value::Null, Value::Object(m)) => {
                LogEntry::read(Value::Object(m), &p("message"), meta)
            }
            (Value::Null, message) => {
                pending.message = bounded_string(message, MAX_MESSAGE, &p("message"), meta);
                None
            }
            (logentry, message) => {
                pending.message = bounded_string(message, MAX_MESSAGE, &p("message"), meta);
                LogEntry::read(logentry, &p("logentry"), meta)
            }
        };
        let mut str_field = |key: &'static str, max: usize, meta: &mut Meta| {
            bounded_string(take(&mut map, key), max, &root.key(key), meta)
                .map(|s| s.trim().to_owned())
        };
        let logger = str_field("logger", 64, meta);
        let transaction = str_field("transaction", 200, meta);
        let culprit = str_field("culprit", 200, meta);
        let server_name = str_field("server_name", 256, meta);
        let release = str_field("release", 200, meta);
        let dist = str_field("dist", 64, meta);
        let environment = str_field("environment", 64, meta);
        let event = Event {
            event_id: String::new(),
            ty: EventType::Default,
            level: Level::Error,
            platform: String::new(),
            timestamp: 0.0,
            received: 0.0,
            start_timestamp: timestamp(
                take(&mut map, "start_timestamp"),
                &p("start_timestamp"),
                meta,
            ),
            logger,
            transaction,
            culprit,
            server_name,
            release: release.filter(|r| valid_release(r, meta)),
            dist,
            environment: environment.filter(|e| valid_environment(e, meta)),
            logentry,
            exception: Values {
                values: list::values(
                    payload.exception,
                    &p("exception"),
                    meta,
                    Keep::Last(MAX_EXCEPTIONS),
                    Exception::read,
                ),
            },
            threads: Values {
                values: list::values(
                    payload.threads,
                    &p("threads"),
                    meta,
                    Keep::Preferring(MAX_THREADS, Thread::is_crashed_or_current),
                    Thread::read,
                ),
            },
            stacktrace: Stacktrace::read(
                Nested::from_loose(payload.stacktrace, meta),
                &p("stacktrace"),
                meta,
            ),
            breadcrumbs: Values {
                values: list::values(
                    payload.breadcrumbs,
                    &p("breadcrumbs"),
                    meta,
                    Keep::Last(MAX_BREADCRUMBS),
                    Breadcrumb::read,
                ),
            },
            // Cut by `tags::finish` once invalid and duplicate tags are out.
            tags: pairs(take(&mut map, "tags"), usize::MAX, &p("tags"), meta),
            extra: read_extra(take(&mut map, "extra"), &p("extra"), meta),
            contexts: read_contexts(take(&mut map, "contexts"), &p("contexts"), meta),
            user: User::read(take(&mut map, "user"), &p("user"), meta),
            request: Request::read(take(&mut map, "request"), &p("request"), meta),
            sdk: ClientSdk::read(take(&mut map, "sdk"), &p("sdk"), meta),
            fingerprint: read_fingerprint(take(&mut map, "fingerprint"), &p("fingerprint"), meta),
            modules: read_modules(take(&mut map, "modules"), &p("modules"), meta),
            other: Map::new(),
            errors: Vec::new(),
        };
        // Keys we compute or that must not come back from the payload.
        for key in [
            "received",
            "errors",
            "_meta",
            "project",
            "key_id",
            "grouping_config",
        ] {
            map.remove(key);
        }
        map.retain(|_, v| !v.is_null());
        let mut event = event;
        event.other = read_other(map, meta);
        (event, pending)
    }

    /// The exception that was thrown: the last of the chain.
    pub fn main_exception(&self) -> Option<&Exception> {
        self.exception.values.last()
    }

    /// The value of tag `key`, if set.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl LogEntry {
    fn read(value: Value, path: &Path<'_>, meta: &mut Meta) -> Option<Self> {
        let mut map = match value {
            Value::String(s) => {
                return Some(LogEntry {
                    formatted: Some(s),
                    ..LogEntry::default()
                });
            }
            other => object(other, path, meta)?,
        };
        let entry = LogEntry {
            message: bounded_string(
                take(&mut map, "message"),
                MAX_MESSAGE,
                &path.key("message"),
                meta,
            ),
            formatted: bounded_string(
                take(&mut map, "formatted"),
                MAX_MESSAGE,
                &path.key("formatted"),
                meta,
            ),
            params: read_params(take(&mut map, "params"), &path.key("params"), meta),
        };
        (entry.message.is_some() || entry.formatted.is_some()).then_some(entry)
    }
}

impl ClientSdk {
    fn read(value: Value, path: &Path<'_>, meta: &mut Meta) -> Option<Self> {
        let mut map = object(value, path, meta)?;
        let name = string(take(&mut map, "name"), &path.key("name"), meta)?;
        let version =
            string(take(&mut map, "version"), &path.key("version"), meta).unwrap_or_default();
        Some(ClientSdk {
            name: crate::value::limit(name, MAX_SDK_NAME, &path.key("name"), meta),
            version: crate::value::limit(version, MAX_SDK_NAME, &path.key("version"), meta),
            integrations: array(
                take(&mut map, "integrations"),
                &path.key("integrations"),
                meta,
                Keep::First(MAX_SDK_INTEGRATIONS),
                |v, p, m| bounded_string(v, MAX_SDK_NAME, p, m),
            ),
            packages: array(
                take(&mut map, "packages"),
                &path.key("packages"),
                meta,
                Keep::First(MAX_SDK_PACKAGES),
                |mut v, p, m| {
                    databag::trim(&mut v, SDK_PACKAGE, p, m);
                    Some(v)
                },
            ),
            settings: read_settings(take(&mut map, "settings"), &path.key("settings"), meta),
        })
    }
}

/// SDK settings: an object trimmed as a context is.
fn read_settings(value: Value, path: &Path<'_>, meta: &mut Meta) -> Map<String, Value> {
    let settings = object(value, path, meta).unwrap_or_default();
    databag::trim_map(settings, CONTEXT, path, meta)
}

/// Log parameters: a list, an object's values, or one value; at most
/// [`MAX_LOG_PARAMS`], trimmed together to [`LOG_PARAMS`].
fn read_params(value: Value, path: &Path<'_>, meta: &mut Meta) -> Vec<Value> {
    let items = match value {
        Value::Null => return Vec::new(),
        Value::Array(items) => items,
        Value::Object(named) => named.into_iter().map(|(_, v)| v).collect(),
        other => vec![other],
    };
    let items = array(
        Value::Array(items),
        path,
        meta,
        Keep::First(MAX_LOG_PARAMS),
        |v, _, _| Some(v),
    );
    let mut bag = Value::Array(items);
    databag::trim(&mut bag, LOG_PARAMS, path, meta);
    match bag {
        Value::Array(items) => items,
        _ => Vec::new(),
    }
}

/// `extra`: every value trimmed to 16 KiB and 7 levels, the whole to 256 KiB.
fn read_extra(value: Value, path: &Path<'_>, meta: &mut Meta) -> Map<String, Value> {
    let Some(map) = bounded_object(value, MAX_EXTRA_KEYS, path, meta) else {
        return Map::new();
    };
    let mut budget = MAX_EXTRA_BYTES;
    let mut out = Map::new();
    for (key, mut item) in map {
        let item_path = path.key(&key);
        databag::trim(&mut item, EXTRA_VALUE, &item_path, meta);
        let size = key.len() + databag::json_size(&item);
        if size > budget {
            meta.push(
                crate::meta::ErrorKind::Trimmed,
                &item_path,
                format!("extra is over its {MAX_EXTRA_BYTES} byte budget"),
            );
            continue;
        }
        budget -= size;
        out.insert(key, item);
    }
    out
}

/// Modules: at most [`MAX_MODULES`] names, trimmed together to a byte budget.
fn read_modules(value: Value, path: &Path<'_>, meta: &mut Meta) -> Map<String, Value> {
    let modules = bounded_object(value, MAX_MODULES, path, meta).unwrap_or_default();
    databag::trim_map(modules, MODULES, path, meta)
}

/// Unknown top-level keys: at most [`MAX_OTHER_KEYS`], within [`MAX_OTHER_BYTES`]; a
/// value that does not fit is dropped whole and recorded at its key.
fn read_other(map: Map<String, Value>, meta: &mut Meta) -> Map<String, Value> {
    let root = Path::Root;
    if map.len() > MAX_OTHER_KEYS {
        meta.push(
            crate::meta::ErrorKind::Trimmed,
            &root,
            format!(
                "{} of {} unknown top-level keys were dropped (over the limit of \
                 {MAX_OTHER_KEYS}): kept the first in order",
                map.len() - MAX_OTHER_KEYS,
                map.len()
            ),
        );
    }
    let mut budget = MAX_OTHER_BYTES;
    let mut out = Map::new();
    for (key, value) in map.into_iter().take(MAX_OTHER_KEYS) {
        let size = key.len() + databag::json_size(&value);
        if size > budget {
            meta.push(
                crate::meta::ErrorKind::Trimmed,
                &root.key(&key),
                format!("unknown top-level keys are over their {MAX_OTHER_BYTES} byte budget"),
            );
            continue;
        }
        budget -= size;
        out.insert(key, value);
    }
    out
}

/// Contexts: objects keyed by name, each given a `type` (the key when missing).
fn read_contexts(value: Value, path: &Path<'_>, meta: &mut Meta) -> Map<String, Value> {
    let Some(map) = bounded_object(value, MAX_CONTEXTS, path, meta) else {
        return Map::new();
    };
    let mut out = Map::new();
    for (key, item) in map {
        let item_path = path.key(&key);
        let Some(mut context) = object(item, &item_path, meta) else {
            continue;
        };
        if !matches!(context.get("type"), Some(Value::String(_))) {
            context.insert("type".into(), Value::String(key.clone()));
        }
        let mut context = Value::Object(context);
        databag::trim(&mut context, CONTEXT, &item_path, meta);
        out.insert(key, context);
    }
    out
}

/// A fingerprint: strings; numbers become strings; anything else is dropped.
fn read_fingerprint(value: Value, path: &Path<'_>, meta: &mut Meta) -> Option<Vec<String>> {
    let parts = array(
        value,
        path,
        meta,
        Keep::First(MAX_FINGERPRINT_PARTS),
        |v, p, m| match v {
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            other => {
                m.invalid(p, "fingerprint parts must be strings", &other);
                None
            }
        },
    );
    (!parts.is_empty()).then_some(parts)
}

/// Sentry's release rules: no newline, tab, slash or backslash; not `.`, `..`, ` `.
fn valid_release(release: &str, meta: &mut Meta) -> bool {
    let bad = release.is_empty()
        || matches!(release, "." | ".." | " " | "latest")
        || release.contains(['\n', '\r', '\t', '\x0b', '\x0c', '/', '\\']);
    if bad {
        meta.push(
            crate::meta::ErrorKind::InvalidData,
            &Path::Root.key("release"),
            format!("{release:?} is not a valid release name"),
        );
    }
    !bad
}

/// Sentry's environment rules: no newline, space or slash; not `None`.
fn valid_environment(environment: &str, meta: &mut Meta) -> bool {
    let bad = environment.is_empty()
        || environment == "None"
        || environment.contains(['\n', '\r', '\t', ' ', '/', '\x0c']);
    if bad {
        meta.push(
            crate::meta::ErrorKind::InvalidData,
            &Path::Root.key("environment"),
            format!("{environment:?} is not a valid environment name"),
        );
    }
    !bad
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_serialized_form() {
        for level in [
            Level::Debug,
            Level::Info,
            Level::Warning,
            Level::Error,
            Level::Fatal,
        ] {
            assert_eq!(serde_json::to_value(level).unwrap(), level.as_str());
            assert_eq!(Level::parse(level.as_str()), Some(level));
        }
        for ty in [
            EventType::Error,
            EventType::Default,
            EventType::Transaction,
            EventType::Csp,
            EventType::Hpkp,
            EventType::ExpectCt,
            EventType::ExpectStaple,
            EventType::Nel,
            EventType::Feedback,
        ] {
            assert_eq!(serde_json::to_value(ty).unwrap(), ty.as_str());
            assert_eq!(EventType::parse(ty.as_str()), Some(ty));
        }
    }
}
