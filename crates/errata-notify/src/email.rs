//! Alert emails over SMTP: the relay configured by URL ([`Mailer::from_url`]), the message
//! (subject `[Errata] PROJ-12 - title`, a `multipart/alternative` with a text and an HTML
//! body, every user string HTML-escaped in the latter), the classification of SMTP failures
//! (4xx replies and connection trouble are retried, 5xx replies and bad addresses are not)
//! and a per-recipient hourly cap ([`RecipientCap`]).

use std::collections::HashMap;
use std::fmt;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use errata_store::AttemptResult;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use percent_encoding::percent_decode_str;

use crate::error::{NotifyError, Result, bounded};
use crate::escape::{self, single_line};
use crate::notification::{Notification, utc};

/// The time limit of each SMTP command (and of the connection).
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(15);
/// The longest subject, in characters.
pub const SUBJECT_MAX: usize = 200;

/// An SMTP relay and the sender address alerts come from.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The URL with the password replaced, for `Debug`.
    shown: String,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer")
            .field("url", &self.shown)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

/// What one email attempt gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendOutcome {
    pub result: AttemptResult,
    /// What went wrong (bounded, without credentials); `None` when delivered.
    pub error: Option<String>,
}

impl SendOutcome {
    fn failed(result: AttemptResult, error: impl Into<String>) -> Self {
        Self {
            result,
            error: Some(bounded(&error.into())),
        }
    }
}

impl Mailer {
    /// A mailer for `smtp_url`, sending as `from` (`Errata <errata@example.com>` or a bare
    /// address), with [`SMTP_TIMEOUT`]. URLs:
    /// - `smtps://user:pass@host[:465]`: implicit TLS;
    /// - `smtp://user:pass@host[:587]?tls=starttls`: STARTTLS, required (no plain fallback);
    /// - `smtp://host[:25]`: no TLS, for a local relay.
    ///
    /// User and password are percent-decoded.
    pub fn from_url(smtp_url: &str, from: &str) -> Result<Self> {
        Self::from_url_with_timeout(smtp_url, from, SMTP_TIMEOUT)
    }

    /// [`Mailer::from_url`] with another time limit.
    pub fn from_url_with_timeout(smtp_url: &str, from: &str, timeout: Duration) -> Result<Self> {
        let url = reqwest::Url::parse(smtp_url.trim())
            .map_err(|e| NotifyError::invalid(format!("the SMTP URL is not a URL: {e}")))?;
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| NotifyError::invalid("the SMTP URL has no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let tls = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let smtp_err = |e: lettre::transport::smtp::Error| {
            NotifyError::invalid(format!("cannot set up TLS for the SMTP relay: {e}"))
        };
        let builder = match (url.scheme(), tls.as_deref()) {
            ("smtps", None | Some("wrapper" | "implicit")) => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&host)
                    .map_err(smtp_err)?
                    .port(url.port().unwrap_or(465))
            }
            ("smtp", Some("starttls" | "required")) => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&host)
                    .map_err(smtp_err)?
                    .port(url.port().unwrap_or(587))
            }
            ("smtp", None | Some("none")) => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host)
                    .port(url.port().unwrap_or(25))
            }
            (scheme, tls) => {
                return Err(NotifyError::invalid(format!(
                    "unsupported SMTP URL (scheme {scheme:?}, tls {:?}): use smtps://host:465, \
                     smtp://host:587?tls=starttls or smtp://host:25",
                    tls.unwrap_or("")
                )));
            }
        };
        let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
        let user = decode(url.username());
        let password = url.password().map(decode);
        let builder = if user.is_empty() {
            builder
        } else {
            builder.credentials(Credentials::new(user, password.clone().unwrap_or_default()))
        };
        let from: Mailbox = from
            .trim()
            .parse()
            .map_err(|e| NotifyError::invalid(format!("the sender address is not valid: {e}")))?;
        let mut shown = url.clone();
        if password.is_some() {
            let _ = shown.set_password(Some("<redacted>"));
        }
        Ok(Self {
            transport: builder.timeout(Some(timeout)).build(),
            from,
            shown: shown.to_string(),
        })
    }

    /// Sends the alert `n` to `to`.
    pub async fn send(&self, to: &str, n: &Notification) -> SendOutcome {
        let to: Mailbox = match to.trim().parse() {
            Ok(to) => to,
            Err(e) => {
                return SendOutcome::failed(
                    AttemptResult::Failed,
                    format!("bad recipient address: {e}"),
                );
            }
        };
        let message = match Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject(n))
            .multipart(MultiPart::alternative_plain_html(
                text_body(n),
                html_body(n),
            )) {
            Ok(m) => m,
            Err(e) => {
                return SendOutcome::failed(
                    AttemptResult::Failed,
                    format!("cannot build the email: {e}"),
                );
            }
        };
        match self.transport.send(message).await {
            Ok(_) => SendOutcome {
                result: AttemptResult::Delivered,
                error: None,
            },
            Err(e) => {
                let result = if e.is_permanent() || e.is_client() {
                    AttemptResult::Failed
                } else {
                    // 4xx replies, timeouts, refused connections, TLS and I/O trouble.
                    AttemptResult::Retry
                };
                SendOutcome::failed(result, format!("SMTP: {e}"))
            }
        }
    }
}

