//! `errata config show` with a config file, `ERRATA_*` variables and a flag at once: each
//! value names the layer it came from, secrets never appear (text or JSON), and unknown
//! variables and keys are warnings naming the nearest known name, not errors.

use std::process::{Command, Output};

use serde_json::Value;

const FILE_SECRET: &str = "file-password-0451";
const ENV_SECRET: &str = "env-url-password-2187";

fn show(format: &str) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("errata.toml");
    std::fs::write(
        &file,
        format!(
            "admin_email = \"ops@example.com\"\nadmin_password = \"{FILE_SECRET}\"\n\
             bind = \"127.0.0.1:7000\"\n[queue]\ncapacity = 64\nmax_bach = 2\n"
        ),
    )
    .unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_errata"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("ERRATA_") {
            command.env_remove(name);
        }
    }
    let output = command
        .arg("--config")
        .arg(&file)
        .args([
            "--bind",
            "127.0.0.1:7100",
            "config",
            "show",
            "--format",
            format,
        ])
        .env("ERRATA_QUEUE_CAPACITY", "128")
        .env(
            "ERRATA_DATABASE_URL",
            format!("postgres://errata:{ENV_SECRET}@db.example/errata"),
        )
        .env("ERRATA_QUEU_MAX_BATCH", "7")
        .env("ERRATA_TEST_ANYTHING", "not configuration")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (output, dir)
}

#[test]
fn config_show_names_each_values_source_and_never_a_secret() {
    let (output, dir) = show("text");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let log = String::from_utf8_lossy(&output.stderr).into_owned();
    let file = dir.path().join("errata.toml");
    let line = |key: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(key))
            .unwrap_or_else(|| panic!("no {key} in:\n{text}"))
            .to_owned()
    };
    assert!(line("bind").contains("\"127.0.0.1:7100\""), "{text}");
    assert!(line("bind").ends_with("# flag --bind"), "{text}");
    assert!(
        line("admin_email").ends_with(&format!("# file {}", file.display())),
        "{text}"
    );
    assert!(line("queue.capacity").contains("= 128"), "{text}");
    assert!(
        line("queue.capacity").ends_with("# env ERRATA_QUEUE_CAPACITY"),
        "{text}"
    );
    assert!(line("queue.max_batch").ends_with("# default"), "{text}");
    assert!(line("admin_password").contains("\"[redacted]\""), "{text}");
    assert!(
        line("database_url").ends_with("# env ERRATA_DATABASE_URL"),
        "{text}"
    );
    for shown in [&text, &log] {
        assert!(
            !shown.contains(FILE_SECRET) && !shown.contains(ENV_SECRET),
            "{shown}"
        );
    }
    assert!(
        text.contains(
            "# warning: unknown variable ERRATA_QUEU_MAX_BATCH; did you mean \
             ERRATA_QUEUE_MAX_BATCH?"
        ),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "# warning: unknown key queue.max_bach in {}; did you mean queue.max_batch?",
            file.display()
        )),
        "{text}"
    );
    assert!(!text.contains("ERRATA_TEST_ANYTHING"), "{text}");
    assert!(
        log.contains("unknown variable ERRATA_QUEU_MAX_BATCH"),
        "{log}"
    );
}

#[test]
fn config_show_as_json() {
    let (output, _dir) = show("json");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        !text.contains(FILE_SECRET) && !text.contains(ENV_SECRET),
        "{text}"
    );
    let json: Value = serde_json::from_str(&text).unwrap();
    let setting = |key: &str| {
        json["settings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == key)
            .unwrap_or_else(|| panic!("no {key}"))
            .clone()
    };
    assert_eq!(setting("queue.capacity")["value"], 128);
    assert_eq!(
        setting("queue.capacity")["source"],
        serde_json::json!({ "layer": "env", "name": "ERRATA_QUEUE_CAPACITY" })
    );
    assert_eq!(setting("bind")["source"]["layer"], "flag");
    assert_eq!(setting("admin_email")["source"]["layer"], "file");
    assert_eq!(
        setting("queue.group_commit_us")["source"],
        serde_json::json!({ "layer": "default" })
    );
    assert_eq!(setting("database_url")["value"], "[redacted]");
    assert_eq!(json["warnings"].as_array().unwrap().len(), 2, "{json}");
}
