//! Exception grouping: one component per exception of the chain (after filtering
//! exception groups down to the exceptions that matter), each hashing on its stack
//! trace and type, or on type and parameterized value when it has no usable stack.

use crate::component::Component;
use crate::parameterize::normalize_message;
use crate::stacktrace::stacktrace_components;
use errata_protocol::Exception;
use std::collections::HashMap;

/// Options of the exception strategy.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExceptionOptions {
    /// Sentry's 2023 order `[stacktrace, type, value]` (true) or `[type, value, stacktrace]`.
    pub(crate) legacy_order: bool,
}

/// The chained-exception components by variant (`app` always; `system` when some
/// exception has a stack trace).
pub(crate) fn chained_exception<'a>(
    exceptions: &'a [Exception],
    platform: &str,
    options: ExceptionOptions,
) -> Vec<(&'static str, Component<'a>)> {
    let selected = filter_exception_groups(exceptions, platform, options);
    let mut app = Vec::new();
    let mut system = Vec::new();
    for exception in selected {
        match &exception.stacktrace {
            Some(stack) => {
                let [app_stack, system_stack] = stacktrace_components(stack, platform);
                app.push(single_exception(exception, app_stack, options));
                system.push(single_exception(exception, system_stack, options));
            }
            None => app.push(single_exception(
                exception,
                Component::new("stacktrace"),
                options,
            )),
        }
    }
    let wrap = |mut parts: Vec<Component<'a>>| {
        if parts.len() == 1 {
            parts.remove(0)
        } else {
            Component::with_children("chained-exception", parts)
        }
    };
    let mut out = vec![("app", wrap(app))];
    if !system.is_empty() {
        out.push(("system", wrap(system)));
    }
    for (_, component) in &mut out {
        component.settle();
    }
    out
}

/// One exception's component, given its stack's component for the variant (an empty
/// one when the exception has no stack).
fn single_exception<'a>(
    exception: &'a Exception,
    mut stack: Component<'a>,
    options: ExceptionOptions,
) -> Component<'a> {
    stack.settle();
    let mut ty = match exception.ty.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => Component::leaf("type", t),
        None => Component::new("type"),
    };
    if exception.mechanism.as_ref().and_then(|m| m.synthetic) == Some(true) {
        ty.exclude("ignored because exception is synthetic");
    }
    let value = match exception.value.as_deref().filter(|v| !v.is_empty()) {
        // The stack decides: the value is shown as sent, not parameterized (saves the
        // regex work on the hot path).
        Some(v) if stack.contributes => {
            let mut c = Component::leaf("value", v);
            c.exclude("ignored because stacktrace takes precedence");
            c
        }
        Some(v) => {
            let normalized = normalize_message(v);
            let changed = normalized != v;
            let mut c = Component::leaf("value", normalized);
            if changed {
                c.set_hint("stripped event-specific values");
            }
            c
        }
        None => Component::new("value"),
    };
    let children = if options.legacy_order {
        vec![stack, ty, value]
    } else {
        vec![ty, value, stack]
    };
    let mut component = Component::with_children("exception", children);
    component
        .children
        .retain(|c| c.id == "stacktrace" || !c.is_empty());
    component
}

/// Sentry's exception-group filtering: with `is_exception_group` trees, keep the
/// distinct exceptions under the groups (plus the root when there are several), so an
/// `ExceptionGroup` of ten identical errors groups like one error. A broken tree is left
/// as it is.
fn filter_exception_groups<'a>(
    exceptions: &'a [Exception],
    platform: &str,
    options: ExceptionOptions,
) -> Vec<&'a Exception> {
    let all = || exceptions.iter().collect();
    let is_group =
        |e: &Exception| e.mechanism.as_ref().and_then(|m| m.is_exception_group) == Some(true);
    if exceptions.len() < 2 || !exceptions.iter().any(is_group) {
        return all();
    }
    let mut by_id: HashMap<u64, usize> = HashMap::new();
    for (i, e) in exceptions.iter().enumerate() {
        let Some(id) = e.mechanism.as_ref().and_then(|m| m.exception_id) else {
            return all();
        };
        if by_id.insert(id, i).is_some() {
            return all();
        }
    }
    let Some(&root) = by_id.get(&0) else {
        return all();
    };
    let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, e) in exceptions.iter().enumerate() {
        if i == root {
            continue;
        }
        let mechanism = e.mechanism.as_ref();
        let Some(parent_id) = mechanism.and_then(|m| m.parent_id) else {
            return all();
        };
        let Some(&parent) = by_id.get(&parent_id) else {
            return all();
        };
        if parent == i {
            return all();
        }
        children.entry(parent).or_default().push(i);
    }
    // Top-level exceptions: non-group children of group nodes.
    let mut top: Vec<usize> = (0..exceptions.len())
        .filter(|&i| !is_group(&exceptions[i]))
        .filter(|&i| {
            children
                .iter()
                .any(|(&parent, kids)| is_group(&exceptions[parent]) && kids.contains(&i))
        })
        .collect();
    if top.is_empty() {
        return all();
    }
    top.sort_by(|&a, &b| exceptions[b].ty.cmp(&exceptions[a].ty));
    let mut seen = Vec::new();
    top.retain(|&i| {
        let stack = exceptions[i].stacktrace.as_ref().map_or_else(
            || Component::new("stacktrace"),
            |st| {
                let [_, system] = stacktrace_components(st, platform);
                system
            },
        );
        let mut c = single_exception(&exceptions[i], stack, options);
        c.settle();
        let hash = c.hash_with(&[]);
        if seen.contains(&hash) {
            false
        } else {
            seen.push(hash);
            true
        }
    });
    let mut keep: Vec<usize> = if let [only] = top.as_slice() {
        // The exception and its first-child path (its causes).
        let mut path = vec![*only];
        let mut at = *only;
        while let Some(&next) = children.get(&at).and_then(|k| k.first()) {
            if path.contains(&next) {
                break;
            }
            path.push(next);
            at = next;
        }
        path
    } else {
        let mut with_root = top.clone();
        with_root.push(root);
        with_root
    };
    keep.sort_unstable();
    keep.into_iter().map(|i| &exceptions[i]).collect()
}
