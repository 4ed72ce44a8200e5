//! The grouping component of one stack frame: `[module, filename, function,
//! context_line]` with the per-platform rules of Sentry's `newstyle:2023-01-11` config.
//! Line and column numbers never contribute: a group must survive unrelated edits above
//! the crashing line.

use crate::component::Component;
use crate::enhancement::{Family, family};
use errata_protocol::Frame;
use errata_protocol::stacktrace::is_url;
use regex::Regex;
use std::borrow::Cow;
use std::sync::LazyLock;

/// Platforms where the source line itself identifies a frame.
const CONTEXT_LINE_PLATFORMS: [&str; 5] = ["javascript", "node", "python", "php", "ruby"];
/// Context lines longer than this are minified code and do not contribute.
const MAX_CONTEXT_LINE: usize = 120;

/// The frame component. `platform` is the frame's own, else the event's.
pub(crate) fn frame_component<'a>(frame: &'a Frame, platform: &str) -> Component<'a> {
    let fam = family(platform);
    let module = module_component(frame, platform);
    let mut filename = filename_component(frame, platform);
    if module.contributes && !module.is_empty() && filename.contributes && !filename.is_empty() {
        filename.exclude("module takes precedence");
    }
    let context_line = CONTEXT_LINE_PLATFORMS
        .contains(&platform)
        .then(|| context_line_component(frame, platform));
    let context_contributes = context_line
        .as_ref()
        .is_some_and(|c| c.contributes && !c.is_empty());
    let function = function_component(frame, platform, context_contributes);
    // A JavaScript frame that is `eval` or native code says nothing.
    let mut children = vec![module, filename, function];
    children.extend(context_line);
    let mut component = Component::with_children("frame", children);
    if fam == Family::JavaScript {
        let abs_path = frame.abs_path.as_deref().unwrap_or("");
        if frame.function.as_deref() == Some("eval")
            || matches!(
                abs_path,
                "[native code]" | "native code" | "eval code" | "<anonymous>"
            )
        {
            component.exclude("ignored because the frame is eval or native code");
        }
    }
    // Keep the explanation small: absent attributes are not shown.
    component.children.retain(|c| !c.is_empty());
    component
}

static JAVA_ENHANCER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\$\$(?:EnhancerBy|FastClassBy|_javassist|HibernateProxy)[A-Za-z]*\$\$[\w$]+|\$fn__\d+",
    )
    .unwrap_or_else(|e| panic!("built-in pattern: {e}"))
});

fn module_component<'a>(frame: &'a Frame, platform: &str) -> Component<'a> {
    let Some(module) = frame.module.as_deref().filter(|m| !m.is_empty()) else {
        return Component::new("module");
    };
    let mut component = Component::leaf("module", module);
    match family(platform) {
        Family::JavaScript => {
            let abs_path = frame.abs_path.as_deref().unwrap_or("");
            if module.contains('/') && abs_path.ends_with(module) {
                component.exclude("ignored bad javascript module");
            }
        }
        Family::Java => {
            if module.contains("$$Lambda$") {
                component.exclude("ignored java lambda");
            } else if module.starts_with("sun.reflect.GeneratedMethodAccessor")
                || module.starts_with("jdk.internal.reflect.GeneratedMethodAccessor")
            {
                component = Component::leaf("module", "GeneratedMethodAccessor");
                component.set_hint("removed reflection marker");
            } else if JAVA_ENHANCER.is_match(module) {
                component = Component::leaf(
                    "module",
                    JAVA_ENHANCER.replace_all(module, "<auto>").into_owned(),
                );
                component.set_hint("removed codegen marker");
            }
        }
        _ => {}
    }
    component
}

fn filename_component<'a>(frame: &'a Frame, platform: &str) -> Component<'a> {
    let Some(filename) = frame.filename.as_deref().filter(|f| !f.is_empty()) else {
        return Component::new("filename");
    };
    let base = filename
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(filename)
        .to_lowercase();
    let abs_path = frame.abs_path.as_deref().unwrap_or("");
    let mut component = Component::leaf("filename", base.clone());
    if is_url(abs_path) && family(platform) == Family::JavaScript {
        component.exclude("ignored because frame points to a URL");
    } else if base == "<anonymous>" {
        component.exclude("anonymous filename discarded");
    } else if base == "[native code]" {
        component.exclude("native code indicated by filename");
    } else if family(platform) == Family::Java && base.contains("$$_javassist") {
        component = Component::leaf(
            "filename",
            JAVA_ENHANCER.replace_all(&base, "<auto>").into_owned(),
        );
    }
    component
}

