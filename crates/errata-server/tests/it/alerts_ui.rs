//! The alerting pages through the router, as a browser without scripts uses them: a
//! member reads but cannot change channels or rules; an admin adds channels (a webhook's
//! secret shown once, a Slack URL never shown whole), creates a rule, sees a rule without
//! a trigger refused with the store's message, reads the delivery log after an event, turns
//! alert email off on the account page, and sees the issue page's tracker button.

#![allow(
    clippy::too_many_lines,
    reason = "each test walks one user journey end to end"
)]

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use errata_store::{ChannelKind, NewChannel, NewUser, ProjectId, Role};

use crate::support::{PUBLIC_URL, Reply, TestServer};

const PASSWORD: &str = "correct horse battery staple";
/// A Slack URL whose path is the secret; on a closed local port so nothing is sent.
const SLACK_URL: &str = "http://127.0.0.1:9/services/T000/B000/SLACKSECRETPATH";

/// A browser: a cookie jar, forms posted with the server's Origin.
struct Browser<'a> {
    server: &'a TestServer,
    cookies: Vec<(String, String)>,
    csrf: String,
}

impl<'a> Browser<'a> {
    async fn log_in(server: &'a TestServer, email: &str, password: &str) -> Self {
        let mut browser = Self {
            server,
            cookies: Vec::new(),
            csrf: String::new(),
        };
        let form = browser.get("/login").await;
        let csrf = field(&text(&form), "csrf");
        let reply = browser
            .post(
                "/login",
                &[
                    ("email", email),
                    ("password", password),
                    ("csrf", &csrf),
                    ("next", "/issues/"),
                ],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", text(&reply));
        let page = browser.get("/issues/").await;
        browser.csrf = field(&text(&page), "csrf");
        browser
    }

    fn keep_cookies(&mut self, reply: &Reply) {
        for value in reply.headers.get_all("set-cookie") {
            let value = value.to_str().unwrap();
            let (name, v) = value.split(';').next().unwrap().split_once('=').unwrap();
            self.cookies.retain(|(k, _)| k != name);
            if !value.contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), v.to_owned()));
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn get(&mut self, uri: &str) -> Reply {
        let request = Request::builder()
            .uri(uri)
            .header("cookie", self.cookie_header())
            .body(Body::empty())
            .unwrap();
        let reply = self.server.raw(request).await;
        self.keep_cookies(&reply);
        reply
    }

    async fn post(&mut self, uri: &str, form: &[(&str, &str)]) -> Reply {
        let body = form
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header("cookie", self.cookie_header())
            .header("origin", PUBLIC_URL)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        let reply = self.server.raw(request).await;
        self.keep_cookies(&reply);
        reply
    }

    /// A form with the session's CSRF token added.
    async fn submit(&mut self, uri: &str, form: &[(&str, &str)]) -> Reply {
        let csrf = self.csrf.clone();
        let mut fields = form.to_vec();
        fields.push(("csrf", &csrf));
        self.post(uri, &fields).await
    }
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn text(reply: &Reply) -> String {
    String::from_utf8_lossy(&reply.body).into_owned()
}

fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field in {html}"))
        + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

async fn add_member(server: &TestServer) {
    let store = server.state.store.clone();
    let hash = errata_server::hash_password("member password").unwrap();
    tokio::task::spawn_blocking(move || {
        store.create_user(&NewUser {
            email: "ana@example.com".into(),
            name: "Ana".into(),
            password_hash: hash,
            role: Role::Member,
        })
    })
    .await
    .unwrap()
    .unwrap();
}

async fn admin(server: &TestServer) -> Browser<'_> {
    let email = server.state.config.admin_email.clone();
    Browser::log_in(server, &email, PASSWORD).await
}

