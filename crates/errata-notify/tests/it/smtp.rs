//! Email through a real SMTP server: Python's `aiosmtpd` on loopback (from the test venv,
//! `$ERRATA_TEST_PYTHON`), started with `smtp_server.py`, which writes each message it
//! receives to a directory, raw and parsed by Python's `email` package.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use errata_notify::{Mailer, NetPolicy, Sender, SenderConfig};
use errata_store::{AttemptResult, ChannelKind};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::{channel, notification};

fn python() -> PathBuf {
    std::env::var_os("ERRATA_TEST_PYTHON").map_or_else(
        || {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/errata/venv/bin/python")
        },
        PathBuf::from,
    )
}

struct SmtpServer {
    port: u16,
    dir: tempfile::TempDir,
    _child: Child,
}

/// Starts the server, or `None` (a skip) when Python or aiosmtpd is missing outside CI.
async fn start() -> Option<SmtpServer> {
    let python = python();
    let usable = std::process::Command::new(&python)
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !usable {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} with aiosmtpd is required when CI is set (scripts/test installs it)",
            python.display()
        );
        #[allow(clippy::print_stderr, reason = "the one way to tell a skipped test")]
        {
            eprintln!("skipped: {} has no aiosmtpd", python.display());
        }
        return None;
    }
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/smtp_server.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .arg(port.to_string())
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut line = String::new();
    let stdout = child.stdout.take().unwrap();
    tokio::time::timeout(
        Duration::from_secs(20),
        BufReader::new(stdout).read_line(&mut line),
    )
    .await
    .expect("the SMTP server did not start")
    .unwrap();
    assert_eq!(line.trim(), "ready");
    Some(SmtpServer {
        port,
        dir,
        _child: child,
    })
}

impl SmtpServer {
    fn sender(&self, cap: u32) -> Sender {
        let mailer = Mailer::from_url(
            &format!("smtp://127.0.0.1:{}", self.port),
            "Errata <errata@example.com>",
        )
        .unwrap();
        Sender::new(SenderConfig {
            net: NetPolicy::default(),
            mailer: Some(mailer),
            email_cap_per_hour: cap,
            ..SenderConfig::default()
        })
        .unwrap()
    }

    async fn message(&self, n: usize) -> Value {
        let path = self.dir.path().join(format!("{n}.json"));
        for _ in 0..100 {
            if let Ok(text) = std::fs::read_to_string(&path) {
                return serde_json::from_str(&text).unwrap();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no message {n} received");
    }
}

#[tokio::test]
async fn alert_emails_arrive_escaped() {
    let Some(server) = start().await else { return };
    let s = server.sender(0);
    let n = notification();
    let a = s
        .deliver(&channel(ChannelKind::Email, "ada@example.com", None), &n)
        .await;
    assert_eq!(a.result, AttemptResult::Delivered, "{a:?}");
    let m = server.message(0).await;
    assert_eq!(m["mail_from"], "errata@example.com");
    assert_eq!(m["rcpt_tos"], serde_json::json!(["ada@example.com"]));
    assert_eq!(m["from"], "Errata <errata@example.com>");
    assert_eq!(m["to"], "ada@example.com");
    assert_eq!(m["content_type"], "multipart/alternative");
    let subject = m["subject"].as_str().unwrap();
    assert!(
        subject.starts_with("[Errata] API-42 - TypeError: <script>alert(1)</script>"),
        "{subject}"
    );
    assert!(!subject.contains('\n') && !subject.contains('\r'));
    let text = m["text"].as_str().unwrap();
    assert!(text.contains("View issue: https://errata.example/organizations/acme/issues/42/"));
    assert!(text.contains("Level: error") && text.contains("Environment: production"));
    assert!(text.contains("app/main.js in handler at line 12"));
    let html = m["html"].as_str().unwrap();
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("API &amp; &lt;Co&gt;"));
    assert!(html.contains("<pre"));
    assert!(html.contains("href=\"https://errata.example/organizations/acme/issues/42/\""));
    assert!(html.len() < 100_000);
    // The hostile title's "Bcc:" line did not become a header.
    let raw = std::fs::read_to_string(server.dir.path().join("0.eml")).unwrap();
    let headers = raw.split("\r\n\r\n").next().unwrap();
    assert!(
        !headers
            .lines()
            .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
        "{headers}"
    );
}

#[tokio::test]
async fn smtp_replies_are_classified_and_the_cap_applies() {
    let Some(server) = start().await else { return };
    let s = server.sender(2);
    let n = notification();
    let a = s.deliver_email("reject@example.com", &n).await;
    assert_eq!(a.result, AttemptResult::Failed, "{a:?}");
    let a = s.deliver_email("busy@example.com", &n).await;
    assert_eq!(a.result, AttemptResult::Retry, "{a:?}");
    let a = s.deliver_email("not an address", &n).await;
    assert_eq!(a.result, AttemptResult::Failed, "{a:?}");
    assert_eq!(
        s.deliver_email("bob@example.com", &n).await.result,
        AttemptResult::Delivered
    );
    assert_eq!(
        s.deliver_email("BOB@example.com", &n).await.result,
        AttemptResult::Delivered
    );
    let a = s.deliver_email("bob@example.com", &n).await;
    assert_eq!(a.result, AttemptResult::Skipped, "{a:?}");
    assert_eq!(
        s.deliver_email("carol@example.com", &n).await.result,
        AttemptResult::Delivered
    );
}

#[tokio::test]
async fn a_server_that_is_down_is_retried() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mailer =
        Mailer::from_url(&format!("smtp://127.0.0.1:{port}"), "errata@example.com").unwrap();
    let s = Sender::new(SenderConfig {
        mailer: Some(mailer),
        ..SenderConfig::default()
    })
    .unwrap();
    let a = s.deliver_email("ada@example.com", &notification()).await;
    assert_eq!(a.result, AttemptResult::Retry, "{a:?}");
}
