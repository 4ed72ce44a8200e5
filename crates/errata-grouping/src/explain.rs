//! A compact text rendering of a [`Grouping`]'s explanation, one line per component, as
//! the UI's "why are these events grouped together" panel and the snapshot tests show
//! it. Contributing components are marked `*`; others carry their hint in parentheses;
//! a frame that does not contribute is folded into one line.

use crate::component::{Component, Value};
use crate::{Grouping, Variant};
use std::fmt::Write as _;

impl Grouping {
    /// The explanation as indented text.
    pub fn explain(&self) -> String {
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

fn explain_component(out: &mut String, component: &Component, depth: usize) {
    let indent = "  ".repeat(depth);
    let mark = if component.contributes { "*" } else { "" };
    let hint = component
        .hint
        .as_deref()
        .map(|h| format!(" ({h})"))
        .unwrap_or_default();
    let leaves: Vec<String> = component
        .values
        .iter()
        .filter_map(|v| match v {
            Value::Leaf(s) => Some(format!("{s:?}")),
            Value::Child(_) => None,
        })
        .collect();
    if component.id == "frame" && !component.contributes {
        // One line: what the frame was, and why it is out.
        let name: Vec<String> = component
            .children()
            .flat_map(|c| c.values.iter())
            .filter_map(|v| match v {
                Value::Leaf(s) => Some(s.clone()),
                Value::Child(_) => None,
            })
            .take(2)
            .collect();
        let line = format!("{indent}frame{hint} {}", name.join(" "));
        let _ = writeln!(out, "{}", line.trim_end());
        return;
    }
    let _ = writeln!(
        out,
        "{indent}{}{mark}{hint} {}",
        component.id,
        leaves.join(" ")
    );
    for child in component.children() {
        explain_component(out, child, depth + 1);
    }
}
