//! The wire shapes: JSON as an SDK sent it, borrowed from the payload bytes.
//!
//! The readers of the hot fields (exceptions, stack traces and frames, threads,
//! breadcrumbs) do not go through `serde_json::Value`. The parser keeps those fields as
//! raw JSON text ([`RawValue`], zero copy), and each reader deserializes the text it
//! reads into a wire object (declared with [`wire_object!`]) whose fields are [`Loose`]
//! values: a scalar decoded in place (a string borrowed from the payload unless it has
//! escapes) or, for an array or object, its raw text again, read by the next reader
//! down or skipped unread. Fields that are lists or objects of a known shape are read in
//! the same pass as their parent instead of being scanned again: [`Items`] (a stack's
//! frames, a frame's context lines: the items delimited, not decoded, so a list cut
//! builds only the items it keeps) and [`Nested`] (an exception's stack trace and
//! mechanism). A `Value` is built only for free-form bags (`vars`, `data`, `registers`)
//! and on the error path, to record an invalid value in the event's meta.
//!
//! Deserializing a wire object never fails on a field's type, only on JSON that a
//! `Value` would have refused too (a lone surrogate escape, a number out of range); that
//! failure is recorded with [`Meta::fail`] and fails the event as before.

use crate::meta::{Meta, Path};
use crate::value;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::fmt;

/// One JSON value as sent: scalars decoded, arrays and objects left as raw text.
#[derive(Debug, Clone, Default)]
pub(crate) enum Loose<'a> {
    /// `null`, or a field that was not sent.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as `serde_json` reads it.
    Number(Number),
    /// A string: borrowed from the payload unless it had escapes.
    Str(Cow<'a, str>),
    /// An array or an object, as raw JSON text.
    Raw(&'a RawValue),
    /// An array or an object already built as a value: what a field read eagerly as a
    /// list ([`Items`]) or an object ([`Nested`]) held instead (only on error paths).
    Built(Value),
}

impl<'a> Loose<'a> {
    /// Decodes the scalar `raw` holds, or keeps an array or object as it is.
    pub(crate) fn from_raw(raw: &'a RawValue) -> Result<Self, serde_json::Error> {
        let text = raw.get();
        Ok(match text.as_bytes().first() {
            Some(b'n') => Self::Null,
            Some(b't') => Self::Bool(true),
            Some(b'f') => Self::Bool(false),
            Some(b'[' | b'{') => Self::Raw(raw),
            Some(b'"') => match text.get(1..text.len() - 1) {
                Some(inner) if !inner.contains('\\') => Self::Str(Cow::Borrowed(inner)),
                _ => Self::Str(Cow::Owned(serde_json::from_str(text)?)),
            },
            _ => Self::Number(serde_json::from_str(text)?),
        })
    }

    /// [`Loose::from_raw`], recording a failure in `meta` (and reading it as `null`).
    pub(crate) fn from_raw_in(raw: &'a RawValue, meta: &mut Meta) -> Self {
        Self::from_raw(raw).unwrap_or_else(|e| {
            meta.fail(e);
            Self::Null
        })
    }

    /// Whether this is `null` (or absent).
    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// The raw text of an array (`[...]`), if this is one.
    pub(crate) fn as_array_text(&self) -> Option<&'a str> {
        match self {
            Self::Raw(raw) if raw.get().starts_with('[') => Some(raw.get()),
            _ => None,
        }
    }

    /// The raw text of an object (`{...}`), if this is one.
    pub(crate) fn as_object_text(&self) -> Option<&'a str> {
        match self {
            Self::Raw(raw) if raw.get().starts_with('{') => Some(raw.get()),
            _ => None,
        }
    }

    /// The value as a `serde_json::Value`, for the readers of scalars and free-form bags
    /// and for recording an invalid value. A failure is recorded in `meta` (`null`).
    pub(crate) fn into_value(self, meta: &mut Meta) -> Value {
        match self {
            Self::Null => Value::Null,
            Self::Bool(b) => Value::Bool(b),
            Self::Number(n) => Value::Number(n),
            Self::Str(s) => Value::String(s.into_owned()),
            Self::Raw(raw) => serde_json::from_str(raw.get()).unwrap_or_else(|e| {
                meta.fail(e);
                Value::Null
            }),
            Self::Built(value) => value,
        }
    }

    /// The boolean [`value::boolean`] reads, without recording anything.
    pub(crate) fn as_bool(&self) -> Option<bool> {
        match self {
            Self::Bool(b) => Some(*b),
            Self::Str(s) => match s.as_ref() {
                "true" | "True" | "1" => Some(true),
                "false" | "False" | "0" => Some(false),
                _ => None,
            },
            Self::Number(n) => match n.as_u64() {
                Some(0) => Some(false),
                Some(1) => Some(true),
                _ => None,
            },
            Self::Null | Self::Raw(_) | Self::Built(_) => None,
        }
    }

    /// A string or a number as a `Value` (ids SDKs send either way); `None` otherwise.
    pub(crate) fn into_id(self) -> Option<Value> {
        match self {
            Self::Str(s) => Some(Value::String(s.into_owned())),
            Self::Number(n) => Some(Value::Number(n)),
            _ => None,
        }
    }
}