#[tokio::test]
async fn members_read_alerts_but_cannot_change_them() {
    let server = TestServer::start().await;
    add_member(&server).await;
    let mut browser = Browser::log_in(&server, "ana@example.com", "member password").await;
    let page = browser.get("/projects/default/alerts/").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = text(&page);
    assert!(
        html.contains("New issues and regressions"),
        "default rule: {html}"
    );
    assert!(!html.contains("alerts/channels\""), "no add form: {html}");
    let reply = browser
        .submit(
            "/projects/default/alerts/channels",
            &[("kind", "slack"), ("target", SLACK_URL)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(text(&reply).contains("project:write"), "names the scope");
    for forbidden in [
        "/projects/default/alerts/rules/new",
        "/projects/default/alerts/rules/1",
    ] {
        assert_eq!(
            browser.get(forbidden).await.status,
            StatusCode::FORBIDDEN,
            "{forbidden}"
        );
    }
    assert_eq!(
        browser
            .get("/projects/default/alerts/deliveries/")
            .await
            .status,
        StatusCode::OK
    );
    let store = server.state.store.clone();
    let channels = tokio::task::spawn_blocking(move || store.channels(ProjectId(1)))
        .await
        .unwrap()
        .unwrap();
    assert!(channels.is_empty(), "{channels:?}");
    server.stop().await;
}

#[tokio::test]
async fn admins_add_channels_and_rules_and_read_the_log() {
    let server = TestServer::start().await;
    let mut browser = admin(&server).await;
    let alerts = "/projects/default/alerts/";
    // A Slack channel: its URL is never shown whole.
    let reply = browser
        .submit(
            &format!("{alerts}channels"),
            &[
                ("kind", "slack"),
                ("target", SLACK_URL),
                ("name", "<b>ops</b>"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", text(&reply));
    let html = text(&browser.get(alerts).await);
    assert!(html.contains("Channel added."), "flash: {html}");
    assert!(html.contains("http://127.0.0.1:9/…"), "{html}");
    assert!(html.contains("&#60;b&#62;ops&#60;/b&#62;"), "{html}");
    assert!(!html.contains("SLACKSECRETPATH"), "{html}");
    // A webhook: the generated secret is on the answering page, then never again.
    let reply = browser
        .submit(
            &format!("{alerts}channels"),
            &[("kind", "webhook"), ("target", "http://127.0.0.1:9/hook")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let secret = {
        let html = text(&reply);
        let start = html.find("whsec_").expect("the secret is shown once");
        let end = start + html[start..].find('<').unwrap();
        html[start..end].to_owned()
    };
    let html = text(&browser.get(alerts).await);
    assert!(!html.contains(&secret), "{html}");
    assert!(html.contains("Signing secret set"), "{html}");
    // A bad channel comes back with the message.
    let reply = browser
        .submit(
            &format!("{alerts}channels"),
            &[("kind", "email"), ("target", "not an address")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(
        text(&reply).contains("is not an email address"),
        "{}",
        text(&reply)
    );
    // A rule without a trigger is refused with the store's message, the form kept.
    let reply = browser
        .submit(
            &format!("{alerts}rules/new"),
            &[
                ("name", "Quiet"),
                ("all_channels", "on"),
                ("cooldown_minutes", "30"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let html = text(&reply);
    assert!(
        html.contains("A rule needs at least one trigger."),
        "{html}"
    );
    assert!(html.contains("name=\"name\" value=\"Quiet\""), "{html}");
    // A good rule.
    let reply = browser
        .submit(
            &format!("{alerts}rules/new"),
            &[
                ("name", "Prod errors"),
                ("enabled", "on"),
                ("new_issue", "on"),
                ("regression", "on"),
                ("min_level", "error"),
                ("environment", "prod"),
                ("all_channels", "on"),
                ("email_members", "on"),
                ("cooldown_minutes", "30"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", text(&reply));
    let html = text(&browser.get(alerts).await);
    assert!(
        html.contains(
            "New issue or regression · level ≥ error · env prod → all channels, members&#39; email · cooldown 30 min"
        ),
        "{html}"
    );
    // An event opens an issue: the default rule queues deliveries to the channels.
    server.send_scenario("python/exception_simple").await;
    let log = browser.get(&format!("{alerts}deliveries/")).await;
    assert_eq!(log.status, StatusCode::OK);
    let html = text(&log);
    assert!(html.contains("<table id=\"deliveries\""), "{html}");
    assert!(html.contains("New issue"), "{html}");
    assert!(!html.contains("SLACKSECRETPATH") && !html.contains(&secret));
    // Disable, then delete a channel.
    let store = server.state.store.clone();
    let channels = tokio::task::spawn_blocking(move || store.channels(ProjectId(1)))
        .await
        .unwrap()
        .unwrap();
    let slack = format!("{alerts}channels/{}", channels[0].id.0);
    let reply = browser.submit(&slack, &[("action", "disable")]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let reply = browser.submit(&slack, &[("action", "delete")]).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let html = text(&browser.get(alerts).await);
    assert!(html.contains("Channel deleted."), "{html}");
    assert!(!html.contains("127.0.0.1:9/…</code> <span"), "{html}");
    server.stop().await;
}

#[tokio::test]
async fn alert_email_is_turned_off_on_the_account_page() {
    let server = TestServer::start().await;
    let mut browser = admin(&server).await;
    let html = text(&browser.get("/settings/tokens/").await);
    assert!(
        html.contains("name=\"email\" value=\"1\" checked>"),
        "{html}"
    );
    let reply = browser
        .submit("/settings/alert-email", &[("project", "1")])
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let html = text(&browser.get("/settings/tokens/").await);
    assert!(html.contains("name=\"email\" value=\"1\">"), "{html}");
    let store = server.state.store.clone();
    let user = server.state.config.admin_email.clone();
    let off = tokio::task::spawn_blocking(move || {
        store.member_email_opt_outs(store.user_by_email(&user)?.id)
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(off, vec![ProjectId(1)]);
    let reply = browser
        .submit("/settings/alert-email", &[("project", "1"), ("email", "1")])
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let html = text(&browser.get("/settings/tokens/").await);
    assert!(
        html.contains("name=\"email\" value=\"1\" checked>"),
        "{html}"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_issue_page_offers_its_trackers() {
    let server = TestServer::start().await;
    let store = server.state.store.clone();
    let channel = tokio::task::spawn_blocking(move || {
        store.create_channel(&NewChannel {
            project_id: ProjectId(1),
            kind: ChannelKind::GitHub,
            name: "octo".into(),
            target: "octo/repo".into(),
            secret: Some("ghp_TOKENSECRET".into()),
            // A closed local port: filing fails at once, without the network.
            api_base: Some("http://127.0.0.1:9".into()),
        })
    })
    .await
    .unwrap()
    .unwrap();
    server.send_scenario("python/exception_simple").await;
    let issues = server.get(&server.project_path("/issues/")).await.json();
    let id = issues[0]["id"].as_str().unwrap().to_owned();
    let mut browser = admin(&server).await;
    let html = text(&browser.get(&format!("/issues/{id}/")).await);
    assert!(html.contains("Create GitHub issue"), "{html}");
    assert!(!html.contains("TOKENSECRET"), "{html}");
    let reply = browser
        .submit(
            &format!("/issues/{id}/tracker"),
            &[("channel", &channel.id.0.to_string())],
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(
        reply.header("location"),
        Some(format!("/issues/{id}/").as_str())
    );
    // A channel of no such project is not found.
    let reply = browser
        .submit(&format!("/issues/{id}/tracker"), &[("channel", "999")])
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    server.stop().await;
}
