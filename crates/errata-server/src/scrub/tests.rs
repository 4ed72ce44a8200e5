//! The walk over a whole event: every place a secret can be, each rule in place, what
//! must be kept, idempotence and bounded growth, and snapshots of a full event scrubbed
//! with the defaults, with `drop_ip`, and with an extra field name (reviewed like code).

use super::*;
use errata_protocol::{NormalizeContext, normalize_value};
use serde_json::json;

/// A fixed receive time, so snapshots are stable.
const RECEIVED: f64 = 1.8e9;

fn normalized(payload: Value) -> Event {
    let mut ctx = NormalizeContext::new(RECEIVED);
    ctx.client_ip = Some("203.0.113.9".to_owned());
    normalize_value(payload, &ctx).unwrap()
}

fn scrubbed(payload: Value, rules: &ScrubRules) -> Event {
    let mut event = normalized(payload);
    scrub_event(&mut event, rules);
    event
}

/// An event with a secret in every place one can be, and things that must be kept.
#[allow(
    clippy::too_many_lines,
    reason = "one payload, every place of an event"
)]
fn full_event() -> Value {
    let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----";
    json!({
        "event_id": "0123456789abcdef0123456789abcdef",
        "timestamp": RECEIVED - 10.0,
        "platform": "python",
        "level": "error",
        "logger": "shop.payments",
        "transaction": "/checkout?token=tx-secret-1",
        "server_name": "web-1",
        "release": "shop@1.4.2",
        "environment": "production",
        "logentry": {
            "message": "charge failed for %s with card %s",
            "formatted": "charge failed for ana with card 4111 1111 1111 1111",
            "params": ["ana", "4111 1111 1111 1111", {"password": "hunter2", "note": "ok"}]
        },
        "exception": [{
            "type": "PaymentError",
            "module": "shop.payments",
            "value": "POST https://api:sk_live_51H@pay.example/v1/charges?api_key=k-123&amount=12 failed: Bearer sk_live_ABCdef123456",
            "mechanism": {
                "type": "generic",
                "handled": false,
                "description": "key was -----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----",
                "help_link": "https://docs.example/errors?sig=abc123",
                "data": {"client_secret": "cs-1", "retry": 3}
            },
            "stacktrace": {"frames": [{
                "function": "charge",
                "filename": "shop/payments.py",
                "abs_path": "/srv/shop/payments.py",
                "lineno": 42,
                "pre_context": ["def charge(card, password):"],
                "context_line": "    token = 'sk_live_in_source'",
                "post_context": ["    return api.charge(card, password=password)"],
                "in_app": true,
                "vars": {
                    "password": "hunter2",
                    "card": "5500-0055-5555-5559",
                    "dsn": "postgres://app:db-pass@db:5432/shop",
                    "headers": {"Authorization": "Basic YWxhZGRpbjpvcGVu", "Accept": "*/*"},
                    "body": "{\"user\": \"ana\", \"secret\": \"s-1\"}",
                    "authenticated": true,
                    "count": 3
                }
            }, {
                "function": "load",
                "abs_path": "https://cdn.example/app.js?token=cdn-1",
                "lineno": 1
            }]}
        }],
        "threads": [{"id": 1, "crashed": true, "stacktrace": {"frames": [
            {"function": "main", "vars": {"api_key": "k-thread"}}
        ]}}],
        "breadcrumbs": [
            {"category": "http", "type": "http", "message": "GET /api/orders?access_token=at-1&page=2",
             "data": {"url": "https://u:p@api.example/orders?token=bc-1&tenant=acme", "method": "GET",
                      "status_code": 200}},
            {"category": "navigation", "type": "navigation",
             "data": {"from": "/login?password=nav-1", "to": "/home#id_token=nav-2"}},
            {"category": "auth", "message": "login ok", "data": {"session": "sess-1", "user": "ana"}}
        ],
        "tags": {"api_token": "tag-1", "tenant": "acme", "url": "https://x:tag-2@h/p", "region": "eu"},
        "extra": {
            "db_password": "extra-1",
            "nested": {"deep": {"my_token": 5, "ok": "4111111111111112"}},
            "author": "ana",
            "list": ["Bearer abcDEF123456", "plain"],
            "empty_secret": "",
            "config": pem
        },
        "contexts": {
            "app": {"app_name": "shop", "auth_token": "ctx-1"},
            "runtime": {"name": "CPython", "version": "3.12.1"},
            "auth_session": "err-1"
        },
        "dist": {"token": "err-2", "build": "7"},
        "user": {"id": "42", "email": "ana@example.com", "ip_address": "{{auto}}",
                 "username": "ana", "plan": "gold", "password_hash": "pbkdf2$x"},
        "request": {
            "url": "https://user:pw@shop.example/pay?token=q-1&step=2#access_token=f-1",
            "method": "POST",
            "headers": {
                "Authorization": "Bearer live-token-1",
                "Cookie": "sessionid=c-1",
                "X-Api-Key": "xk-1",
                "Referer": "https://shop.example/cart?auth=r-1",
                "X-Forwarded-For": "198.51.100.4",
                "X-Real-Ip": "198.51.100.4",
                "Accept": "*/*"
            },
            "cookies": "sessionid=c-1; theme=dark",
            "data": {"card": "4111 1111 1111 1111", "password": "hunter2", "amount": 12,
                     "tenant": "acme"},
            "env": {"REMOTE_ADDR": "198.51.100.4", "SERVER_NAME": "web-1",
                    "HTTP_X_REAL_IP": "198.51.100.4"}
        },
        "spans": [{"op": "db", "description": "SELECT 1", "data": {"db.password": "span-1"}}],
        "extra_top_secret": "top-1",
        "fingerprint": ["{{ default }}"],
        "modules": {"authlib": "1.3.0"}
    })
}

