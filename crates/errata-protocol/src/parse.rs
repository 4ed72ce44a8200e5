//! Parsing a payload into JSON values, skipping what would be cut anyway.
//!
//! Most of an event is parsed into `serde_json::Value`s for the tolerant readers. Two
//! lists are cut by count before anything else and can be long enough that merely
//! building their values would dominate the cost of an event: breadcrumbs (only the last
//! [`MAX_BREADCRUMBS`] are kept) and tags (only the first [`MAX_TAGS`] valid ones). For
//! those, [`parse_event`] first takes the list as raw JSON text, then builds values only
//! for the items that can be kept: the last [`MAX_BREADCRUMBS`] breadcrumbs, the first
//! [`MAX_TAGS_READ`] tags as sent (plus a later `environment` tag). The others are only
//! validated by the parser, never built, and counted in [`Skipped`] so the readers record
//! the cut. Every other field is parsed as usual.

use crate::breadcrumb::MAX_BREADCRUMBS;
use crate::tags::MAX_TAGS;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;

/// Most tags parsed as sent (the first; an object's before sorting by key): room for
/// [`MAX_TAGS`] valid distinct ones among invalid and duplicate ones. Tags after these
/// are skipped unread, except an `environment` tag.
pub const MAX_TAGS_READ: usize = 4 * MAX_TAGS;

/// The tag key that is still read past [`MAX_TAGS_READ`] (it sets the environment).
const ENVIRONMENT: &str = "environment";

/// How many items the parser skipped without building them.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Skipped {
    /// Breadcrumbs before the last [`MAX_BREADCRUMBS`] (the oldest).
    pub(crate) breadcrumbs: usize,
    /// Tags after the first [`MAX_TAGS_READ`] sent.
    pub(crate) tags: usize,
}

/// Parses a payload: a top-level object is parsed with breadcrumbs and tags skimmed (see
/// the module docs); anything else is parsed as it is, for the caller to reject.
pub(crate) fn parse_event(json: &[u8]) -> Result<(Value, Skipped), serde_json::Error> {
    let first = json.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Ok((serde_json::from_slice(json)?, Skipped::default()));
    }
    let mut de = serde_json::Deserializer::from_slice(json);
    let (map, skipped) = de.deserialize_map(TopLevel)?;
    de.end()?;
    Ok((Value::Object(map), skipped))
}

/// The event object, with `breadcrumbs` and `tags` skimmed.
struct TopLevel;

impl<'de> Visitor<'de> for TopLevel {
    type Value = (Map<String, Value>, Skipped);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut map = Map::new();
        let mut skipped = Skipped::default();
        while let Some(key) = access.next_key::<String>()? {
            let value = match key.as_str() {
                "breadcrumbs" => {
                    let raw: &'de RawValue = access.next_value()?;
                    let (value, n) = breadcrumbs(raw).map_err(de::Error::custom)?;
                    skipped.breadcrumbs = n;
                    value
                }
                "tags" => {
                    let raw: &'de RawValue = access.next_value()?;
                    let (value, n) = tags(raw).map_err(de::Error::custom)?;
                    skipped.tags = n;
                    value
                }
                _ => access.next_value()?,
            };
            // As when parsing into a `Value`: a repeated key keeps its last value.
            map.insert(key, value);
        }
        Ok((map, skipped))
    }
}

/// Breadcrumbs as a list, as `{"values": [...]}`, or anything else (left to the reader):
/// values only for the last [`MAX_BREADCRUMBS`] items, and how many were skipped.
fn breadcrumbs(raw: &RawValue) -> Result<(Value, usize), serde_json::Error> {
    let text = raw.get();
    match text.trim_start().as_bytes().first() {
        Some(b'[') => {
            let items: Vec<&RawValue> = serde_json::from_str(text)?;
            let skip = items.len().saturating_sub(MAX_BREADCRUMBS);
            let kept = items[skip..]
                .iter()
                .map(|item| serde_json::from_str(item.get()))
                .collect::<Result<_, _>>()?;
            Ok((Value::Array(kept), skip))
        }
        Some(b'{') => {
            let fields: Vec<(String, &RawValue)> =
                serde_json::Deserializer::from_str(text).deserialize_map(Entries)?;
            let mut map = Map::new();
            let mut skipped = 0;
            for (key, value) in fields {
                let value = if key == "values" {
                    let (value, n) = breadcrumbs(value)?;
                    skipped = n;
                    value
                } else {
                    serde_json::from_str(value.get())?
                };
                map.insert(key, value);
            }
            Ok((Value::Object(map), skipped))
        }
        _ => Ok((serde_json::from_str(text)?, 0)),
    }
}

