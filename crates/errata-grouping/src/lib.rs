//! Grouping: turns one normalized [`errata_protocol::Event`] into the hashes that decide
//! which issue it belongs to, plus the issue's title, culprit and metadata, and an
//! explanation of which values contributed and why others did not.
//!
//! The rules follow Sentry's `newstyle:2023-01-11` configuration: the exception chain
//! (type and in-app frames: module or file, function, and on script platforms the
//! source line; never line numbers), else the crashed thread's stack, else the event's
//! stack, else the parameterized log template; custom fingerprints override. Each
//! applicable *variant* (`app`: in-app frames only; `system`: all frames; `default`:
//! message) gives one hash. An event joins the issue of the first of its hashes that is
//! already known.
//!
//! Pure: no IO, no clock, no randomness.
//!
//! ```
//! use errata_protocol::{NormalizeContext, normalize};
//! let payload = br#"{"exception": {"values": [{"type": "KeyError", "value": "'A-17'",
//!     "stacktrace": {"frames": [{"module": "shop", "function": "load", "in_app": true}]}}]},
//!     "platform": "python"}"#;
//! let event = normalize(payload, &NormalizeContext::new(1.8e9)).unwrap();
//! let grouping = errata_grouping::group(&event);
//! assert_eq!(grouping.title, "KeyError: 'A-17'");
//! assert_eq!(grouping.culprit, "shop in load");
//! assert_eq!(grouping.hashes.len(), 1); // the app and system variants agree
//!
//! // The explanation (component trees) is built only on request, off the hot path.
//! let explained = errata_grouping::group_with_explanation(&event);
//! assert_eq!(explained.hashes, grouping.hashes);
//! assert!(explained.render_explanation().contains(r#"function* "load""#));
//! ```

mod component;
mod enhancement;
mod exception;
mod explain;
mod fingerprint;
mod frame;
mod message;
mod metadata;
pub mod parameterize;
mod stacktrace;

pub use component::{Component, hash_values};
pub use metadata::Metadata;

use errata_protocol::Event;
use exception::{ExceptionOptions, chained_exception};
use fingerprint::Kind;
use serde::Serialize;
use stacktrace::stacktrace_components;

/// The grouping configuration Errata implements.
pub const CONFIG_ID: &str = "newstyle:2023-01-11";

/// The result of grouping one event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grouping {
    /// The configuration used.
    pub config: &'static str,
    /// The contributing variants' hashes, most specific first, `system` last, no repeats.
    /// The event belongs to the issue of the first hash already known.
    pub hashes: Vec<String>,
    /// Every variant, contributing or not.
    pub variants: Vec<Variant>,
    /// The issue title, such as `ValueError: order A-17 could not be loaded`.
    pub title: String,
    /// Where it happened, such as `__main__ in load_order` (may be empty).
    pub culprit: String,
    /// The exception type and value, crashing file and function, message title.
    pub metadata: Metadata,
}

/// One way of hashing the event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Variant {
    /// `app`, `system`, `default`, `custom-fingerprint`, `checksum` or `fallback`.
    pub name: &'static str,
    /// What this variant looks at, in words.
    pub description: String,
    /// The hash, when the variant contributes.
    pub hash: Option<String>,
    /// Whether the hash is used for grouping.
    pub contributes: bool,
    /// Why it does not contribute, when it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The values considered, as a tree (only from [`group_with_explanation`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub component: Option<Component<'static>>,
    /// Resolved fingerprint values mixed into the hash.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fingerprint: Vec<String>,
}

/// Options of the grouping algorithm.
#[derive(Debug, Clone, Copy)]
pub struct GroupingOptions {
    /// Hash exception parts in the 2023 order `[stacktrace, type, value]` (default), or
    /// in the newer `[type, value, stacktrace]` order. Changing it changes every hash.
    pub legacy_exception_order: bool,
}

impl Default for GroupingOptions {
    fn default() -> Self {
        Self {
            legacy_exception_order: true,
        }
    }
}

/// Groups `event` with the default options (the ingest hot path: no explanation trees).
pub fn group(event: &Event) -> Grouping {
    compute(event, GroupingOptions::default(), false)
}

/// Groups `event` with `options`.
pub fn group_with(event: &Event, options: GroupingOptions) -> Grouping {
    compute(event, options, false)
}

/// Groups `event` and keeps every variant's component tree, for the UI's "why are these
/// events grouped together" (the hashes are the same as [`group`]'s).
pub fn group_with_explanation(event: &Event) -> Grouping {
    compute(event, GroupingOptions::default(), true)
}

