//! [`ErrorChain`]: the errors recorded during one request, with Hertz's `ErrorChain` semantics.
//!
//! Order is recording order; `Display` numbers from 1 (`Error #01: ...`), `by_type(ANY)` returns
//! everything, `to_json` is `null` / one object / an array, exactly like Hertz's `String()`,
//! `ByType()` and `JSON()`. Meta is printed as Go's `%v` prints the same value (`map[k:v]` with
//! sorted keys, bare strings, `[a b]`, `<nil>`), so a line reads the same from either server.

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

    /// The error at `index` (recording order), to adjust it in place.
    pub fn get_mut(&mut self, index: usize) -> Option<&mut Error> {
        self.0.get_mut(index)
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

/// Hertz's `String()`: `Error #NN: msg\n` per error plus `     Meta: %v\n` when present.
///
/// ```
/// use errata_errors::{Error, ErrorChain};
/// let chain: ErrorChain = [
///     Error::private("db down").with_meta(serde_json::json!({"table": "orders", "attempt": 3})),
///     Error::public("retry later").with_meta("see status page"),
/// ].into_iter().collect();
/// assert_eq!(chain.to_string(), "Error #01: db down\n     Meta: map[attempt:3 table:orders]\n\
///                                Error #02: retry later\n     Meta: see status page\n");
/// ```
impl fmt::Display for ErrorChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, err) in self.0.iter().enumerate() {
            writeln!(f, "Error #{:02}: {err}", i + 1)?;
            if let Some(meta) = err.meta() {
                writeln!(f, "     Meta: {}", GoValue(meta))?;
            }
        }
        Ok(())
    }
}

/// A JSON value printed as Go's `%v` prints the `interface{}` it would decode to.
struct GoValue<'a>(&'a Value);

impl fmt::Display for GoValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Value::Null => f.write_str("<nil>"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::String(s) => f.write_str(s),
            Value::Number(n) => match n.as_f64() {
                Some(x) if !n.is_i64() && !n.is_u64() => write_go_float(f, x),
                _ => write!(f, "{n}"),
            },
            Value::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{}", GoValue(item))?;
                }
                f.write_str("]")
            }
            Value::Object(map) => {
                // Go prints map keys sorted; serde_json's map may keep insertion order.
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                f.write_str("map[")?;
                for (i, key) in keys.into_iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{key}:{}", GoValue(&map[key]))?;
                }
                f.write_str("]")
            }
        }
    }
}

/// Go's `%v` for a float64: the shortest digits, in exponent form (`1e+06`, `1.5e-05`) when the
/// exponent is below -4 or at least 6.
fn write_go_float(f: &mut fmt::Formatter<'_>, x: f64) -> fmt::Result {
    if !x.is_finite() {
        return f.write_str(if x.is_nan() {
            "NaN"
        } else if x > 0.0 {
            "+Inf"
        } else {
            "-Inf"
        });
    }
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if x != 0.0 && !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        write!(f, "{mantissa}e{sign}{:02}", exp.unsigned_abs())
    } else {
        write!(f, "{x}")
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
            s.ends_with("Error #10: e9\nError #11: last\n     Meta: map[k:v]\n"),
            "{s}"
        );
    }

    /// Each line is what Hertz's `String()` prints for the same meta (Go's `%v`).
    #[test]
    fn meta_prints_as_go_prints_it() {
        let line = |meta: Value| {
            let chain: ErrorChain = [Error::public("m").with_meta(meta)].into_iter().collect();
            chain.to_string()
        };
        assert_eq!(
            line(json!("plain text")),
            "Error #01: m\n     Meta: plain text\n"
        );
        assert_eq!(
            line(json!({"b": "x", "a": 1, "c": {"z": true, "y": null}})),
            "Error #01: m\n     Meta: map[a:1 b:x c:map[y:<nil> z:true]]\n"
        );
        assert_eq!(
            line(json!(["a", 2, [3]])),
            "Error #01: m\n     Meta: [a 2 [3]]\n"
        );
        assert_eq!(line(json!(42)), "Error #01: m\n     Meta: 42\n");
        for (x, go) in [
            (1.5, "1.5"),
            (100_000.0, "100000"),
            (1_000_000.0, "1e+06"),
            (1_234_567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.000_015, "1.5e-05"),
            (-2.5, "-2.5"),
            (0.0, "0"),
        ] {
            assert_eq!(
                line(json!(x)),
                format!("Error #01: m\n     Meta: {go}\n"),
                "{x}"
            );
        }
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
