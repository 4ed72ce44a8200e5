//! Tags: the short indexed key/value pairs the UI filters on. Keys and values follow
//! Sentry's rules (charset, length, no newlines); offending tags are dropped with an
//! error, duplicates keep the first, and reserved keys are removed.

use crate::meta::{ErrorKind, Meta, Path};

/// Longest tag key kept.
pub const MAX_KEY: usize = 200;
/// Longest tag value kept.
pub const MAX_VALUE: usize = 200;
/// Keys that are event fields in their own right and may not be set as tags.
const RESERVED: [&str; 5] = ["release", "dist", "user", "filename", "function"];

/// Cleans `tags` in place: trims, replaces spaces in keys with `-`, drops invalid,
/// duplicate and reserved keys (recording why).
pub(crate) fn normalize(
    tags: Vec<(String, String)>,
    path: &Path<'_>,
    meta: &mut Meta,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(tags.len());
    for (i, (key, value)) in tags.into_iter().enumerate() {
        let tag_path = path.index(i);
        let key = key.trim().replace(' ', "-");
        let value = value.trim().to_owned();
        let problem = if key.is_empty() {
            Some("the key is empty".to_owned())
        } else if value.is_empty() {
            Some(format!("the value of {key:?} is empty"))
        } else if key.len() > MAX_KEY {
            Some(format!("the key is over {MAX_KEY} bytes"))
        } else if !key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.:-".contains(&b))
        {
            Some(format!(
                "the key {key:?} has characters other than a-z A-Z 0-9 _ . : -"
            ))
        } else if value.len() > MAX_VALUE {
            Some(format!("the value of {key:?} is over {MAX_VALUE} bytes"))
        } else if value.contains('\n') {
            Some(format!("the value of {key:?} contains a newline"))
        } else if RESERVED.contains(&key.as_str()) {
            Some(format!(
                "{key:?} is reserved for the event field of that name"
            ))
        } else {
            None
        };
        if let Some(reason) = problem {
            meta.push(ErrorKind::InvalidData, &tag_path, reason);
            continue;
        }
        if out.iter().any(|(k, _)| *k == key) {
            continue;
        }
        out.push((key, value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(tags: &[(&str, &str)]) -> (Vec<(String, String)>, usize) {
        let mut meta = Meta::default();
        let tags = tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let out = normalize(tags, &Path::Root.key("tags"), &mut meta);
        (out, meta.into_errors().len())
    }

    #[test]
    fn keys_are_cleaned_and_bad_tags_dropped() {
        let long = "v".repeat(201);
        let (out, errors) = run(&[
            (" customer tier ", " gold "),
            ("customer-tier", "silver"),
            ("bad/key", "x"),
            ("empty", ""),
            ("release", "1.0"),
            ("multi", "a\nb"),
            ("long", &long),
            ("ok.key:1", "yes"),
        ]);
        assert_eq!(
            out,
            vec![
                ("customer-tier".to_owned(), "gold".to_owned()),
                ("ok.key:1".to_owned(), "yes".to_owned())
            ]
        );
        assert_eq!(errors, 5);
    }
}