/// A variant while it is computed: its tree still borrows from the event.
struct Draft<'a> {
    variant: Variant,
    tree: Option<Component<'a>>,
}

impl Draft<'_> {
    fn without_tree(variant: Variant) -> Self {
        Self {
            variant,
            tree: None,
        }
    }

    fn finish(self, keep_tree: bool) -> Variant {
        let mut variant = self.variant;
        if keep_tree {
            variant.component = self.tree.map(Component::into_owned);
        }
        variant
    }
}

fn compute(event: &Event, options: GroupingOptions, keep_trees: bool) -> Grouping {
    let mut drafts = builtin_variants(event, options);
    apply_fingerprint(event, &mut drafts);
    apply_checksum(event, &mut drafts);
    if !drafts.iter().any(|d| d.variant.contributes) {
        drafts.push(Draft::without_tree(Variant {
            name: "fallback",
            description: "no grouping information".into(),
            hash: Some(hash_values([])),
            contributes: true,
            hint: Some(
                "the event has no exception, stack trace or message: all such events share one issue"
                    .into(),
            ),
            component: None,
            fingerprint: Vec::new(),
        }));
    }
    let variants: Vec<Variant> = drafts.into_iter().map(|d| d.finish(keep_trees)).collect();
    let mut hashes: Vec<String> = Vec::new();
    let ordered = variants
        .iter()
        .filter(|v| v.name != "system")
        .chain(variants.iter().filter(|v| v.name == "system"));
    for variant in ordered.filter(|v| v.contributes) {
        if let Some(hash) = &variant.hash
            && !hashes.contains(hash)
        {
            hashes.push(hash.clone());
        }
    }
    let (title, culprit, metadata) = metadata::describe(event);
    Grouping {
        config: CONFIG_ID,
        hashes,
        variants,
        title,
        culprit,
        metadata,
    }
}

/// Applies a custom or hybrid fingerprint to the built-in variants.
fn apply_fingerprint(event: &Event, drafts: &mut Vec<Draft<'_>>) {
    match fingerprint::classify(event) {
        Kind::Builtin => {}
        Kind::Hybrid(salt) => {
            for draft in drafts.iter_mut().filter(|d| d.variant.contributes) {
                let variant = &mut draft.variant;
                variant.hash = draft.tree.as_ref().map(|t| t.hash_with(&salt));
                variant.fingerprint.clone_from(&salt);
                variant.description.push_str(" and custom fingerprint");
            }
        }
        Kind::Custom(values) => {
            exclude_all(
                drafts,
                "ignored because a custom fingerprint takes precedence",
            );
            drafts.insert(
                0,
                Draft::without_tree(Variant {
                    name: "custom-fingerprint",
                    description: "custom fingerprint".into(),
                    hash: Some(hash_values(values.iter().map(String::as_str))),
                    contributes: true,
                    hint: None,
                    component: None,
                    fingerprint: values,
                }),
            );
        }
    }
}

/// A legacy `checksum` sent by the SDK replaces every other hash.
fn apply_checksum(event: &Event, drafts: &mut Vec<Draft<'_>>) {
    let Some(checksum) = event
        .other
        .get("checksum")
        .and_then(serde_json::Value::as_str)
    else {
        return;
    };
    let is_md5 = checksum.len() == 32 && checksum.bytes().all(|b| b.is_ascii_hexdigit());
    let hash = if is_md5 {
        checksum.to_ascii_lowercase()
    } else {
        hash_values([checksum])
    };
    exclude_all(
        drafts,
        "ignored because the legacy checksum takes precedence",
    );
    drafts.insert(
        0,
        Draft::without_tree(Variant {
            name: "checksum",
            description: "legacy checksum sent by the SDK".into(),
            hash: Some(hash),
            contributes: true,
            hint: None,
            component: None,
            fingerprint: Vec::new(),
        }),
    );
}

fn exclude_all(drafts: &mut [Draft<'_>], hint: &str) {
    for draft in drafts.iter_mut().filter(|d| d.variant.contributes) {
        draft.variant.contributes = false;
        draft.variant.hint = Some(hint.to_owned());
    }
}

/// A strategy's output: variant name, what it looks at, and its component.
type StrategyOutput<'a> = Vec<(&'static str, &'static str, Component<'a>)>;

