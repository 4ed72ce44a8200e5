//! Issue trackers: opening a GitHub or GitLab issue from an alert, through the guarded HTTP
//! client, and reading back the new issue's page and reference (`owner/repo#12`).
//!
//! GitHub: `POST {api}/repos/{owner}/{repo}/issues` with a Bearer token, the
//! `application/vnd.github+json` media type and API version `2022-11-28`; 201 gives
//! `number` and `html_url`. GitLab: `POST {base}/api/v4/projects/{id or url-encoded
//! path}/issues` with `PRIVATE-TOKEN`; 201 gives `iid` and `web_url`. Refusals (401, 403,
//! 404, 410, 422 and other 4xx) are final, with a message saying what to fix; rate limits
//! (429, or 403 with `retry-after` or `x-ratelimit-remaining: 0`), 408 and 5xx are retried.
//! The token is sent as a sensitive header and never appears in a result or an error.

use std::fmt::Write as _;

use http::{HeaderMap, HeaderValue, header};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

use crate::error::{NotifyError, Result, bounded};
use crate::escape::{self, single_line};
use crate::net::{HttpClient, HttpResponse};
use crate::notification::{Notification, utc};

/// The public GitHub API.
pub const GITHUB_API: &str = "https://api.github.com";
/// The public GitLab.
pub const GITLAB: &str = "https://gitlab.com";
/// The longest issue title sent (GitLab's limit is 255).
pub const TITLE_MAX: usize = 250;

/// Path segments keep only unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

/// An issue opened in a tracker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackerIssue {
    /// Its web page.
    pub url: String,
    /// How it is shown: `owner/repo#12`, `group/project#3`.
    pub reference: String,
}

/// The issue title: the alert's title on one line, cut to [`TITLE_MAX`].
pub fn issue_title(n: &Notification) -> String {
    escape::truncate(&single_line(&n.issue.title), TITLE_MAX)
}

/// The issue body (GitHub and GitLab Markdown): culprit, counts, the message, the stack
/// excerpt in a fence its content cannot close, and the link back. User strings are
/// escaped, so they cannot form links, mentions, references or HTML.
pub fn issue_body(n: &Notification) -> String {
    let md = |s: &str, max| escape::markdown(s, max);
    let mut out = String::new();
    if !n.issue.culprit.is_empty() {
        let _ = write!(out, "**Culprit:** {}\n\n", md(&n.issue.culprit, 500));
    }
    if let Some(h) = n.headline() {
        let _ = write!(out, "> {}\n\n", md(&h, 2000));
    }
    let mut facts = vec![
        format!("**Level:** {}", md(&n.issue.level, 20)),
        format!("**Events:** {}", n.issue.times_seen),
        format!("**Users:** {}", n.issue.user_count),
        format!("**First seen:** {}", utc(n.issue.first_seen_ms)),
    ];
    if let Some(env) = n.environment() {
        facts.push(format!("**Environment:** {}", md(env, 100)));
    }
    if let Some(release) = n.release() {
        facts.push(format!("**Release:** {}", md(release, 100)));
    }
    out.push_str(&facts.join(" · "));
    out.push_str("\n\n");
    if !n.frames().is_empty() {
        let lines: Vec<String> = n
            .frames()
            .iter()
            .map(|f| escape::truncate(&single_line(f), 300))
            .collect();
        out.push_str("**Stack (innermost first)**\n\n");
        out.push_str(&escape::code_block(&lines.join("\n"), 4000));
        out.push_str("\n\n");
    }
    let _ = writeln!(
        out,
        "[View {} in Errata](<{}>) · project {}",
        md(&n.issue.short_id, 100),
        link_destination(&n.issue_url),
        md(&n.project.name, 200)
    );
    out
}

