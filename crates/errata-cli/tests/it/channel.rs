//! `errata channel add` and `errata channel list` on a fresh data dir (no server needed;
//! and a fresh database when the tests run on `PostgreSQL`): a generated webhook secret is
//! printed once by `add`, never by `list`.

use std::process::Command;

use serde_json::Value;

use crate::backend::ServerEnv;

fn errata(env: &ServerEnv, data_dir: &str, args: &[&str]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_errata"));
    env.database_to(&mut command);
    let output = command
        .args(["--data-dir", data_dir])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "errata {args:?} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn channel_add_prints_a_generated_secret_once_and_list_never() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data").to_string_lossy().into_owned();
    let env = ServerEnv::new(&[]);
    let slack = errata(
        &env,
        &data_dir,
        &[
            "channel",
            "add",
            "default",
            "slack",
            "https://hooks.slack.com/services/T/B/X",
            "--name",
            "ops",
            "--json",
        ],
    );
    let slack: Value = serde_json::from_str(slack.trim()).expect("JSON");
    assert_eq!(slack["kind"], "slack");
    assert_eq!(slack["name"], "ops");
    assert_eq!(slack["hasSecret"], false);
    assert!(slack.get("secret").is_none(), "{slack}");
    let hook = errata(
        &env,
        &data_dir,
        &[
            "channel",
            "add",
            "default",
            "webhook",
            "https://example.com/hook",
            "--json",
        ],
    );
    let hook: Value = serde_json::from_str(hook.trim()).expect("JSON");
    let secret = hook["secret"].as_str().expect("a generated secret");
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert_eq!(hook["hasSecret"], true);
    let list = errata(&env, &data_dir, &["channel", "list", "default", "--json"]);
    assert!(!list.contains(secret), "{list}");
    let list: Value = serde_json::from_str(list.trim()).expect("JSON");
    let kinds: Vec<&str> = list
        .as_array()
        .expect("an array")
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["slack", "webhook"]);
    let table = errata(&env, &data_dir, &["channel", "list", "default"]);
    assert!(table.contains("ops") && !table.contains(secret), "{table}");
    let output = Command::new(env!("CARGO_BIN_EXE_errata"))
        .args([
            "--data-dir",
            &data_dir,
            "channel",
            "add",
            "nope",
            "email",
            "a@b.c",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
}
