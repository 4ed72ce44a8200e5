//! The exception chain: shown outermost first (the exception the program raised last,
//! which Sentry stores last), each earlier one introduced as its cause, so the page reads
//! from what happened down to why.

use serde_json::Value;

use super::frame::StackView;
use super::value::{field, items};

/// One exception of the chain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExceptionView {
    /// How it relates to the one above it (`Caused by`), `None` for the first.
    pub relation: Option<String>,
    /// The type, such as `KeyError`.
    pub ty: String,
    /// The message.
    pub value: Option<String>,
    /// The module the type lives in.
    pub module: Option<String>,
    /// How it was captured (`generic`, `panic`, `flask`...).
    pub mechanism: Option<String>,
    /// `Some(false)` for an unhandled (crashing) exception.
    pub handled: Option<bool>,
    /// The mechanism's help link, shown as text (never linked: the event chose it).
    pub help_link: Option<String>,
    /// Its stack trace.
    pub stack: Option<StackView>,
}

impl ExceptionView {
    /// The chain of `exception.values`, outermost first.
    pub(crate) fn chain(exception: Option<&Value>) -> Vec<Self> {
        let mut chain: Vec<Self> = items(exception)
            .iter()
            .rev()
            .filter(|e| e.is_object())
            .map(Self::read)
            .collect();
        for later in chain.iter_mut().skip(1) {
            later.relation = Some("Caused by".to_owned());
        }
        chain
    }

    fn read(exception: &Value) -> Self {
        let mechanism = exception.get("mechanism");
        Self {
            relation: None,
            ty: field(exception, "type").unwrap_or_else(|| "Error".to_owned()),
            value: field(exception, "value"),
            module: field(exception, "module"),
            mechanism: mechanism.and_then(|m| field(m, "type")),
            handled: mechanism.and_then(|m| m.get("handled")?.as_bool()),
            help_link: mechanism.and_then(|m| field(m, "help_link")),
            stack: StackView::read(exception.get("stacktrace")),
        }
    }

    /// `handled`, `unhandled`, or empty when the SDK did not say.
    pub fn handled_text(&self) -> &'static str {
        match self.handled {
            Some(true) => "handled",
            Some(false) => "unhandled",
            None => "",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn outermost_first_and_causes_labelled() {
        let exc = json!({"values": [
            {"type": "KeyError", "value": "'A-17'"},
            {"type": "ValueError", "value": "could not load", "mechanism": {"type": "generic", "handled": false}},
        ]});
        let chain = ExceptionView::chain(Some(&exc));
        assert_eq!(chain[0].ty, "ValueError");
        assert_eq!(chain[0].relation, None);
        assert_eq!(chain[0].handled_text(), "unhandled");
        assert_eq!(chain[1].ty, "KeyError");
        assert_eq!(chain[1].relation.as_deref(), Some("Caused by"));
    }

    #[test]
    fn odd_shapes_are_tolerated() {
        assert!(ExceptionView::chain(Some(&json!("boom"))).is_empty());
        let chain = ExceptionView::chain(Some(&json!([{"value": 3, "mechanism": 1}, 7])));
        assert_eq!(chain.len(), 1);
        assert_eq!(chain[0].ty, "Error");
        assert_eq!(chain[0].value.as_deref(), Some("3"));
    }
}