/// [`value::string`] of a wire value.
pub(crate) fn string(value: Loose<'_>, path: &Path<'_>, meta: &mut Meta) -> Option<String> {
    let value = value.into_value(meta);
    value::string(value, path, meta)
}

/// [`value::bounded_string`] of a wire value.
pub(crate) fn bounded_string(
    value: Loose<'_>,
    max: usize,
    path: &Path<'_>,
    meta: &mut Meta,
) -> Option<String> {
    let value = value.into_value(meta);
    value::bounded_string(value, max, path, meta)
}

/// [`value::uint`] of a wire value.
pub(crate) fn uint(value: Loose<'_>, path: &Path<'_>, meta: &mut Meta) -> Option<u64> {
    let value = value.into_value(meta);
    value::uint(value, path, meta)
}

/// [`value::boolean`] of a wire value.
pub(crate) fn boolean(value: Loose<'_>, path: &Path<'_>, meta: &mut Meta) -> Option<bool> {
    let value = value.into_value(meta);
    value::boolean(value, path, meta)
}

/// [`value::timestamp`] of a wire value.
pub(crate) fn timestamp(value: Loose<'_>, path: &Path<'_>, meta: &mut Meta) -> Option<f64> {
    let value = value.into_value(meta);
    value::timestamp(value, path, meta)
}

/// [`value::object`] of a wire value: a free-form bag, built as a `Value` map.
pub(crate) fn bag(
    value: Loose<'_>,
    path: &Path<'_>,
    meta: &mut Meta,
) -> Option<Map<String, Value>> {
    let value = value.into_value(meta);
    value::object(value, path, meta)
}

/// Raw values are equal when their text is.
impl PartialEq for Loose<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Null, Self::Null) => true,
            (Self::Bool(a), Self::Bool(b)) => a == b,
            (Self::Number(a), Self::Number(b)) => a == b,
            (Self::Str(a), Self::Str(b)) => a == b,
            (Self::Raw(a), Self::Raw(b)) => a.get() == b.get(),
            (Self::Built(a), Self::Built(b)) => a == b,
            _ => false,
        }
    }
}

impl<'de> Deserialize<'de> for Loose<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw: &'de RawValue = Deserialize::deserialize(deserializer)?;
        Loose::from_raw(raw).map_err(de::Error::custom)
    }
}

/// The `Visitor` methods for scalars, each giving `$wrap(loose)`: a field read eagerly
/// (with `deserialize_any`) is a [`Loose`] scalar unless it is an array or an object.
macro_rules! visit_scalars {
    ($wrap:expr) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok($wrap(Loose::Null))
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok($wrap(Loose::Bool(v)))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok($wrap(Loose::Number(v.into())))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok($wrap(Loose::Number(v.into())))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            // As a `Value` reads it (a JSON number is always finite).
            Ok($wrap(
                Number::from_f64(v).map_or(Loose::Null, Loose::Number),
            ))
        }
        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok($wrap(Loose::Str(Cow::Borrowed(v))))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok($wrap(Loose::Str(Cow::Owned(v.to_owned()))))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok($wrap(Loose::Str(Cow::Owned(v))))
        }
    };
}

/// A list field read in the same pass as its object: the items of an array, each as raw
/// text (delimited and validated, not decoded), or whatever else was sent.
#[derive(Debug)]
pub(crate) enum Items<'a> {
    /// An array's items.
    List(Vec<&'a RawValue>),
    /// Anything else (`null` when absent).
    Other(Loose<'a>),
}

impl Default for Items<'_> {
    fn default() -> Self {
        Self::Other(Loose::Null)
    }
}

