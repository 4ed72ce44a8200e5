//! Threads: the state of every thread at the time of an event, one of which may have
//! crashed. Grouping uses the crashed (or current, or only) thread's stack. An event
//! keeps at most [`MAX_THREADS`], the crashed and current ones first.

use crate::meta::{Meta, Path};
use crate::stacktrace::{Stacktrace, WireStacktrace};
use crate::wire::{self, Loose, Nested, wire_object};
use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

/// Most threads an event keeps: the crashed and current threads first, then the others
/// in the order sent (a JVM or an Android app can run a few hundred threads; the ones
/// past this are idle pools that never group an event).
pub const MAX_THREADS: usize = 256;

/// One thread.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Thread {
    /// The thread's id (a number or a string, as the SDK sent it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
    /// The thread's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// This thread crashed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crashed: Option<bool>,
    /// This thread was running when the event was captured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<bool>,
    /// This is the main thread.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub main: Option<bool>,
    /// The thread's state, such as `RUNNABLE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The thread's stack.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stacktrace: Option<Stacktrace>,
}

wire_object!(
    /// A thread as sent.
    WireThread<'a> {
        id: "id" => Loose<'a>,
        name: "name" => Loose<'a>,
        crashed: "crashed" => Loose<'a>,
        current: "current" => Loose<'a>,
        main: "main" => Loose<'a>,
        state: "state" => Loose<'a>,
        stacktrace: "stacktrace" => Nested<'a, WireStacktrace<'a>>,
    }
);

wire_object!(
    /// What a thread says of itself that puts it first.
    WireThreadFlags<'a> {
        crashed: "crashed" => Loose<'a>,
        current: "current" => Loose<'a>,
    }
);

impl Thread {
    /// Whether a raw thread says it crashed or is current: the threads kept first.
    pub(crate) fn is_crashed_or_current(raw: &RawValue) -> bool {
        serde_json::from_str::<WireThreadFlags<'_>>(raw.get()).is_ok_and(|wire| {
            wire.crashed.as_bool() == Some(true) || wire.current.as_bool() == Some(true)
        })
    }

    pub(crate) fn read(value: Loose<'_>, path: &Path<'_>, meta: &mut Meta) -> Option<Self> {
        let wire: WireThread<'_> = wire::object(value, path, meta)?;
        let flag = |value: Loose<'_>, name: &str, meta: &mut Meta| {
            wire::boolean(value, &path.key(name), meta)
        };
        let crashed = flag(wire.crashed, "crashed", meta);
        let current = flag(wire.current, "current", meta);
        let main = flag(wire.main, "main", meta);
        Some(Thread {
            id: wire.id.into_id(),
            name: wire::string(wire.name, &path.key("name"), meta),
            crashed,
            current,
            main,
            state: wire::string(wire.state, &path.key("state"), meta),
            stacktrace: Stacktrace::read(wire.stacktrace, &path.key("stacktrace"), meta),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn thread_fields_of_every_shape() {
        let text = json!({
            "id": [1], "name": 5, "crashed": "1", "current": "no", "main": 0,
            "state": null, "stacktrace": {"frames": [{"function": "run"}]}
        })
        .to_string();
        let mut meta = Meta::default();
        let thread =
            Thread::read(serde_json::from_str(&text).unwrap(), &Path::Root, &mut meta).unwrap();
        assert_eq!((thread.id, thread.name.as_deref()), (None, Some("5")));
        assert_eq!(
            (thread.crashed, thread.current, thread.main),
            (Some(true), None, Some(false))
        );
        assert_eq!(thread.stacktrace.unwrap().frames.len(), 1);
        assert_eq!(meta.into_errors()[0].name, "current");
    }

    #[test]
    fn crashed_and_current_threads_are_found_in_raw_json() {
        let preferred = |text: &str| {
            let raw: &RawValue = serde_json::from_str(text).unwrap();
            Thread::is_crashed_or_current(raw)
        };
        assert!(preferred(r#"{"crashed": true}"#));
        assert!(preferred(
            r#"{"current": "True", "stacktrace": {"frames": []}}"#
        ));
        assert!(preferred(r#"{"crashed": false, "crashed": 1}"#));
        assert!(!preferred(r#"{"crashed": "maybe"}"#));
        assert!(!preferred("null"));
        assert!(!preferred("[true]"));
    }
}
