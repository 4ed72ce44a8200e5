//! `errata bench ui --url URL --email E --password P [--requests N]`: how fast the web
//! UI's pages are on this data. It logs in through the login form (the CSRF field and
//! cookie from `GET /login`, then the `POST`), then requests over HTTP, one at a time,
//! `--requests` times each: the issue list (default query), the list filtered by a tag
//! (`environment:production`), a free-text search, and the detail of the busiest issue.
//! It prints p50/p95/p99 latency, the HTML size, and how many requests a browser makes
//! for the page (1 + the stylesheets, scripts and images it references).
//!
//! Server-side time plus loopback: run it on the server's machine against a filled data
//! dir (`errata bench fill`) for figures that mean something.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

#[derive(Debug, clap::Args)]
pub(crate) struct UiArgs {
    /// The UI's address.
    #[arg(long, default_value = "http://127.0.0.1:9000")]
    url: String,
    /// The login email.
    #[arg(long, env = "ERRATA_EMAIL")]
    email: String,
    /// The password.
    #[arg(long, env = "ERRATA_PASSWORD")]
    password: String,
    /// Timed requests per page (after one untimed warm-up).
    #[arg(long, default_value_t = 50)]
    requests: usize,
    /// The free-text search's words.
    #[arg(long, default_value = "timed out")]
    search: String,
    /// The issue whose detail is measured [default: the one with the most events].
    #[arg(long)]
    issue: Option<String>,
}

/// A logged-in HTTP client: one keep-alive agent and the cookies the server set.
#[derive(Debug)]
struct Client {
    agent: ureq::Agent,
    base: String,
    cookies: BTreeMap<String, String>,
}

/// An answer: status, body, and how long it took to the last byte.
#[derive(Debug)]
struct Answer {
    status: u16,
    location: Option<String>,
    body: String,
    took: Duration,
}

impl Client {
    fn new(base: &str) -> Self {
        let deadline = Some(Duration::from_secs(60));
        let agent = ureq::Agent::new_with_config(
            ureq::config::Config::builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .timeout_send_request(deadline)
                .timeout_recv_response(deadline)
                .timeout_recv_body(deadline)
                .build(),
        );
        Self {
            agent,
            base: base.trim_end_matches('/').to_owned(),
            cookies: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn finish(
        &mut self,
        start: Instant,
        response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
        what: &str,
    ) -> anyhow::Result<Answer> {
        let response = response.with_context(|| format!("{what}: no answer"))?;
        for value in response.headers().get_all("set-cookie") {
            let value = String::from_utf8_lossy(value.as_bytes());
            let pair = value.split(';').next().unwrap_or_default();
            if let Some((name, val)) = pair.split_once('=') {
                let expired = value.to_ascii_lowercase().contains("max-age=0");
                if val.is_empty() || expired {
                    self.cookies.remove(name.trim());
                } else {
                    self.cookies
                        .insert(name.trim().to_owned(), val.trim().to_owned());
                }
            }
        }
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let body = response
            .into_body()
            .with_config()
            .limit(64 << 20)
            .read_to_string()
            .with_context(|| format!("{what}: reading the body"))?;
        Ok(Answer {
            status,
            location,
            body,
            took: start.elapsed(),
        })
    }

    fn get(&mut self, path: &str) -> anyhow::Result<Answer> {
        let start = Instant::now();
        let response = self
            .agent
            .get(&format!("{}{path}", self.base))
            .header("Cookie", &self.cookie_header())
            .call();
        self.finish(start, response, &format!("GET {path}"))
    }

    fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> anyhow::Result<Answer> {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let start = Instant::now();
        let response = self
            .agent
            .post(&format!("{}{path}", self.base))
            .header("Cookie", &self.cookie_header())
            .header("Content-Type", "application/x-www-form-urlencoded")
            // Forms are checked against their origin, as a browser sends it.
            .header("Origin", &self.base)
            .send(body.as_bytes());
        self.finish(start, response, &format!("POST {path}"))
    }
}

/// `application/x-www-form-urlencoded` (also fine in a query string).
fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 15)]));
            }
        }
    }
    out
}

/// The value of attribute `name` in one tag's text (`<input name="x" value="y">`).
fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find(name) {
        let start = from + at;
        from = start + name.len();
        let before_ok = start > 0 && lower.as_bytes()[start - 1].is_ascii_whitespace();
        let rest = tag[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let rest = rest[1..].trim_start();
        let value = match rest.chars().next() {
            Some(quote @ ('"' | '\'')) => rest[1..].split(quote).next().unwrap_or_default(),
            _ => rest
                .split(|c: char| c.is_ascii_whitespace() || c == '>')
                .next()
                .unwrap_or_default(),
        };
        return Some(
            value
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&"),
        );
    }
    None
}

/// The opening tags named `tag` (`<input ...>`), as text.
fn tags<'a>(html: &'a str, tag: &str) -> Vec<&'a str> {
    let lower = html.to_ascii_lowercase();
    let open = format!("<{tag}");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = lower[from..].find(&open) {
        let start = from + at;
        let after = lower.as_bytes().get(start + open.len()).copied();
        let end = lower[start..]
            .find('>')
            .map_or(lower.len(), |e| start + e + 1);
        if after.is_some_and(|c| c.is_ascii_whitespace() || c == b'>' || c == b'/') {
            out.push(&html[start..end]);
        }
        from = end.max(start + 1);
    }
    out
}