/// `[Errata] PROJ-12 - title`, on one line, at most [`SUBJECT_MAX`] characters.
pub fn subject(n: &Notification) -> String {
    escape::truncate(
        &single_line(&format!(
            "[Errata] {} - {}",
            n.issue.short_id, n.issue.title
        )),
        SUBJECT_MAX,
    )
}

fn field_rows(n: &Notification) -> Vec<(&'static str, String)> {
    let mut rows = vec![
        ("Project", n.project.name.clone()),
        ("Level", n.issue.level.clone()),
    ];
    if let Some(env) = n.environment() {
        rows.push(("Environment", env.to_owned()));
    }
    if let Some(release) = n.release() {
        rows.push(("Release", release.to_owned()));
    }
    rows.push(("Events", n.issue.times_seen.to_string()));
    rows.push(("Users", n.issue.user_count.to_string()));
    rows.push(("First seen", utc(n.issue.first_seen_ms)));
    rows.push(("Last seen", utc(n.issue.last_seen_ms)));
    rows.push(("Trigger", n.trigger.label().to_owned()));
    if let Some(rule) = &n.rule {
        rows.push(("Rule", rule.clone()));
    }
    if let Some(e) = &n.event {
        rows.push(("Event ID", e.event_id.clone()));
    }
    rows
}

/// The text/plain body.
pub fn text_body(n: &Notification) -> String {
    let line = |s: &str, max| escape::truncate(&single_line(s), max);
    let mut out = format!(
        "{} in {}\n\n{}: {}\n",
        n.trigger.label(),
        line(&n.project.name, 200),
        line(&n.issue.short_id, 100),
        line(&n.issue.title, 1000)
    );
    if !n.issue.culprit.is_empty() {
        let _ = writeln!(out, "{}", line(&n.issue.culprit, 500));
    }
    if let Some(h) = n.headline().filter(|h| *h != n.issue.title) {
        let _ = writeln!(out, "{}", line(&h, 1000));
    }
    out.push('\n');
    for (label, value) in field_rows(n) {
        let _ = writeln!(out, "{label}: {}", line(&value, 200));
    }
    if !n.frames().is_empty() {
        out.push_str("\nStack (innermost first):\n");
        for f in n.frames() {
            let _ = writeln!(out, "  {}", line(f, 300));
        }
    }
    let _ = write!(out, "\nView issue: {}\n", line(&n.issue_url, 2000));
    out
}

/// The text/html body: every user string escaped, the stack excerpt in `<pre>`.
pub fn html_body(n: &Notification) -> String {
    let h = |s: &str, max| escape::html(&single_line(s), max);
    let url = if n.issue_url.starts_with("https://") || n.issue_url.starts_with("http://") {
        h(&n.issue_url, 2000)
    } else {
        "#".to_owned()
    };
    let mut out =
        String::from("<!DOCTYPE html><html><body style=\"font-family:sans-serif;color:#222\">");
    let _ = write!(
        out,
        "<p style=\"color:#666\">{} in {}</p><h2><a href=\"{url}\">{}</a>: {}</h2>",
        h(n.trigger.label(), 100),
        h(&n.project.name, 200),
        h(&n.issue.short_id, 100),
        h(&n.issue.title, 1000)
    );
    if !n.issue.culprit.is_empty() {
        let _ = write!(out, "<p><code>{}</code></p>", h(&n.issue.culprit, 500));
    }
    if let Some(headline) = n.headline().filter(|x| *x != n.issue.title) {
        let _ = write!(out, "<p>{}</p>", h(&headline, 1000));
    }
    out.push_str("<table cellpadding=\"4\">");
    for (label, value) in field_rows(n) {
        let _ = write!(
            out,
            "<tr><th align=\"left\">{label}</th><td>{}</td></tr>",
            h(&value, 200)
        );
    }
    out.push_str("</table>");
    if !n.frames().is_empty() {
        out.push_str(
            "<p>Stack (innermost first):</p><pre style=\"background:#f4f4f4;padding:8px\">",
        );
        for f in n.frames() {
            let _ = writeln!(out, "{}", h(f, 300));
        }
        out.push_str("</pre>");
    }
    let _ = write!(
        out,
        "<p><a href=\"{url}\" style=\"display:inline-block;padding:8px 16px;background:#2f80ed;color:#fff;text-decoration:none;border-radius:4px\">View issue</a></p></body></html>"
    );
    out
}

