//! Exceptions and their mechanism: the chain of errors an SDK captured, oldest first
//! (the last value is the exception that was actually thrown). An event keeps the last
//! [`MAX_EXCEPTIONS`] of the chain.

use crate::databag::{self, CONTEXT};
use crate::meta::{Meta, Path};
use crate::stacktrace::{Stacktrace, WireStacktrace};
use crate::wire::{self, Loose, Nested, wire_object};
use serde::Serialize;
use serde_json::{Map, Value};

/// Longest exception `type` kept.
const MAX_TYPE: usize = 256;
/// Longest exception `value` (and mechanism description) kept.
const MAX_VALUE: usize = 8192;
/// Longest mechanism `help_link` kept.
const MAX_LINK: usize = 1024;

/// Most exceptions an event keeps: the last of the chain, where the exception that was
/// thrown is. Sentry's own server used to keep 25; SDKs send far fewer (the JavaScript
/// SDK links 5 by default), but an exception group can legitimately hold dozens.
pub const MAX_EXCEPTIONS: usize = 100;

/// One exception of the chain.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Exception {
    /// The exception's type or class, such as `KeyError`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub ty: Option<String>,
    /// The exception's message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The module or package the type lives in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    /// The thread this exception was raised on (a thread `id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<Value>,
    /// How the exception was captured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mechanism: Option<Mechanism>,
    /// The stack trace where it was raised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stacktrace: Option<Stacktrace>,
    /// The stack trace before symbolication or source mapping.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_stacktrace: Option<Stacktrace>,
}

/// How an exception was captured (Sentry's `mechanism`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Mechanism {
    /// The capturing integration, such as `generic`, `logging`, `panic`, `chained`.
    #[serde(rename = "type")]
    pub ty: String,
    /// `false` when the error was not caught by the application (a crash).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handled: Option<bool>,
    /// The exception type was made up by the SDK and says nothing about the error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub synthetic: Option<bool>,
    /// Human-readable description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A link to documentation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help_link: Option<String>,
    /// Where in the parent this exception came from (`cause`, `__context__`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// This exception groups others (Python's `ExceptionGroup`, JS `AggregateError`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_exception_group: Option<bool>,
    /// The id of this exception in the chain tree.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception_id: Option<u64>,
    /// The id of the parent exception in the chain tree.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<u64>,
    /// Arbitrary mechanism data.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub data: Map<String, Value>,
    /// OS-level error metadata (signal, errno, Mach exception).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Value>,
}

wire_object!(
    /// An exception as sent.
    WireException<'a> {
        ty: "type" => Loose<'a>,
        value: "value" => Loose<'a>,
        module: "module" => Loose<'a>,
        thread_id: "thread_id" => Loose<'a>,
        mechanism: "mechanism" => Nested<'a, WireMechanism<'a>>,
        stacktrace: "stacktrace" => Nested<'a, WireStacktrace<'a>>,
        raw_stacktrace: "raw_stacktrace" => Nested<'a, WireStacktrace<'a>>,
    }
);

wire_object!(
    /// A mechanism as sent.
    WireMechanism<'a> {
        ty: "type" => Loose<'a>,
        handled: "handled" => Loose<'a>,
        synthetic: "synthetic" => Loose<'a>,
        is_exception_group: "is_exception_group" => Loose<'a>,
        description: "description" => Loose<'a>,
        help_link: "help_link" => Loose<'a>,
        source: "source" => Loose<'a>,
        exception_id: "exception_id" => Loose<'a>,
        parent_id: "parent_id" => Loose<'a>,
        data: "data" => Loose<'a>,
        meta: "meta" => Loose<'a>,
    }
);

impl Exception {
    /// Reads one exception; `None` when it has neither a type nor a value (Relay drops
    /// those), or is not an object.
    pub(crate) fn read(value: Loose<'_>, path: &Path<'_>, meta: &mut Meta) -> Option<Self> {
        let wire: WireException<'_> = wire::object(value, path, meta)?;
        let mut exception = Exception {
            ty: wire::bounded_string(wire.ty, MAX_TYPE, &path.key("type"), meta),
            value: exception_value(wire.value, &path.key("value"), meta),
            module: wire::string(wire.module, &path.key("module"), meta),
            thread_id: wire.thread_id.into_id(),
            mechanism: Mechanism::read(wire.mechanism, &path.key("mechanism"), meta),
            stacktrace: Stacktrace::read(wire.stacktrace, &path.key("stacktrace"), meta),
            raw_stacktrace: Stacktrace::read(
                wire.raw_stacktrace,
                &path.key("raw_stacktrace"),
                meta,
            ),
        };
        exception.split_type_from_value();
        let empty = |s: &Option<String>| s.as_deref().is_none_or(str::is_empty);
        if empty(&exception.ty) && empty(&exception.value) {
            exception.stacktrace.as_ref()?;
            // A stack with no type or value still tells where it happened.
            exception.ty = None;
        }
        Some(exception)
    }

    /// With no `type`, a value like `"ValueError: bad input"` is split into both.
    fn split_type_from_value(&mut self) {
        if self.ty.as_deref().is_some_and(|t| !t.is_empty()) {
            return;
        }
        let Some(value) = self.value.as_deref() else {
            return;
        };
        let Some((ty, rest)) = value.split_once(':') else {
            return;
        };
        if !ty.is_empty() && ty.chars().all(|c| c.is_alphanumeric() || c == '_') {
            self.ty = Some(ty.to_owned());
            self.value = Some(rest.trim().to_owned());
        }
    }
}

