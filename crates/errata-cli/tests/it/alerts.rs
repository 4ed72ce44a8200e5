//! Alerts end to end: a real `errata serve`, events from the official Python SDK through
//! the real ingest endpoint, channels added with `errata channel add`, a local receiver
//! standing in for Slack and a webhook endpoint (and for Slack's `response_url`), Slack
//! button clicks signed as Slack signs them, an outage with a SIGKILL in between, and
//! member email through a real SMTP server (Python's `aiosmtpd`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::harness::{ServerProcess, get_with, poll, post, python};
use crate::receiver::Receiver;

const SLACK_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

/// `errata channel add SLUG KIND TARGET [--secret S] --json` against the server's data dir
/// and database.
pub(crate) fn add_channel(
    server: &ServerProcess,
    kind: &str,
    target: &str,
    secret: Option<&str>,
) -> Value {
    let mut cmd = server.errata();
    cmd.args([
        "channel",
        "add",
        &project_slug(server),
        kind,
        target,
        "--json",
    ]);
    if let Some(s) = secret {
        cmd.args(["--secret", s]);
    }
    let out = cmd.output().expect("running errata channel add");
    assert!(
        out.status.success(),
        "errata channel add: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the channel as JSON")
}

/// The first organization's slug (the one the first start created).
pub(crate) fn org_slug(server: &ServerProcess) -> String {
    let auth = format!("Bearer {}", server.token());
    let orgs = get_with(
        &server.url("/api/0/organizations/"),
        &[("Authorization", &auth)],
    );
    assert_eq!(orgs.status, 200, "{orgs:?}");
    orgs.json()[0]["slug"]
        .as_str()
        .expect("an organization")
        .to_owned()
}

