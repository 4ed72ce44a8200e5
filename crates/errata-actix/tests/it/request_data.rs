//! `send_request` / `send_body`: what is attached to events, what is scrubbed, and that the
//! handler still receives the identical body at, and over, the limit.

use actix_web::{App, test, web};
use errata_actix::{Errata, HttpError};
use errata_errors::Error;
use errata_tower::Options;

use crate::support::{recording, send};

const LIMIT: usize = 64;

/// Echoes the body in a private error (a 500, so that an event is sent).
async fn echo(body: web::Bytes) -> Result<String, HttpError> {
    Err(Error::private(format!(
        "got {} bytes: {}",
        body.len(),
        String::from_utf8_lossy(&body)
    ))
    .into())
}

fn post(body: Vec<u8>) -> actix_http::Request {
    test::TestRequest::post()
        .uri("/cart?coupon=X")
        .insert_header(("host", "shop.test"))
        .insert_header(("authorization", "Bearer secret-token"))
        .insert_header(("cookie", "session=abc"))
        .insert_header(("x-request-id", "r-1"))
        .set_payload(body)
        .to_request()
}

macro_rules! app {
    ($options:expr) => {{
        let (transport, hub) = recording();
        let app = test::init_service(
            App::new()
                .route("/cart", web::post().to(echo))
                .wrap(Errata::new($options.hub(hub))),
        )
        .await;
        (transport, app)
    }};
}

#[actix_web::test]
async fn off_by_default() {
    let (transport, app) = app!(Options::new());
    send(&app, post(b"hello".to_vec())).await;
    let ev = &transport.fetch_and_clear_events()[0];
    assert!(ev.request.is_none(), "{:?}", ev.request);
}

#[actix_web::test]
async fn request_is_attached_and_scrubbed() {
    let (transport, app) = app!(Options::new().send_request(true));
    send(&app, post(b"hello".to_vec())).await;
    let req = transport.fetch_and_clear_events()[0]
        .request
        .clone()
        .unwrap();
    assert_eq!(req.method.as_deref(), Some("POST"));
    assert_eq!(req.url.unwrap().as_str(), "http://shop.test/cart");
    assert_eq!(req.query_string.as_deref(), Some("coupon=X"));
    assert_eq!(
        req.headers.get("x-request-id").map(String::as_str),
        Some("r-1")
    );
    for h in ["authorization", "cookie"] {
        assert!(!req.headers.contains_key(h), "{h} not scrubbed");
    }
    assert!(req.data.is_none(), "send_body is off");
}

#[actix_web::test]
async fn body_is_captured_and_the_handler_still_reads_it() {
    let (transport, app) = app!(Options::new().send_body(true).max_body_bytes(LIMIT));
    for n in [LIMIT - 1, LIMIT] {
        let body = "q".repeat(n);
        send(&app, post(body.clone().into_bytes())).await;
        let ev = transport.fetch_and_clear_events().remove(0);
        // The handler got the identical body (it echoes it into the error).
        assert_eq!(
            ev.exception.values[0].value.as_deref(),
            Some(format!("got {n} bytes: {body}").as_str())
        );
        assert_eq!(ev.request.unwrap().data.as_deref(), Some(body.as_str()));
    }
}

#[actix_web::test]
async fn a_body_over_the_limit_is_not_read_but_noted() {
    let (transport, app) = app!(Options::new().send_body(true).max_body_bytes(LIMIT));
    let body = "z".repeat(LIMIT + 1);
    send(&app, post(body.clone().into_bytes())).await;
    let ev = transport.fetch_and_clear_events().remove(0);
    assert_eq!(
        ev.exception.values[0].value.as_deref(),
        Some(format!("got {} bytes: {body}", LIMIT + 1).as_str())
    );
    assert_eq!(
        ev.request.unwrap().data.as_deref(),
        Some("[body omitted: 65 bytes, over the 64-byte limit]")
    );
}
