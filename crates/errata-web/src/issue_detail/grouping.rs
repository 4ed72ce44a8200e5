//! Why the events are one issue: the grouping variants the server computed (the JSON of
//! `errata_grouping::Grouping`, as the grouping-info API returns it), each with whether
//! it contributes, its hash, and its component tree flattened into rows the template
//! turns into nested lists (contributing values versus not, with the hint saying why).

use serde_json::Value;

use crate::event_view::value::{field, scalar};

/// Deepest component nesting shown.
const MAX_DEPTH: usize = 24;
/// Most component rows shown per variant (a deep stack has a few hundred).
const MAX_NODES: usize = 2000;

/// The grouping explanation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupingView {
    /// The grouping configuration's name.
    pub config: Option<String>,
    /// The hashes the event was grouped by.
    pub hashes: Vec<String>,
    /// The variants, contributing ones first.
    pub variants: Vec<GroupingVariant>,
}

/// One grouping variant (`app`, `system`, `custom-fingerprint`...).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupingVariant {
    /// Its name.
    pub name: String,
    /// What it is, in words.
    pub description: Option<String>,
    /// Whether its hash groups the event.
    pub contributes: bool,
    /// Its hash, when it has one.
    pub hash: Option<String>,
    /// Why it does not contribute.
    pub hint: Option<String>,
    /// A custom fingerprint's parts.
    pub fingerprint: Vec<String>,
    /// The component tree in document order.
    pub nodes: Vec<GroupingNode>,
}

/// One component of a tree, as a row: the template opens a nested list after a row with
/// children and closes `closes` lists after a row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupingNode {
    /// What it is (`exception`, `frame`, `function`...).
    pub id: String,
    /// Whether its values go into the hash (false also when an ancestor does not).
    pub contributes: bool,
    /// Why it does not contribute, or how its value was derived.
    pub hint: Option<String>,
    /// Its leaf values.
    pub values: Vec<String>,
    /// Nesting depth, 0 for the root.
    pub depth: usize,
    /// Whether child rows follow.
    pub has_children: bool,
    /// How many nested lists end after this row.
    pub closes: usize,
}

impl GroupingView {
    /// Reads the grouping JSON; `None` when it has no variants.
    pub fn from_json(grouping: &Value) -> Option<Self> {
        let mut variants: Vec<GroupingVariant> = grouping
            .get("variants")
            .and_then(Value::as_array)?
            .iter()
            .filter(|v| v.is_object())
            .map(GroupingVariant::read)
            .collect();
        if variants.is_empty() {
            return None;
        }
        variants.sort_by_key(|v| !v.contributes);
        Some(Self {
            config: field(grouping, "config"),
            hashes: grouping
                .get("hashes")
                .and_then(Value::as_array)
                .map(|h| h.iter().filter_map(scalar).collect())
                .unwrap_or_default(),
            variants,
        })
    }
}

impl GroupingVariant {
    fn read(variant: &Value) -> Self {
        let mut nodes = Vec::new();
        if let Some(component) = variant.get("component").filter(|c| c.is_object()) {
            flatten(component, 0, true, &mut nodes);
        }
        // Close what is still open after the last row.
        if let Some(last) = nodes.last_mut() {
            last.closes = last.depth;
        }
        Self {
            name: field(variant, "name").unwrap_or_else(|| "variant".to_owned()),
            description: field(variant, "description"),
            contributes: variant.get("contributes").and_then(Value::as_bool) == Some(true),
            hash: field(variant, "hash"),
            hint: field(variant, "hint"),
            fingerprint: variant
                .get("fingerprint")
                .and_then(Value::as_array)
                .map(|f| f.iter().filter_map(scalar).collect())
                .unwrap_or_default(),
            nodes,
        }
    }
}

