//! The one entry point the server's dispatcher calls: [`Sender::deliver`] sends a
//! notification to a channel (Slack, webhook, email, GitHub, GitLab) and
//! [`Sender::deliver_email`] to a member's address, each returning an [`Attempt`] to record.
//!
//! Classification of HTTP channels: 2xx is delivered; 408, 429, 5xx, timeouts and connection
//! failures are retried; other 4xx (Slack's `invalid_payload`, `channel_not_found`,
//! `action_prohibited`, 410 `channel_is_archived`; a webhook's 410 Gone), 3xx (redirects are
//! not followed), refused addresses and bad configuration fail for good. Email without SMTP
//! configured, or past the recipient's hourly cap, is skipped. Error strings are bounded and
//! never contain a secret (webhook URLs, tokens, passwords).

use std::time::Instant;

use errata_store::{AttemptResult, Channel, ChannelKind};
use http::{HeaderMap, HeaderValue, header};

use crate::email::{Mailer, RecipientCap};
use crate::error::{NotifyError, Result, bounded};
use crate::escape::single_line;
use crate::net::{HttpClient, HttpResponse, NetPolicy, Timeouts};
use crate::notification::Notification;
use crate::slack::slack_message;
use crate::tracker::{TrackerIssue, create_github_issue, create_gitlab_issue};
use crate::webhook;

/// What the sender needs.
#[derive(Debug, Clone, Default)]
pub struct SenderConfig {
    pub net: NetPolicy,
    /// The HTTP client's time limits (5 s to connect, 15 s in all by default).
    pub timeouts: Timeouts,
    /// The SMTP relay; `None` skips every email.
    pub mailer: Option<Mailer>,
    /// Whether Slack messages carry Resolve and Ignore buttons (the server has a Slack
    /// app's signing secret to check their clicks).
    pub slack_buttons: bool,
    /// The most alert emails per recipient per hour on this node; 0 means no cap.
    pub email_cap_per_hour: u32,
}

/// One attempt's result, to record as a delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub result: AttemptResult,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<u16>,
    /// What went wrong or why it was skipped; `None` when delivered.
    pub error: Option<String>,
    pub duration_ms: i64,
    /// The tracker issue opened (GitHub and GitLab channels).
    pub link: Option<TrackerIssue>,
}

/// Sends notifications (cheap to share behind an `Arc`).
#[derive(Debug)]
pub struct Sender {
    http: HttpClient,
    mailer: Option<Mailer>,
    slack_buttons: bool,
    cap: Option<RecipientCap>,
}

impl Sender {
    pub fn new(config: SenderConfig) -> Result<Self> {
        Ok(Self {
            http: HttpClient::new(config.net, config.timeouts)?,
            mailer: config.mailer,
            slack_buttons: config.slack_buttons,
            cap: (config.email_cap_per_hour > 0)
                .then(|| RecipientCap::new(config.email_cap_per_hour)),
        })
    }

    /// The guarded HTTP client (for the server's own calls, e.g. Slack's `response_url`).
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// Sends `n` to `channel`.
    pub async fn deliver(&self, channel: &Channel, n: &Notification) -> Attempt {
        let started = Instant::now();
        let mut attempt = match channel.kind {
            ChannelKind::Email => return self.deliver_email(&channel.target, n).await,
            ChannelKind::Slack => {
                let body = slack_message(n, self.slack_buttons)
                    .to_string()
                    .into_bytes();
                let result = self.http.post(&channel.target, json_headers(), body).await;
                http_attempt(result, "Slack")
            }
            ChannelKind::Webhook => match webhook_request(channel, n) {
                Ok((headers, body)) => {
                    let result = self.http.post(&channel.target, headers, body).await;
                    http_attempt(result, "the endpoint")
                }
                Err(e) => error_attempt(&e),
            },
            ChannelKind::GitHub | ChannelKind::GitLab => {
                let Some(token) = channel.secret.as_deref().filter(|t| !t.trim().is_empty()) else {
                    return Attempt {
                        duration_ms: elapsed_ms(started),
                        ..error_attempt(&NotifyError::invalid("the channel has no token"))
                    };
                };
                let api_base = channel.api_base.as_deref();
                let created = if channel.kind == ChannelKind::GitHub {
                    create_github_issue(&self.http, api_base, &channel.target, token, n).await
                } else {
                    create_gitlab_issue(&self.http, api_base, &channel.target, token, n).await
                };
                match created {
                    Ok(link) => Attempt {
                        result: AttemptResult::Delivered,
                        status: Some(201),
                        error: None,
                        duration_ms: 0,
                        link: Some(link),
                    },
                    Err(e) => error_attempt(&e),
                }
            }
        };
        attempt.duration_ms = elapsed_ms(started);
        if attempt.result != AttemptResult::Delivered {
            tracing::debug!(
                channel = %channel.id,
                kind = %channel.kind,
                status = ?attempt.status,
                error = ?attempt.error,
                "alert delivery attempt did not succeed"
            );
        }
        attempt
    }
}

