//! Integration tests of `errata-shop`: every route answers as documented, and no private text
//! or panic detail reaches a response body; and, in `errata`, the shop reports to a real
//! Errata server; in `default_path`, as its binary does (`sentry::init`, the main hub, real HTTP,
//! in a child process).

mod default_path;
mod errata;

use axum::body::Body;
use http::Request;
use http_body_util::BodyExt;
use tower::ServiceExt;

async fn call(req: Request<Body>) -> (u16, String) {
    let app = errata_shop::app(errata_tower::Options::new());
    let res = app.oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn ok_is_200() {
    assert_eq!(call(get("/ok")).await, (200, "ok\n".to_owned()));
}

#[tokio::test]
async fn panic_is_a_friendly_500() {
    let (status, body) = call(get("/panic")).await;
    assert_eq!(status, 500);
    assert!(body.starts_with("Internal Server Error"), "{body}");
    assert!(
        !body.contains("index out of bounds") && !body.contains(".rs"),
        "{body}"
    );
}

#[tokio::test]
async fn private_error_is_a_bare_500() {
    let (status, body) = call(get("/error/private")).await;
    assert_eq!(status, 500);
    assert_eq!(body, r#"{"error":"Internal Server Error"}"#);
}

#[tokio::test]
async fn public_error_is_a_422_with_its_message() {
    let (status, body) = call(get("/error/public")).await;
    assert_eq!(status, 422);
    assert_eq!(body, r#"{"error":"coupon SPRING24 has expired"}"#);
}

#[tokio::test]
async fn bad_json_is_a_400() {
    let req = Request::post("/error/bind")
        .header("content-type", "application/json")
        .body(Body::from(r#"{"item": "mug"}"#))
        .unwrap();
    let (status, body) = call(req).await;
    assert_eq!(status, 400);
    assert!(body.contains("missing field `qty`"), "{body}");
}
