//! Settings that name nothing: an `ERRATA_*` variable or a config file key that no
//! setting has is a warning (a typo must not silently leave a default in force, nor stop
//! a server that would otherwise start), naming the nearest known name when one is close.
//!
//! Known names come from the catalogue in `source.rs` (so they follow `Config`), plus the
//! variables that are not configuration: the CLI's own (`ERRATA_CONFIG`, logging, the
//! benchmarks' and tests' inputs).

use std::fmt;
use std::path::PathBuf;

use super::source::{known_keys, variable_for};

/// `ERRATA_*` variables read by something other than [`super::Config`]: exact names.
const OTHER_VARIABLES: &[&str] = &[
    "ERRATA_CONFIG",
    "ERRATA_LOG",
    "ERRATA_LOG_FORMAT",
    "ERRATA_CORPUS",
    "ERRATA_TOKEN",
    "ERRATA_EMAIL",
    "ERRATA_PASSWORD",
    "ERRATA_DUMP_DIR",
];

/// ... and prefixes (tests, benchmarks, child processes of tests).
const OTHER_PREFIXES: &[&str] = &[
    "ERRATA_TEST_",
    "ERRATA_BENCH_",
    "ERRATA_STORE_TEST_",
    "ERRATA_TOWER_",
    "ERRATA_SHOP_",
];

/// Something in the configuration's sources that names no setting.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigWarning {
    /// An `ERRATA_*` variable no setting reads.
    UnknownVariable {
        /// The variable.
        name: String,
        /// The nearest known variable, when one is close.
        suggestion: Option<String>,
    },
    /// A key in the config file no setting has.
    UnknownKey {
        /// The file.
        path: PathBuf,
        /// The dotted key.
        key: String,
        /// The nearest known key, when one is close.
        suggestion: Option<String>,
    },
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let suggestion = match self {
            Self::UnknownVariable { name, suggestion } => {
                write!(f, "unknown variable {name}")?;
                suggestion
            }
            Self::UnknownKey {
                path,
                key,
                suggestion,
            } => {
                write!(f, "unknown key {key} in {}", path.display())?;
                suggestion
            }
        };
        match suggestion {
            Some(known) => write!(f, "; did you mean {known}?"),
            None => f.write_str(" (ignored)"),
        }
    }
}

/// Warnings for the `ERRATA_*` names among `variables` that no setting reads.
pub(crate) fn unknown_variables(variables: impl IntoIterator<Item = String>) -> Vec<ConfigWarning> {
    let known: Vec<String> = known_keys().iter().map(|k| variable_for(k)).collect();
    let mut unknown: Vec<String> = variables
        .into_iter()
        .filter(|name| name.starts_with("ERRATA_"))
        .filter(|name| !known.contains(name))
        .filter(|name| !OTHER_VARIABLES.contains(&name.as_str()))
        .filter(|name| !OTHER_PREFIXES.iter().any(|p| name.starts_with(p)))
        .collect();
    unknown.sort();
    unknown.dedup();
    unknown
        .into_iter()
        .map(|name| ConfigWarning::UnknownVariable {
            suggestion: nearest(&name, known.iter().map(String::as_str)),
            name,
        })
        .collect()
}

/// Warnings for the keys of the file at `path` (`keys`, dotted) that no setting has.
pub(crate) fn unknown_keys(path: &std::path::Path, keys: &[String]) -> Vec<ConfigWarning> {
    let known = known_keys();
    keys.iter()
        .filter(|key| !known.contains(key))
        .map(|key| ConfigWarning::UnknownKey {
            path: path.to_owned(),
            key: key.clone(),
            suggestion: nearest(key, known.iter().map(String::as_str)),
        })
        .collect()
}

/// The candidate closest to `name` by edit distance, when within a third of its length
/// (at least 2 edits): a typo, not a different name.
fn nearest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let limit = (name.chars().count() / 3).max(2);
    candidates
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c.to_owned())
}

/// Levenshtein distance (insertions, deletions and substitutions), in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn edit_distance_counts_single_character_edits() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("QUEU", "QUEUE"), 1);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn an_unknown_variable_names_the_nearest_known_one() {
        let warnings = unknown_variables(names(&[
            "ERRATA_QUEU_CAPACITY",
            "ERRATA_QUEUE_CAPACITY",
            "PATH",
            "ERRATA_CONFIG",
            "ERRATA_LOG",
            "ERRATA_TEST_BACKEND",
            "ERRATA_ZZZZZZZZZZZZZZZZZZZZZZZ",
        ]));
        let text: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "unknown variable ERRATA_QUEU_CAPACITY; did you mean ERRATA_QUEUE_CAPACITY?",
                "unknown variable ERRATA_ZZZZZZZZZZZZZZZZZZZZZZZ (ignored)",
            ]
        );
        // The rule's name where an alias applies points at the alias.
        let warnings = unknown_variables(names(&["ERRATA_LIMITS_MAX_EVENT_BYTES"]));
        assert_eq!(
            warnings,
            [ConfigWarning::UnknownVariable {
                name: "ERRATA_LIMITS_MAX_EVENT_BYTES".into(),
                suggestion: Some("ERRATA_MAX_EVENT_BYTES".into()),
            }]
        );
    }

    #[test]
    fn an_unknown_key_names_the_nearest_known_one() {
        let path = std::path::Path::new("/etc/errata.toml");
        let warnings = unknown_keys(
            path,
            &names(&[
                "queue.capacty",
                "bind",
                "http.keep_alive",
                "nonsense.at.all",
            ]),
        );
        let text: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "unknown key queue.capacty in /etc/errata.toml; did you mean queue.capacity?",
                "unknown key http.keep_alive in /etc/errata.toml; did you mean \
                 http.keep_alive_secs?",
                "unknown key nonsense.at.all in /etc/errata.toml (ignored)",
            ]
        );
    }
}
