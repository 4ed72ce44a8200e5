//! Threads with stack traces (native crashes, the Rust SDK's message events), crashed
//! and current threads first; and a lone top-level `stacktrace`, shown as one more.

use serde_json::Value;

use super::frame::StackView;
use super::value::{field, items};

/// One thread's stack.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreadView {
    /// `main`, `Thread-1`, or `Thread <id>`.
    pub name: String,
    /// Whether this thread crashed.
    pub crashed: bool,
    /// Whether it was the thread that captured the event.
    pub current: bool,
    /// Its stack.
    pub stack: StackView,
}

impl ThreadView {
    /// The threads that have frames, crashed first, then current, then in order; the
    /// event's top-level `stacktrace` last.
    pub(crate) fn list(threads: Option<&Value>, stacktrace: Option<&Value>) -> Vec<Self> {
        let mut list: Vec<Self> = items(threads)
            .iter()
            .filter_map(|thread| {
                let stack = StackView::read(thread.get("stacktrace"))?;
                let flag = |key| thread.get(key).and_then(Value::as_bool) == Some(true);
                let name = field(thread, "name").unwrap_or_else(|| match field(thread, "id") {
                    Some(id) => format!("Thread {id}"),
                    None => "Thread".to_owned(),
                });
                Some(Self {
                    name,
                    crashed: flag("crashed"),
                    current: flag("current"),
                    stack,
                })
            })
            .collect();
        list.sort_by_key(|t| (!t.crashed, !t.current));
        if let Some(stack) = StackView::read(stacktrace) {
            list.push(Self {
                name: "Stack trace".to_owned(),
                crashed: false,
                current: false,
                stack,
            });
        }
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn crashed_threads_come_first_and_empty_ones_are_skipped() {
        let threads = json!({"values": [
            {"id": 1, "stacktrace": {"frames": [{"function": "idle"}]}},
            {"id": 2, "name": "worker", "crashed": true, "stacktrace": {"frames": [{"function": "boom"}]}},
            {"id": 3},
        ]});
        let list = ThreadView::list(
            Some(&threads),
            Some(&json!({"frames": [{"function": "f"}]})),
        );
        let names: Vec<_> = list.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["worker", "Thread 1", "Stack trace"]);
    }
}
