//! The grouping component of a stack trace, per variant: in the `app` variant only
//! in-app frames contribute, in the `system` variant every frame does. Frames repeated by
//! recursion contribute once; frames the built-in rules mark as SDK or panic machinery
//! never contribute.

use crate::component::Component;
use crate::enhancement::{Family, family, rule_for};
use crate::frame::frame_component;
use errata_protocol::{Frame, Stacktrace};

/// The two stack-trace variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StackVariant {
    App,
    System,
}

impl StackVariant {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::App => "app",
            Self::System => "system",
        }
    }
}

/// Whether a frame counts as the application's after the built-in rules.
pub(crate) fn is_in_app(frame: &Frame, platform: &str) -> bool {
    let rule = rule_for(frame, platform);
    rule.in_app.or(frame.in_app).unwrap_or(false)
}

/// Builds the stack-trace component for `variant`. `event_platform` applies to frames
/// without a platform of their own.
pub(crate) fn stacktrace_component(
    stack: &Stacktrace,
    event_platform: &str,
    variant: StackVariant,
) -> Component {
    let mut frames = Vec::with_capacity(stack.frames.len());
    let mut previous: Option<&Frame> = None;
    let mut any_in_app = false;
    for frame in &stack.frames {
        let platform = frame.platform.as_deref().unwrap_or(event_platform);
        let rule = rule_for(frame, platform);
        let in_app = rule.in_app.or(frame.in_app).unwrap_or(false);
        any_in_app |= in_app;
        let mut component = frame_component(frame, platform);
        if rule.ignore {
            component.exclude(format!(
                "ignored by built-in rule ({})",
                rule.reason.unwrap_or("")
            ));
        } else if variant == StackVariant::App && !in_app {
            let why = match rule.reason {
                Some(reason) => format!("non app frame (built-in rule: {reason})"),
                None => "non app frame".to_owned(),
            };
            component.exclude(why);
        } else if previous.is_some_and(|p| same_location(p, frame)) {
            component.exclude("ignored due to recursion");
        }
        previous = Some(frame);
        frames.push(component);
    }
    let mut component = Component::with_children("stacktrace", frames);
    component.settle();
    if variant == StackVariant::App && !any_in_app {
        component.exclude("ignored because it contains no in-app frames");
    } else if !component.contributes {
        component.exclude(match variant {
            StackVariant::App => "ignored because it contains no contributing in-app frames",
            StackVariant::System => "ignored because it contains no contributing frames",
        });
    } else if is_single_url_frame_without_function(stack, event_platform) {
        component.exclude("ignored single frame stack");
    }
    component
}

fn same_location(a: &Frame, b: &Frame) -> bool {
    a.abs_path == b.abs_path
        && a.package == b.package
        && a.module == b.module
        && a.filename == b.filename
        && a.function == b.function
        && a.lineno == b.lineno
        && a.colno == b.colno
}

/// A JavaScript stack of one frame loaded from a URL with no function name is noise.
fn is_single_url_frame_without_function(stack: &Stacktrace, platform: &str) -> bool {
    let [frame] = stack.frames.as_slice() else {
        return false;
    };
    let platform = frame.platform.as_deref().unwrap_or(platform);
    family(platform) == Family::JavaScript
        && frame.function.is_none()
        && frame
            .abs_path
            .as_deref()
            .is_some_and(errata_protocol::stacktrace::is_url)
}
