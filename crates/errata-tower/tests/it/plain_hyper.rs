//! The layer on a plain hyper 1 server, without axum: the request body is hyper's `Incoming`,
//! the inner service a `tower::service_fn`. Panics and recorded errors are reported as on axum,
//! request data is attached, and body capture, which cannot rebuild an `Incoming`, says so in
//! the event instead of swallowing the body the handler still reads.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use errata_tower::sentry_core::Hub;
use errata_tower::{ErrataLayer, Options, RequestContext};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower_layer::Layer;

use crate::support::recording;

async fn handler(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_owned();
    let ctx = RequestContext::from_extensions(req.extensions()).expect("behind the layer");
    let body = req
        .into_body()
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes);
    match path.as_str() {
        "/panic" => panic!("hyper handler exploded"),
        "/error" => {
            ctx.error(std::io::Error::other("upstream refused"));
            let mut res = Response::new(Full::new(Bytes::from_static(b"bad gateway")));
            *res.status_mut() = StatusCode::BAD_GATEWAY;
            Ok(res)
        }
        _ => Ok(Response::new(Full::new(body.unwrap_or_default()))),
    }
}

/// Serves the layered `service_fn` with hyper's HTTP/1 connection builder on a loopback port.
async fn serve(hub: Arc<Hub>) -> u16 {
    let svc = ErrataLayer::new(Options::new().hub(hub).send_request(true).send_body(true))
        .layer(tower::service_fn(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let svc = TowerToHyperService::new(svc.clone());
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    port
}

/// One HTTP/1.1 request over a fresh connection; returns the raw response text.
async fn call(port: u16, method: &str, path: &str, body: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: shop.test\r\nContent-Type: text/plain\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_hyper_service_gets_panics_and_errors_reported() {
    let (transport, hub) = recording();
    let port = serve(hub).await;

    let res = call(port, "POST", "/panic", "qty=3").await;
    assert!(res.starts_with("HTTP/1.1 500"), "{res}");
    assert!(!res.contains("exploded"), "{res}");
    let events = transport.take_events();
    assert_eq!(events.len(), 1, "{events:#?}");
    let ev = &events[0];
    assert_eq!(
        ev.exception.values[0].value.as_deref(),
        Some("hyper handler exploded")
    );
    let data = ev.request.as_ref().expect("request data");
    assert_eq!(data.method.as_deref(), Some("POST"));
    assert_eq!(data.url.as_ref().unwrap().path(), "/panic");
    let body = data.data.as_deref().unwrap_or_default();
    assert!(
        body.contains("cannot be rebuilt") && body.contains("Incoming"),
        "{body}"
    );

    let res = call(port, "GET", "/error", "").await;
    assert!(res.starts_with("HTTP/1.1 502"), "{res}");
    let events = transport.take_events();
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(
        events[0].exception.values[0].value.as_deref(),
        Some("upstream refused")
    );

    // The handler still reads the body: the layer did not consume it.
    let res = call(port, "POST", "/echo", "hello hyper").await;
    assert!(res.starts_with("HTTP/1.1 200"), "{res}");
    assert!(res.ends_with("hello hyper"), "{res}");
    assert!(transport.take_events().is_empty());
}