impl Mechanism {
    fn read(
        value: Nested<'_, WireMechanism<'_>>,
        path: &Path<'_>,
        meta: &mut Meta,
    ) -> Option<Self> {
        let wire = value.into_object(path, meta)?;
        let ty = wire::bounded_string(wire.ty, 128, &path.key("type"), meta)
            .unwrap_or_else(|| "generic".to_owned());
        let flag = |value: Loose<'_>, name: &str, meta: &mut Meta| {
            wire::boolean(value, &path.key(name), meta)
        };
        let handled = flag(wire.handled, "handled", meta);
        let synthetic = flag(wire.synthetic, "synthetic", meta);
        let is_exception_group = flag(wire.is_exception_group, "is_exception_group", meta);
        let data_path = path.key("data");
        Some(Mechanism {
            ty,
            handled,
            synthetic,
            is_exception_group,
            description: wire::bounded_string(
                wire.description,
                MAX_VALUE,
                &path.key("description"),
                meta,
            ),
            help_link: wire::bounded_string(wire.help_link, MAX_LINK, &path.key("help_link"), meta),
            source: wire::bounded_string(wire.source, MAX_TYPE, &path.key("source"), meta),
            exception_id: wire::uint(wire.exception_id, &path.key("exception_id"), meta),
            parent_id: wire::uint(wire.parent_id, &path.key("parent_id"), meta),
            data: databag::trim_map(
                wire::bag(wire.data, &data_path, meta).unwrap_or_default(),
                CONTEXT,
                &data_path,
                meta,
            ),
            meta: match wire.meta.into_value(meta) {
                Value::Null => None,
                mut v => {
                    databag::trim(&mut v, CONTEXT, &path.key("meta"), meta);
                    Some(v)
                }
            },
        })
    }
}

/// An exception value: a string, or any other JSON written as JSON text.
fn exception_value(value: Loose<'_>, path: &Path<'_>, meta: &mut Meta) -> Option<String> {
    let text = match value.into_value(meta) {
        Value::Null => return None,
        Value::String(s) => s,
        other => other.to_string(),
    };
    Some(crate::value::limit(text, MAX_VALUE, path, meta))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[allow(
        clippy::needless_pass_by_value,
        reason = "the tests pass `json!` literals"
    )]
    fn read(v: Value) -> Option<Exception> {
        let text = v.to_string();
        let value = serde_json::from_str(&text).unwrap();
        Exception::read(value, &Path::Root, &mut Meta::default())
    }

    #[test]
    fn type_is_split_from_value_when_missing() {
        let e = read(json!({"value": "ValueError: bad input "})).unwrap();
        assert_eq!(e.ty.as_deref(), Some("ValueError"));
        assert_eq!(e.value.as_deref(), Some("bad input"));
        let e = read(json!({"value": "just text: with colon"})).unwrap();
        assert_eq!(e.ty, None);
    }

    #[test]
    fn empty_exceptions_are_dropped() {
        assert!(read(json!({"type": "", "value": null})).is_none());
        assert!(read(json!({})).is_none());
    }

    #[test]
    fn non_string_values_become_json_text() {
        let e = read(json!({"type": "E", "value": {"code": 3}})).unwrap();
        assert_eq!(e.value.as_deref(), Some(r#"{"code":3}"#));
    }

    #[test]
    fn mechanism_ids_are_read() {
        let e = read(json!({"type": "E", "mechanism": {
            "type": "chained", "source": "cause", "exception_id": 1, "parent_id": "0",
            "handled": true
        }}))
        .unwrap();
        let m = e.mechanism.unwrap();
        assert_eq!(
            (m.exception_id, m.parent_id, m.handled),
            (Some(1), Some(0), Some(true))
        );
        assert_eq!(m.source.as_deref(), Some("cause"));
    }

    #[test]
    fn exception_fields_of_every_shape() {
        let mut meta = Meta::default();
        let text = json!({
            "type": ["E"], "value": 12, "module": {"m": 1}, "thread_id": {"x": 1},
            "stacktrace": {"frames": [{"function": "\"f\""}]},
            "raw_stacktrace": "nope",
            "mechanism": {"type": null, "handled": "yes", "exception_id": "x",
                          "data": {"k": "v"}, "meta": {"signal": {"number": 11}}},
        })
        .to_string();
        let e =
            Exception::read(serde_json::from_str(&text).unwrap(), &Path::Root, &mut meta).unwrap();
        assert_eq!((e.ty, e.value.as_deref()), (None, Some("12")));
        assert_eq!((e.module, e.thread_id), (None, None));
        assert_eq!(
            e.stacktrace.unwrap().frames[0].function.as_deref(),
            Some("\"f\"")
        );
        let m = e.mechanism.unwrap();
        assert_eq!(
            (m.ty.as_str(), m.handled, m.exception_id),
            ("generic", None, None)
        );
        assert_eq!(m.data["k"], "v");
        assert_eq!(m.meta, Some(json!({"signal": {"number": 11}})));
        let names: Vec<_> = meta.into_errors().into_iter().map(|e| e.name).collect();
        assert_eq!(
            names,
            [
                "type",
                "module",
                "mechanism.handled",
                "mechanism.exception_id",
                "raw_stacktrace"
            ]
        );
    }

    #[test]
    fn exceptions_that_are_not_objects_are_recorded() {
        let mut meta = Meta::default();
        for text in ["null", "\"E\"", "[1]", "3"] {
            let value = serde_json::from_str(text).unwrap();
            assert!(Exception::read(value, &Path::Root, &mut meta).is_none());
        }
        assert_eq!(meta.into_errors().len(), 3);
    }
}