fn function_component<'a>(
    frame: &'a Frame,
    platform: &str,
    context_line_contributes: bool,
) -> Component<'a> {
    let prefer_raw = platform == "csharp";
    let raw = frame.raw_function.as_deref().filter(|f| !f.is_empty());
    let plain = frame.function.as_deref().filter(|f| !f.is_empty());
    let name: Option<Cow<'a, str>> = if prefer_raw {
        raw.or(plain).map(Cow::Borrowed)
    } else if raw.is_none() {
        plain.map(|f| Cow::Borrowed(trim_function_name(f, platform)))
    } else {
        plain.or(raw).map(Cow::Borrowed)
    };
    let Some(mut name) = name else {
        return Component::new("function");
    };
    let fam = family(platform);
    let mut hint = None;
    let mut contributes = true;
    match (platform, fam) {
        ("ruby", _) => {
            if name.starts_with("block ") {
                name = Cow::Borrowed("block");
                hint = Some("ruby block");
            }
            if let Some(stripped) = strip_erb_suffix(&name) {
                name = Cow::Owned(stripped);
                hint = Some("removed generated erb template suffix");
            }
        }
        ("php", _) if name.starts_with("class@anonymous") => {
            contributes = false;
            hint = Some("ignored anonymous function");
        }
        (_, Family::Java) if name.starts_with("lambda$") => {
            contributes = false;
            hint = Some("ignored lambda function");
        }
        (_, Family::Native) if name == "<redacted>" || name == "<unknown>" => {
            contributes = false;
            hint = Some("ignored unknown function name");
        }
        (_, Family::JavaScript) => {
            if let Cow::Borrowed(full) = name
                && let Some(dot) = full.rfind('.')
            {
                name = Cow::Borrowed(&full[dot + 1..]);
            }
            let sourcemapped = frame
                .data
                .as_ref()
                .is_some_and(|d| d.contains_key("sourcemap"));
            if name == "?"
                || name == "<anonymous>"
                || name == "Anonymous function"
                || name.ends_with("/<")
            {
                contributes = false;
                hint = Some("ignored unknown function name");
            } else if sourcemapped && context_line_contributes {
                contributes = false;
                hint = Some("ignored because sourcemap used and context line available");
            }
        }
        _ => {}
    }
    let mut component = Component::leaf("function", name);
    match (contributes, hint) {
        (false, Some(h)) => component.exclude(h),
        (true, Some(h)) => component.set_hint(h),
        _ => {}
    }
    component
}

fn strip_erb_suffix(name: &str) -> Option<String> {
    static ERB: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"__\d{4,}_\d{4,}").unwrap_or_else(|e| panic!("built-in pattern: {e}"))
    });
    ERB.is_match(name)
        .then(|| ERB.replace_all(name, "").into_owned())
}

/// Native function names carry noise that changes between builds: argument lists,
/// symbol hashes, offsets. Keep the path and name only.
pub(crate) fn trim_function_name<'a>(function: &'a str, platform: &str) -> &'a str {
    if family(platform) != Family::Native || function.starts_with('[') {
        return function;
    }
    let mut name = function.trim();
    // `foo + 0x1c` offsets.
    if name.contains('+')
        && let Some((head, _)) = name.split_once(" + ")
    {
        name = head;
    }
    // Rust legacy symbol hashes: `::h0123456789abcdef`.
    if name.len() > 19 {
        let (head, tail) = name.split_at(name.len() - 19);
        if tail.starts_with("::h") && tail.as_bytes()[3..].iter().all(u8::is_ascii_hexdigit) {
            name = head;
        }
    }
    // C/C++ argument lists: `ns::f(int, char*) const`.
    if name.ends_with(')') || name.ends_with(") const") {
        match top_level_paren(name) {
            Some(open) => &name[..open],
            None => name,
        }
    } else {
        name
    }
}

/// The index of the `(` that opens the trailing top-level argument list.
fn top_level_paren(name: &str) -> Option<usize> {
    let mut depth = 0i32;
    let mut angle = 0i32;
    let mut last = None;
    for (i, c) in name.char_indices() {
        match c {
            '<' => angle += 1,
            '>' => angle -= 1,
            '(' => {
                if depth == 0 && angle == 0 {
                    last = Some(i);
                }
                depth += 1;
            }
            ')' => depth -= 1,
            _ => {}
        }
    }
    last.filter(|&i| i > 0)
}