/// Every secret planted in [`full_event`], none of which may survive the defaults.
const SECRETS: [&str; 42] = [
    "tx-secret-1",
    "hunter2",
    "4111 1111 1111 1111",
    "sk_live_51H",
    "k-123",
    "sk_live_ABCdef123456",
    "MIIE",
    "abc123",
    "cs-1",
    "5500-0055-5555-5559",
    "db-pass",
    "YWxhZGRpbjpvcGVu",
    "s-1\\",
    "cdn-1",
    "k-thread",
    "at-1",
    "u:p@",
    "bc-1",
    "nav-1",
    "nav-2",
    "sess-1",
    "tag-1",
    "tag-2",
    "extra-1",
    "\"my_token\":5",
    "abcDEF123456",
    "ctx-1",
    "pbkdf2",
    "user:pw",
    "q-1",
    "f-1",
    "live-token-1",
    "c-1",
    "xk-1",
    "r-1",
    "span-1",
    "top-1",
    "\"author\":\"ana\"",
    "MIIEowIBAAKCAQEA7",
    "YWxh",
    "err-1",
    "err-2",
];

#[test]
fn no_planted_secret_survives_the_defaults() {
    let event = scrubbed(full_event(), &ScrubRules::default());
    let text = serde_json::to_string(&event).unwrap();
    for secret in SECRETS {
        assert!(!text.contains(secret), "{secret} survived: {text}");
    }
}

#[test]
fn what_must_be_kept_is_kept() {
    let event = scrubbed(full_event(), &ScrubRules::default());
    let text = serde_json::to_string(&event).unwrap();
    for kept in [
        // Source context, exception type and module, function and file name.
        "    token = 'sk_live_in_source'",
        "def charge(card, password):",
        "PaymentError",
        "shop.payments",
        "shop/payments.py",
        // Ordinary data beside secrets.
        "\"amount\":12",
        "\"Accept\",\"*/*\"",
        "[\"theme\",\"dark\"]",
        "4111111111111112",
        "\"authenticated\":true",
        "\"empty_secret\":\"\"",
        "\"region\",\"eu\"",
        "amount=12",
        "step",
        "page=2",
        "\"retry\":3",
        "\"status_code\":200",
        "\"build\":\"7\"",
        // Identifiers and names are not scrubbed.
        "shop@1.4.2",
        "\"authlib\":\"1.3.0\"",
        "ana@example.com",
        "203.0.113.9",
        "198.51.100.4",
        // The words around filtered tokens.
        "Bearer [Filtered]",
        "-----BEGIN RSA PRIVATE KEY-----[Filtered]-----END RSA PRIVATE KEY-----",
    ] {
        assert!(text.contains(kept), "{kept} was scrubbed: {text}");
    }
}

#[test]
fn sensitive_headers_cookies_and_query_pairs() {
    let event = scrubbed(full_event(), &ScrubRules::default());
    let request = event.request.unwrap();
    for name in ["Authorization", "Cookie", "X-Api-Key"] {
        assert_eq!(request.header(name), Some(FILTERED), "{name}");
    }
    assert_eq!(request.header("Accept"), Some("*/*"));
    assert_eq!(
        request.query_string,
        vec![
            ("token".to_owned(), FILTERED.to_owned()),
            ("step".to_owned(), "2".to_owned())
        ]
    );
    assert_eq!(request.fragment.as_deref(), Some("access_token=[Filtered]"));
    assert_eq!(
        request.url.as_deref(),
        Some("https://[Filtered]@shop.example/pay")
    );
}

