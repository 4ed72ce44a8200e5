//! The user an event happened to. Unknown keys move into `data` (at most
//! [`MAX_USER_DATA_KEYS`] keys in all, trimmed as a context is); ids become strings, and
//! every field is cut to [`MAX_USER_FIELD`] bytes; the `{{auto}}` IP placeholder is
//! replaced by the client address the server saw.

use crate::databag::{self, BagLimits, CONTEXT};
use crate::meta::{ErrorKind, Meta, Path};
use crate::value::{bounded_object, bounded_string, object, take};
use serde::Serialize;
use serde_json::{Map, Value};

/// Longest user field (`id`, `email`, `ip_address`, `username`, `name`, `segment`) kept.
pub const MAX_USER_FIELD: usize = 128;
/// Most keys of `user.data` kept, counting the unknown keys moved into it: those of
/// `data` first (in key order), then the unknown ones.
pub const MAX_USER_DATA_KEYS: usize = 50;
/// `user.geo` (`city`, `country_code`, `region`...): 2 levels, 1 KiB.
const GEO: BagLimits = BagLimits {
    max_depth: 2,
    max_bytes: 1024,
};

/// The user interface of an event.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[allow(
    missing_docs,
    reason = "the fields are Sentry's user attributes, named as on the wire"
)]
pub struct User {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geo: Option<Map<String, Value>>,
    /// Every other key the SDK sent.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub data: Map<String, Value>,
}

impl User {
    pub(crate) fn read(value: Value, path: &Path<'_>, meta: &mut Meta) -> Option<Self> {
        let mut map = object(value, path, meta)?;
        let mut field = |name: &str, meta: &mut Meta| {
            bounded_string(take(&mut map, name), MAX_USER_FIELD, &path.key(name), meta)
        };
        let mut user = User {
            id: field("id", meta),
            email: field("email", meta),
            ip_address: field("ip_address", meta),
            username: field("username", meta),
            name: field("name", meta),
            segment: field("segment", meta),
            ..User::default()
        };
        user.geo = object(take(&mut map, "geo"), &path.key("geo"), meta)
            .map(|geo| databag::trim_map(geo, GEO, &path.key("geo"), meta));
        let data_path = path.key("data");
        let mut data = bounded_object(take(&mut map, "data"), MAX_USER_DATA_KEYS, &data_path, meta)
            .unwrap_or_default();
        let mut dropped = 0usize;
        for (key, value) in map {
            if value.is_null() || data.contains_key(&key) {
                continue;
            }
            if data.len() == MAX_USER_DATA_KEYS {
                dropped += 1;
                continue;
            }
            data.insert(key, value);
        }
        if dropped > 0 {
            meta.push(
                ErrorKind::Trimmed,
                &data_path,
                format!(
                    "{dropped} unknown user keys were dropped (over the limit of \
                     {MAX_USER_DATA_KEYS} data keys)"
                ),
            );
        }
        user.data = databag::trim_map(data, CONTEXT, &data_path, meta);
        Some(user)
    }

    /// A label for counting distinct users: id, then email, username, IP.
    pub fn identity(&self) -> Option<String> {
        if let Some(id) = &self.id {
            return Some(format!("id:{id}"));
        }
        if let Some(email) = &self.email {
            return Some(format!("email:{email}"));
        }
        if let Some(username) = &self.username {
            return Some(format!("username:{username}"));
        }
        self.ip_address.as_ref().map(|ip| format!("ip:{ip}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_keys_move_to_data_and_ids_become_strings() {
        let u = User::read(
            json!({"id": 42, "email": "a@b.c", "plan": "gold", "data": {"x": 1}}),
            &Path::Root,
            &mut Meta::default(),
        )
        .unwrap();
        assert_eq!(u.id.as_deref(), Some("42"));
        assert_eq!(
            u.data,
            json!({"x": 1, "plan": "gold"}).as_object().unwrap().clone()
        );
        assert_eq!(u.identity().as_deref(), Some("id:42"));
    }
}