fn context_line_component<'a>(frame: &'a Frame, platform: &str) -> Component<'a> {
    let Some(line) = frame.context_line.as_deref() else {
        return Component::new("context-line");
    };
    let collapsed = collapse_whitespace(line);
    if collapsed.is_empty() {
        return Component::new("context-line");
    }
    let mut component = Component::leaf("context-line", collapsed.clone());
    if collapsed.len() > MAX_CONTEXT_LINE {
        component.exclude("discarded because line too long");
    } else if family(platform) == Family::JavaScript
        && frame.function.is_none()
        && frame.abs_path.as_deref().is_some_and(is_url)
    {
        component.exclude("discarded because from URL origin");
    }
    component
}

/// Whitespace runs become one space and the ends are trimmed; borrowed when the line is
/// already in that form (the common case).
fn collapse_whitespace(line: &str) -> Cow<'_, str> {
    let trimmed = line.trim();
    let mut previous_space = false;
    let clean = trimmed.chars().all(|c| {
        let ok = c == ' ' && !previous_space || !c.is_whitespace();
        previous_space = c == ' ';
        ok
    });
    if clean {
        Cow::Borrowed(trimmed)
    } else {
        Cow::Owned(trimmed.split_whitespace().collect::<Vec<_>>().join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::needless_pass_by_value, reason = "test helper reads literals")]
    fn frame(json: serde_json::Value) -> Frame {
        let event = errata_protocol::normalize_value(
            serde_json::json!({"stacktrace": {"frames": [json]}}),
            &errata_protocol::NormalizeContext::new(1.0e9),
        )
        .unwrap();
        event.stacktrace.unwrap().frames.remove(0)
    }

    fn values<'c>(c: &'c Component<'_>) -> Vec<&'c str> {
        c.contributing_values()
    }

    #[test]
    fn python_uses_module_function_and_context_line() {
        let f = frame(serde_json::json!({
            "filename": "app.py", "abs_path": "/srv/app.py", "module": "__main__",
            "function": "load", "lineno": 3, "context_line": "    return  orders[id]"
        }));
        let mut c = frame_component(&f, "python");
        c.settle();
        assert_eq!(values(&c), ["__main__", "load", "return orders[id]"]);
    }

    #[test]
    fn other_platforms_use_basename_and_function() {
        let f = frame(
            serde_json::json!({"function": "bar", "abs_path": "foo.py", "lineno": 1, "filename": "foo.py"}),
        );
        let mut c = frame_component(&f, "other");
        c.settle();
        assert_eq!(values(&c), ["foo.py", "bar"]);
        assert_eq!(
            c.hash().as_deref(),
            Some("fb73cb54ced59b1c0c60d9bb40b7336b")
        );
    }

    #[test]
    fn javascript_rules() {
        let f = frame(serde_json::json!({
            "abs_path": "https://shop.example/app.js", "function": "Shop.checkout",
            "context_line": "x()"
        }));
        let mut c = frame_component(&f, "javascript");
        c.settle();
        assert_eq!(values(&c), ["checkout", "x()"]);
        let f = frame(
            serde_json::json!({"abs_path": "https://shop.example/app.js", "function": "<anonymous>"}),
        );
        let mut c = frame_component(&f, "javascript");
        assert!(!c.settle());
    }

    #[test]
    fn native_names_are_trimmed() {
        assert_eq!(
            trim_function_name("shop::orders::load::h0123456789abcdef", "native"),
            "shop::orders::load"
        );
        assert_eq!(
            trim_function_name("ns::f(int, char*) const", "native"),
            "ns::f"
        );
        assert_eq!(trim_function_name("main + 0x1c", "native"), "main");
        assert_eq!(trim_function_name("f(x)", "python"), "f(x)");
        assert_eq!(collapse_whitespace("  a  b\tc "), "a b c");
        assert!(matches!(collapse_whitespace(" a b "), Cow::Borrowed("a b")));
    }

    #[test]
    fn java_lambdas_and_codegen() {
        let f = frame(
            serde_json::json!({"module": "com.x.Svc$$EnhancerBySpringCGLIB$$abc123", "function": "lambda$run$0"}),
        );
        let mut c = frame_component(&f, "java");
        c.settle();
        assert_eq!(values(&c), ["com.x.Svc<auto>"]);
    }
}