/// The built-in strategies in precedence order; the first that contributes wins and the
/// others are kept, excluded, for the explanation.
fn builtin_variants(event: &Event, options: GroupingOptions) -> Vec<Draft<'_>> {
    let platform = event.platform.as_str();
    let exception_options = ExceptionOptions {
        legacy_order: options.legacy_exception_order,
    };
    let mut strategies: Vec<(&'static str, StrategyOutput<'_>)> = Vec::new();
    if !event.exception.is_empty() {
        let parts = chained_exception(&event.exception.values, platform, exception_options);
        strategies.push((
            "exception",
            parts
                .into_iter()
                .map(|(name, c)| (name, describe_stack_variant(name, "exception"), c))
                .collect(),
        ));
    }
    if let Some(thread) = grouping_thread(event)
        && let Some(stack) = &thread.stacktrace
    {
        strategies.push((
            "threads",
            stack_variants(stack, platform, "threads", "thread stack trace"),
        ));
    }
    if let Some(stack) = &event.stacktrace {
        strategies.push((
            "stacktrace",
            stack_variants(stack, platform, "stacktrace", "stack trace"),
        ));
    }
    if let Some(message) = message::message_component(event) {
        strategies.push(("message", vec![("default", "message", message)]));
    }

    let mut out: Vec<Draft<'_>> = Vec::new();
    let mut winner: Option<&'static str> = None;
    for (strategy, mut parts) in strategies {
        if strategy != "message" {
            remove_non_stacktrace_variants(&mut parts);
        }
        let contributes = parts.iter().any(|(_, _, c)| c.contributes);
        for (name, description, mut component) in parts {
            if out.iter().any(|d| d.variant.name == name) {
                continue;
            }
            let mut hint = component.hint.as_deref().map(str::to_owned);
            if let Some(won) = winner
                && component.contributes
            {
                component.contributes = false;
                hint = Some(format!("ignored because {won} takes precedence"));
            }
            out.push(Draft {
                variant: Variant {
                    name,
                    description: description.to_owned(),
                    hash: component.hash(),
                    contributes: component.contributes,
                    hint: if component.contributes { None } else { hint },
                    component: None,
                    fingerprint: Vec::new(),
                },
                tree: Some(component),
            });
        }
        if contributes && winner.is_none() {
            winner = Some(strategy);
        }
    }
    out
}

fn describe_stack_variant(name: &str, what: &str) -> &'static str {
    match (name, what) {
        ("app", "exception") => "in-app exception stack trace",
        ("system", "exception") => "exception stack trace",
        ("app", _) => "in-app stack trace",
        _ => "stack trace",
    }
}

fn stack_variants<'a>(
    stack: &'a errata_protocol::Stacktrace,
    platform: &str,
    id: &'static str,
    what: &'static str,
) -> StrategyOutput<'a> {
    let [app, system] = stacktrace_components(stack, platform);
    [("app", app), ("system", system)]
        .into_iter()
        .map(|(name, inner)| {
            let mut component = Component::with_children(id, vec![inner]);
            component.settle();
            (name, describe_stack_variant(name, what), component)
        })
        .collect()
}

/// A variant without a contributing stack trace does not count when another has one.
fn remove_non_stacktrace_variants(parts: &mut StrategyOutput<'_>) {
    if parts.len() < 2 {
        return;
    }
    let with_stack: Vec<&'static str> = parts
        .iter()
        .filter(|(_, _, c)| c.has_contributing("stacktrace"))
        .map(|(name, _, _)| *name)
        .collect();
    if with_stack.is_empty() {
        return;
    }
    for (name, _, component) in parts.iter_mut() {
        if !with_stack.contains(name) && component.contributes {
            component.exclude(format!(
                "ignored because this variant has no contributing stack trace, but the {} variant does",
                with_stack.join(" and ")
            ));
        }
    }
}

/// The thread whose stack groups an event without exceptions: the one crashed thread,
/// else the one current thread, else the only thread.
fn grouping_thread(event: &Event) -> Option<&errata_protocol::thread::Thread> {
    let threads = &event.threads.values;
    let only = |pred: &dyn Fn(&errata_protocol::thread::Thread) -> bool| {
        let mut matching = threads.iter().filter(|t| pred(t));
        match (matching.next(), matching.next()) {
            (Some(t), None) => Some(t),
            _ => None,
        }
    };
    if !event.exception.is_empty() {
        return None;
    }
    only(&|t| t.crashed == Some(true))
        .or_else(|| only(&|t| t.current == Some(true)))
        .or_else(|| (threads.len() == 1).then(|| &threads[0]))
}
