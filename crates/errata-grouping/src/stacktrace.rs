//! The grouping component of a stack trace, per variant: in the `app` variant only
//! in-app frames contribute, in the `system` variant every frame does. Frames repeated by
//! recursion contribute once; frames the built-in rules mark as SDK or panic machinery
//! never contribute.

use crate::component::Component;
use crate::enhancement::{Family, family, rule_for};
use crate::frame::frame_component;
use errata_protocol::{Frame, Stacktrace};

/// Whether a frame counts as the application's after the built-in rules.
pub(crate) fn is_in_app(frame: &Frame, platform: &str) -> bool {
    let rule = rule_for(frame, platform);
    rule.in_app.or(frame.in_app).unwrap_or(false)
}

/// Builds the stack-trace components of both variants, `[app, system]`, computing each
/// frame's component and rule once. `event_platform` applies to frames without a
/// platform of their own.
pub(crate) fn stacktrace_components<'a>(
    stack: &'a Stacktrace,
    event_platform: &str,
) -> [Component<'a>; 2] {
    let mut app_frames = Vec::with_capacity(stack.frames.len());
    let mut system_frames = Vec::with_capacity(stack.frames.len());
    let mut previous: Option<&Frame> = None;
    let mut any_in_app = false;
    for frame in &stack.frames {
        let platform = frame.platform.as_deref().unwrap_or(event_platform);
        let rule = rule_for(frame, platform);
        let in_app = rule.in_app.or(frame.in_app).unwrap_or(false);
        any_in_app |= in_app;
        let mut system = frame_component(frame, platform);
        if rule.ignore {
            system.exclude(rule.hint.unwrap_or("ignored by built-in rule"));
        } else if previous.is_some_and(|p| same_location(p, frame)) {
            system.exclude("ignored due to recursion");
        }
        let mut app = system.clone();
        if !rule.ignore && !in_app {
            app.exclude(rule.hint.unwrap_or("non app frame"));
        }
        previous = Some(frame);
        app_frames.push(app);
        system_frames.push(system);
    }
    let mut app = Component::with_children("stacktrace", app_frames);
    let mut system = Component::with_children("stacktrace", system_frames);
    app.settle();
    system.settle();
    if !any_in_app {
        app.exclude("ignored because it contains no in-app frames");
    } else if !app.contributes {
        app.exclude("ignored because it contains no contributing in-app frames");
    }
    if !system.contributes {
        system.exclude("ignored because it contains no contributing frames");
    }
    if is_single_url_frame_without_function(stack, event_platform) {
        for component in [&mut app, &mut system] {
            if component.contributes {
                component.exclude("ignored single frame stack");
            }
        }
    }
    [app, system]
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
