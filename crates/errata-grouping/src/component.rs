//! Grouping components: the tree of values that may contribute to a hash.
//!
//! Every strategy builds a tree of [`Component`]s whose leaves are strings. A component
//! that does not contribute carries a `hint` saying why; the hash of a variant is the
//! md5 of its contributing leaves, concatenated in tree order with no separator (as
//! Sentry's `hash_from_values`). The same tree is the explanation the UI shows under
//! "why are these events grouped together".

use md5::{Digest, Md5};
use serde::Serialize;

/// One node of a grouping tree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Component {
    /// What this node is: `exception`, `stacktrace`, `frame`, `function`, `message`...
    pub id: &'static str,
    /// Whether this node's values go into the hash.
    pub contributes: bool,
    /// Why it does not contribute, or how its value was derived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Leaf strings and child components, in hash order.
    pub values: Vec<Value>,
}

/// A leaf string or a child component.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// A string that goes into the hash.
    Leaf(String),
    /// A child component.
    Child(Component),
}

impl Component {
    /// A contributing component with no values yet.
    pub fn new(id: &'static str) -> Self {
        Self {
            id,
            contributes: true,
            hint: None,
            values: Vec::new(),
        }
    }

    /// A component holding one leaf value.
    pub fn leaf(id: &'static str, value: impl Into<String>) -> Self {
        Self {
            values: vec![Value::Leaf(value.into())],
            ..Self::new(id)
        }
    }

    /// A component holding `children`.
    pub fn with_children(id: &'static str, children: Vec<Component>) -> Self {
        Self {
            values: children.into_iter().map(Value::Child).collect(),
            ..Self::new(id)
        }
    }

    /// Marks this component as not contributing, with the reason.
    pub fn exclude(&mut self, hint: impl Into<String>) {
        self.contributes = false;
        self.hint = Some(hint.into());
    }

    /// Sets a hint without changing whether it contributes.
    pub fn set_hint(&mut self, hint: impl Into<String>) {
        self.hint = Some(hint.into());
    }

    /// Child components.
    pub fn children(&self) -> impl Iterator<Item = &Component> {
        self.values.iter().filter_map(|v| match v {
            Value::Child(c) => Some(c),
            Value::Leaf(_) => None,
        })
    }

    /// Mutable child components.
    pub fn children_mut(&mut self) -> impl Iterator<Item = &mut Component> {
        self.values.iter_mut().filter_map(|v| match v {
            Value::Child(c) => Some(c),
            Value::Leaf(_) => None,
        })
    }

    /// Fixes up `contributes` bottom-up: a component contributes only if it is marked so
    /// and has a leaf or a contributing child. Returns the result for this node.
    pub fn settle(&mut self) -> bool {
        let mut any = false;
        for value in &mut self.values {
            match value {
                Value::Leaf(_) => any = true,
                Value::Child(child) => any |= child.settle(),
            }
        }
        if self.contributes && !any {
            self.contributes = false;
        }
        self.contributes
    }

    /// The contributing leaves, in tree order.
    pub fn contributing_values(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a str>) {
        if !self.contributes {
            return;
        }
        for value in &self.values {
            match value {
                Value::Leaf(s) => out.push(s),
                Value::Child(child) => child.collect(out),
            }
        }
    }

    /// Whether any component with this `id` below (or at) this node contributes.
    pub fn has_contributing(&self, id: &str) -> bool {
        self.contributes && (self.id == id || self.children().any(|c| c.has_contributing(id)))
    }

    /// The md5 of the contributing leaves, or `None` when nothing contributes.
    pub fn hash(&self) -> Option<String> {
        self.contributes
            .then(|| hash_values(self.contributing_values()))
    }
}

/// md5 over the concatenation of `values` as UTF-8, as 32 lowercase hex characters.
pub fn hash_values<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    let mut hasher = Md5::new();
    for value in values {
        hasher.update(value.as_bytes());
    }
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_matches_sentrys_worked_example() {
        // Sentry's frame-uses-function-over-lineno snapshot: md5("foo.py" + "bar").
        assert_eq!(
            hash_values(["foo.py", "bar"]),
            "fb73cb54ced59b1c0c60d9bb40b7336b"
        );
        assert_eq!(hash_values([]), "d41d8cd98f00b204e9800998ecf8427e");
    }

    #[test]
    fn non_contributing_children_are_left_out() {
        let mut lineno = Component::leaf("lineno", "12");
        lineno.exclude("line numbers never contribute");
        let mut frame = Component::with_children(
            "frame",
            vec![
                Component::leaf("filename", "foo.py"),
                lineno,
                Component::leaf("function", "bar"),
            ],
        );
        assert!(frame.settle());
        assert_eq!(frame.contributing_values(), ["foo.py", "bar"]);
        assert_eq!(
            frame.hash().as_deref(),
            Some("fb73cb54ced59b1c0c60d9bb40b7336b")
        );
    }

    #[test]
    fn empty_components_do_not_contribute() {
        let mut stack = Component::with_children("stacktrace", vec![Component::new("frame")]);
        assert!(!stack.settle());
        assert_eq!(stack.hash(), None);
    }
}
