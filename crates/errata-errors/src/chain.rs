//! [`ErrorChain`]: the errors recorded during one request, with Hertz's `ErrorChain` semantics.
//!
//! Order is recording order; `Display` numbers from 1 (`Error #01: ...`), `by_type(ANY)` returns
//! everything, `to_json` is `null` / one object / an array, exactly like Hertz's `String()`,
//! `ByType()` and `JSON()`.

use std::fmt;

use serde_json::Value;

use crate::{Error, ErrorType};

/// An ordered list of [`Error`]s (Hertz's `ErrorChain`, i.e. `ctx.Errors`).
///
/// ```
/// use errata_errors::{Error, ErrorChain};
/// let chain: ErrorChain = [Error::private("a"), Error::public("b")].into_iter().collect();
/// assert_eq!(chain.errors(), vec!["a".to_owned(), "b".to_owned()]);
/// assert_eq!(chain.to_json(), serde_json::json!([{"error": "a"}, {"error": "b"}]));
/// ```
#[derive(Clone, Debug, Default)]
pub struct ErrorChain(Vec<Error>);

impl ErrorChain {
    /// An empty chain.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// Appends an error (anything convertible, so std errors become PRIVATE) and returns it
    /// for further `set_type`/`set_meta_mut` (Hertz's `c.Error(err)` returns the `*Error`).
    #[track_caller]
    pub fn push(&mut self, err: impl Into<Error>) -> &mut Error {
        self.0.push(err.into());
        let last = self.0.len() - 1;
        &mut self.0[last]
    }

    /// Hertz's `Errors()`: the messages, in order.
    pub fn errors(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }

    /// Hertz's `ByType()`: errors whose type intersects `ty`; [`ErrorType::ANY`] returns all.
    ///
    /// ```
    /// use errata_errors::{Error, ErrorChain, ErrorType};
    /// let chain: ErrorChain = [Error::private("a"), Error::public("b")].into_iter().collect();
    /// assert_eq!(chain.by_type(ErrorType::PRIVATE).errors(), vec!["a".to_owned()]);
    /// assert_eq!(chain.by_type(ErrorType::ANY).len(), 2);
    /// assert!(chain.by_type(ErrorType::BIND).is_empty());
    /// ```
    #[must_use]
    pub fn by_type(&self, ty: ErrorType) -> ErrorChain {
        if ty == ErrorType::ANY {
            return self.clone();
        }
        Self(self.0.iter().filter(|e| e.is_type(ty)).cloned().collect())
    }

    /// Hertz's `Last()`: the most recently recorded error.
    pub fn last(&self) -> Option<&Error> {
        self.0.last()
    }

    /// Hertz's `JSON()`: `null` when empty, the error's object for one, an array for more.
    ///
    /// ```
    /// let chain = errata_errors::ErrorChain::new();
    /// assert_eq!(chain.to_json(), serde_json::Value::Null);
    /// ```
    pub fn to_json(&self) -> Value {
        match self.0.as_slice() {
            [] => Value::Null,
            [one] => one.to_json(),
            many => Value::Array(many.iter().map(Error::to_json).collect()),
        }
    }

    /// The errors, in recording order.
    pub fn iter(&self) -> std::slice::Iter<'_, Error> {
        self.0.iter()
    }

    /// How many errors were recorded.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Hertz's `String()`: `Error #NN: msg\n` per error plus `     Meta: {meta}\n` when present.
impl fmt::Display for ErrorChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, err) in self.0.iter().enumerate() {
            writeln!(f, "Error #{:02}: {err}", i + 1)?;
            if let Some(meta) = err.meta() {
                writeln!(f, "     Meta: {meta}")?;
            }
        }
        Ok(())
    }
}

impl FromIterator<Error> for ErrorChain {
    fn from_iter<I: IntoIterator<Item = Error>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl Extend<Error> for ErrorChain {
    fn extend<I: IntoIterator<Item = Error>>(&mut self, iter: I) {
        self.0.extend(iter);
    }
}

impl IntoIterator for ErrorChain {
    type Item = Error;
    type IntoIter = std::vec::IntoIter<Error>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a ErrorChain {
    type Item = &'a Error;
    type IntoIter = std::slice::Iter<'a, Error>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn empty_chain_is_hertz_nil() {
        let c = ErrorChain::new();
        assert_eq!(c.to_string(), "");
        assert!(c.errors().is_empty());
        assert!(c.last().is_none());
        assert_eq!(c.to_json(), Value::Null);
        assert!(c.by_type(ErrorType::ANY).is_empty());
    }

    #[test]
    fn display_numbers_with_two_digits_and_prints_meta() {
        let mut c = ErrorChain::new();
        for i in 0..10 {
            c.push(Error::private(format!("e{i}")));
        }
        c.push(Error::public("last"))
            .set_meta_mut(json!({"k": "v"}));
        let s = c.to_string();
        assert!(s.starts_with("Error #01: e0\nError #02: e1\n"), "{s}");
        assert!(
            s.ends_with("Error #10: e9\nError #11: last\n     Meta: {\"k\":\"v\"}\n"),
            "{s}"
        );
    }

    #[test]
    fn push_returns_the_recorded_error_for_editing() {
        let mut c = ErrorChain::new();
        c.push(std::io::Error::other("io"))
            .set_type(ErrorType::RENDER);
        assert!(c.last().unwrap().is_type(ErrorType::RENDER));
        assert!(!c.last().unwrap().is_private());
    }

    #[test]
    fn to_json_single_is_the_last_errors_object() {
        let mut c = ErrorChain::new();
        c.push(Error::public("only")).set_meta_mut(json!({"a": 1}));
        assert_eq!(c.to_json(), json!({"a": 1, "error": "only"}));
    }
}