/// The `value` of the `input[name=...]` of a page.
fn input_value(html: &str, name: &str) -> Option<String> {
    tags(html, "input")
        .into_iter()
        .find(|t| attribute(t, "name").as_deref() == Some(name))
        .and_then(|t| attribute(t, "value"))
}

/// Requests a browser makes for `html`: the page, its stylesheets, scripts and images.
fn page_requests(html: &str) -> usize {
    let stylesheets = tags(html, "link")
        .into_iter()
        .filter(|t| {
            attribute(t, "rel").is_some_and(|r| r.to_ascii_lowercase().contains("stylesheet"))
        })
        .count();
    let scripts = tags(html, "script")
        .into_iter()
        .filter(|t| attribute(t, "src").is_some())
        .count();
    let images = tags(html, "img").len();
    1 + stylesheets + scripts + images
}

/// The busiest issue: the first `data-issue-id` of the list sorted by events.
fn busiest_issue(client: &mut Client) -> anyhow::Result<String> {
    let list = client.get("/issues/?query=&sort=events")?;
    if list.status != 200 {
        bail!("GET /issues/?sort=events answered {}", list.status);
    }
    tags(&list.body, "tr")
        .into_iter()
        .find_map(|t| attribute(t, "data-issue-id"))
        .context("the issue list has no tr[data-issue-id]: is the data dir empty?")
}

fn login(client: &mut Client, email: &str, password: &str) -> anyhow::Result<()> {
    let page = client.get("/login")?;
    if page.status != 200 {
        bail!(
            "GET /login answered {} (is this a server with the web UI?)",
            page.status
        );
    }
    let csrf = input_value(&page.body, "csrf").context("the login form has no csrf field")?;
    let answer = client.post_form(
        "/login",
        &[("email", email), ("password", password), ("csrf", &csrf)],
    )?;
    if answer.status != 303 {
        let message = answer
            .body
            .split("form-error")
            .nth(1)
            .and_then(|rest| rest.split('>').nth(1))
            .and_then(|rest| rest.split('<').next())
            .unwrap_or_default()
            .trim()
            .to_owned();
        bail!(
            "logging in as {email} answered {} (not 303): {message}",
            answer.status
        );
    }
    if answer
        .location
        .as_deref()
        .is_some_and(|l| l.contains("/login"))
    {
        bail!("logging in as {email} sent back to the login page");
    }
    Ok(())
}

/// Milliseconds at percentile `p` of sorted durations.
fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let last = sorted.len() - 1;
    #[allow(clippy::cast_sign_loss, reason = "within 0..=last")]
    let rank = ((p / 100.0) * last as f64).round() as usize;
    sorted[rank.min(last)].as_secs_f64() * 1000.0
}

pub(crate) fn run(args: &UiArgs) -> anyhow::Result<()> {
    if args.requests == 0 {
        bail!("--requests must be positive");
    }
    let mut client = Client::new(&args.url);
    login(&mut client, &args.email, &args.password)?;
    let issue = match &args.issue {
        Some(issue) => issue.clone(),
        None => busiest_issue(&mut client)?,
    };
    let pages = [
        ("issue list", "/issues/".to_owned()),
        (
            "tag filter",
            format!(
                "/issues/?query={}",
                form_encode("is:unresolved environment:production")
            ),
        ),
        (
            "search",
            format!(
                "/issues/?query={}",
                form_encode(&format!("is:unresolved {}", args.search))
            ),
        ),
        ("issue detail", format!("/issues/{issue}/")),
    ];
    #[allow(clippy::print_stdout, reason = "the benchmark's report")]
    {
        println!(
            "{:<14} {:>9} {:>9} {:>9} {:>10} {:>9}  path",
            "page", "p50 ms", "p95 ms", "p99 ms", "HTML KiB", "requests"
        );
    }
    for (name, path) in &pages {
        let warm = client.get(path)?;
        if warm.status != 200 {
            bail!(
                "GET {path} answered {} (logged out? not built yet?)",
                warm.status
            );
        }
        let mut took = Vec::with_capacity(args.requests);
        for _ in 0..args.requests {
            let answer = client.get(path)?;
            if answer.status != 200 {
                bail!("GET {path} answered {}", answer.status);
            }
            took.push(answer.took);
        }
        took.sort_unstable();
        #[allow(clippy::print_stdout, reason = "the benchmark's report")]
        {
            println!(
                "{name:<14} {:>9.1} {:>9.1} {:>9.1} {:>10.1} {:>9}  {path}",
                percentile_ms(&took, 50.0),
                percentile_ms(&took, 95.0),
                percentile_ms(&took, 99.0),
                warm.body.len() as f64 / 1024.0,
                page_requests(&warm.body),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_csrf_field_and_counts_the_page_requests() {
        let html = r#"<html><head><link rel="stylesheet" href="/static/a.css"><link rel=icon href=/f.ico>
            <script src="/static/app.js" defer></script></head><body>
            <form id="login"><input type="hidden" name="csrf" value="a&amp;b"><input name=email>
            <img src="/static/logo.svg" alt=""></form><table><tr class="issue" data-issue-id="42"></tr></table>"#;
        assert_eq!(input_value(html, "csrf").as_deref(), Some("a&b"));
        assert_eq!(input_value(html, "email"), None);
        assert_eq!(page_requests(html), 4);
        assert_eq!(
            tags(html, "tr")
                .into_iter()
                .find_map(|t| attribute(t, "data-issue-id")),
            Some("42".to_owned())
        );
        assert_eq!(form_encode("is:unresolved a/b"), "is%3Aunresolved+a%2Fb");
    }
}