impl<'de> Deserialize<'de> for Items<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ItemsVisitor;
        impl<'de> Visitor<'de> for ItemsVisitor {
            type Value = Items<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            visit_scalars!(Items::Other);
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Items<'de>, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(item) = seq.next_element::<&'de RawValue>()? {
                    items.push(item);
                }
                Ok(Items::List(items))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Items<'de>, A::Error> {
                let value = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Items::Other(Loose::Built(value)))
            }
        }
        deserializer.deserialize_any(ItemsVisitor)
    }
}

/// An object field read in the same pass as its parent, as wire object `W`, or whatever
/// else was sent.
#[derive(Debug)]
pub(crate) enum Nested<'a, W> {
    /// An object.
    Object(W),
    /// Anything else (`null` when absent).
    Other(Loose<'a>),
}

impl<W> Default for Nested<'_, W> {
    fn default() -> Self {
        Self::Other(Loose::Null)
    }
}

impl<'a, W: Deserialize<'a>> Nested<'a, W> {
    /// A value kept raw (a top-level field), decoded as `W` if it is an object.
    pub(crate) fn from_loose(value: Loose<'a>, meta: &mut Meta) -> Self {
        match value.as_object_text() {
            Some(text) => match serde_json::from_str(text) {
                Ok(object) => Self::Object(object),
                Err(e) => {
                    meta.fail(e);
                    Self::Other(Loose::Null)
                }
            },
            None => Self::Other(value),
        }
    }

    /// The object: `null` is absent, anything else is recorded as invalid.
    pub(crate) fn into_object(self, path: &Path<'_>, meta: &mut Meta) -> Option<W> {
        match self {
            Self::Object(object) => Some(object),
            Self::Other(Loose::Null) => None,
            Self::Other(other) => {
                let value = other.into_value(meta);
                meta.invalid(path, "expected an object", &value);
                None
            }
        }
    }
}

impl<'de, W: Deserialize<'de>> Deserialize<'de> for Nested<'de, W> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NestedVisitor<W>(std::marker::PhantomData<W>);
        impl<'de, W: Deserialize<'de>> Visitor<'de> for NestedVisitor<W> {
            type Value = Nested<'de, W>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            visit_scalars!(Nested::Other);
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                let value = Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(Nested::Other(Loose::Built(value)))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let object = W::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Nested::Object(object))
            }
        }
        deserializer.deserialize_any(NestedVisitor(std::marker::PhantomData))
    }
}

/// A map key, borrowed from the payload when it has no escapes.
pub(crate) struct Key<'de>(pub(crate) Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Declares a wire object: a struct of fields, one per key a reader reads (a [`Loose`]
/// value, or a list or object read in the same pass: [`Items`], [`Nested`]), and its
/// `Deserialize` impl. Other keys are skipped unread; a repeated key keeps its last value
/// (as a `Value` map does); a missing key is `null`.
macro_rules! wire_object {
    ($(#[$attr:meta])* $name:ident<$lt:lifetime> { $($field:ident: $key:literal => $ty:ty),* $(,)? }) => {
        $(#[$attr])*
        #[derive(Debug, Default)]
        pub(crate) struct $name<$lt> {
            $(pub(crate) $field: $ty,)*
        }

        impl<'de> ::serde::Deserialize<'de> for $name<'de> {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                struct ObjectVisitor;
                impl<'de> ::serde::de::Visitor<'de> for ObjectVisitor {
                    type Value = $name<'de>;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str("an object")
                    }
                    fn visit_map<A: ::serde::de::MapAccess<'de>>(
                        self,
                        mut access: A,
                    ) -> Result<Self::Value, A::Error> {
                        let mut out = $name::default();
                        while let Some($crate::wire::Key(key)) = access.next_key()? {
                            match key.as_ref() {
                                $($key => out.$field = access.next_value()?,)*
                                _ => {
                                    access.next_value::<::serde::de::IgnoredAny>()?;
                                }
                            }
                        }
                        Ok(out)
                    }
                }
                deserializer.deserialize_map(ObjectVisitor)
            }
        }
    };
}
pub(crate) use wire_object;

