//! Authentication and authorization of the Web API: tokens (scopes, roles, revocation),
//! sessions (cookie flags, CSRF token and Origin checks on writes, logout) and login
//! throttling, through the router as a client sees them.

use std::net::{IpAddr, Ipv4Addr};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use axum::response::IntoResponse as _;
use errata_server::auth::{self, CsrfSubject, LoginError};
use errata_store::{NewToken, NewUser, Role, Scope, Scopes, UserId};

use crate::support::{PUBLIC_URL, TestServer};

const PASSWORD: &str = "correct horse battery staple";

/// A token of `user` with `scopes`.
async fn token(server: &TestServer, user: UserId, scopes: Scopes) -> (i64, String) {
    let store = server.state.store.clone();
    let created = tokio::task::spawn_blocking(move || {
        store.create_token(&NewToken {
            user_id: user,
            label: "t".into(),
            scopes,
        })
    })
    .await
    .unwrap()
    .unwrap();
    (created.token.id.0, created.secret)
}

async fn owner(server: &TestServer) -> errata_store::User {
    let store = server.state.store.clone();
    let email = server.state.config.admin_email.clone();
    tokio::task::spawn_blocking(move || store.user_by_email(&email))
        .await
        .unwrap()
        .unwrap()
}

async fn member(server: &TestServer) -> errata_store::User {
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
    .unwrap()
}

/// Logs the owner in; returns the cookie header value and the CSRF token.
async fn session(server: &TestServer) -> (String, String, HeaderValue) {
    let email = server.state.config.admin_email.clone();
    let logged = auth::login(&server.state, &email, PASSWORD, None)
        .await
        .expect("login");
    (
        format!("{}={}", auth::SESSION_COOKIE, logged.secret),
        logged.csrf_token,
        logged.set_cookie,
    )
}

fn request(method: Method, uri: &str, headers: &[(&str, &str)], body: &str) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Body::from(body.to_owned())).unwrap()
}

const SETTINGS: &str = "/api/0/projects/errata/default/";

#[tokio::test]
async fn requests_without_valid_credentials_are_401() {
    let server = TestServer::start().await;
    for headers in [
        vec![],
        vec![("authorization", "Bearer nope")],
        vec![("authorization", "Basic YTpi")],
        vec![("cookie", "errata_session=forged")],
    ] {
        let reply = server
            .raw(request(Method::GET, "/api/0/organizations/", &headers, ""))
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{headers:?}");
        assert!(reply.json()["detail"].is_string());
    }
    server.stop().await;
}

