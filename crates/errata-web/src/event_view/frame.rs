//! Stack traces as the page shows them: frames most recent call first (Sentry's default),
//! in-app frames shown open with their source context and local variables, and each run
//! of consecutive system frames folded into one group the template collapses.

use serde_json::Value;

use super::value::{field, items, text};

/// One stack trace, ready to show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StackView {
    /// Runs of frames, most recent call first.
    pub groups: Vec<FrameGroup>,
    /// How many frames there are in all.
    pub frame_count: usize,
    /// Why frames are missing (ingest kept the oldest and newest of a deep stack).
    pub omitted: Option<String>,
}

/// A run of consecutive in-app frames, or of system frames shown collapsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrameGroup {
    /// Whether the template folds this run into `details.system-frames`.
    pub collapsed: bool,
    /// The frames, most recent call first.
    pub frames: Vec<FrameView>,
}

/// One frame.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrameView {
    /// The function, or `?` when the SDK sent none.
    pub function: String,
    /// The module or package (`flask.app`, `sentry_core`).
    pub module: Option<String>,
    /// The file as the SDK names it (relative when it can), else the absolute path.
    pub filename: Option<String>,
    /// The absolute path, when it differs from `filename`.
    pub abs_path: Option<String>,
    /// The line number.
    pub lineno: Option<u64>,
    /// The column.
    pub colno: Option<u64>,
    /// Whether the frame is the application's own code (marked so by the SDK, or
    /// unmarked among frames the SDK marked as library code).
    pub in_app: bool,
    /// Whether the template shows the source and variables open.
    pub expanded: bool,
    /// The instruction address of native frames.
    pub instruction_addr: Option<String>,
    /// Source lines around the failing one.
    pub context: Vec<ContextLine>,
    /// The number of the first context line (for `<ol start>`), when known.
    pub context_start: Option<u64>,
    /// Local variables as `(name, value text)`.
    pub vars: Vec<(String, String)>,
}

impl FrameView {
    /// Whether there is anything to show beneath the frame's heading.
    pub fn has_body(&self) -> bool {
        !self.context.is_empty() || !self.vars.is_empty()
    }
}

/// One line of source context.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextLine {
    /// Its line number, when the frame has one.
    pub number: Option<u64>,
    /// The text as sent.
    pub text: String,
    /// Whether this is the frame's own line (`li.current`).
    pub current: bool,
}

impl StackView {
    /// Reads `{"frames": [...], "frames_omitted": [a, b]}`; `None` without frames.
    pub(crate) fn read(stacktrace: Option<&Value>) -> Option<Self> {
        let stacktrace = stacktrace?;
        let raw: Vec<&Value> = items(stacktrace.get("frames"))
            .iter()
            .rev()
            .filter(|f| f.is_object())
            .collect();
        if raw.is_empty() {
            return None;
        }
        // SDKs that mark only library frames (`in_app: false`, as the Python SDK does)
        // leave the application's unmarked: those count as in-app unless some frame is
        // marked in-app explicitly.
        let marked = |f: &Value| f.get("in_app").and_then(Value::as_bool);
        let any_marked_in_app = raw.iter().any(|f| marked(f) == Some(true));
        let frames: Vec<FrameView> = raw
            .into_iter()
            .map(|f| {
                let mut frame = FrameView::read(f);
                frame.in_app = marked(f).unwrap_or(!any_marked_in_app);
                frame
            })
            .collect();
        let any_in_app = frames.iter().any(|f| f.in_app);
        let frame_count = frames.len();
        let mut groups: Vec<FrameGroup> = Vec::new();
        for mut frame in frames {
            // Without any in-app frame there is nothing to fold towards: show them all.
            let system = any_in_app && !frame.in_app;
            frame.expanded = !system && frame.has_body();
            match groups.last_mut() {
                Some(last) if last.collapsed == system => last.frames.push(frame),
                _ => groups.push(FrameGroup {
                    collapsed: system,
                    frames: vec![frame],
                }),
            }
        }
        let omitted = match stacktrace.get("frames_omitted").and_then(Value::as_array) {
            Some(range) if range.len() == 2 => {
                let (a, b) = (range[0].as_u64(), range[1].as_u64());
                match (a, b) {
                    (Some(a), Some(b)) if b > a => Some(format!(
                        "{} frames in the middle of this stack were dropped at ingest \
                         (frames {a} to {b}, counted from the oldest)",
                        b - a
                    )),
                    _ => None,
                }
            }
            _ => None,
        };
        Some(Self {
            groups,
            frame_count,
            omitted,
        })
    }
}

impl FrameView {
    fn read(frame: &Value) -> Self {
        let filename = field(frame, "filename");
        let abs_path = field(frame, "abs_path");
        let lineno = frame.get("lineno").and_then(Value::as_u64);
        let (context, context_start) = context(frame, lineno);
        let vars = match frame.get("vars") {
            Some(Value::Object(map)) => map.iter().map(|(k, v)| (k.clone(), text(v))).collect(),
            Some(Value::Array(list)) => list
                .iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), text(v)))
                .collect(),
            _ => Vec::new(),
        };
        Self {
            function: field(frame, "function")
                .or_else(|| field(frame, "symbol"))
                .unwrap_or_else(|| "?".to_owned()),
            module: field(frame, "module").or_else(|| field(frame, "package")),
            abs_path: abs_path.clone().filter(|a| filename.as_ref() != Some(a)),
            filename: filename.or(abs_path),
            lineno,
            colno: frame.get("colno").and_then(Value::as_u64),
            in_app: false,
            expanded: false,
            instruction_addr: field(frame, "instruction_addr"),
            context,
            context_start,
            vars,
        }
    }
}

