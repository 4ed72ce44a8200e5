//! Parsing a payload: the hot fields kept as raw JSON, the others parsed into values.
//!
//! [`parse_event`] reads the top-level object once, from the payload bytes. The fields
//! that carry most of an event's bytes (`exception`, `threads`, `stacktrace`,
//! `breadcrumbs`) are only delimited and kept as raw JSON text borrowed from the payload
//! (as [`Loose`] values, see [`crate::wire`]): their readers decode what they keep
//! straight into typed values, skipping the frames and breadcrumbs a list cuts without
//! building them. The other fields are parsed into `serde_json::Value`s for the tolerant
//! readers of [`crate::value`], except tags, which are cut by count and can be long
//! enough that merely building their values would dominate the cost of an event: only
//! the first [`MAX_TAGS_READ`] tags as sent (plus a later `environment` tag) are built;
//! the others are only validated by the parser and counted in [`Payload::tags_skipped`]
//! so the reader records the cut.

use crate::tags::MAX_TAGS;
use crate::wire::{Key, Loose};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::fmt;

/// Most tags parsed as sent (the first; an object's before sorting by key): room for
/// [`MAX_TAGS`] valid distinct ones among invalid and duplicate ones. Tags after these
/// are skipped unread, except an `environment` tag.
pub const MAX_TAGS_READ: usize = 4 * MAX_TAGS;

/// The tag key that is still read past [`MAX_TAGS_READ`] (it sets the environment).
const ENVIRONMENT: &str = "environment";

/// A parsed payload.
#[derive(Debug)]
pub(crate) enum Parsed<'a> {
    /// A top-level object, as an event.
    Event(Payload<'a>),
    /// Anything else, parsed as it is, for the caller to reject.
    Other(Value),
}

/// An event object: its hot fields as raw JSON, the others as values.
#[derive(Debug, Default)]
pub(crate) struct Payload<'a> {
    /// `exception`, as sent.
    pub(crate) exception: Loose<'a>,
    /// `threads`, as sent.
    pub(crate) threads: Loose<'a>,
    /// `stacktrace`, as sent.
    pub(crate) stacktrace: Loose<'a>,
    /// `breadcrumbs`, as sent.
    pub(crate) breadcrumbs: Loose<'a>,
    /// Every other field.
    pub(crate) fields: Map<String, Value>,
    /// Tags after the first [`MAX_TAGS_READ`] sent, skipped unread.
    pub(crate) tags_skipped: usize,
}

/// Parses a payload: a top-level object as an event (see the module docs), anything
/// else as it is.
pub(crate) fn parse_event(json: &[u8]) -> Result<Parsed<'_>, serde_json::Error> {
    let first = json.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Ok(Parsed::Other(serde_json::from_slice(json)?));
    }
    let mut de = serde_json::Deserializer::from_slice(json);
    let payload = de.deserialize_map(TopLevel)?;
    de.end()?;
    Ok(Parsed::Event(payload))
}

/// The event object.
struct TopLevel;

impl<'de> Visitor<'de> for TopLevel {
    type Value = Payload<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut payload = Payload::default();
        // As when parsing into a `Value`: a repeated key keeps its last value.
        while let Some(Key(key)) = access.next_key()? {
            match key.as_ref() {
                "exception" => payload.exception = access.next_value()?,
                "threads" => payload.threads = access.next_value()?,
                "stacktrace" => payload.stacktrace = access.next_value()?,
                "breadcrumbs" => payload.breadcrumbs = access.next_value()?,
                "tags" => {
                    let raw: &'de RawValue = access.next_value()?;
                    let (value, n) = tags(raw).map_err(de::Error::custom)?;
                    payload.tags_skipped = n;
                    payload.fields.insert(key.into_owned(), value);
                }
                _ => {
                    let value = access.next_value()?;
                    payload.fields.insert(key.into_owned(), value);
                }
            }
        }
        Ok(payload)
    }
}