#[tokio::test]
async fn revoked_tokens_are_401() {
    let server = TestServer::start().await;
    let owner = owner(&server).await;
    let (id, secret) = token(&server, owner.id, Scopes::all()).await;
    let orgs = "/api/0/organizations/";
    let reply = server.call_as(Some(&secret), Method::GET, orgs, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    let store = server.state.store.clone();
    tokio::task::spawn_blocking(move || store.revoke_token(errata_store::TokenId(id)))
        .await
        .unwrap()
        .unwrap();
    let reply = server.call_as(Some(&secret), Method::GET, orgs, None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    server.stop().await;
}

#[tokio::test]
async fn tokens_need_the_scope_sentry_requires() {
    let server = TestServer::start().await;
    let owner = owner(&server).await;
    let triage: Scopes = [Scope::EventRead, Scope::EventWrite].into_iter().collect();
    let (_, limited) = token(&server, owner.id, triage).await;
    let reply = server
        .call_as(Some(&limited), Method::DELETE, "/api/0/issues/1/", None)
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let detail = reply.json()["detail"].as_str().unwrap().to_owned();
    assert!(
        detail.contains("This token lacks the `event:admin` scope"),
        "{detail}"
    );
    // Reading is allowed; so is deleting with the scope (404: no such issue).
    let reply = server
        .call_as(
            Some(&limited),
            Method::GET,
            "/api/0/projects/errata/default/issues/",
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = server.call(Method::DELETE, "/api/0/issues/1/", None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    // The root reports the effective scopes.
    let root = server
        .call_as(Some(&limited), Method::GET, "/api/0/", None)
        .await;
    assert_eq!(
        root.json()["auth"]["scopes"],
        serde_json::json!(["event:read", "event:write"])
    );
    assert_eq!(root.json()["user"]["email"], owner.email.as_str());
    server.stop().await;
}

#[tokio::test]
async fn a_members_token_never_administers() {
    let server = TestServer::start().await;
    let member = member(&server).await;
    let (_, secret) = token(&server, member.id, Scopes::all()).await;
    let reply = server
        .call_as(
            Some(&secret),
            Method::PUT,
            SETTINGS,
            Some(r#"{"name": "Mine"}"#),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(
        reply.json()["detail"]
            .as_str()
            .unwrap()
            .contains("`project:write`"),
        "{}",
        reply.json()
    );
    // Members triage: reading and deleting issues is theirs.
    let reply = server
        .call_as(Some(&secret), Method::GET, SETTINGS, None)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = server
        .call_as(Some(&secret), Method::DELETE, "/api/0/issues/1/", None)
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    server.stop().await;
}

#[tokio::test]
async fn sessions_read_and_write_only_with_csrf_token_and_origin() {
    let server = TestServer::start().await;
    let (cookie, csrf, _) = session(&server).await;
    let reply = server
        .raw(request(
            Method::GET,
            "/api/0/organizations/",
            &[("cookie", &cookie)],
            "",
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let put = |headers: Vec<(&'static str, String)>| {
        let mut all: Vec<(&str, &str)> =
            vec![("cookie", &cookie), ("content-type", "application/json")];
        all.extend(headers.iter().map(|(n, v)| (*n, v.as_str())));
        request(Method::PUT, SETTINGS, &all, "{}")
    };
    let refused = [
        ("no token", vec![("origin", PUBLIC_URL.to_owned())]),
        (
            "forged token",
            vec![
                ("origin", PUBLIC_URL.to_owned()),
                ("x-csrf-token", "0".repeat(64)),
            ],
        ),
        (
            "foreign origin",
            vec![
                ("origin", "https://evil.example".to_owned()),
                ("x-csrf-token", csrf.clone()),
            ],
        ),
        (
            "no origin nor referer",
            vec![("x-csrf-token", csrf.clone())],
        ),
    ];
    for (what, headers) in refused {
        let reply = server.raw(put(headers)).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{what}");
        let detail = reply.json()["detail"].as_str().unwrap().to_owned();
        assert!(
            detail.starts_with("CSRF check failed: "),
            "{what}: {detail}"
        );
    }
    let ok = server
        .raw(put(vec![
            ("origin", PUBLIC_URL.to_owned()),
            ("x-csrf-token", csrf.clone()),
        ]))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.json());
    let by_referer = server
        .raw(put(vec![
            (
                "referer",
                format!("{PUBLIC_URL}/projects/default/settings/"),
            ),
            ("x-csrf-token", csrf.clone()),
        ]))
        .await;
    assert_eq!(by_referer.status, StatusCode::OK);
    // Bearer tokens carry no ambient authority: no CSRF check.
    let bearer = server.call(Method::PUT, SETTINGS, Some("{}")).await;
    assert_eq!(bearer.status, StatusCode::OK);
    server.stop().await;
}

#[tokio::test]
async fn logout_ends_the_session() {
    let server = TestServer::start().await;
    let (cookie, _, _) = session(&server).await;
    let mut headers = HeaderMap::new();
    headers.insert(header::COOKIE, HeaderValue::from_str(&cookie).unwrap());
    let cleared = auth::logout(&server.state, &headers).await.unwrap();
    assert!(cleared.to_str().unwrap().contains("Max-Age=0"));
    let reply = server
        .raw(request(Method::GET, "/api/0/", &[("cookie", &cookie)], ""))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    server.stop().await;
}

#[tokio::test]
async fn session_cookies_are_http_only_lax_and_secure_with_https() {
    let server = TestServer::start().await;
    let (_, _, set_cookie) = session(&server).await;
    let text = set_cookie.to_str().unwrap();
    assert!(text.starts_with("errata_session="), "{text}");
    assert!(
        text.contains("; HttpOnly") && text.contains("; SameSite=Lax"),
        "{text}"
    );
    assert!(
        text.contains("; Path=/") && !text.contains("Secure"),
        "{text}"
    );
    server.stop().await;
    let server =
        TestServer::start_with(|c| c.public_url = Some("https://errata.example".into())).await;
    let (_, _, set_cookie) = session(&server).await;
    assert!(set_cookie.to_str().unwrap().ends_with("; Secure"));
    let login = auth::login_csrf(&server.state, &HeaderMap::new());
    assert!(
        login
            .set_cookie
            .unwrap()
            .to_str()
            .unwrap()
            .contains("; Secure")
    );
    server.stop().await;
}

#[tokio::test]
async fn the_login_form_needs_its_double_submit_cookie_and_origin() {
    let server = TestServer::start().await;
    let fresh = auth::login_csrf(&server.state, &HeaderMap::new());
    let set = fresh.set_cookie.expect("a new cookie");
    assert!(set.to_str().unwrap().starts_with("errata_csrf="));
    let mut headers = HeaderMap::new();
    headers.insert(
        header::COOKIE,
        HeaderValue::from_str(&format!("errata_csrf={}", fresh.token)).unwrap(),
    );
    // The GET after reuses the cookie.
    let again = auth::login_csrf(&server.state, &headers);
    assert_eq!(again.token, fresh.token);
    assert!(again.set_cookie.is_none());
    headers.insert(header::ORIGIN, HeaderValue::from_static(PUBLIC_URL));
    let verify =
        |h: &HeaderMap, t: &str| auth::verify_form(&server.state, CsrfSubject::Login, h, t);
    assert!(verify(&headers, &fresh.token).is_ok());
    assert!(verify(&headers, "attacker's token").is_err());
    assert!(verify(&headers, "").is_err());
    let mut foreign = headers.clone();
    foreign.insert(
        header::ORIGIN,
        HeaderValue::from_static("https://evil.example"),
    );
    assert!(verify(&foreign, &fresh.token).is_err());
    let mut no_cookie = headers.clone();
    no_cookie.remove(header::COOKIE);
    assert!(verify(&no_cookie, &fresh.token).is_err());
    server.stop().await;
}

#[tokio::test]
async fn logins_are_throttled_after_repeated_failures() {
    let server = TestServer::start().await;
    let email = server.state.config.admin_email.clone();
    let ip = Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7)));
    // Unknown emails fail like wrong passwords.
    let unknown = auth::login(&server.state, "nobody@example.com", PASSWORD, None).await;
    assert!(matches!(unknown, Err(LoginError::InvalidCredentials)));
    for _ in 0..auth::throttle::MAX_FAILURES {
        let failed = auth::login(&server.state, &email, "wrong", ip).await;
        assert!(
            matches!(failed, Err(LoginError::InvalidCredentials)),
            "{failed:?}"
        );
    }
    // Now even the right password is refused, for a while.
    let error = auth::login(&server.state, &email, PASSWORD, None)
        .await
        .unwrap_err();
    let response = error.into_response();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    // The IP is throttled for other accounts too; other IPs may still log in elsewhere.
    let other = auth::login(&server.state, "ana@example.com", "x", ip).await;
    assert!(matches!(other, Err(LoginError::Throttled(_))));
    server.stop().await;
}
