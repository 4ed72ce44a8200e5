//! Stack traces and frames: reading every shape SDKs send, and the normalization the UI
//! and grouping rely on (filenames from `abs_path`, `?` functions removed, context
//! defaults, and trimming of huge stacks to the 50 oldest plus 200 newest frames).

use crate::databag::{self, CONTEXT, FRAME_VARS};
use crate::list::{self, Keep};
use crate::meta::{ErrorKind, Meta, Path};
use crate::wire::{self, Items, Loose, Nested, wire_object};
use serde::Serialize;
use serde_json::{Map, Value};

/// Longest `function` kept.
const MAX_FUNCTION: usize = 512;
/// Longest `filename` or `abs_path` kept.
const MAX_PATH: usize = 256;
/// Longest module or package kept.
const MAX_MODULE: usize = 256;
/// Longest source line kept in context.
const MAX_CONTEXT_LINE: usize = 1024;
/// Stacks longer than this are cut to [`KEEP_OLDEST`] + [`KEEP_NEWEST`] frames.
pub const MAX_FRAMES: usize = 250;
/// Oldest frames kept when a stack is cut (the bottom: `main`, the thread start).
pub const KEEP_OLDEST: usize = 50;
/// Newest frames kept when a stack is cut (the top: where it crashed).
pub const KEEP_NEWEST: usize = 200;
/// Most source lines kept before the frame's line (the nearest) and after it (the
/// nearest); SDKs send 5 to 7.
pub const MAX_CONTEXT_LINES: usize = 25;
/// At most this many frames keep their `vars` and source context.
const MAX_FRAMES_WITH_DATA: usize = 50;

/// A stack trace, frames ordered oldest to newest (the crashing frame is last).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stacktrace {
    /// The frames, oldest first.
    pub frames: Vec<Frame>,
    /// When frames were cut: the index where the cut starts and the index where it ends,
    /// in the original stack (as Sentry's `frames_omitted`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frames_omitted: Option<[usize; 2]>,
    /// CPU registers at the time of the crash (native).
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub registers: Map<String, Value>,
    /// The language of the frames, where the SDK says so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// Whether this is a snapshot of a thread rather than a crash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<bool>,
}

/// One stack frame.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[allow(
    missing_docs,
    reason = "the fields are Sentry's frame attributes, named as on the wire"
)]
pub struct Frame {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abs_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_function: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lineno: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub colno: Option<u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pre_context: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_line: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub post_context: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_app: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vars: Option<Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instruction_addr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_addr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol_addr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addr_mode: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Map<String, Value>>,
}

wire_object!(
    /// A stack trace as sent.
    WireStacktrace<'a> {
        frames: "frames" => Items<'a>,
        registers: "registers" => Loose<'a>,
        lang: "lang" => Loose<'a>,
        snapshot: "snapshot" => Loose<'a>,
    }
);

wire_object!(
    /// A frame as sent.
    WireFrame<'a> {
        filename: "filename" => Loose<'a>,
        abs_path: "abs_path" => Loose<'a>,
        module: "module" => Loose<'a>,
        package: "package" => Loose<'a>,
        platform: "platform" => Loose<'a>,
        function: "function" => Loose<'a>,
        raw_function: "raw_function" => Loose<'a>,
        symbol: "symbol" => Loose<'a>,
        context_line: "context_line" => Loose<'a>,
        addr_mode: "addr_mode" => Loose<'a>,
        instruction_addr: "instruction_addr" => Loose<'a>,
        image_addr: "image_addr" => Loose<'a>,
        symbol_addr: "symbol_addr" => Loose<'a>,
        lineno: "lineno" => Loose<'a>,
        colno: "colno" => Loose<'a>,
        in_app: "in_app" => Loose<'a>,
        pre_context: "pre_context" => Items<'a>,
        post_context: "post_context" => Items<'a>,
        data: "data" => Loose<'a>,
        vars: "vars" => Loose<'a>,
    }
);