/// Tags as an object or a list of pairs (or anything else, left to the reader): values
/// for the first [`MAX_TAGS_READ`] sent and a later `environment`, and how many were
/// skipped.
fn tags(raw: &RawValue) -> Result<(Value, usize), serde_json::Error> {
    let text = raw.get();
    match text.trim_start().as_bytes().first() {
        Some(b'{') => serde_json::Deserializer::from_str(text).deserialize_map(TagObject),
        Some(b'[') => serde_json::Deserializer::from_str(text).deserialize_seq(TagList),
        _ => Ok((serde_json::from_str(text)?, 0)),
    }
}

/// Tags sent as an object: the first [`MAX_TAGS_READ`] entries sent, then sorted by key
/// (as any object is); past those only an `environment` entry is built.
struct TagObject;

impl<'de> Visitor<'de> for TagObject {
    type Value = (Value, usize);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of tags")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut kept: Vec<(String, Value)> = Vec::new();
        let mut environment = None;
        let mut skipped = 0;
        while let Some(Key(key)) = access.next_key()? {
            if kept.len() < MAX_TAGS_READ {
                kept.push((key.into_owned(), access.next_value()?));
            } else if environment.is_none() && key.trim() == ENVIRONMENT {
                environment = Some((key.into_owned(), access.next_value()?));
            } else {
                access.next_value::<IgnoredAny>()?;
                skipped += 1;
            }
        }
        let mut map: Map<String, Value> = Map::new();
        for (key, value) in kept {
            map.insert(key, value);
        }
        if let Some((key, value)) = environment {
            map.entry(key).or_insert(value);
        }
        Ok((Value::Object(map), skipped))
    }
}

/// Tags sent as a list of pairs: the first [`MAX_TAGS_READ`], then only a pair whose
/// key is `environment`.
struct TagList;

impl<'de> Visitor<'de> for TagList {
    type Value = (Value, usize);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of tags")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut kept: Vec<Value> = Vec::new();
        let mut skipped = 0;
        let mut environment = false;
        loop {
            let seed = TagPair {
                within_cap: kept.len() < MAX_TAGS_READ,
                want_environment: !environment,
            };
            match seq.next_element_seed(seed)? {
                None => break,
                Some(Some(value)) => {
                    environment |= kept.len() >= MAX_TAGS_READ;
                    kept.push(value);
                }
                Some(None) => skipped += 1,
            }
        }
        Ok((Value::Array(kept), skipped))
    }
}

/// One item of a tag list: built within the cap, or past it when an `environment` pair
/// is still wanted and this is one; otherwise only validated (`None`).
struct TagPair {
    within_cap: bool,
    want_environment: bool,
}

impl<'de> DeserializeSeed<'de> for TagPair {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        let raw: &'de RawValue = Deserialize::deserialize(deserializer)?;
        let build = self.within_cap || (self.want_environment && is_environment_pair(raw));
        if !build {
            return Ok(None);
        }
        let value: Value = serde_json::from_str(raw.get()).map_err(de::Error::custom)?;
        Ok(Some(value))
    }
}