/// Appends `component` and its children; sets `closes` of each row so that after it
/// the lists deeper than the next row's depth end.
fn flatten(component: &Value, depth: usize, parent_contributes: bool, out: &mut Vec<GroupingNode>) {
    if out.len() >= MAX_NODES {
        return;
    }
    if let Some(previous) = out.last_mut() {
        previous.closes = previous.depth.saturating_sub(depth);
    }
    let contributes =
        parent_contributes && component.get("contributes").and_then(Value::as_bool) != Some(false);
    let items: &[Value] = component
        .get("values")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let values: Vec<String> = items.iter().filter_map(scalar).collect();
    let children: Vec<&Value> = if depth < MAX_DEPTH {
        items.iter().filter(|v| v.is_object()).collect()
    } else {
        Vec::new()
    };
    out.push(GroupingNode {
        id: field(component, "id").unwrap_or_else(|| "component".to_owned()),
        contributes,
        hint: field(component, "hint"),
        values,
        depth,
        has_children: !children.is_empty(),
        closes: 0,
    });
    let row = out.len() - 1;
    for child in children {
        flatten(child, depth + 1, contributes, out);
    }
    // A child list that got no rows (the node cap) must not stay open.
    if out.len() == row + 1 {
        out[row].has_children = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({
            "config": "newstyle:2023-01-11",
            "hashes": ["3f2a"],
            "title": "KeyError: 'A-17'",
            "variants": [
                {"name": "system", "description": "system frames", "hash": null,
                 "contributes": false, "hint": "a higher variant contributes"},
                {"name": "app", "description": "in-app frames", "hash": "3f2a", "contributes": true,
                 "component": {"id": "app", "contributes": true, "values": [
                    {"id": "exception", "contributes": true, "values": [
                        {"id": "stacktrace", "contributes": true, "values": [
                            {"id": "frame", "contributes": false, "hint": "non app frame",
                             "values": [{"id": "function", "contributes": true, "values": ["run"]}]},
                            {"id": "frame", "contributes": true, "values": [
                                {"id": "module", "contributes": true, "values": ["__main__"]},
                                {"id": "function", "contributes": true, "values": ["load_order"]}]}
                        ]},
                        {"id": "type", "contributes": true, "values": ["KeyError"]},
                        {"id": "value", "contributes": false, "hint": "stacktrace takes precedence",
                         "values": ["'A-17'"]}
                    ]}
                 ]}}
            ]
        })
    }

    /// Renders rows the way the template does, to check the lists balance.
    fn outline(nodes: &[GroupingNode]) -> String {
        let mut out = String::from("<ul>");
        for n in nodes {
            out.push_str("<li>");
            out.push_str(&n.id);
            out.push_str(if n.has_children { "<ul>" } else { "</li>" });
            for _ in 0..n.closes {
                out.push_str("</ul></li>");
            }
        }
        out.push_str("</ul>");
        out
    }

    #[test]
    fn variants_and_trees_are_read() {
        let view = GroupingView::from_json(&sample()).unwrap();
        assert_eq!(view.hashes, ["3f2a"]);
        assert_eq!(view.variants[0].name, "app", "contributing first");
        assert!(view.variants[0].contributes);
        assert_eq!(
            view.variants[1].hint.as_deref(),
            Some("a higher variant contributes")
        );
        let nodes = &view.variants[0].nodes;
        assert_eq!(
            outline(nodes),
            "<ul><li>app<ul><li>exception<ul><li>stacktrace<ul><li>frame<ul><li>function</li>\
             </ul></li><li>frame<ul><li>module</li><li>function</li></ul></li></ul></li>\
             <li>type</li><li>value</li></ul></li></ul></li></ul>"
        );
        // A child of a non-contributing frame does not contribute either.
        let run = nodes.iter().find(|n| n.values == ["run"]).unwrap();
        assert!(!run.contributes);
        let value = nodes.iter().find(|n| n.id == "value").unwrap();
        assert_eq!(value.hint.as_deref(), Some("stacktrace takes precedence"));
        assert!(nodes.iter().find(|n| n.id == "type").unwrap().contributes);
    }

    #[test]
    fn odd_json_is_tolerated_and_deep_trees_are_cut() {
        assert!(GroupingView::from_json(&json!({"variants": []})).is_none());
        assert!(GroupingView::from_json(&json!(3)).is_none());
        let mut deep = json!({"id": "leaf", "values": ["x"]});
        for _ in 0..100 {
            deep = json!({"id": "n", "values": [deep]});
        }
        let view = GroupingView::from_json(&json!({"variants": [{"component": deep}, 5]})).unwrap();
        let nodes = &view.variants[0].nodes;
        assert_eq!(nodes.len(), MAX_DEPTH + 1);
        let html = outline(nodes);
        assert_eq!(html.matches("<ul>").count(), html.matches("</ul>").count());
        let wide: Vec<Value> = (0..5000)
            .map(|i| json!({"id": "f", "values": [i.to_string()]}))
            .collect();
        let view = GroupingView::from_json(
            &json!({"variants": [{"component": {"id": "r", "values": wide}}]}),
        )
        .unwrap();
        let html = outline(&view.variants[0].nodes);
        assert_eq!(view.variants[0].nodes.len(), MAX_NODES);
        assert_eq!(html.matches("<ul>").count(), html.matches("</ul>").count());
    }
}
