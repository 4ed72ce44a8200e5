//! The web UI through the router, as a browser sees it without running scripts: the login
//! flow (login CSRF cookie, wrong password, throttling), pages behind a session, the
//! security headers, the issue workflow through the page's forms (CSRF and Origin
//! checked), a member kept out of administration, and downloads served inert.
//! Real-browser tests (Chromium) are in `errata-cli`'s `browser` test binary.

#![allow(
    clippy::too_many_lines,
    reason = "each test walks one user journey end to end"
)]

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use errata_store::{IssueStatus, NewUser, Role};

use crate::support::{PUBLIC_URL, Reply, TestServer};

const PASSWORD: &str = "correct horse battery staple";

/// A browser: a cookie jar and the Origin of the server's pages.
struct Browser<'a> {
    server: &'a TestServer,
    cookies: Vec<(String, String)>,
}

impl<'a> Browser<'a> {
    fn new(server: &'a TestServer) -> Self {
        Self {
            server,
            cookies: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, reply: &Reply) {
        for value in reply.headers.get_all("set-cookie") {
            let value = value.to_str().unwrap();
            let pair = value.split(';').next().unwrap();
            let (name, v) = pair.split_once('=').unwrap();
            self.cookies.retain(|(k, _)| k != name);
            if !value.contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), v.to_owned()));
            }
        }
    }

    async fn get(&mut self, uri: &str) -> Reply {
        let request = Request::builder()
            .uri(uri)
            .header("cookie", self.cookie_header())
            .header("accept", "text/html")
            .body(Body::empty())
            .unwrap();
        let reply = self.server.raw(request).await;
        self.keep_cookies(&reply);
        reply
    }

    async fn post(&mut self, uri: &str, form: &[(&str, &str)], origin: Option<&str>) -> Reply {
        let body: String = form
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let reply = self
            .server
            .raw(request.body(Body::from(body)).unwrap())
            .await;
        self.keep_cookies(&reply);
        reply
    }

    /// Logs in through the form; returns the session's CSRF token (from the next page).
    async fn log_in(&mut self, email: &str, password: &str) -> String {
        let form = self.get("/login").await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = field(&text(&form), "csrf");
        let reply = self
            .post(
                "/login",
                &[
                    ("email", email),
                    ("password", password),
                    ("csrf", &csrf),
                    ("next", "/issues/"),
                ],
                Some(PUBLIC_URL),
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", text(&reply));
        assert_eq!(reply.header("location"), Some("/issues/"));
        let page = self.get("/issues/").await;
        assert_eq!(page.status, StatusCode::OK);
        field(&text(&page), "csrf")
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

/// The value of the first hidden input named `name`.
fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field in {html}"))
        + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

fn assert_security_headers(reply: &Reply) {
    let csp = reply.header("content-security-policy").expect("CSP");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    assert!(reply.header("referrer-policy").is_some());
}

#[tokio::test]
async fn logged_out_visitors_see_only_the_login_page() {
    let server = TestServer::start().await;
    let mut browser = Browser::new(&server);
    for page in [
        "/issues/",
        "/issues/1/",
        "/projects/",
        "/settings/tokens/",
        "/settings/users/",
    ] {
        let reply = browser.get(page).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{page}");
        let location = reply.header("location").unwrap();
        assert!(location.starts_with("/login?next="), "{page}: {location}");
        assert_security_headers(&reply);
    }
    let login = browser.get("/login").await;
    assert_eq!(login.status, StatusCode::OK);
    assert_security_headers(&login);
    let html = text(&login);
    assert!(html.contains("id=\"login\""), "{html}");
    assert!(
        browser.cookies.iter().any(|(k, _)| k == "errata_csrf"),
        "the login form's CSRF cookie is set"
    );
    // A POST of a form without a session goes to the login page too.
    let reply = browser
        .post("/issues/bulk", &[("action", "delete")], Some(PUBLIC_URL))
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    server.stop().await;
}

#[tokio::test]
async fn login_refuses_bad_passwords_forged_forms_and_floods() {
    let server = TestServer::start().await;
    let email = server.state.config.admin_email.clone();
    let mut browser = Browser::new(&server);
    let form = browser.get("/login").await;
    let csrf = field(&text(&form), "csrf");
    let wrong = browser
        .post(
            "/login",
            &[("email", &email), ("password", "nope"), ("csrf", &csrf)],
            Some(PUBLIC_URL),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(text(&wrong).contains("Invalid email or password"));
    assert!(!browser.cookies.iter().any(|(k, _)| k == "errata_session"));
    // A login posted from another site, or without the form's token, is refused.
    for (token, origin) in [
        (csrf.as_str(), "https://evil.example"),
        ("forged", PUBLIC_URL),
    ] {
        let reply = browser
            .post(
                "/login",
                &[("email", &email), ("password", PASSWORD), ("csrf", token)],
                Some(origin),
            )
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{origin}");
        assert!(text(&reply).contains("CSRF"), "{}", text(&reply));
    }
    // Repeated failures are throttled, even with the right password afterwards.
    let mut last = StatusCode::OK;
    for _ in 0..=errata_server::auth::throttle::MAX_FAILURES {
        last = browser
            .post(
                "/login",
                &[("email", &email), ("password", "nope"), ("csrf", &csrf)],
                Some(PUBLIC_URL),
            )
            .await
            .status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    let reply = browser
        .post(
            "/login",
            &[("email", &email), ("password", PASSWORD), ("csrf", &csrf)],
            Some(PUBLIC_URL),
        )
        .await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(reply.header("retry-after").is_some());
    server.stop().await;
}

#[tokio::test]
async fn the_issue_workflow_runs_through_the_pages() {
    let server = TestServer::start().await;
    server.send_scenario("python/exception_chained").await;
    let email = server.state.config.admin_email.clone();
    let mut browser = Browser::new(&server);
    let csrf = browser.log_in(&email, PASSWORD).await;

    let list = browser.get("/issues/").await;
    assert_security_headers(&list);
    let html = text(&list);
    assert!(html.contains("class=\"issue"), "{html}");
    let id_at = html.find("data-issue-id=\"").expect("a row") + "data-issue-id=\"".len();
    let id: i64 = html[id_at..id_at + html[id_at..].find('"').unwrap()]
        .parse()
        .unwrap();

    let detail = browser.get(&format!("/issues/{id}/")).await;
    assert_eq!(detail.status, StatusCode::OK);
    let html = text(&detail);
    for hook in [
        "id=\"issue-title\"",
        "id=\"exceptions\"",
        "class=\"frame",
        "id=\"activity\"",
    ] {
        assert!(html.contains(hook), "{hook} missing");
    }

    // A form without the session's token, or from another origin, changes nothing.
    let status = format!("/issues/{id}/status");
    for (token, origin) in [
        ("forged", PUBLIC_URL),
        (csrf.as_str(), "https://evil.example"),
    ] {
        let reply = browser
            .post(
                &status,
                &[("action", "resolve"), ("csrf", token)],
                Some(origin),
            )
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert!(text(&reply).contains("expired or came from another site"));
    }
    let reply = browser
        .post(
            &status,
            &[("action", "ignore"), ("ignore_count", "2"), ("csrf", &csrf)],
            Some(PUBLIC_URL),
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let store = server.state.store.clone();
    let issue = tokio::task::spawn_blocking(move || store.issue(errata_store::IssueId(id)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(issue.status, IssueStatus::Ignored);
    let page = text(&browser.get(&format!("/issues/{id}/")).await);
    assert!(
        page.contains("Ignored until 2 more events"),
        "flash or header"
    );

    let reply = browser
        .post(
            &status,
            &[("action", "resolve_next_release"), ("csrf", &csrf)],
            Some(PUBLIC_URL),
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let page = text(&browser.get(&format!("/issues/{id}/")).await);
    assert!(page.contains("Resolved in the next release"), "{page}");
    assert!(page.contains("Resolved"));
    // The activity names who did it.
    assert!(
        page.contains(&email) || page.contains("Admin"),
        "actor shown"
    );

    // Bulk delete from the list.
    let reply = browser
        .post(
            "/issues/bulk",
            &[
                ("action", "delete"),
                ("issue", &id.to_string()),
                ("csrf", &csrf),
                ("next", "/issues/?query="),
            ],
            Some(PUBLIC_URL),
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(reply.header("location"), Some("/issues/?query="));
    assert_eq!(
        browser.get(&format!("/issues/{id}/")).await.status,
        StatusCode::NOT_FOUND
    );
    // Logging out ends the session.
    let reply = browser
        .post("/logout", &[("csrf", &csrf)], Some(PUBLIC_URL))
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(
        browser.get("/issues/").await.status,
        StatusCode::SEE_OTHER,
        "logged out"
    );
    server.stop().await;
}

#[tokio::test]
async fn members_cannot_administer() {
    let server = TestServer::start().await;
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
    let mut browser = Browser::new(&server);
    let csrf = browser.log_in("ana@example.com", "member password").await;
    let users = browser.get("/settings/users/").await;
    assert_eq!(users.status, StatusCode::FORBIDDEN);
    assert!(text(&users).contains("member:admin"), "names the scope");
    assert_eq!(
        browser.get("/projects/new").await.status,
        StatusCode::FORBIDDEN
    );
    let id = errata_store::ProjectId(server.project_id);
    let project = server
        .store_call(move |store| store.project(id))
        .await
        .unwrap();
    let settings = format!("/projects/{}/settings/", project.slug);
    assert_eq!(
        browser.get(&settings).await.status,
        StatusCode::OK,
        "may read"
    );
    let reply = browser
        .post(
            &settings,
            &[("name", "Taken over"), ("csrf", &csrf)],
            Some(PUBLIC_URL),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let reply = browser
        .post(
            &format!("/projects/{}/keys", project.slug),
            &[("action", "create"), ("csrf", &csrf)],
            Some(PUBLIC_URL),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    // A member's token cannot grant what the member lacks.
    let reply = browser
        .post(
            "/settings/tokens/",
            &[("label", "ci"), ("scope", "org:admin"), ("csrf", &csrf)],
            Some(PUBLIC_URL),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(text(&reply).contains("cannot grant org:admin"));
    server.stop().await;
}

#[tokio::test]
async fn admins_manage_projects_keys_and_users() {
    let server = TestServer::start().await;
    let email = server.state.config.admin_email.clone();
    let mut browser = Browser::new(&server);
    let csrf = browser.log_in(&email, PASSWORD).await;
    let reply = browser
        .post(
            "/projects/new",
            &[
                ("name", "Checkout <API>"),
                ("platform", "python"),
                ("csrf", &csrf),
            ],
            Some(PUBLIC_URL),
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert_eq!(
        reply.header("location"),
        Some("/projects/checkout-api/settings/")
    );
    let page = text(&browser.get("/projects/checkout-api/settings/").await);
    assert!(page.contains("Checkout &#60;API&#62;"), "escaped name");
    assert!(page.contains("class=\"dsn\""), "a DSN to copy");
    let key_id = field(&page, "key");
    let dsn_before = server
        .store_call(|store| {
            store
                .organizations()
                .and_then(|o| store.project_by_slug(o[0].id, "checkout-api"))
                .and_then(|project| store.project_keys(project.id))
        })
        .await
        .unwrap()[0]
        .public_key
        .clone();
    let reply = browser
        .post(
            "/projects/checkout-api/keys",
            &[("action", "rotate"), ("key", &key_id), ("csrf", &csrf)],
            Some(PUBLIC_URL),
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert!(
        server
            .store_call({
                let dsn = dsn_before.clone();
                move |store| store.project_key(&dsn)
            })
            .await
            .unwrap()
            .is_none(),
        "the old DSN is gone"
    );
    // Settings: a bad quota is refused with a message, a good form is saved.
    let reply = browser
        .post(
            "/projects/checkout-api/settings/",
            &[
                ("name", "Checkout"),
                ("quota_limit", "lots"),
                ("csrf", &csrf),
            ],
            Some(PUBLIC_URL),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(text(&reply).contains("The event quota must be"));
    let reply = browser
        .post(
            "/projects/checkout-api/settings/",
            &[
                ("name", "Checkout"),
                ("quota_limit", "1000"),
                ("quota_window", "month"),
                ("rate_limit", "600"),
                ("sensitive_fields", "ssn\ncard"),
                ("scrub_data", "on"),
                ("csrf", &csrf),
            ],
            Some(PUBLIC_URL),
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    let org = server
        .store_call(|store| store.organizations())
        .await
        .unwrap()[0]
        .id;
    let project = server
        .store_call(move |store| store.project_by_slug(org, "checkout-api"))
        .await
        .unwrap();
    assert_eq!(project.name, "Checkout");
    assert_eq!(project.rate_limit_per_minute, Some(600));
    assert_eq!(project.sensitive_fields, ["ssn", "card"]);
    assert!(project.scrub_data && !project.scrub_ip_addresses);
    // A user is created with a password shown once.
    let reply = browser
        .post(
            "/settings/users/",
            &[
                ("email", "bo@example.com"),
                ("role", "member"),
                ("csrf", &csrf),
            ],
            Some(PUBLIC_URL),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(text(&reply).contains("bo@example.com"));
    // Deleting the project.
    let reply = browser
        .post(
            "/projects/checkout-api/delete",
            &[("csrf", &csrf)],
            Some(PUBLIC_URL),
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert!(
        server
            .store_call(move |store| store.project_by_slug(org, "checkout-api"))
            .await
            .unwrap_err()
            .is_not_found()
    );
    server.stop().await;
}

#[tokio::test]
async fn assets_are_cached_and_downloads_are_inert() {
    let server = TestServer::start().await;
    let mut browser = Browser::new(&server);
    let login = text(&browser.get("/login").await);
    let css_at = login.find("/static/app.").expect("stylesheet link");
    let css = &login[css_at..css_at + login[css_at..].find('"').unwrap()];
    let reply = browser.get(css).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.header("cache-control").unwrap().contains("immutable"));
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("text/css")
    );
    assert_eq!(
        browser.get("/static/nope.css").await.status,
        StatusCode::NOT_FOUND
    );
    // An attachment is a download, sandboxed, never sniffed.
    server.send_scenario("python/attachment").await;
    let email = server.state.config.admin_email.clone();
    browser.log_in(&email, PASSWORD).await;
    let list = text(&browser.get("/issues/").await);
    let id_at = list.find("data-issue-id=\"").expect("a row") + "data-issue-id=\"".len();
    let id = &list[id_at..id_at + list[id_at..].find('"').unwrap()];
    let page = text(&browser.get(&format!("/issues/{id}/")).await);
    let link_at = page.find("/attachments/").expect("an attachment link");
    let start = page[..link_at].rfind('"').unwrap() + 1;
    let href = &page[start..link_at + page[link_at..].find('"').unwrap()];
    let download = browser.get(href).await;
    assert_eq!(download.status, StatusCode::OK, "{href}");
    assert!(
        download
            .header("content-disposition")
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(download.header("x-content-type-options"), Some("nosniff"));
    assert!(
        download
            .header("content-security-policy")
            .unwrap()
            .contains("sandbox")
    );
    assert_eq!(
        download.header("content-type"),
        Some("application/octet-stream")
    );
    server.stop().await;
}
