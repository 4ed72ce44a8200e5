//! Slack, webhook, GitHub and GitLab deliveries against the local receiver, and the mapping
//! of statuses, refusals, connection failures and timeouts to attempt results.

use std::time::Duration;

use errata_notify::{NetPolicy, Sender, SenderConfig, Timeouts, generate_secret};
use errata_store::{AttemptResult, ChannelKind};
use serde_json::Value;

use crate::receiver::Receiver;
use crate::{channel, notification};

fn sender(allow_private: bool) -> Sender {
    Sender::new(SenderConfig {
        net: NetPolicy { allow_private },
        timeouts: Timeouts {
            connect: Duration::from_secs(2),
            total: Duration::from_millis(800),
        },
        slack_buttons: true,
        ..SenderConfig::default()
    })
    .unwrap()
}

#[tokio::test]
async fn slack_messages_pass_slacks_checks() {
    let r = Receiver::start(&generate_secret()).await;
    let n = notification();
    let a = sender(true)
        .deliver(
            &channel(ChannelKind::Slack, &format!("{}/slack", r.base), None),
            &n,
        )
        .await;
    assert_eq!(a.result, AttemptResult::Delivered, "{a:?}");
    assert_eq!(a.status, Some(200));
    let got = r.received();
    let v: Value = serde_json::from_slice(&got[0].body).unwrap();
    let body = String::from_utf8(got[0].body.clone()).unwrap();
    assert!(!body.contains("<script") && !body.contains("<!channel>"));
    assert!(body.len() < 40_000, "{}", body.len());
    let actions = v["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "actions")
        .unwrap();
    assert_eq!(actions["elements"][0]["value"], "42");
    assert_eq!(got[0].headers["content-type"], "application/json");
    assert!(
        got[0].headers["user-agent"]
            .to_str()
            .unwrap()
            .starts_with("errata/")
    );
}

#[tokio::test]
async fn webhooks_verify_with_the_standardwebhooks_crate() {
    let secret = generate_secret();
    let r = Receiver::start(&secret).await;
    let send = sender(true);
    let n = notification();
    let a = send
        .deliver(
            &channel(
                ChannelKind::Webhook,
                &format!("{}/hook", r.base),
                Some(&secret),
            ),
            &n,
        )
        .await;
    assert_eq!(a.result, AttemptResult::Delivered, "{a:?}");
    assert_eq!(a.status, Some(204));
    let got = &r.received()[0];
    assert_eq!(got.headers["webhook-id"], "errata_99");
    let v: Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(v["trigger"], "new_issue");
    assert_eq!(v["issue"]["short_id"], "API-42");
    assert_eq!(v["event"]["exception"]["type"], "TypeError");
    // Another secret is refused by the receiver: a 401 fails for good.
    let a = send
        .deliver(
            &channel(
                ChannelKind::Webhook,
                &format!("{}/hook", r.base),
                Some(&generate_secret()),
            ),
            &n,
        )
        .await;
    assert_eq!((&a.result, a.status), (&AttemptResult::Failed, Some(401)));
}

#[tokio::test]
async fn github_issues_are_created() {
    let r = Receiver::start("whsec_AAAA").await;
    let mut c = channel(ChannelKind::GitHub, "o/r", Some("gh-token"));
    c.api_base = Some(r.base.clone());
    let a = sender(true).deliver(&c, &notification()).await;
    assert_eq!(a.result, AttemptResult::Delivered, "{a:?}");
    let link = a.link.unwrap();
    assert_eq!(link.reference, "o/r#12");
    assert_eq!(link.url, "https://github.com/o/r/issues/12");
    let got = &r.received()[0];
    assert_eq!(got.path, "/repos/o/r/issues");
    let v: Value = serde_json::from_slice(&got.body).unwrap();
    assert!(
        v["body"]
            .as_str()
            .unwrap()
            .contains("[View API\\-42 in Errata](<https://errata.example/")
    );
    // A wrong token: Failed, the token not echoed.
    c.secret = Some("wrong-token".to_owned());
    let a = sender(true).deliver(&c, &notification()).await;
    assert_eq!((&a.result, a.status), (&AttemptResult::Failed, Some(401)));
    assert!(
        !a.error.as_deref().unwrap().contains("wrong-token"),
        "{a:?}"
    );
}

#[tokio::test]
async fn gitlab_issues_are_created() {
    let r = Receiver::start("whsec_AAAA").await;
    let mut c = channel(ChannelKind::GitLab, "group/proj", Some("gl-token"));
    c.api_base = Some(format!("{}/", r.base));
    let a = sender(true).deliver(&c, &notification()).await;
    assert_eq!(a.result, AttemptResult::Delivered, "{a:?}");
    let link = a.link.unwrap();
    assert_eq!(link.reference, "group/proj#3");
    assert_eq!(link.url, "https://gitlab.com/group/proj/-/issues/3");
    assert_eq!(r.received()[0].path, "/api/v4/projects/group%2Fproj/issues");
    // A project the receiver does not know: 404, Failed.
    c.target = "other/proj".to_owned();
    let a = sender(true).deliver(&c, &notification()).await;
    assert_eq!((&a.result, a.status), (&AttemptResult::Failed, Some(404)));
}

#[tokio::test]
async fn statuses_map_to_attempt_results() {
    let r = Receiver::start("whsec_AAAA").await;
    let s = sender(true);
    let n = notification();
    for (path, kind, result) in [
        ("status/500", ChannelKind::Webhook, AttemptResult::Retry),
        ("status/503", ChannelKind::Slack, AttemptResult::Retry),
        ("status/429", ChannelKind::Webhook, AttemptResult::Retry),
        ("status/408", ChannelKind::Webhook, AttemptResult::Retry),
        (
            "status/410/channel_is_archived",
            ChannelKind::Slack,
            AttemptResult::Failed,
        ),
        ("status/410", ChannelKind::Webhook, AttemptResult::Failed),
        (
            "status/404/channel_not_found",
            ChannelKind::Slack,
            AttemptResult::Failed,
        ),
        (
            "status/403/action_prohibited",
            ChannelKind::Slack,
            AttemptResult::Failed,
        ),
        (
            "status/400/invalid_payload",
            ChannelKind::Slack,
            AttemptResult::Failed,
        ),
        ("status/302", ChannelKind::Webhook, AttemptResult::Failed),
        ("status/200", ChannelKind::Webhook, AttemptResult::Delivered),
    ] {
        let a = s
            .deliver(&channel(kind, &format!("{}/{path}", r.base), None), &n)
            .await;
        assert_eq!(a.result, result, "{path}: {a:?}");
        if let Some((_, text)) = path.strip_prefix("status/").unwrap().split_once('/') {
            assert!(a.error.as_deref().unwrap().contains(text), "{a:?}");
        }
    }
}

#[tokio::test]
async fn connection_failures_and_timeouts_are_retried() {
    let n = notification();
    // A port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let a = sender(true)
        .deliver(
            &channel(
                ChannelKind::Webhook,
                &format!("http://127.0.0.1:{port}/x"),
                None,
            ),
            &n,
        )
        .await;
    assert_eq!(a.result, AttemptResult::Retry, "{a:?}");
    assert_eq!(a.status, None);

    let r = Receiver::start("whsec_AAAA").await;
    let started = std::time::Instant::now();
    let a = sender(true)
        .deliver(
            &channel(ChannelKind::Slack, &format!("{}/slow", r.base), None),
            &n,
        )
        .await;
    assert_eq!(a.result, AttemptResult::Retry, "{a:?}");
    assert!(a.error.as_deref().unwrap().contains("timed out"), "{a:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(a.duration_ms >= 700, "{a:?}");
}

#[tokio::test]
async fn refused_addresses_fail_without_contact() {
    let r = Receiver::start("whsec_AAAA").await;
    let n = notification();
    let strict = sender(false);
    // An IP-literal URL of the receiver, and a host name resolving to loopback.
    let port = r.base.rsplit(':').next().unwrap();
    for url in [
        format!("{}/slack", r.base),
        format!("http://localhost:{port}/slack"),
    ] {
        let a = strict
            .deliver(&channel(ChannelKind::Slack, &url, None), &n)
            .await;
        assert_eq!(a.result, AttemptResult::Failed, "{a:?}");
        assert!(a.error.as_deref().unwrap().starts_with("refused "), "{a:?}");
    }
    let a = sender(true)
        .deliver(
            &channel(
                ChannelKind::Webhook,
                "http://169.254.169.254/latest/meta-data/",
                None,
            ),
            &n,
        )
        .await;
    assert_eq!(a.result, AttemptResult::Failed);
    assert_eq!(
        a.error.as_deref(),
        Some(
            "refused 169.254.169.254: link-local and cloud-metadata addresses are never contacted"
        )
    );
    assert!(r.received().is_empty());
}

#[tokio::test]
async fn email_without_smtp_is_skipped() {
    let a = sender(true)
        .deliver_email("ada@example.com", &notification())
        .await;
    assert_eq!(a.result, AttemptResult::Skipped);
    assert_eq!(
        a.error.as_deref(),
        Some("SMTP is not configured: set ERRATA_SMTP_URL")
    );
}
