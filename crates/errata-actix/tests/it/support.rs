//! Test support: per-test hubs on `TestTransport` (passed with `Options::hub`, so tests running in
//! parallel never see each other's events), a transport whose flush never returns, a helper that
//! sends a request and renders the result the way actix's server does (an `Err` through
//! `error_response`), and a blocking raw HTTP/1.1 client for real servers.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::HeaderMap;
use actix_web::middleware::Condition;
use errata_actix::{Errata, RecoveredPanic};
use errata_tower::Outcome;
use errata_tower::sentry_core::test::TestTransport;
use errata_tower::sentry_core::{Client, ClientOptions, Envelope, Hub, Scope, Transport};

/// A hub with its own client on `transport`.
pub(crate) fn hub_on(transport: Arc<dyn Transport>, options: ClientOptions) -> Arc<Hub> {
    let options = options
        .dsn("http://key@127.0.0.1:1/1")
        .transport(move |_: &ClientOptions| transport.clone());
    Arc::new(Hub::new(
        Some(Arc::new(Client::from(options))),
        Arc::new(Scope::default()),
    ))
}

/// A test transport and a hub on it, with default client options.
pub(crate) fn recording() -> (Arc<TestTransport>, Arc<Hub>) {
    let transport = TestTransport::new();
    let hub = hub_on(transport.clone(), ClientOptions::new());
    (transport, hub)
}

/// A transport that records nothing and whose `flush` ignores its timeout: it blocks until
/// `release()` (a misbehaving custom transport, or a server that never answers).
#[derive(Debug, Default)]
pub(crate) struct StuckTransport {
    released: Mutex<bool>,
    cond: Condvar,
}

impl StuckTransport {
    pub(crate) fn release(&self) {
        *self.released.lock().unwrap() = true;
        self.cond.notify_all();
    }
}

impl Transport for StuckTransport {
    fn send_envelope(&self, _envelope: Envelope) {}

    fn flush(&self, _timeout: Duration) -> bool {
        let guard = self.released.lock().unwrap();
        drop(self.cond.wait_while(guard, |released| !*released).unwrap());
        true
    }
}

/// A response as the client gets it, plus the `Outcome` the middleware left for outer code.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
    pub(crate) outcome: Option<Outcome>,
}

impl Reply {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Calls the service; an `Err` is rendered with `error_response`, as actix's server does.
pub(crate) async fn send<S, B>(app: &S, req: actix_http::Request) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    match app.call(req).await {
        Ok(res) => {
            let outcome = res.response().extensions().get::<Outcome>().cloned();
            let status = res.status().as_u16();
            let headers = res.headers().clone();
            let body = actix_web::body::to_bytes(res.into_body())
                .await
                .unwrap_or_else(|_| panic!("body"));
            Reply {
                status,
                headers,
                body: String::from_utf8_lossy(&body).into_owned(),
                outcome,
            }
        }
        Err(err) => {
            let recovered = err
                .as_error::<RecoveredPanic>()
                .map(|p| p.outcome().cloned());
            let res = err.error_response();
            let outcome = res.extensions().get::<Outcome>().cloned();
            if let Some(from_error) = recovered {
                assert_eq!(
                    from_error.map(|o| o.event_id),
                    outcome.as_ref().map(|o| o.event_id)
                );
            }
            let status = res.status().as_u16();
            let headers = res.headers().clone();
            let body = actix_web::body::to_bytes(res.into_body()).await.unwrap();
            Reply {
                status,
                headers,
                body: String::from_utf8_lossy(&body).into_owned(),
                outcome,
            }
        }
    }
}

pub(crate) fn get(uri: &str) -> actix_http::Request {
    actix_web::test::TestRequest::get().uri(uri).to_request()
}

/// Asserts the text exposes none of the given secrets nor anything path- or stack-like.
pub(crate) fn assert_no_leak(body: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(!body.contains(s), "{s:?} leaked in {body:?}");
    }
    for marker in [".rs", "src/", "panicked", "backtrace", "at "] {
        assert!(!body.contains(marker), "{marker:?} leaked in {body:?}");
    }
}

/// A raw HTTP/1.1 exchange with a real server: status line code, lowercased headers, body.
pub(crate) fn raw_request(addr: SocketAddr, request: &str) -> (u16, Vec<(String, String)>, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

/// Starts a real actix `HttpServer` on 127.0.0.1:0 on its own thread (and its own actix
/// system), serving the routes of `configure`, behind `errata` if given. Returns its address;
/// the server lives until the test process exits.
pub(crate) fn serve<F>(configure: F, errata: Option<Errata>) -> SocketAddr
where
    F: Fn(&mut actix_web::web::ServiceConfig) + Send + Clone + 'static,
{
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = actix_web::HttpServer::new(move || {
                let errata = errata.clone();
                actix_web::App::new()
                    .configure(configure.clone())
                    .wrap(Condition::new(errata.is_some(), errata.unwrap_or_default()))
            })
            .workers(1)
            .disable_signals()
            .bind(("127.0.0.1", 0))
            .unwrap();
            tx.send(server.addrs()[0]).unwrap();
            server.run().await.unwrap();
        });
    });
    rx.recv().unwrap()
}