/// Whether `raw` is a list whose first item is the string `environment` (trimmed),
/// found without building anything.
fn is_environment_pair(raw: &RawValue) -> bool {
    struct FirstIsEnvironment;
    impl<'de> Visitor<'de> for FirstIsEnvironment {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a pair")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
            let first: Option<Key<'de>> = seq.next_element()?;
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(first.is_some_and(|Key(key)| key.trim() == ENVIRONMENT))
        }
    }
    let text = raw.get();
    text.starts_with('[')
        && serde_json::Deserializer::from_str(text)
            .deserialize_seq(FirstIsEnvironment)
            .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meta::Meta;
    use serde_json::json;

    /// The payload as one value again (hot fields decoded), and the tags skipped.
    fn parse(value: &Value) -> (Value, usize) {
        parse_text(&value.to_string())
    }

    fn parse_text(text: &str) -> (Value, usize) {
        let Parsed::Event(payload) = parse_event(text.as_bytes()).unwrap() else {
            panic!("not an object: {text}")
        };
        let mut meta = Meta::default();
        let mut map = payload.fields;
        for (key, value) in [
            ("exception", payload.exception),
            ("threads", payload.threads),
            ("stacktrace", payload.stacktrace),
            ("breadcrumbs", payload.breadcrumbs),
        ] {
            if !value.is_null() {
                map.insert(key.to_owned(), value.into_value(&mut meta));
            }
        }
        assert!(meta.take_failure().is_none());
        (Value::Object(map), payload.tags_skipped)
    }

    #[test]
    fn small_events_parse_as_values_do() {
        let event = json!({
            "breadcrumbs": {"values": [{"message": "a"}], "x": 1},
            "exception": [{"type": "E", "stacktrace": {"frames": [{"lineno": 1}]}}],
            "threads": "nope",
            "stacktrace": 7,
            "tags": [["a", "1"], ["b", 2]],
            "extra": {"k": [1, 2]},
        });
        assert_eq!(parse(&event), (event, 0));
        for other in [
            json!({"breadcrumbs": "nope", "tags": 5}),
            json!({"tags": {"b": 1, "a": 2}}),
        ] {
            assert_eq!(parse(&other), (other, 0));
        }
        let repeated =
            r#"{"tags": {"a": "1"}, "tags": {"b": "2"}, "exception": [1], "\u0065xception": [2]}"#;
        assert_eq!(
            parse_text(repeated).0,
            json!({"tags": {"b": "2"}, "exception": [2]})
        );
    }

    #[test]
    fn hot_fields_are_kept_as_raw_text() {
        let text = r#"{"exception": {"values": [ {"type": "E"} ]}, "breadcrumbs": [{}, {}]}"#;
        let Parsed::Event(payload) = parse_event(text.as_bytes()).unwrap() else {
            panic!("an object")
        };
        assert_eq!(
            payload.exception.as_object_text(),
            Some(r#"{"values": [ {"type": "E"} ]}"#)
        );
        assert_eq!(payload.breadcrumbs.as_array_text(), Some("[{}, {}]"));
        assert!(payload.threads.is_null() && payload.fields.is_empty());
    }

    #[test]
    fn only_the_first_tags_and_a_later_environment_are_built() {
        let n = MAX_TAGS_READ + 10;
        let mut object: Map<String, Value> =
            (0..n).map(|i| (format!("t{i:05}"), json!("v"))).collect();
        object.insert("zz-last".into(), json!("v"));
        let mut text = Value::Object(object).to_string();
        text.insert_str(text.len() - 1, r#", "environment": "prod""#);
        let (value, skipped) = parse_text(&format!("{{\"tags\": {text}}}"));
        let tags = value["tags"].as_object().unwrap();
        assert_eq!(tags.len(), MAX_TAGS_READ + 1);
        assert_eq!(tags["environment"], "prod");
        assert_eq!(skipped, 11);
        let mut list: Vec<Value> = (0..n).map(|i| json!([format!("t{i}"), "v"])).collect();
        list.push(json!([" environment", "prod"]));
        list.push(json!(["environment", "later"]));
        let (value, skipped) = parse(&json!({ "tags": list }));
        let tags = value["tags"].as_array().unwrap();
        assert_eq!(tags.len(), MAX_TAGS_READ + 1);
        assert_eq!(tags.last().unwrap()[1], "prod");
        assert_eq!(skipped, 11);
    }

    #[test]
    fn invalid_json_in_skipped_items_is_still_an_error() {
        let crumbs = "{},".repeat(200);
        let tags = (0..MAX_TAGS_READ + 5)
            .map(|i| format!("\"t{i}\": 1,"))
            .collect::<Vec<_>>()
            .concat();
        for bad in [
            format!("{{\"breadcrumbs\": [{{\"a\": tru}}, {crumbs} {{}}]}}"),
            "{\"exception\": [{\"a\": 1,}]}".to_owned(),
            format!("{{\"tags\": {{{tags} \"x\": [1,]}}}}"),
            format!("{{\"tags\": {{{tags} \"x\": 1"),
            "[1, 2]".to_owned(),
            "{\"a\": 1} x".to_owned(),
        ] {
            let parsed = parse_event(bad.as_bytes());
            assert!(
                parsed.is_err() || matches!(parsed, Ok(Parsed::Other(_))),
                "{bad}"
            );
        }
    }
}
