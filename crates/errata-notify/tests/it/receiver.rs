//! A local HTTP receiver (axum on 127.0.0.1:0) standing in for Slack, a webhook endpoint,
//! GitHub and GitLab. It checks each request as the real service would and records it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// A request as received.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

#[derive(Clone)]
struct State {
    secret: String,
    received: Arc<Mutex<Vec<Received>>>,
}

/// A running receiver.
pub(crate) struct Receiver {
    pub base: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    /// Starts a receiver whose webhook endpoint checks signatures with `secret`.
    pub(crate) async fn start(secret: &str) -> Self {
        let received = Arc::new(Mutex::new(Vec::new()));
        let state = State {
            secret: secret.to_owned(),
            received: received.clone(),
        };
        let app = Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move { handle(&state, &method, &uri, headers, body).await }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            base: format!("http://{addr}"),
            received,
        }
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

fn bad(what: &str) -> Response {
    (StatusCode::BAD_REQUEST, format!("invalid_payload: {what}")).into_response()
}

async fn handle(
    state: &State,
    method: &Method,
    uri: &Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    state.received.lock().unwrap().push(Received {
        path: path.clone(),
        headers: headers.clone(),
        body: body.to_vec(),
    });
    if method != Method::POST {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    if let Some(code) = path.strip_prefix("/status/") {
        let (code, text) = code.split_once('/').unwrap_or((code, ""));
        let code = StatusCode::from_u16(code.parse().unwrap()).unwrap();
        return (code, text.to_owned()).into_response();
    }
    match path.as_str() {
        "/slack" => slack(&body),
        "/hook" => webhook(&state.secret, &headers, &body),
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(10)).await;
            "ok".into_response()
        }
        "/repos/o/r/issues" => github(&headers, &body),
        // The project path arrives percent-encoded, as GitLab requires.
        "/api/v4/projects/group%2Fproj/issues" => gitlab(&headers, &body),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

const BLOCK_TYPES: [&str; 7] = [
    "header",
    "section",
    "context",
    "actions",
    "divider",
    "image",
    "rich_text",
];

/// What Slack checks of an incoming-webhook message.
fn slack(body: &[u8]) -> Response {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return bad("not JSON");
    };
    if v["text"].as_str().is_none_or(str::is_empty) {
        return bad("no text");
    }
    let Some(blocks) = v["blocks"].as_array() else {
        return bad("blocks is not an array");
    };
    if blocks.is_empty() || blocks.len() > 50 {
        return bad("block count");
    }
    for b in blocks {
        let ty = b["type"].as_str().unwrap_or_default();
        if !BLOCK_TYPES.contains(&ty) {
            return bad("unknown block type");
        }
        if ty == "header"
            && b["text"]["text"]
                .as_str()
                .unwrap_or_default()
                .chars()
                .count()
                > 150
        {
            return bad("header too long");
        }
        if ty == "section" {
            if b["text"]["text"]
                .as_str()
                .is_some_and(|t| t.chars().count() > 3000)
            {
                return bad("section text too long");
            }
            for f in b["fields"].as_array().into_iter().flatten() {
                if f["text"].as_str().unwrap_or_default().chars().count() > 2000 {
                    return bad("field too long");
                }
            }
        }
        if ty == "actions" {
            for e in b["elements"].as_array().into_iter().flatten() {
                if e["text"]["text"]
                    .as_str()
                    .unwrap_or_default()
                    .chars()
                    .count()
                    > 75
                {
                    return bad("button text too long");
                }
                if e["value"]
                    .as_str()
                    .is_some_and(|s| s.chars().count() > 2000)
                {
                    return bad("button value too long");
                }
                if e["action_id"].as_str().is_some_and(|s| s.len() > 255) {
                    return bad("action_id too long");
                }
            }
        }
    }
    if !v["attachments"].is_array() {
        return bad("no attachments (Mattermost)");
    }
    "ok".into_response()
}

/// A Standard Webhooks receiver, verifying with the `standardwebhooks` crate.
fn webhook(secret: &str, headers: &HeaderMap, body: &[u8]) -> Response {
    let wh = standardwebhooks::Webhook::new(secret).unwrap();
    if let Err(e) = wh.verify(body, headers) {
        return (StatusCode::UNAUTHORIZED, format!("bad signature: {e:?}")).into_response();
    }
    let ok = headers
        .get("content-type")
        .is_some_and(|v| v == "application/json")
        && serde_json::from_slice::<Value>(body).is_ok_and(|v| {
            v["trigger"].is_string()
                && v["delivery_id"].is_string()
                && v["issue"]["url"].is_string()
                && v["sent_at"].is_string()
        });
    if ok {
        StatusCode::NO_CONTENT.into_response()
    } else {
        bad("payload shape")
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// What GitHub checks when creating an issue.
fn github(headers: &HeaderMap, body: &[u8]) -> Response {
    if header(headers, "user-agent").is_empty() {
        return (StatusCode::FORBIDDEN, "Request forbidden by administrative rules. Please make sure your request has a User-Agent header").into_response();
    }
    if header(headers, "authorization") != "Bearer gh-token" {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"message": "Bad credentials"})),
        )
            .into_response();
    }
    if header(headers, "accept") != "application/vnd.github+json"
        || header(headers, "x-github-api-version") != "2022-11-28"
    {
        return bad("headers");
    }
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return bad("not JSON");
    };
    if v["title"].as_str().is_none_or(str::is_empty) || !v["body"].is_string() {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(json!({"message": "Validation Failed"})),
        )
            .into_response();
    }
    (
        StatusCode::CREATED,
        axum::Json(json!({"number": 12, "html_url": "https://github.com/o/r/issues/12", "title": v["title"]})),
    )
        .into_response()
}

/// What GitLab checks when creating an issue.
fn gitlab(headers: &HeaderMap, body: &[u8]) -> Response {
    if header(headers, "private-token") != "gl-token" {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"message": "401 Unauthorized"})),
        )
            .into_response();
    }
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return bad("not JSON");
    };
    if v["title"].as_str().is_none_or(str::is_empty) || !v["description"].is_string() {
        return bad("title");
    }
    (
        StatusCode::CREATED,
        axum::Json(json!({
            "iid": 3,
            "web_url": "https://gitlab.com/group/proj/-/issues/3",
            "references": {"short": "#3", "full": "group/proj#3"},
        })),
    )
        .into_response()
}