/// A per-recipient cap on alert emails per hour, in memory and so per node (with several
/// nodes, a recipient may get up to the cap from each). Fixed one-hour windows per address
/// (case-insensitive); at most [`RecipientCap::MAX_ENTRIES`] addresses are tracked, expired
/// windows being dropped first, then the oldest.
#[derive(Debug)]
pub struct RecipientCap {
    per_hour: u32,
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

impl RecipientCap {
    /// The most addresses tracked at once.
    pub const MAX_ENTRIES: usize = 10_000;
    const HOUR_MS: i64 = 3_600_000;

    pub fn new(per_hour: u32) -> Self {
        Self {
            per_hour,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one email of `addr`'s allowance at `now_ms`; false when the cap is reached.
    pub fn try_take(&self, addr: &str, now_ms: i64) -> bool {
        let key = addr.trim().to_lowercase();
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !windows.contains_key(&key) && windows.len() >= Self::MAX_ENTRIES {
            windows.retain(|_, (start, _)| now_ms < *start + Self::HOUR_MS);
            if windows.len() >= Self::MAX_ENTRIES {
                let oldest = windows
                    .iter()
                    .min_by_key(|(_, (start, _))| *start)
                    .map(|(k, _)| k.clone());
                if let Some(oldest) = oldest {
                    windows.remove(&oldest);
                }
            }
        }
        let entry = windows.entry(key).or_insert((now_ms, 0));
        if now_ms >= entry.0 + Self::HOUR_MS || now_ms < entry.0 {
            *entry = (now_ms, 0);
        }
        if entry.1 >= self.per_hour {
            return false;
        }
        entry.1 += 1;
        true
    }

    /// How many addresses are tracked.
    pub fn len(&self) -> usize {
        self.windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notification::tests::hostile;

    #[test]
    fn urls_pick_the_tls_mode_and_hide_the_password() {
        let m = Mailer::from_url(
            "smtps://ada%40x.io:p%40ss%3Aw@mail.example.com",
            "Errata <errata@example.com>",
        )
        .unwrap();
        let debug = format!("{m:?}");
        assert!(
            !debug.contains("p%40ss") && !debug.contains("p@ss"),
            "{debug}"
        );
        assert!(debug.contains("redacted"));
        assert!(Mailer::from_url("smtp://mail.example.com:587?tls=starttls", "a@b.c").is_ok());
        assert!(Mailer::from_url("smtp://127.0.0.1:2525", "a@b.c").is_ok());
        for bad in [
            "http://x",
            "smtp://x?tls=opportunistic",
            "smtp://",
            "nonsense",
        ] {
            assert!(
                Mailer::from_url(bad, "a@b.c").unwrap_err().is_invalid(),
                "{bad}"
            );
        }
        assert!(Mailer::from_url("smtp://x", "not an address").is_err());
    }

    #[test]
    fn hostile_mail_is_escaped_and_bounded() {
        let n = hostile();
        let s = subject(&n);
        assert!(!s.contains('\r') && !s.contains('\n'));
        assert!(s.starts_with("[Errata] API-42 - <script>"));
        assert!(s.chars().count() <= SUBJECT_MAX);
        let html = html_body(&n);
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.len() < 60_000, "{}", html.len());
        assert!(text_body(&n).len() < 30_000);
    }

    #[test]
    fn the_cap_counts_per_address_per_hour() {
        let cap = RecipientCap::new(2);
        assert!(cap.try_take("a@x.io", 0));
        assert!(cap.try_take("A@x.io", 1));
        assert!(!cap.try_take("a@x.io", 2));
        assert!(cap.try_take("b@x.io", 2));
        assert!(cap.try_take("a@x.io", 3_600_000));
    }

    #[test]
    fn the_cap_is_bounded() {
        let cap = RecipientCap::new(1);
        for i in 0..RecipientCap::MAX_ENTRIES + 50 {
            assert!(cap.try_take(&format!("u{i}@x.io"), i64::try_from(i).unwrap()));
        }
        assert!(cap.len() <= RecipientCap::MAX_ENTRIES);
        // Recent entries are kept.
        assert!(!cap.try_take(
            &format!("u{}@x.io", RecipientCap::MAX_ENTRIES + 49),
            100_000
        ));
    }
}
