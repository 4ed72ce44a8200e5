//! A compact text rendering of a [`Grouping`]'s explanation, one line per component, as
//! the UI's "why are these events grouped together" panel and the snapshot tests show
//! it. Contributing components are marked `*`; others carry their hint in parentheses;
//! a frame that does not contribute is folded into one line.

use crate::component::Component;
use crate::{Grouping, Variant};
use std::fmt::Write as _;

impl Grouping {
    /// The explanation as indented text (component trees appear only in a grouping
    /// from [`crate::group_with_explanation`]).
    pub fn render_explanation(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "title: {}", self.title);
        if !self.culprit.is_empty() {
            let _ = writeln!(out, "culprit: {}", self.culprit);
        }
        let _ = writeln!(out, "hashes: {}", self.hashes.join(", "));
        for variant in &self.variants {
            explain_variant(&mut out, variant);
        }
        out
    }
}

fn explain_variant(out: &mut String, variant: &Variant) {
    let state = if variant.contributes {
        format!(
            "contributes, hash {}",
            variant.hash.as_deref().unwrap_or("-")
        )
    } else {
        format!(
            "does not contribute ({})",
            variant.hint.as_deref().unwrap_or("no values")
        )
    };
    let _ = writeln!(out, "{} ({}): {state}", variant.name, variant.description);
    if !variant.fingerprint.is_empty() {
        let _ = writeln!(out, "  fingerprint: {:?}", variant.fingerprint);
    }
    if let Some(component) = &variant.component {
        explain_component(out, component, 1);
    }
}

fn explain_component(out: &mut String, component: &Component<'_>, depth: usize) {
    let indent = "  ".repeat(depth);
    let mark = if component.contributes { "*" } else { "" };
    let hint = component
        .hint
        .as_deref()
        .map(|h| format!(" ({h})"))
        .unwrap_or_default();
    if component.id == "frame" && !component.contributes {
        // One line: what the frame was, and why it is out.
        let name: Vec<&str> = component
            .children
            .iter()
            .filter_map(|c| c.value.as_deref())
            .take(2)
            .collect();
        let line = format!("{indent}frame{hint} {}", name.join(" "));
        let _ = writeln!(out, "{}", line.trim_end());
        return;
    }
    let value = component
        .value
        .as_deref()
        .map(|v| format!("{v:?}"))
        .unwrap_or_default();
    let line = format!("{indent}{}{mark}{hint} {value}", component.id);
    let _ = writeln!(out, "{}", line.trim_end());
    for child in &component.children {
        explain_component(out, child, depth + 1);
    }
}