impl Stacktrace {
    /// Reads a stack trace object; `None` when it has no usable frames.
    pub(crate) fn read(
        value: Nested<'_, WireStacktrace<'_>>,
        path: &Path<'_>,
        meta: &mut Meta,
    ) -> Option<Self> {
        let wire = value.into_object(path, meta)?;
        let frames_path = path.key("frames");
        // The frames in the middle of a huge stack are dropped unread.
        let (mut frames, total) = list::array_counted(
            wire.frames,
            &frames_path,
            meta,
            Keep::Ends(KEEP_OLDEST, KEEP_NEWEST),
            Frame::read,
        );
        let registers_path = path.key("registers");
        let mut stack = Stacktrace {
            frames: Vec::new(),
            frames_omitted: None,
            registers: databag::trim_map(
                wire::bag(wire.registers, &registers_path, meta).unwrap_or_default(),
                CONTEXT,
                &registers_path,
                meta,
            ),
            lang: wire::string(wire.lang, &path.key("lang"), meta),
            snapshot: wire::boolean(wire.snapshot, &path.key("snapshot"), meta),
        };
        if total > MAX_FRAMES {
            stack.frames_omitted = Some([KEEP_OLDEST, total - KEEP_NEWEST]);
        }
        slim_frame_data(&mut frames, &frames_path, meta);
        stack.frames = frames;
        if stack.frames.is_empty() {
            None
        } else {
            Some(stack)
        }
    }
}

impl Frame {
    /// Reads and normalizes one frame.
    pub(crate) fn read(value: Loose<'_>, path: &Path<'_>, meta: &mut Meta) -> Option<Self> {
        let wire: WireFrame<'_> = wire::object(value, path, meta)?;
        let field = |value: Loose<'_>, name: &str, max: usize, meta: &mut Meta| {
            wire::bounded_string(value, max, &path.key(name), meta)
        };
        let mut frame = Frame {
            filename: field(wire.filename, "filename", MAX_PATH, meta),
            abs_path: field(wire.abs_path, "abs_path", MAX_PATH, meta),
            module: field(wire.module, "module", MAX_MODULE, meta),
            package: field(wire.package, "package", MAX_MODULE, meta),
            platform: field(wire.platform, "platform", 64, meta),
            function: field(wire.function, "function", MAX_FUNCTION, meta),
            raw_function: field(wire.raw_function, "raw_function", MAX_FUNCTION, meta),
            symbol: field(wire.symbol, "symbol", MAX_FUNCTION, meta),
            context_line: field(wire.context_line, "context_line", MAX_CONTEXT_LINE, meta),
            addr_mode: field(wire.addr_mode, "addr_mode", 64, meta),
            instruction_addr: address(wire.instruction_addr, path, meta),
            image_addr: address(wire.image_addr, path, meta),
            symbol_addr: address(wire.symbol_addr, path, meta),
            ..Frame::default()
        };
        frame.lineno = wire::uint(wire.lineno, &path.key("lineno"), meta);
        frame.colno = wire::uint(wire.colno, &path.key("colno"), meta);
        frame.in_app = wire::boolean(wire.in_app, &path.key("in_app"), meta);
        frame.pre_context = context(
            wire.pre_context,
            &path.key("pre_context"),
            meta,
            Keep::Last(MAX_CONTEXT_LINES),
        );
        frame.post_context = context(
            wire.post_context,
            &path.key("post_context"),
            meta,
            Keep::First(MAX_CONTEXT_LINES),
        );
        frame.data = wire::bag(wire.data, &path.key("data"), meta)
            .map(|data| databag::trim_map(data, FRAME_VARS, &path.key("data"), meta));
        frame.vars = vars(wire.vars.into_value(meta), &path.key("vars"), meta);
        frame.normalize();
        Some(frame)
    }

    /// Relay's frame normalization: fill `abs_path`/`filename` from each other (a URL
    /// becomes its path), drop `?` names, default `context_line` when context exists.
    fn normalize(&mut self) {
        if self.abs_path.is_none() {
            self.abs_path.clone_from(&self.filename);
        }
        if self.filename.is_none()
            && let Some(abs_path) = &self.abs_path
        {
            self.filename = Some(url_path(abs_path).to_owned());
        }
        if self.function.as_deref() == Some("?") {
            self.function = None;
        }
        if self.symbol.as_deref() == Some("?") {
            self.symbol = None;
        }
        if self.context_line.is_none()
            && (!self.pre_context.is_empty() || !self.post_context.is_empty())
        {
            self.context_line = Some(String::new());
        }
    }

    fn has_data(&self) -> bool {
        self.vars.is_some()
            || !self.pre_context.is_empty()
            || !self.post_context.is_empty()
            || self.context_line.is_some()
    }

    fn strip_data(&mut self) {
        self.vars = None;
        self.pre_context.clear();
        self.post_context.clear();
        self.context_line = None;
    }
}