/// A URL as a Markdown `<...>` link destination (no `<`, `>`, spaces or line breaks).
fn link_destination(url: &str) -> String {
    escape::truncate(url, 2000)
        .chars()
        .map(|c| match c {
            '<' => "%3C".to_owned(),
            '>' => "%3E".to_owned(),
            c if c.is_whitespace() || c.is_control() => "%20".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

fn base(api_base: Option<&str>, default: &str) -> String {
    api_base
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .unwrap_or(default)
        .trim_end_matches('/')
        .to_owned()
}

fn json_headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h
}

fn secret_header(token: &str, prefix: &str) -> Result<HeaderValue> {
    let mut v = HeaderValue::from_str(&format!("{prefix}{}", token.trim()))
        .map_err(|_| NotifyError::invalid("the token contains characters a header cannot hold"))?;
    v.set_sensitive(true);
    Ok(v)
}

/// Opens a GitHub issue in `repo` (`owner/repo`).
pub async fn create_github_issue(
    client: &HttpClient,
    api_base: Option<&str>,
    repo: &str,
    token: &str,
    n: &Notification,
) -> Result<TrackerIssue> {
    let (owner, name) = repo
        .trim()
        .split_once('/')
        .filter(|(o, r)| !o.is_empty() && !r.is_empty())
        .ok_or_else(|| NotifyError::invalid("the GitHub repository is not owner/repo"))?;
    let url = format!(
        "{}/repos/{}/{}/issues",
        base(api_base, GITHUB_API),
        utf8_percent_encode(owner, SEGMENT),
        utf8_percent_encode(name, SEGMENT)
    );
    let mut h = json_headers();
    h.insert(header::AUTHORIZATION, secret_header(token, "Bearer ")?);
    h.insert(
        header::ACCEPT,
        HeaderValue::from_static("application/vnd.github+json"),
    );
    h.insert(
        "x-github-api-version",
        HeaderValue::from_static("2022-11-28"),
    );
    h.insert(header::USER_AGENT, HeaderValue::from_static("errata"));
    let body = json!({"title": issue_title(n), "body": issue_body(n)});
    let response = client.post(&url, h, body.to_string().into_bytes()).await?;
    let v = created(&response, "GitHub", token)?;
    let number = v["number"].as_i64();
    let html_url = v["html_url"].as_str();
    match (number, html_url) {
        (Some(number), Some(url)) => Ok(TrackerIssue {
            url: web_url(url)?,
            reference: format!("{owner}/{name}#{number}"),
        }),
        _ => Err(NotifyError::Response(
            "GitHub's answer has no number or html_url".to_owned(),
        )),
    }
}

/// Opens a GitLab issue in `project` (a numeric id or `group/project`).
pub async fn create_gitlab_issue(
    client: &HttpClient,
    api_base: Option<&str>,
    project: &str,
    token: &str,
    n: &Notification,
) -> Result<TrackerIssue> {
    let project = project.trim().trim_matches('/');
    if project.is_empty() {
        return Err(NotifyError::invalid("the GitLab project is empty"));
    }
    let url = format!(
        "{}/api/v4/projects/{}/issues",
        base(api_base, GITLAB),
        utf8_percent_encode(project, SEGMENT)
    );
    let mut h = json_headers();
    h.insert("private-token", secret_header(token, "")?);
    let body = json!({"title": issue_title(n), "description": issue_body(n)});
    let response = client.post(&url, h, body.to_string().into_bytes()).await?;
    let v = created(&response, "GitLab", token)?;
    let iid = v["iid"].as_i64();
    let web = v["web_url"].as_str();
    match (iid, web) {
        (Some(iid), Some(url)) => Ok(TrackerIssue {
            url: web_url(url)?,
            reference: v["references"]["full"]
                .as_str()
                .filter(|r| !r.is_empty() && r.len() <= 300)
                .map_or_else(|| format!("{project}#{iid}"), str::to_owned),
        }),
        _ => Err(NotifyError::Response(
            "GitLab's answer has no iid or web_url".to_owned(),
        )),
    }
}

/// A tracker's page URL, shown as a link: only http(s).
fn web_url(url: &str) -> Result<String> {
    if (url.starts_with("https://") || url.starts_with("http://")) && url.len() <= 2048 {
        Ok(url.to_owned())
    } else {
        Err(NotifyError::Response(
            "the tracker's issue URL is not an http(s) URL".to_owned(),
        ))
    }
}

/// The JSON of a 2xx answer, or the classified refusal.
fn created(r: &HttpResponse, tracker: &str, token: &str) -> Result<Value> {
    if r.is_success() {
        return serde_json::from_slice(&r.body)
            .map_err(|_| NotifyError::Response(format!("{tracker}'s answer is not JSON")));
    }
    let said = serde_json::from_slice::<Value>(&r.body)
        .ok()
        .and_then(|v| match &v["message"] {
            Value::String(s) => Some(s.clone()),
            Value::Null => v["error"].as_str().map(str::to_owned),
            other => Some(other.to_string()),
        })
        .unwrap_or_else(|| r.text());
    let said = if token.trim().is_empty() {
        said
    } else {
        said.replace(token.trim(), "<redacted>")
    };
    let header = |name: &str| r.headers.get(name).and_then(|v| v.to_str().ok());
    let rate_limited = r.status == 429
        || (r.status == 403
            && (header("retry-after").is_some()
                || header("x-ratelimit-remaining") == Some("0")
                || header("ratelimit-remaining") == Some("0")));
    let (retry, what) = match r.status {
        _ if rate_limited => (true, "rate limited, will retry"),
        408 => (true, "timed out, will retry"),
        401 => (false, "the token was refused: check the channel's token"),
        403 => (false, "forbidden: the token may not create issues there"),
        404 => (
            false,
            "not found: the project does not exist or the token cannot see it",
        ),
        410 => (false, "gone: issues are disabled for this project"),
        422 => (false, "the issue was refused as invalid"),
        s if s >= 500 => (true, "server error, will retry"),
        _ => (false, "refused"),
    };
    Err(NotifyError::Status {
        status: r.status,
        message: bounded(&format!("{tracker} {what} ({})", single_line(&said))),
        retry,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notification::tests::hostile;

    fn response(status: u16, headers: &[(&'static str, &'static str)], body: &str) -> HttpResponse {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.insert(*k, HeaderValue::from_static(v));
        }
        HttpResponse {
            status,
            headers: h,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn refusals_are_classified() {
        let retry = |status, headers: &[(&'static str, &'static str)]| {
            created(
                &response(status, headers, r#"{"message":"no"}"#),
                "GitHub",
                "tok",
            )
            .unwrap_err()
            .is_retryable()
        };
        assert!(!retry(401, &[]));
        assert!(!retry(403, &[]));
        assert!(retry(403, &[("x-ratelimit-remaining", "0")]));
        assert!(retry(403, &[("retry-after", "60")]));
        assert!(!retry(404, &[]));
        assert!(!retry(410, &[]));
        assert!(!retry(422, &[]));
        assert!(retry(429, &[]));
        assert!(retry(408, &[]));
        assert!(retry(502, &[]));
        let err = created(
            &response(401, &[], r#"{"message":"bad token tok-123"}"#),
            "GitLab",
            "tok-123",
        )
        .unwrap_err();
        assert!(!err.to_string().contains("tok-123"), "{err}");
        assert!(err.to_string().contains("check the channel's token"));
    }

    #[test]
    fn hostile_bodies_cannot_escape_their_markdown() {
        let n = hostile();
        let body = issue_body(&n);
        assert!(body.len() < 20_000, "{}", body.len());
        // Outside the code block, nothing is live Markdown or HTML.
        let outside: String =
            body.split("**Stack").next().unwrap().to_owned() + body.rsplit("```").next().unwrap();
        let unescaped = outside.replace("\\<", "").replace("\\@", "");
        assert!(!unescaped.contains("<script"), "{outside}");
        assert!(!unescaped.contains("@here"));
        assert!(outside.contains("\\<script\\>"));
        // The fence around the frames is longer than any backtick run inside it.
        let fence_line = body
            .lines()
            .find(|l| !l.is_empty() && l.chars().all(|c| c == '`'))
            .unwrap();
        let inside = body.split(fence_line).nth(1).unwrap();
        assert!(!inside.contains(fence_line));
        assert_eq!(body.matches(fence_line).count(), 2);
        let title = issue_title(&n);
        assert!(title.chars().count() <= TITLE_MAX && !title.contains('\n'));
        assert_eq!(
            link_destination("https://e/a b<c>"),
            "https://e/a%20b%3Cc%3E"
        );
    }
}