#[test]
fn extra_fields_are_sensitive_too() {
    let rules = ScrubRules::new(&["  TENANT ".to_owned(), String::new()], false);
    assert_eq!(rules.extra_sensitive_fields(), ["tenant"]);
    assert!(rules.is_sensitive("x_Tenant_id"));
    assert!(!ScrubRules::default().is_sensitive("tenant"));
    let event = scrubbed(full_event(), &rules);
    let data = event.request.unwrap().data.unwrap();
    assert_eq!(data["tenant"], FILTERED);
}

#[test]
fn drop_ip_removes_client_addresses_only_when_asked() {
    let kept = scrubbed(full_event(), &ScrubRules::default());
    assert_eq!(
        kept.user.unwrap().ip_address.as_deref(),
        Some("203.0.113.9")
    );
    let dropped = scrubbed(full_event(), &ScrubRules::new(&[], true));
    let text = serde_json::to_string(&dropped).unwrap();
    for ip in [
        "203.0.113.9",
        "198.51.100.4",
        "REMOTE_ADDR",
        "X-Forwarded-For",
    ] {
        assert!(!text.contains(ip), "{ip} kept: {text}");
    }
    assert!(text.contains("SERVER_NAME"), "{text}");
}

#[test]
fn a_message_formatted_from_an_object_parameter_loses_its_secrets() {
    let payload = json!({"logentry": {"message": "login with %s",
                                      "params": [{"user": "ana", "password": "p-1"}]}});
    let event = scrubbed(payload, &ScrubRules::default());
    let formatted = event.logentry.unwrap().formatted.unwrap();
    assert!(
        formatted.contains(r#""password":"[Filtered]""#),
        "{formatted}"
    );
    assert!(formatted.contains(r#""user":"ana""#), "{formatted}");
}

#[test]
fn tag_values_stay_within_the_tag_limit() {
    let long = format!("https://a:b@h/{}", "x".repeat(180));
    let event = scrubbed(json!({"tags": {"link": long}}), &ScrubRules::default());
    let value = event.tag("link").unwrap();
    assert!(value.len() <= errata_protocol::tags::MAX_VALUE, "{value}");
    assert!(!value.contains("a:b"), "{value}");
}

#[test]
fn scrubbing_twice_changes_nothing() {
    for rules in [
        ScrubRules::default(),
        ScrubRules::new(&["tenant".to_owned()], true),
    ] {
        let once = scrubbed(full_event(), &rules);
        let mut twice = once.clone();
        scrub_event(&mut twice, &rules);
        assert_eq!(once, twice);
    }
}

#[test]
fn growth_is_bounded() {
    // The worst case: the shortest secrets a replacement can hit, packed together.
    let query = "/?sig=1&".repeat(500);
    let urls = "a://b:c@h ".repeat(500);
    let keys: Map<String, Value> = (0..500).map(|i| (format!("pwd{i}"), json!(0))).collect();
    let payload = json!({"extra": {"q": query, "u": urls, "k": keys}});
    let before = serde_json::to_string(&normalized(payload.clone()))
        .unwrap()
        .len();
    let after = serde_json::to_string(&scrubbed(payload, &ScrubRules::default()))
        .unwrap()
        .len();
    assert!(after <= before * 3, "{before} -> {after}");
}

#[test]
fn adversarial_strings_take_linear_time() {
    // Inputs that would make a naive scanner quadratic; at 256 KiB each, quadratic work
    // would take minutes, linear work takes milliseconds.
    const SIZE: usize = 256 * 1024;
    let rules = ScrubRules::default();
    let scrubber = Scrubber { rules: &rules };
    let start = std::time::Instant::now();
    for unit in [
        "\\\"",
        "\"",
        "'",
        "\"a\":",
        "?",
        "/?",
        "a://",
        "a://b:c@",
        "bearer ",
        "4 ",
        "-----BEGIN PRIVATE KEY-----",
        "{\"token\":[",
    ] {
        let mut text = unit.repeat(SIZE / unit.len());
        let before = text.len();
        scrubber.string(&mut text);
        assert!(
            text.len() <= before * 3,
            "{unit}: {before} -> {}",
            text.len()
        );
    }
    let elapsed = start.elapsed();
    assert!(elapsed < std::time::Duration::from_secs(20), "{elapsed:?}");
}

#[test]
fn snapshot_defaults() {
    insta::assert_json_snapshot!(scrubbed(full_event(), &ScrubRules::default()));
}

#[test]
fn snapshot_drop_ip() {
    insta::assert_json_snapshot!(scrubbed(full_event(), &ScrubRules::new(&[], true)));
}

#[test]
fn snapshot_extra_field() {
    let rules = ScrubRules::new(&["tenant".to_owned()], false);
    insta::assert_json_snapshot!(scrubbed(full_event(), &rules));
}
