//! Grouping components: the tree of values that may contribute to a hash.
//!
//! Every strategy builds a tree of [`Component`]s whose leaves are strings borrowed from
//! the event where possible (so the hot path allocates little). A component that does
//! not contribute carries a `hint` saying why; the hash of a variant is the md5 of its
//! contributing leaves, concatenated in tree order with no separator (as Sentry's
//! `hash_from_values`). The same tree is the explanation the UI shows under "why are
//! these events grouped together".

use md5::{Digest, Md5};
use serde::Serialize;
use serde::ser::{SerializeSeq, SerializeStruct, Serializer};
use std::borrow::Cow;

/// One node of a grouping tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component<'a> {
    /// What this node is: `exception`, `stacktrace`, `frame`, `function`, `message`...
    pub id: &'static str,
    /// Whether this node's values go into the hash.
    pub contributes: bool,
    /// Why it does not contribute, or how its value was derived.
    pub hint: Option<Cow<'static, str>>,
    /// The leaf value of this node, if it is a leaf.
    pub value: Option<Cow<'a, str>>,
    /// Child components, in hash order.
    pub children: Vec<Component<'a>>,
}

impl<'a> Component<'a> {
    /// A contributing component with no values yet.
    pub fn new(id: &'static str) -> Self {
        Self {
            id,
            contributes: true,
            hint: None,
            value: None,
            children: Vec::new(),
        }
    }

    /// A component holding one leaf value.
    pub fn leaf(id: &'static str, value: impl Into<Cow<'a, str>>) -> Self {
        Self {
            value: Some(value.into()),
            ..Self::new(id)
        }
    }

    /// A component holding `children`.
    pub fn with_children(id: &'static str, children: Vec<Component<'a>>) -> Self {
        Self {
            children,
            ..Self::new(id)
        }
    }

    /// Marks this component as not contributing, with the reason.
    pub fn exclude(&mut self, hint: impl Into<Cow<'static, str>>) {
        self.contributes = false;
        self.hint = Some(hint.into());
    }

    /// Sets a hint without changing whether it contributes.
    pub fn set_hint(&mut self, hint: impl Into<Cow<'static, str>>) {
        self.hint = Some(hint.into());
    }

    /// Neither a value nor children.
    pub fn is_empty(&self) -> bool {
        self.value.is_none() && self.children.is_empty()
    }

    /// Fixes up `contributes` bottom-up: a component contributes only if it is marked so
    /// and has a value or a contributing child. Returns the result for this node.
    pub fn settle(&mut self) -> bool {
        let mut any = self.value.is_some();
        for child in &mut self.children {
            any |= child.settle();
        }
        if self.contributes && !any {
            self.contributes = false;
        }
        self.contributes
    }

    /// The contributing leaves, in tree order.
    pub fn contributing_values(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.visit(&mut |s| out.push(s));
        out
    }

    fn visit<'s>(&'s self, f: &mut impl FnMut(&'s str)) {
        if !self.contributes {
            return;
        }
        if let Some(value) = &self.value {
            f(value);
        }
        for child in &self.children {
            child.visit(f);
        }
    }

    /// Whether any component with this `id` below (or at) this node contributes.
    pub fn has_contributing(&self, id: &str) -> bool {
        self.contributes && (self.id == id || self.children.iter().any(|c| c.has_contributing(id)))
    }

    /// The md5 of the contributing leaves, or `None` when nothing contributes.
    pub fn hash(&self) -> Option<String> {
        self.contributes.then(|| self.hash_with(&[]))
    }

    /// The md5 of the contributing leaves followed by `salt`.
    pub fn hash_with(&self, salt: &[String]) -> String {
        let mut hasher = Md5::new();
        self.visit(&mut |s| hasher.update(s.as_bytes()));
        for s in salt {
            hasher.update(s.as_bytes());
        }
        hex(&hasher.finalize())
    }

    /// Detaches the tree from the event it borrows from.
    pub fn into_owned(self) -> Component<'static> {
        Component {
            id: self.id,
            contributes: self.contributes,
            hint: self.hint,
            value: self.value.map(|v| Cow::Owned(v.into_owned())),
            children: self
                .children
                .into_iter()
                .map(Component::into_owned)
                .collect(),
        }
    }
}

/// Written as `{id, contributes, hint?, values: [leaf or child components...]}`.
impl Serialize for Component<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Values<'c, 'a>(&'c Component<'a>);
        impl Serialize for Values<'_, '_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let len = usize::from(self.0.value.is_some()) + self.0.children.len();
                let mut seq = serializer.serialize_seq(Some(len))?;
                if let Some(value) = &self.0.value {
                    seq.serialize_element(value)?;
                }
                for child in &self.0.children {
                    seq.serialize_element(child)?;
                }
                seq.end()
            }
        }
        let mut s = serializer.serialize_struct("Component", 4)?;
        s.serialize_field("id", self.id)?;
        s.serialize_field("contributes", &self.contributes)?;
        if let Some(hint) = &self.hint {
            s.serialize_field("hint", hint)?;
        }
        s.serialize_field("values", &Values(self))?;
        s.end()
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
        assert_eq!(
            frame.hash_with(&["x".into()]),
            hash_values(["foo.py", "bar", "x"])
        );
        let json = serde_json::to_value(frame.into_owned()).unwrap();
        assert_eq!(json["values"][1]["hint"], "line numbers never contribute");
        assert_eq!(json["values"][0]["values"][0], "foo.py");
    }

    #[test]
    fn empty_components_do_not_contribute() {
        let mut stack = Component::with_children("stacktrace", vec![Component::new("frame")]);
        assert!(!stack.settle());
        assert_eq!(stack.hash(), None);
    }
}