/// An object's entries in the order sent, values left as raw JSON.
struct Entries;

impl<'de> Visitor<'de> for Entries {
    type Value = Vec<(String, &'de RawValue)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(entry) = access.next_entry()? {
            out.push(entry);
        }
        Ok(out)
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

/// A map key, borrowed from the payload when it has no escapes.
struct Key<'de>(Cow<'de, str>);

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
    use serde_json::json;

    fn parse(value: &Value) -> (Value, Skipped) {
        parse_event(value.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn small_events_parse_as_values_do() {
        let event = json!({
            "breadcrumbs": {"values": [{"message": "a"}], "x": 1},
            "tags": [["a", "1"], ["b", 2]],
            "extra": {"k": [1, 2]},
        });
        assert_eq!(parse(&event), (event, Skipped::default()));
        for other in [
            json!({"breadcrumbs": "nope", "tags": 5}),
            json!({"tags": {"b": 1, "a": 2}}),
        ] {
            assert_eq!(parse(&other), (other, Skipped::default()));
        }
        let repeated = br#"{"tags": {"a": "1"}, "tags": {"b": "2"}}"#;
        assert_eq!(
            parse_event(repeated).unwrap().0,
            json!({"tags": {"b": "2"}})
        );
    }

    #[test]
    fn only_the_last_breadcrumbs_are_built() {
        let crumbs: Vec<Value> = (0..MAX_BREADCRUMBS + 5).map(|i| json!({"i": i})).collect();
        for event in [
            json!({ "breadcrumbs": crumbs }),
            json!({"breadcrumbs": {"values": crumbs}}),
        ] {
            let (value, skipped) = parse(&event);
            assert_eq!(skipped.breadcrumbs, 5);
            let list = value["breadcrumbs"]
                .get("values")
                .unwrap_or(&value["breadcrumbs"]);
            assert_eq!(list.as_array().unwrap().len(), MAX_BREADCRUMBS);
            assert_eq!(list[0]["i"], 5);
        }
    }

    #[test]
    fn only_the_first_tags_and_a_later_environment_are_built() {
        let n = MAX_TAGS_READ + 10;
        let mut object: Map<String, Value> =
            (0..n).map(|i| (format!("t{i:05}"), json!("v"))).collect();
        object.insert("zz-last".into(), json!("v"));
        let mut text = Value::Object(object).to_string();
        text.insert_str(text.len() - 1, r#", "environment": "prod""#);
        let (value, skipped) = parse_event(format!("{{\"tags\": {text}}}").as_bytes()).unwrap();
        let tags = value["tags"].as_object().unwrap();
        assert_eq!(tags.len(), MAX_TAGS_READ + 1);
        assert_eq!(tags["environment"], "prod");
        assert_eq!(skipped.tags, 11);
        let mut list: Vec<Value> = (0..n).map(|i| json!([format!("t{i}"), "v"])).collect();
        list.push(json!([" environment", "prod"]));
        list.push(json!(["environment", "later"]));
        let (value, skipped) = parse(&json!({ "tags": list }));
        let tags = value["tags"].as_array().unwrap();
        assert_eq!(tags.len(), MAX_TAGS_READ + 1);
        assert_eq!(tags.last().unwrap()[1], "prod");
        assert_eq!(skipped.tags, 11);
    }

    #[test]
    fn invalid_json_in_skipped_items_is_still_an_error() {
        let crumbs = "{},".repeat(MAX_BREADCRUMBS + 5);
        let tags = (0..MAX_TAGS_READ + 5)
            .map(|i| format!("\"t{i}\": 1,"))
            .collect::<Vec<_>>()
            .concat();
        for bad in [
            format!("{{\"breadcrumbs\": [{{\"a\": tru}}, {crumbs} {{}}]}}"),
            format!("{{\"tags\": {{{tags} \"x\": [1,]}}}}"),
            format!("{{\"tags\": {{{tags} \"x\": 1"),
            "[1, 2]".to_owned(),
            "{\"a\": 1} x".to_owned(),
        ] {
            let parsed = parse_event(bad.as_bytes());
            assert!(parsed.is_err() || !parsed.unwrap().0.is_object(), "{bad}");
        }
    }
}