fn lines(frame: &Value, key: &str) -> Vec<String> {
    match frame.get(key) {
        Some(Value::Array(lines)) => lines.iter().map(text).collect(),
        _ => Vec::new(),
    }
}

/// The context lines with numbers (when `lineno` allows) and the current line marked.
fn context(frame: &Value, lineno: Option<u64>) -> (Vec<ContextLine>, Option<u64>) {
    let Some(current) = frame.get("context_line").map(text) else {
        return (Vec::new(), None);
    };
    let pre = lines(frame, "pre_context");
    let post = lines(frame, "post_context");
    let start = lineno.and_then(|n| n.checked_sub(pre.len() as u64));
    let mut out = Vec::with_capacity(pre.len() + 1 + post.len());
    let numbered = |i: usize| start.map(|s| s + i as u64);
    for (i, text) in pre.into_iter().enumerate() {
        out.push(ContextLine {
            number: numbered(i),
            text,
            current: false,
        });
    }
    out.push(ContextLine {
        number: numbered(out.len()),
        text: current,
        current: true,
    });
    for text in post {
        out.push(ContextLine {
            number: numbered(out.len()),
            text,
            current: false,
        });
    }
    (out, start.filter(|s| *s > 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn frame(function: &str, in_app: bool) -> Value {
        json!({"function": function, "in_app": in_app, "filename": "f.py", "lineno": 3})
    }

    #[test]
    fn most_recent_first_with_system_runs_folded() {
        let stack = json!({"frames": [
            frame("main", false), frame("run", true), frame("lib_a", false),
            frame("lib_b", false), frame("handler", true), frame("raise", false),
        ]});
        let view = StackView::read(Some(&stack)).unwrap();
        let shape: Vec<(bool, Vec<&str>)> = view
            .groups
            .iter()
            .map(|g| {
                (
                    g.collapsed,
                    g.frames.iter().map(|f| f.function.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (true, vec!["raise"]),
                (false, vec!["handler"]),
                (true, vec!["lib_b", "lib_a"]),
                (false, vec!["run"]),
                (true, vec!["main"]),
            ]
        );
        assert_eq!(view.frame_count, 6);
    }

    #[test]
    fn unmarked_frames_are_in_app_when_only_library_frames_are_marked() {
        let stack = json!({"frames": [{"function": "lib", "in_app": false}, {"function": "mine"}]});
        let view = StackView::read(Some(&stack)).unwrap();
        assert!(view.groups[0].frames[0].in_app && !view.groups[0].collapsed);
        assert!(view.groups[1].collapsed);
        let stack = json!({"frames": [{"function": "a", "in_app": true}, {"function": "b"}]});
        let view = StackView::read(Some(&stack)).unwrap();
        assert!(
            view.groups[0].collapsed,
            "unmarked beside a marked in-app frame: system"
        );
    }

    #[test]
    fn without_in_app_frames_nothing_is_folded() {
        let stack = json!({"frames": [{"function": "a", "in_app": false}, {"function": "b", "in_app": false}]});
        let view = StackView::read(Some(&stack)).unwrap();
        assert_eq!(view.groups.len(), 1);
        assert_eq!(view.groups[0].frames.len(), 2);
        assert!(!view.groups[0].collapsed);
    }

    #[test]
    fn context_is_numbered_around_the_current_line() {
        let f = json!({"lineno": 10, "context_line": "x = 1/0",
            "pre_context": ["a", "b"], "post_context": ["c"]});
        let (lines, start) = context(&f, Some(10));
        assert_eq!(start, Some(8));
        let numbers: Vec<_> = lines.iter().map(|l| (l.number, l.current)).collect();
        assert_eq!(
            numbers,
            vec![
                (Some(8), false),
                (Some(9), false),
                (Some(10), true),
                (Some(11), false)
            ]
        );
        // A line number smaller than the context: no numbers rather than nonsense.
        let (lines, start) = context(&f, Some(1));
        assert_eq!(start, None);
        assert!(lines.iter().all(|l| l.number.is_none()));
    }

    #[test]
    fn odd_frames_do_not_panic() {
        let stack = json!({"frames": [1, "x", {"lineno": -4, "vars": 3, "pre_context": "x",
            "context_line": 5, "in_app": "yes"}], "frames_omitted": [9, 2]});
        let view = StackView::read(Some(&stack)).unwrap();
        let f = &view.groups[0].frames[0];
        assert_eq!(f.function, "?");
        assert_eq!(f.context.len(), 1);
        assert!(view.omitted.is_none());
        assert!(StackView::read(Some(&json!({"frames": []}))).is_none());
        assert!(StackView::read(Some(&json!(null))).is_none());
    }
}
