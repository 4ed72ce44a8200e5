//! Threads: the state of every thread at the time of an event, one of which may have
//! crashed. Grouping uses the crashed (or current, or only) thread's stack. An event
//! keeps at most [`MAX_THREADS`], the crashed and current ones first.

use crate::meta::{Meta, Path};
use crate::stacktrace::Stacktrace;
use crate::value::{as_bool, boolean, object, string, take};
use serde::Serialize;
use serde_json::Value;

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

impl Thread {
    /// Whether a raw thread says it crashed or is current: the threads kept first.
    pub(crate) fn is_crashed_or_current(value: &Value) -> bool {
        let flag = |name: &str| value.get(name).and_then(as_bool) == Some(true);
        flag("crashed") || flag("current")
    }

    pub(crate) fn read(value: Value, path: &Path<'_>, meta: &mut Meta) -> Option<Self> {
        let mut map = object(value, path, meta)?;
        let mut flag =
            |name: &str, meta: &mut Meta| boolean(take(&mut map, name), &path.key(name), meta);
        let crashed = flag("crashed", meta);
        let current = flag("current", meta);
        let main = flag("main", meta);
        Some(Thread {
            id: match take(&mut map, "id") {
                v @ (Value::String(_) | Value::Number(_)) => Some(v),
                _ => None,
            },
            name: string(take(&mut map, "name"), &path.key("name"), meta),
            crashed,
            current,
            main,
            state: string(take(&mut map, "state"), &path.key("state"), meta),
            stacktrace: Stacktrace::read(
                take(&mut map, "stacktrace"),
                &path.key("stacktrace"),
                meta,
            ),
        })
    }
}