/// The project the first start created (its DSN is the one the harness uses).
pub(crate) fn project_slug(server: &ServerProcess) -> String {
    let auth = format!("Bearer {}", server.token());
    let reply = get_with(
        &server.url(&format!(
            "/api/0/organizations/{}/projects/",
            org_slug(server)
        )),
        &[("Authorization", &auth)],
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.json()[0]["slug"].as_str().expect("a slug").to_owned()
}

fn issue(server: &ServerProcess, id: &str) -> Value {
    let token = server.token();
    let reply = get_with(
        &server.url(&format!("/api/0/issues/{id}/")),
        &[("Authorization", &format!("Bearer {token}"))],
    );
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.json()
}

/// Sends one exception through the Python SDK; returns its event id.
fn python_exception(server: &ServerProcess, message: &str) -> String {
    let script = format!(
        "import sentry_sdk\n\
         sentry_sdk.init(dsn={dsn:?}, release='shop@1.4.2', environment='production')\n\
         try:\n    raise ValueError({message:?})\n\
         except ValueError:\n    print(sentry_sdk.capture_exception())\n\
         sentry_sdk.flush(10)\n",
        dsn = server.dsn(),
    );
    let out = Command::new(python())
        .args(["-c", &script])
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("running the Python SDK");
    assert!(
        out.status.success(),
        "python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn slack_signature(secret: &str, ts: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(format!("v0:{ts}:{body}").as_bytes());
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

fn click_body(action_id: &str, issue_id: &str, response_url: &str) -> String {
    let payload = json!({
        "type": "block_actions",
        "user": {"id": "U123", "username": "ada", "name": "ada"},
        "response_url": response_url,
        "actions": [{"action_id": action_id, "value": issue_id, "type": "button"}]
    });
    let encoded: String = url_encode(&payload.to_string());
    format!("payload={encoded}")
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
#[allow(clippy::too_many_lines, reason = "one scenario, read top to bottom")]
fn a_python_error_reaches_slack_and_a_webhook_and_slack_resolves_it() {
    let tmp = tempfile::tempdir().unwrap();
    let receiver = Receiver::start();
    let server = ServerProcess::start_with(
        &tmp.path().join("data"),
        &[("ERRATA_SLACK_SIGNING_SECRET", SLACK_SECRET)],
    );
    let slack = add_channel(&server, "slack", &receiver.url("/slack"), None);
    assert_eq!(slack["kind"], "slack", "{slack}");
    let hook = add_channel(
        &server,
        "webhook",
        &receiver.url("/hook"),
        Some("whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ="),
    );
    assert_eq!(hook["kind"], "webhook", "{hook}");

    let sent = Instant::now();
    let event_id = python_exception(&server, "card number rejected");
    let message = poll("the Slack message", || receiver.requests("/slack").pop());
    assert!(message.at.duration_since(sent) < Duration::from_secs(10));
    let m = message.json();
    let text = m["text"].as_str().expect("a plain-text fallback");
    assert!(text.contains("card number rejected"), "{m}");
    let blocks = m["blocks"].as_array().expect("Block Kit blocks");
    assert!(blocks.iter().all(|b| b["type"].is_string()), "{m}");
    let rendered = m.to_string();
    assert!(rendered.contains("production"), "environment: {m}");
    assert!(rendered.contains("shop@1.4.2"), "release: {m}");
    assert!(
        rendered.contains(&format!("http://{}/issues/", server.addr)),
        "link: {m}"
    );
    assert!(
        rendered.contains("errata_resolve") && rendered.contains("errata_ignore"),
        "buttons: {m}"
    );
    assert!(m["attachments"].is_array(), "Mattermost attachments: {m}");
    let issue_id = blocks
        .iter()
        .flat_map(|b| b["elements"].as_array().into_iter().flatten())
        .find(|e| e["action_id"] == "errata_resolve")
        .and_then(|e| e["value"].as_str())
        .expect("the Resolve button's issue id")
        .to_owned();

    let delivery = poll("the webhook", || receiver.requests("/hook").pop());
    for header in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        assert!(delivery.header(header).is_some(), "{header}: {delivery:?}");
    }
    assert!(
        delivery
            .header("webhook-signature")
            .unwrap()
            .starts_with("v1,")
    );
    let payload = delivery.json();
    assert_eq!(payload["trigger"], "new_issue", "{payload}");
    assert_eq!(
        payload["event"]["event_id"],
        event_id.replace('-', ""),
        "{payload}"
    );

    // Slack's button clicks: missing, wrong and stale signatures change nothing.
    let url = server.url("/integrations/slack/interactive");
    let body = click_body("errata_resolve", &issue_id, &receiver.url("/response"));
    let now = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs())
    .to_string();
    let form = ("Content-Type", "application/x-www-form-urlencoded");
    let missing = post(&url, &[form], body.as_bytes());
    assert_eq!(missing.status, 401, "{missing:?}");
    let wrong = post(
        &url,
        &[
            form,
            ("X-Slack-Request-Timestamp", &now),
            (
                "X-Slack-Signature",
                &slack_signature("not-the-secret", &now, &body),
            ),
        ],
        body.as_bytes(),
    );
    assert_eq!(wrong.status, 401, "{wrong:?}");
    let old = (now.parse::<i64>().unwrap() - 600).to_string();
    let replayed = post(
        &url,
        &[
            form,
            ("X-Slack-Request-Timestamp", &old),
            (
                "X-Slack-Signature",
                &slack_signature(SLACK_SECRET, &old, &body),
            ),
        ],
        body.as_bytes(),
    );
    assert_eq!(replayed.status, 401, "{replayed:?}");
    assert_eq!(issue(&server, &issue_id)["status"], "unresolved");
    assert!(receiver.requests("/response").is_empty());

    let valid = post(
        &url,
        &[
            form,
            ("X-Slack-Request-Timestamp", &now),
            (
                "X-Slack-Signature",
                &slack_signature(SLACK_SECRET, &now, &body),
            ),
        ],
        body.as_bytes(),
    );
    assert_eq!(valid.status, 200, "{valid:?}");
    assert_eq!(issue(&server, &issue_id)["status"], "resolved");
    let update = poll("the message update", || {
        receiver.requests("/response").pop()
    })
    .json();
    assert_eq!(update["replace_original"], true, "{update}");
    assert!(update.to_string().contains("Resolved by ada"), "{update}");
    let activity = server
        .store()
        .issue_activity(errata_store::IssueId(
            issue_id.parse().expect("a numeric id"),
        ))
        .expect("the activity");
    assert!(
        activity.iter().any(|a| a.actor.name == "Slack: ada"),
        "activity: {activity:?}"
    );
}

#[test]
fn alerts_survive_an_outage_and_a_sigkill_and_arrive_exactly_once() {
    let tmp = tempfile::tempdir().unwrap();
    let receiver = Receiver::start();
    receiver.answer(503);
    let server = ServerProcess::start(tmp.path());
    add_channel(&server, "slack", &receiver.url("/slack"), None);
    let titles = ["outage one", "outage two", "outage three"];
    for t in titles {
        server.send_event(t);
    }
    // Each first attempt failed and is recorded (so no delivery is held mid-send: one that
    // is would wait out its lease, a minute, before the next node may send it).
    let token = server.token();
    let auth = format!("Bearer {token}");
    let org = org_slug(&server);
    let log_url = server.url(&format!("/api/0/projects/{org}/default/alert-deliveries/"));
    poll("a recorded first attempt of each alert", || {
        let log = get_with(&log_url, &[("Authorization", &auth)]).json();
        let log = log.as_array()?;
        (log.len() == titles.len()
            && log
                .iter()
                .all(|d| d["attemptCount"].as_u64() >= Some(1) && d["state"] == "pending"))
        .then_some(())
    });
    // The node dies with every alert pending; a new one takes over; the receiver comes back.
    let env = server.env();
    let dir = server.sigkill();
    let server = ServerProcess::restart_on(&dir, &env);
    receiver.answer(200);
    let delivered = |t: &str| {
        receiver
            .requests("/slack")
            .iter()
            .filter(|r| r.answered == 200 && String::from_utf8_lossy(&r.body).contains(t))
            .count()
    };
    poll("every alert delivered after the outage", || {
        titles.iter().all(|t| delivered(t) >= 1).then_some(())
    });
    // Nothing more comes: each arrived once.
    std::thread::sleep(Duration::from_secs(3));
    for t in titles {
        assert_eq!(
            delivered(t),
            1,
            "{t}: {:?}",
            receiver.requests("/slack").len()
        );
    }
    drop(server);
}

/// The loopback SMTP server of errata-notify's tests (aiosmtpd), writing each message it
/// receives to a directory as JSON.
struct SmtpSink {
    port: u16,
    dir: tempfile::TempDir,
    child: std::process::Child,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn smtp_sink() -> Option<SmtpSink> {
    let usable = Command::new(python())
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !usable {
        assert!(
            std::env::var_os("CI").is_none(),
            "aiosmtpd is required when CI is set (scripts/test installs it)"
        );
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let script: PathBuf =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../errata-notify/tests/it/smtp_server.py");
    let mut child = Command::new(python())
        .arg(&script)
        .arg(port.to_string())
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting aiosmtpd");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "ready");
    Some(SmtpSink { port, dir, child })
}

#[test]
fn members_get_an_email_about_a_new_issue_over_real_smtp() {
    let Some(sink) = smtp_sink() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let smtp = format!("smtp://127.0.0.1:{}", sink.port);
    let server = ServerProcess::start_with(
        &tmp.path().join("data"),
        &[
            ("ERRATA_SMTP_URL", &smtp),
            ("ERRATA_SMTP_FROM", "alerts@errata.test"),
        ],
    );
    python_exception(&server, "the <b>basket</b> is empty");
    let mail: Value = poll("the alert email", || {
        let entry = std::fs::read_dir(sink.dir.path())
            .ok()?
            .flatten()
            .find(|e| e.path().extension().is_some_and(|x| x == "json"))?;
        serde_json::from_slice(&std::fs::read(entry.path()).ok()?).ok()
    });
    assert_eq!(mail["rcpt_tos"], json!([server.login.0.clone()]), "{mail}");
    assert!(
        mail["from"]
            .as_str()
            .unwrap()
            .contains("alerts@errata.test"),
        "{mail}"
    );
    assert!(
        mail["subject"].as_str().unwrap().contains("basket"),
        "{mail}"
    );
    let text = mail["text"].as_str().expect("a text part");
    let html = mail["html"].as_str().expect("an HTML part");
    assert!(text.contains("the <b>basket</b> is empty"), "{text}");
    assert!(
        html.contains("the &lt;b&gt;basket&lt;/b&gt; is empty"),
        "{html}"
    );
    assert!(
        html.contains(&format!("http://{}/issues/", server.addr)),
        "{html}"
    );
}

#[test]
fn a_rule_files_new_issues_in_github_and_the_issue_keeps_the_link() {
    let tmp = tempfile::tempdir().unwrap();
    let github = Receiver::start();
    github.reply_json(
        "/repos/octo/shop/issues",
        201,
        r#"{"number": 12, "html_url": "https://github.example/octo/shop/issues/12"}"#,
    );
    let server = ServerProcess::start(tmp.path());
    let out = server
        .errata()
        .args(["channel", "add", "default", "github", "octo/shop", "--json"])
        .args(["--secret", "ghp_test_token", "--api-base", &github.url("")])
        .output()
        .expect("running errata channel add");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let channel: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert!(
        !out.stdout.windows(14).any(|w| w == b"ghp_test_token"),
        "the token is never printed"
    );

    // A rule that names the tracker (trackers are never part of "all channels").
    let token = server.token();
    let auth = format!("Bearer {token}");
    let org = org_slug(&server);
    let rule = json!({
        "name": "file in GitHub",
        "triggers": {"newIssue": true},
        "actions": {"channels": [channel["id"]]},
    });
    let created = post(
        &server.url(&format!("/api/0/projects/{org}/default/rules/")),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        rule.to_string().as_bytes(),
    );
    assert_eq!(created.status, 201, "{created:?}");

    python_exception(&server, "stock went negative");
    let request = poll("the GitHub issue request", || {
        github.requests("/repos/octo/shop/issues").pop()
    });
    assert_eq!(
        request.header("authorization"),
        Some("Bearer ghp_test_token")
    );
    assert_eq!(request.header("x-github-api-version"), Some("2022-11-28"));
    assert!(request.header("user-agent").is_some());
    let body = request.json();
    assert!(
        body["title"]
            .as_str()
            .unwrap()
            .contains("stock went negative"),
        "{body}"
    );
    assert!(
        body["body"]
            .as_str()
            .unwrap()
            .contains(&format!("http://{}/issues/", server.addr)),
        "a link back: {body}"
    );
    let issue_id = server.stored().issues()[0].id.clone();
    let store = server.store();
    let id = errata_store::IssueId(issue_id.parse().expect("a numeric id"));
    let links = poll("the issue's link", || {
        let links = store.issue_links(id).ok()?;
        (!links.is_empty()).then_some(links)
    });
    assert_eq!(links[0].kind, errata_store::ChannelKind::GitHub);
    assert_eq!(links[0].reference, "octo/shop#12");
    assert_eq!(links[0].url, "https://github.example/octo/shop/issues/12");
    assert_eq!(github.requests("/repos/octo/shop/issues").len(), 1);
}
