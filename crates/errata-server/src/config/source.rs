//! Where each configuration value comes from (`errata config show`), and the catalogue of
//! settings it relies on: every key and its `ERRATA_*` variable, built from the serialized
//! default [`Config`], so a section added to `Config` is covered without a list to keep.
//!
//! A TOML key `a.b` is read from the variable `ERRATA_A_B`; [`ALIASES`] lists the
//! exceptions that predate the rule (a test checks the catalogue against the variables
//! `Config` actually reads). A value's source is the last layer that set it: a flag, else
//! its variable, else the file, else the default. Values are shown as serialized, so
//! secrets read `[redacted]`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::{Config, ConfigError, Overrides};

/// Settings whose variable does not follow the rule: (key or key prefix ending in `.`,
/// variable or variable prefix). The longest matching prefix wins.
const ALIASES: &[(&str, &str)] = &[
    ("limits.", "ERRATA_"),
    ("rate_limits.events.", "ERRATA_RATE_LIMIT_"),
    (
        "rate_limits.attachment_bytes.",
        "ERRATA_RATE_LIMIT_ATTACHMENT_BYTES_",
    ),
    (
        "rate_limits.user_reports.",
        "ERRATA_RATE_LIMIT_USER_REPORTS_",
    ),
    ("workers.", "ERRATA_WORKER_"),
    ("alerts.smtp_url", "ERRATA_SMTP_URL"),
    ("alerts.smtp_from", "ERRATA_SMTP_FROM"),
    ("alerts.slack_signing_secret", "ERRATA_SLACK_SIGNING_SECRET"),
];

/// The flags that set a key (the last layer, see [`Overrides`]).
const FLAGS: &[(&str, &str)] = &[
    ("bind", "--bind"),
    ("data_dir", "--data-dir"),
    ("database_url", "--database-url"),
    ("public_url", "--public-url"),
];

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "layer", content = "name", rename_all = "lowercase")]
pub enum Source {
    /// The built-in default.
    Default,
    /// The TOML file at this path.
    File(PathBuf),
    /// This environment variable.
    Env(String),
    /// This command-line flag.
    Flag(String),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Default => f.write_str("default"),
            Self::File(path) => write!(f, "file {}", path.display()),
            Self::Env(name) => write!(f, "env {name}"),
            Self::Flag(flag) => write!(f, "flag {flag}"),
        }
    }
}

/// One effective setting.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Setting {
    /// Its dotted TOML key (`queue.capacity`).
    pub key: String,
    /// Its value as serialized (secrets read `[redacted]`; `null`: unset).
    pub value: Value,
    /// The variable that sets it.
    pub variable: String,
    /// Where the value came from.
    pub source: Source,
}

/// The settings of `config` (loaded from `file`, `env` and `overrides`), sorted by key,
/// each with its source.
///
/// # Errors
///
/// When the file can no longer be read or parsed.
pub fn settings(
    config: &Config,
    file: Option<&Path>,
    env: impl Fn(&str) -> Option<String>,
    overrides: &Overrides,
) -> Result<Vec<Setting>, ConfigError> {
    let in_file = match file {
        Some(path) => table_keys(&super::read_table(path)?),
        None => Vec::new(),
    };
    let flags = given_flags(overrides);
    Ok(flatten(&serialized(config))
        .into_iter()
        .map(|(key, value)| {
            let variable = variable_for(&key);
            let source = if let Some(flag) = flags.iter().find(|f| f.0 == key) {
                Source::Flag(flag.1.to_owned())
            } else if env(&variable).is_some() {
                Source::Env(variable.clone())
            } else if let Some(path) = file.filter(|_| in_file.contains(&key)) {
                Source::File(path.to_owned())
            } else {
                Source::Default
            };
            Setting {
                key,
                value,
                variable,
                source,
            }
        })
        .collect())
}

/// Every setting's dotted key, sorted.
pub(crate) fn known_keys() -> Vec<String> {
    flatten(&serialized(&Config::default()))
        .into_keys()
        .collect()
}

/// The variable of a dotted key: the alias, or `ERRATA_` and the key in capitals with
/// `_` for `.`.
pub(crate) fn variable_for(key: &str) -> String {
    let alias = ALIASES
        .iter()
        .filter(|(prefix, _)| key == *prefix || (prefix.ends_with('.') && key.starts_with(prefix)))
        .max_by_key(|(prefix, _)| prefix.len());
    match alias {
        Some((prefix, variable)) => {
            format!("{variable}{}", key[prefix.len()..].to_ascii_uppercase()).replace('.', "_")
        }
        None => format!("ERRATA_{}", key.to_ascii_uppercase().replace('.', "_")),
    }
}

/// A TOML table's leaves by dotted key.
pub(crate) fn table_keys(table: &toml::Table) -> Vec<String> {
    // A TOML table serializes to JSON (datetimes as strings).
    flatten(&serde_json::to_value(table).unwrap_or(Value::Null))
        .into_keys()
        .collect()
}