/// The headers and body of a webhook request, signed now.
fn webhook_request(channel: &Channel, n: &Notification) -> Result<(HeaderMap, Vec<u8>)> {
    let now = time::OffsetDateTime::now_utc();
    let now_ms = (now.unix_timestamp_nanos() / 1_000_000) as i64;
    let body = serde_json::to_vec(&webhook::webhook_payload(n, now_ms))
        .map_err(|e| NotifyError::invalid(format!("cannot encode the payload: {e}")))?;
    let headers = webhook::headers(
        channel.secret.as_deref(),
        &n.delivery_id,
        now.unix_timestamp(),
        &body,
    )?;
    Ok((headers, body))
}

impl Sender {
    /// Emails `n` to `to` (a member, or an email channel's address). Every attempt past
    /// the SMTP check takes from the recipient's hourly cap, retries included, so a relay
    /// that keeps failing cannot turn into a flood once it recovers.
    pub async fn deliver_email(&self, to: &str, n: &Notification) -> Attempt {
        let started = Instant::now();
        let skipped = |why: &str| Attempt {
            result: AttemptResult::Skipped,
            status: None,
            error: Some(why.to_owned()),
            duration_ms: elapsed_ms(started),
            link: None,
        };
        let Some(mailer) = &self.mailer else {
            return skipped("SMTP is not configured: set ERRATA_SMTP_URL");
        };
        if let Some(cap) = &self.cap {
            let now_ms =
                (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
            if !cap.try_take(to, now_ms) {
                return skipped("the recipient's hourly email cap is reached");
            }
        }
        let outcome = mailer.send(to, n).await;
        Attempt {
            result: outcome.result,
            status: None,
            error: outcome.error,
            duration_ms: elapsed_ms(started),
            link: None,
        }
    }
}

fn elapsed_ms(started: Instant) -> i64 {
    i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX)
}

fn json_headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h
}

/// The attempt of an HTTP channel from its response.
fn http_attempt(result: Result<HttpResponse>, who: &str) -> Attempt {
    let response = match result {
        Ok(r) => r,
        Err(e) => return error_attempt(&e),
    };
    let status = response.status;
    let said = || {
        let text = single_line(response.text().trim());
        if text.is_empty() {
            String::new()
        } else {
            format!(": {text}")
        }
    };
    let (result, error) = match status {
        200..=299 => (AttemptResult::Delivered, None),
        408 | 429 | 500..=599 => (
            AttemptResult::Retry,
            Some(format!("{who} answered {status}{}", said())),
        ),
        410 => (
            AttemptResult::Failed,
            Some(format!(
                "{who} answered 410 Gone (remove or fix the channel){}",
                said()
            )),
        ),
        300..=399 => (
            AttemptResult::Failed,
            Some(format!(
                "{who} answered a redirect ({status}), which is not followed: use the final URL"
            )),
        ),
        _ => (
            AttemptResult::Failed,
            Some(format!("{who} refused the message ({status}){}", said())),
        ),
    };
    Attempt {
        result,
        status: Some(status),
        error: error.map(|e| bounded(&e)),
        duration_ms: 0,
        link: None,
    }
}

/// The attempt for an error: retried when retrying may help.
fn error_attempt(e: &NotifyError) -> Attempt {
    Attempt {
        result: if e.is_retryable() {
            AttemptResult::Retry
        } else {
            AttemptResult::Failed
        },
        status: e.status(),
        error: Some(bounded(&e.to_string())),
        duration_ms: 0,
        link: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn statuses_are_classified() {
        let r = |status, body| http_attempt(Ok(response(status, body)), "Slack");
        assert_eq!(r(200, "ok").result, AttemptResult::Delivered);
        assert_eq!(r(204, "").error, None);
        for s in [408, 429, 500, 503] {
            assert_eq!(r(s, "").result, AttemptResult::Retry, "{s}");
        }
        for s in [301, 400, 403, 404, 410, 413] {
            assert_eq!(r(s, "").result, AttemptResult::Failed, "{s}");
        }
        let a = r(404, "channel_not_found");
        assert_eq!(a.status, Some(404));
        assert!(a.error.unwrap().contains("channel_not_found"));
        let long = r(400, &"x\n".repeat(10_000));
        assert!(long.error.unwrap().len() <= crate::error::MAX_ERROR_LEN);
        let refused = http_attempt(
            Err(NotifyError::Refused {
                addr: "169.254.169.254".parse().unwrap(),
                reason: "never",
            }),
            "x",
        );
        assert_eq!(refused.result, AttemptResult::Failed);
        let down = http_attempt(Err(NotifyError::transport("could not connect")), "x");
        assert_eq!(down.result, AttemptResult::Retry);
    }
}
