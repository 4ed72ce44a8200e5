//! Tags: the short indexed key/value pairs the UI filters on. Keys and values follow
//! Sentry's rules (charset, length, no newlines); offending tags are dropped with an
//! error, duplicates keep the first (found with a hash set), reserved keys are removed,
//! and an event keeps at most [`MAX_TAGS`] tags, counting the ones derived from event
//! fields. Tags past the first [`MAX_TAGS`] valid ones are dropped unread (only an
//! `environment` tag is still looked for), so 70,000 tags cost little more than 200.

use crate::meta::{ErrorKind, Meta, Path};
use std::collections::HashSet;

/// Longest tag key kept.
pub const MAX_KEY: usize = 200;
/// Longest tag value kept.
pub const MAX_VALUE: usize = 200;
/// Most tags an event keeps, including those derived from event fields (`server_name`,
/// `site`): the first valid distinct tags the SDK sent, the rest dropped and counted.
pub const MAX_TAGS: usize = 200;
/// The tag that sets the event's environment instead of being kept as a tag.
const ENVIRONMENT: &str = "environment";
/// Keys that are event fields in their own right and may not be set as tags.
const RESERVED: [&str; 5] = ["release", "dist", "user", "filename", "function"];

/// Tags after cleaning, before the derived ones are added and the final cut.
#[derive(Debug)]
pub(crate) struct Cleaned {
    /// The first [`MAX_TAGS`] valid distinct tags, `environment` taken out.
    pub(crate) tags: Vec<(String, String)>,
    /// The value of the first valid `environment` tag (the event's environment).
    pub(crate) environment: Option<String>,
    /// How many tags came after the first [`MAX_TAGS`] valid ones and were not read.
    pub(crate) unread: usize,
}

/// Cleans `tags`: trims, replaces spaces in keys with `-`, drops invalid, duplicate and
/// reserved keys (recording why), takes out `environment`, and stops reading once
/// [`MAX_TAGS`] are kept. Not cut yet: see [`finish`].
pub(crate) fn normalize(tags: Vec<(String, String)>, path: &Path<'_>, meta: &mut Meta) -> Cleaned {
    let mut seen: HashSet<String> = HashSet::with_capacity(tags.len().min(MAX_TAGS));
    let mut out = Cleaned {
        tags: Vec::with_capacity(tags.len().min(MAX_TAGS)),
        environment: None,
        unread: 0,
    };
    for (i, (key, value)) in tags.into_iter().enumerate() {
        if out.tags.len() == MAX_TAGS {
            // Past the limit: only an environment tag is still worth reading.
            if out.environment.is_none() && key.trim() == ENVIRONMENT {
                let value = clean(value, false);
                if problem(ENVIRONMENT, &value).is_none() {
                    out.environment = Some(value);
                    continue;
                }
            }
            out.unread += 1;
            continue;
        }
        let key = clean(key, true);
        let value = clean(value, false);
        if let Some(reason) = problem(&key, &value) {
            meta.push(ErrorKind::InvalidData, &path.index(i), reason);
            continue;
        }
        if key == ENVIRONMENT {
            out.environment.get_or_insert(value);
            continue;
        }
        if seen.contains(&key) {
            continue;
        }
        seen.insert(key.clone());
        out.tags.push((key, value));
    }
    out
}

/// Trims `s` (and in a key, replaces spaces with `-`), reusing it when nothing changes.
fn clean(s: String, key: bool) -> String {
    let trimmed = s.trim();
    let spaced = key && trimmed.contains(' ');
    if spaced {
        trimmed.replace(' ', "-")
    } else if trimmed.len() == s.len() {
        s
    } else {
        trimmed.to_owned()
    }
}

/// Why a tag is invalid, if it is.
fn problem(key: &str, value: &str) -> Option<String> {
    if key.is_empty() {
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
    } else if RESERVED.contains(&key) {
        Some(format!(
            "{key:?} is reserved for the event field of that name"
        ))
    } else {
        None
    }
}