/// The path part of a URL (`http://x.com/a.js?v=1` -> `/a.js`); other strings unchanged.
pub(crate) fn url_path(abs_path: &str) -> &str {
    for scheme in ["http://", "https://", "file://", "applewebdata://"] {
        if let Some(rest) = strip_prefix_ignore_case(abs_path, scheme) {
            let path = rest.find('/').map_or("/", |i| &rest[i..]);
            let end = path.find(['?', '#']).unwrap_or(path.len());
            return &path[..end];
        }
    }
    abs_path
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Whether `abs_path` is a URL (grouping ignores filenames of frames loaded from URLs).
pub fn is_url(abs_path: &str) -> bool {
    url_path(abs_path).len() != abs_path.len()
        || ["http:", "https:", "file:", "applewebdata:"]
            .iter()
            .any(|s| strip_prefix_ignore_case(abs_path, s).is_some())
}

/// Beyond [`MAX_FRAMES_WITH_DATA`] frames, removes vars and context from the frames in
/// the middle of the stack, system frames first, keeping the ends (where the crash and
/// the entry point are) intact.
fn slim_frame_data(frames: &mut [Frame], path: &Path<'_>, meta: &mut Meta) {
    let with_data = frames.iter().filter(|f| f.has_data()).count();
    if with_data <= MAX_FRAMES_WITH_DATA {
        return;
    }
    let mut excess = with_data - MAX_FRAMES_WITH_DATA;
    let len = frames.len();
    let edge = MAX_FRAMES_WITH_DATA / 2;
    // Middle frames ordered from the centre outward, so the ends keep their data longest.
    let mut middle: Vec<usize> = (edge.min(len)..len.saturating_sub(edge)).collect();
    let centre = len / 2;
    middle.sort_by_key(|&i| i.abs_diff(centre));
    for in_app_pass in [false, true] {
        for &i in &middle {
            if excess == 0 {
                break;
            }
            let frame = &mut frames[i];
            if frame.in_app.unwrap_or(false) == in_app_pass && frame.has_data() {
                frame.strip_data();
                excess -= 1;
            }
        }
    }
    let stripped = with_data - MAX_FRAMES_WITH_DATA - excess;
    meta.push(
        ErrorKind::Trimmed,
        path,
        format!("vars and source context were removed from {stripped} frames"),
    );
}

/// Source context lines: strings, with `null` read as an empty line.
fn context(value: Items<'_>, path: &Path<'_>, meta: &mut Meta, keep: Keep) -> Vec<String> {
    list::array(value, path, meta, keep, |line, p, m| match line {
        Loose::Null => Some(String::new()),
        other => wire::bounded_string(other, MAX_CONTEXT_LINE, p, m),
    })
}

/// Frame variables: an object, or a list read as `{"0": ..., "1": ...}`; trimmed.
fn vars(value: Value, path: &Path<'_>, meta: &mut Meta) -> Option<Map<String, Value>> {
    let mut map = match value {
        Value::Null => return None,
        Value::Object(map) => map,
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        other => {
            meta.invalid(path, "expected an object", &other);
            return None;
        }
    };
    Some(databag::trim_map(
        std::mem::take(&mut map),
        FRAME_VARS,
        path,
        meta,
    ))
}

/// A native address: a hex string kept as is, or a number written as hex.
fn address(value: Loose<'_>, path: &Path<'_>, meta: &mut Meta) -> Option<String> {
    match value.into_value(meta) {
        Value::Null => None,
        Value::String(s) => Some(s),
        Value::Number(n) if n.as_u64().is_some() => n.as_u64().map(|a| format!("{a:#x}")),
        other => {
            meta.invalid(path, "expected an address", &other);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[allow(
        clippy::needless_pass_by_value,
        reason = "the tests pass `json!` literals"
    )]
    fn read(v: Value) -> (Option<Stacktrace>, Vec<crate::meta::ProcessingError>) {
        let mut meta = Meta::default();
        let text = v.to_string();
        let st = Stacktrace::read(
            Nested::from_loose(serde_json::from_str(&text).unwrap(), &mut meta),
            &Path::Root.key("stacktrace"),
            &mut meta,
        );
        (st, meta.into_errors())
    }

    #[test]
    fn filename_comes_from_the_url_path() {
        let (st, _) = read(json!({"frames": [
            {"abs_path": "https://shop.example/static/app.js?v=3", "function": "?"},
            {"filename": "app.py", "function": "main", "lineno": "12"},
        ]}));
        let frames = st.unwrap().frames;
        assert_eq!(frames[0].filename.as_deref(), Some("/static/app.js"));
        assert_eq!(frames[0].function, None);
        assert_eq!(frames[1].abs_path.as_deref(), Some("app.py"));
        assert_eq!(frames[1].lineno, Some(12));
    }

    #[test]
    fn context_defaults_and_nulls() {
        let (st, _) = read(json!({"frames": [{"pre_context": ["a", null], "vars": [1, 2]}]}));
        let frame = &st.unwrap().frames[0];
        assert_eq!(frame.pre_context, vec!["a".to_owned(), String::new()]);
        assert_eq!(frame.context_line.as_deref(), Some(""));
        assert_eq!(frame.vars.as_ref().unwrap().get("1"), Some(&json!(2)));
    }

    #[test]
    fn bad_fields_are_dropped_not_fatal() {
        let (st, errors) = read(json!({"frames": [
            {"function": "f", "lineno": "twelve", "in_app": "maybe", "vars": 3},
            "not a frame",
        ]}));
        let frames = st.unwrap().frames;
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].function.as_deref(), Some("f"));
        let names: Vec<_> = errors.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "stacktrace.frames.0.lineno",
                "stacktrace.frames.0.in_app",
                "stacktrace.frames.0.vars",
                "stacktrace.frames.1"
            ]
        );
    }

    #[test]
    fn huge_stacks_keep_the_oldest_and_newest_frames() {
        let frames: Vec<Value> = (0..100_000)
            .map(
                |i| json!({"function": format!("f{i}"), "context_line": "x", "in_app": i % 2 == 0}),
            )
            .collect();
        let (st, errors) = read(json!({ "frames": frames }));
        let st = st.unwrap();
        assert_eq!(st.frames.len(), KEEP_OLDEST + KEEP_NEWEST);
        assert_eq!(st.frames[0].function.as_deref(), Some("f0"));
        assert_eq!(st.frames[KEEP_OLDEST - 1].function.as_deref(), Some("f49"));
        assert_eq!(st.frames[KEEP_OLDEST].function.as_deref(), Some("f99800"));
        assert_eq!(
            st.frames.last().unwrap().function.as_deref(),
            Some("f99999")
        );
        assert_eq!(st.frames_omitted, Some([50, 99_800]));
        assert_eq!(
            st.frames.iter().filter(|f| f.has_data()).count(),
            MAX_FRAMES_WITH_DATA
        );
        // The crashing end keeps its context.
        assert!(st.frames.last().unwrap().has_data());
        assert!(st.frames[0].has_data());
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn urls() {
        assert_eq!(url_path("http://x.com/a.js"), "/a.js");
        assert_eq!(url_path("HTTPS://x.com"), "/");
        assert_eq!(url_path("/srv/app.py"), "/srv/app.py");
        assert!(is_url("http://x.com/a.js"));
        assert!(!is_url("/srv/app.py"));
    }

    #[test]
    fn frame_fields_of_every_shape() {
        let (st, errors) = read(json!({"frames": [
            {"function": 7, "filename": true, "module": null, "lineno": 1.0,
             "colno": -3, "in_app": "True", "instruction_addr": 4096,
             "image_addr": [1], "pre_context": "x", "post_context": [null, 2, ["y"]],
             "data": [], "vars": null, "unknown": {"deep": [1, {"x": null}]}},
            null,
            {"function": {"name": "f"}, "abs_path": "https://x.example/app.js"},
        ]}));
        let frames = st.unwrap().frames;
        assert_eq!(frames.len(), 2);
        let f = &frames[0];
        assert_eq!(f.function.as_deref(), Some("7"));
        assert_eq!(f.filename.as_deref(), Some("true"));
        assert_eq!(f.abs_path.as_deref(), Some("true"));
        assert_eq!((f.lineno, f.colno, f.in_app), (Some(1), None, Some(true)));
        assert_eq!(f.instruction_addr.as_deref(), Some("0x1000"));
        assert_eq!(f.image_addr, None);
        assert_eq!(f.post_context, ["", "2"]);
        assert_eq!(frames[1].filename.as_deref(), Some("/app.js"));
        let names: Vec<_> = errors
            .iter()
            .map(|e| (e.name.as_str(), e.value.clone()))
            .collect();
        assert_eq!(
            names,
            [
                ("stacktrace.frames.0", Some(json!([1]))),
                ("stacktrace.frames.0.colno", Some(json!(-3))),
                ("stacktrace.frames.0.pre_context", Some(json!("x"))),
                ("stacktrace.frames.0.post_context.2", Some(json!(["y"]))),
                ("stacktrace.frames.0.data", Some(json!([]))),
                ("stacktrace.frames.2.function", Some(json!({"name": "f"}))),
            ]
        );
    }

    #[test]
    fn escaped_strings_are_decoded() {
        let text = r#"{"frames": [{"function": "a\"b\u00e9", "context_line": "\tx\n",
            "pre_context": ["\/", "plain"], "\u0066ilename": "f.py"}]}"#;
        let mut meta = Meta::default();
        let st = Stacktrace::read(
            Nested::from_loose(serde_json::from_str(text).unwrap(), &mut meta),
            &Path::Root,
            &mut meta,
        );
        let frame = &st.unwrap().frames[0];
        assert_eq!(frame.function.as_deref(), Some("a\"b\u{e9}"));
        assert_eq!(frame.context_line.as_deref(), Some("\tx\n"));
        assert_eq!(frame.pre_context, ["/", "plain"]);
        assert_eq!(frame.filename.as_deref(), Some("f.py"));
        assert!(meta.into_errors().is_empty());
    }

    #[test]
    fn context_lines_are_cut_to_the_nearest() {
        let lines: Vec<String> = (0..100).map(|i| format!("l{i}")).collect();
        let (st, errors) = read(json!({"frames": [{"pre_context": lines, "post_context": lines}]}));
        let frame = &st.unwrap().frames[0];
        assert_eq!(frame.pre_context.len(), MAX_CONTEXT_LINES);
        assert_eq!(frame.pre_context[0], "l75");
        assert_eq!(frame.post_context.last().map(String::as_str), Some("l24"));
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn stacks_of_the_wrong_shape() {
        for bad in [json!("frames"), json!([]), json!({"frames": {"a": 1}})] {
            let (st, errors) = read(bad.clone());
            assert!(st.is_none(), "{bad}");
            assert_eq!(errors.len(), 1, "{bad}");
        }
        let (st, errors) = read(json!({"frames": [], "registers": {"rip": 1}}));
        assert!(st.is_none() && errors.is_empty());
        let (st, errors) = read(json!({"frames": [{}], "registers": 3, "lang": 1, "snapshot": 2}));
        let st = st.unwrap();
        assert_eq!((st.lang.as_deref(), st.snapshot), (Some("1"), None));
        assert_eq!(errors.len(), 2);
    }
}