/// An object field read as wire object `W`: `null` is absent, anything else than an
/// object is recorded as invalid.
pub(crate) fn object<'a, W: Deserialize<'a>>(
    value: Loose<'a>,
    path: &Path<'_>,
    meta: &mut Meta,
) -> Option<W> {
    if let Some(text) = value.as_object_text() {
        return serde_json::from_str(text).map_err(|e| meta.fail(e)).ok();
    }
    if !value.is_null() {
        let value = value.into_value(meta);
        meta.invalid(path, "expected an object", &value);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loose(text: &str) -> Loose<'_> {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn scalars_are_decoded_and_strings_borrowed_without_escapes() {
        assert_eq!(loose("null"), Loose::Null);
        assert_eq!(loose(" true "), Loose::Bool(true));
        assert_eq!(loose("false"), Loose::Bool(false));
        assert_eq!(
            loose("-1.5e3"),
            Loose::Number(Number::from_f64(-1500.0).unwrap())
        );
        assert_eq!(
            loose("18446744073709551615"),
            Loose::Number(u64::MAX.into())
        );
        assert!(matches!(
            loose(r#""plain""#),
            Loose::Str(Cow::Borrowed("plain"))
        ));
        assert!(matches!(loose(r#""""#), Loose::Str(Cow::Borrowed(""))));
        let Loose::Str(Cow::Owned(s)) = loose(r#""a\"b\n\u00e9\/""#) else {
            panic!("escaped strings are decoded into an owned string")
        };
        assert_eq!(s, "a\"b\né/");
        assert!(matches!(loose("[1, 2]"), Loose::Raw(r) if r.get() == "[1, 2]"));
        assert!(matches!(loose(r#"{"a": 1}"#), Loose::Raw(r) if r.get() == r#"{"a": 1}"#));
    }

    #[test]
    fn values_are_what_a_value_parse_gives() {
        for text in [
            "null",
            "1",
            "-7",
            "1.5",
            "1e3",
            r#""x\ty""#,
            r#"{"b": [1, {"c": null}], "a": "\u2028"}"#,
        ] {
            let mut meta = Meta::default();
            let expected: Value = serde_json::from_str(text).unwrap();
            assert_eq!(loose(text).into_value(&mut meta), expected, "{text}");
            assert!(meta.into_errors().is_empty());
        }
    }

    #[test]
    fn json_a_value_refuses_fails_the_event() {
        assert!(serde_json::from_str::<Loose<'_>>(r#""\ud800""#).is_err());
        assert!(serde_json::from_str::<Loose<'_>>("1e400").is_err());
        let raw: &RawValue = serde_json::from_str(r#"["\ud800"]"#).unwrap();
        let mut meta = Meta::default();
        assert_eq!(
            Loose::from_raw_in(raw, &mut meta).into_value(&mut meta),
            Value::Null
        );
        assert!(meta.take_failure().is_some());
    }

    wire_object!(
        /// A test object.
        Pair<'a> { a: "a" => Loose<'a>, b: "b" => Loose<'a> }
    );

    #[test]
    fn wire_objects_skip_unknown_keys_and_keep_the_last_repeat() {
        let pair: Pair<'_> =
            serde_json::from_str(r#"{"x": {"deep": [1]}, "a": 1, "\u0062": "2", "a": "3"}"#)
                .unwrap();
        assert_eq!(pair.a, Loose::Str(Cow::Borrowed("3")));
        assert_eq!(pair.b, Loose::Str(Cow::Borrowed("2")));
        let empty: Pair<'_> = serde_json::from_str("{}").unwrap();
        assert!(empty.a.is_null() && empty.b.is_null());
    }

    #[test]
    fn objects_of_the_wrong_type_are_recorded() {
        let mut meta = Meta::default();
        let path = Path::Root.key("pair");
        assert!(object::<Pair<'_>>(Loose::Null, &path, &mut meta).is_none());
        assert!(object::<Pair<'_>>(loose("[1]"), &path, &mut meta).is_none());
        assert!(object::<Pair<'_>>(loose(r#""s""#), &path, &mut meta).is_none());
        assert!(object::<Pair<'_>>(loose(r#"{"a": null}"#), &path, &mut meta).is_some());
        let errors = meta.into_errors();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].value, Some(serde_json::json!([1])));
        assert_eq!(errors[1].name, "pair");
    }
}