fn given_flags(overrides: &Overrides) -> Vec<(&'static str, &'static str)> {
    let given = [
        overrides.bind.is_some(),
        overrides.data_dir.is_some(),
        overrides.database_url.is_some(),
        overrides.public_url.is_some(),
    ];
    FLAGS
        .iter()
        .zip(given)
        .filter_map(|(flag, given)| given.then_some(*flag))
        .collect()
}

fn serialized(config: &Config) -> Value {
    // Serializing plain data into a JSON value cannot fail (string keys, no maps).
    serde_json::to_value(config).unwrap_or(Value::Null)
}

/// A JSON or TOML tree's leaves by dotted key (a table is a branch, anything else a leaf).
pub(crate) fn flatten(value: &Value) -> BTreeMap<String, Value> {
    fn walk(prefix: &str, value: &Value, out: &mut BTreeMap<String, Value>) {
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, out);
                }
            }
            leaf => {
                out.insert(prefix.to_owned(), leaf.clone());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk("", value, &mut out);
    out
}

/// Renders settings as aligned `key = value  # source` lines (values as TOML writes
/// them; `(unset)` for an optional setting left unset).
pub fn render_text(settings: &[Setting]) -> String {
    let rendered: Vec<(String, String, String)> = settings
        .iter()
        .map(|s| {
            let value = match &s.value {
                Value::Null => "(unset)".to_owned(),
                v => v.to_string(),
            };
            (s.key.clone(), value, s.source.to_string())
        })
        .collect();
    let key_width = rendered.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let value_width = rendered
        .iter()
        .map(|r| r.1.chars().count())
        .max()
        .unwrap_or(0)
        .min(40);
    let mut out = String::new();
    for (key, value, source) in rendered {
        let line = format!("{key:key_width$} = {value:value_width$}  # {source}");
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn the_catalogue_names_exactly_the_variables_config_reads() {
        let read = std::cell::RefCell::new(std::collections::BTreeSet::new());
        let recording = |name: &str| {
            read.borrow_mut().insert(name.to_owned());
            None
        };
        Config::default().merge_env(recording).unwrap();
        let derived: std::collections::BTreeSet<String> =
            known_keys().iter().map(|k| variable_for(k)).collect();
        assert_eq!(
            derived,
            read.into_inner(),
            "a key whose variable is not ERRATA_<KEY> needs an entry in ALIASES"
        );
        assert_eq!(variable_for("queue.capacity"), "ERRATA_QUEUE_CAPACITY");
        assert_eq!(
            variable_for("limits.max_event_bytes"),
            "ERRATA_MAX_EVENT_BYTES"
        );
        assert_eq!(
            variable_for("rate_limits.user_reports.key_per_minute"),
            "ERRATA_RATE_LIMIT_USER_REPORTS_KEY_PER_MINUTE"
        );
        assert_eq!(variable_for("alerts.smtp_url"), "ERRATA_SMTP_URL");
    }

    #[test]
    fn each_value_names_the_last_layer_that_set_it_and_secrets_stay_redacted() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("errata.toml");
        std::fs::write(
            &file,
            "bind = \"127.0.0.1:7000\"\nadmin_email = \"ops@example.com\"\n\
             admin_password = \"file-secret\"\n[queue]\ncapacity = 5\n",
        )
        .unwrap();
        let vars = env(&[
            ("ERRATA_QUEUE_CAPACITY", "6"),
            ("ERRATA_SMTP_URL", "smtp://user:env-secret@127.0.0.1:25"),
        ]);
        let mut config = Config::load(Some(&file), &vars).unwrap();
        let overrides = Overrides {
            bind: Some("127.0.0.1:7100".into()),
            ..Overrides::default()
        };
        config.apply(&overrides).unwrap();
        let all = settings(&config, Some(&file), &vars, &overrides).unwrap();
        let get = |key: &str| all.iter().find(|s| s.key == key).unwrap().clone();
        assert_eq!(get("bind").source, Source::Flag("--bind".into()));
        assert_eq!(get("bind").value, "127.0.0.1:7100");
        assert_eq!(get("admin_email").source, Source::File(file.clone()));
        assert_eq!(
            get("queue.capacity").source,
            Source::Env("ERRATA_QUEUE_CAPACITY".into())
        );
        assert_eq!(get("queue.capacity").value, 6);
        assert_eq!(get("queue.max_batch").source, Source::Default);
        assert_eq!(get("admin_password").value, "[redacted]");
        assert_eq!(get("alerts.smtp_url").value, "[redacted]");
        assert_eq!(
            get("alerts.smtp_url").source,
            Source::Env("ERRATA_SMTP_URL".into())
        );
        assert_eq!(get("database_url").value, Value::Null);
        let text = render_text(&all);
        let json = serde_json::to_string(&all).unwrap();
        for shown in [&text, &json] {
            assert!(!shown.contains("file-secret"), "{shown}");
            assert!(!shown.contains("env-secret"), "{shown}");
        }
        assert!(
            text.lines()
                .any(|l| l.starts_with("queue.capacity")
                    && l.ends_with("# env ERRATA_QUEUE_CAPACITY")),
            "{text}"
        );
        assert!(
            json.contains(r#"{"layer":"flag","name":"--bind"}"#),
            "{json}"
        );
    }
}