/// Adds the tags `derived` from event fields (`server_name`, `site`) that the SDK did
/// not set itself, and cuts the list to [`MAX_TAGS`]. When a cut is needed every derived
/// key keeps a slot, and the SDK's tags keep the first of the others; one `trimmed`
/// error counts what was dropped, `unread` tags included.
pub(crate) fn finish(
    tags: &mut Vec<(String, String)>,
    unread: usize,
    derived: Vec<(&'static str, String)>,
    path: &Path<'_>,
    meta: &mut Meta,
) {
    let has = |tags: &[(String, String)], key: &str| tags.iter().any(|(k, _)| k == key);
    let missing = derived.iter().filter(|(k, _)| !has(tags, k)).count();
    if tags.len() + unread + missing > MAX_TAGS {
        let total = tags.len() + unread;
        let keep = (MAX_TAGS - derived.len()).min(tags.len());
        tags.truncate(keep);
        meta.push(
            ErrorKind::Trimmed,
            path,
            format!(
                "{} of {total} tags were dropped (over the limit of {MAX_TAGS}): kept the \
                 first {keep}",
                total - keep
            ),
        );
    }
    for (key, value) in derived {
        if !has(tags, key) {
            tags.push((key.to_owned(), value));
        }
    }
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
        (out.tags, meta.into_errors().len())
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

    fn numbered(n: usize) -> Vec<(String, String)> {
        (0..n).map(|i| (format!("k{i}"), format!("v{i}"))).collect()
    }

    fn finished(
        n: usize,
        derived: Vec<(&'static str, String)>,
    ) -> (Vec<(String, String)>, Vec<crate::ProcessingError>) {
        let mut meta = Meta::default();
        let cleaned = normalize(numbered(n), &Path::Root.key("tags"), &mut meta);
        let mut tags = cleaned.tags;
        finish(
            &mut tags,
            cleaned.unread,
            derived,
            &Path::Root.key("tags"),
            &mut meta,
        );
        (tags, meta.into_errors())
    }

    #[test]
    fn tags_are_cut_at_the_limit() {
        for n in [MAX_TAGS - 1, MAX_TAGS] {
            let (tags, errors) = finished(n, vec![]);
            assert_eq!((tags.len(), errors.len()), (n, 0));
        }
        let (tags, errors) = finished(MAX_TAGS + 1, vec![]);
        assert_eq!(tags.len(), MAX_TAGS);
        assert_eq!(tags.last().unwrap().0, format!("k{}", MAX_TAGS - 1));
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].kind, ErrorKind::Trimmed);
        assert_eq!(errors[0].name, "tags");
        assert!(
            errors[0].reason.starts_with("1 of 201 tags"),
            "{}",
            errors[0].reason
        );
    }

    #[test]
    fn derived_tags_count_toward_the_limit_and_keep_a_slot() {
        let server = || vec![("server_name", "web-1".to_owned())];
        let (tags, errors) = finished(MAX_TAGS - 1, server());
        assert_eq!((tags.len(), errors.len()), (MAX_TAGS, 0));
        let (tags, errors) = finished(MAX_TAGS, server());
        assert_eq!((tags.len(), errors.len()), (MAX_TAGS, 1));
        assert_eq!(tags.last().unwrap().0, "server_name");
        // Set by the SDK (and kept), the tag is not derived again.
        let mut meta = Meta::default();
        let mut tags = numbered(MAX_TAGS);
        tags[3].0 = "server_name".into();
        finish(&mut tags, 0, server(), &Path::Root.key("tags"), &mut meta);
        assert_eq!(tags.len(), MAX_TAGS);
        assert_eq!(tags[3].1, "v3");
        assert!(meta.into_errors().is_empty());
    }

    #[test]
    fn seventy_thousand_distinct_tags_keep_the_first_two_hundred() {
        let mut tags = numbered(70_000);
        tags.push(("environment".into(), "prod".into()));
        let mut meta = Meta::default();
        let cleaned = normalize(tags, &Path::Root.key("tags"), &mut meta);
        let mut out = cleaned.tags;
        finish(
            &mut out,
            cleaned.unread,
            vec![],
            &Path::Root.key("tags"),
            &mut meta,
        );
        let errors = meta.into_errors();
        assert_eq!(out.len(), MAX_TAGS);
        assert_eq!(out[0], ("k0".to_owned(), "v0".to_owned()));
        assert_eq!(cleaned.environment.as_deref(), Some("prod"));
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].reason.starts_with("69800 of 70000"),
            "{}",
            errors[0].reason
        );
    }

    #[test]
    fn the_first_environment_tag_is_taken_out() {
        let mut meta = Meta::default();
        let tags = vec![
            ("a".to_owned(), "1".to_owned()),
            (" environment".to_owned(), "staging".to_owned()),
            ("environment".to_owned(), "prod".to_owned()),
        ];
        let cleaned = normalize(tags, &Path::Root.key("tags"), &mut meta);
        assert_eq!(cleaned.tags, vec![("a".to_owned(), "1".to_owned())]);
        assert_eq!(cleaned.environment.as_deref(), Some("staging"));
    }
}
