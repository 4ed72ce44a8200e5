//! [`Errata`], the actix `Transform`, and [`ErrataMiddleware`], its service: the request flow.
//!
//! Per request: a fresh hub (`errata_tower::adapter::request_hub`), optional request and body
//! description as an event processor of that hub, a `RequestContext` in the request extensions,
//! then the inner service's `call` and its future run bound to the hub and inside one catch
//! scope (`CatchPanic` polls the whole call, so a panic while building the future is caught as
//! well as one while polling it). Afterwards, the flow is errata-tower's own: errors carried by
//! the response are recorded, `adapter::finish` logs, reports per policy and waits for delivery,
//! and the `Outcome` goes into the response extensions; the body is wrapped in [`GuardedBody`].
//! A caught panic goes through `adapter::recover` and comes back as the service's `Err`
//! ([`RecoveredPanic`]): actix builds a `ServiceResponse` only from the request, which the
//! panicked handler took with it, and holding a clone of the request would break actix's router
//! (it needs the request uniquely owned).

use std::future::{Ready, ready};
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{HttpMessage, HttpResponse};
use errata_errors::Error;
use errata_tower::adapter;
use errata_tower::panic::CatchPanic;
use errata_tower::{Options, RequestContext};
use futures_core::future::LocalBoxFuture;
use sentry_core::SentryFutureExt;

use crate::{GuardedBody, HttpError, RecoveredPanic, request};

/// Reports panics and recorded errors of the wrapped actix-web app, scope or resource
/// (hertzsentry's `NewSentry`, with errata-tower's [`Options`]).
///
/// Creating it installs errata-tower's chained panic hook, so create it once, after
/// `sentry::init` (or initialise sentry with `errata_tower::prepare_client_options`), and clone
/// it into `HttpServer::new`'s factory (it is `Send` and cheap to clone). Register it last
/// (the last `wrap` runs first) so it sees every panic and error.
///
/// ```
/// use actix_web::{App, web};
/// use errata_actix::Errata;
/// use errata_tower::Options;
///
/// let app = App::new()
///     .route("/ok", web::get().to(|| async { "ok" }))
///     .wrap(Errata::new(Options::new().send_request(true)));
/// # let _ = app;
/// ```
#[derive(Clone, Debug)]
pub struct Errata {
    options: Arc<Options>,
}

impl Errata {
    /// A middleware with these options.
    pub fn new(options: Options) -> Self {
        errata_tower::panic::install();
        Self {
            options: Arc::new(options),
        }
    }
}

impl Default for Errata {
    fn default() -> Self {
        Self::new(Options::new())
    }
}

impl<S, B> Transform<S, ServiceRequest> for Errata
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<GuardedBody<B>>;
    type Error = actix_web::Error;
    type Transform = ErrataMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(ErrataMiddleware {
            service: Rc::new(service),
            options: self.options.clone(),
        }))
    }
}

/// The service produced by [`Errata`] (actix middleware is `!Send`: one per worker thread).
#[derive(Debug)]
pub struct ErrataMiddleware<S> {
    service: Rc<S>,
    options: Arc<Options>,
}

impl<S, B> Service<ServiceRequest> for ErrataMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<GuardedBody<B>>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, actix_web::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        Box::pin(handle(self.options.clone(), self.service.clone(), req))
    }
}

async fn handle<S, B>(
    options: Arc<Options>,
    service: Rc<S>,
    mut req: ServiceRequest,
) -> Result<ServiceResponse<GuardedBody<B>>, actix_web::Error>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
{
    let opts = &*options;
    let hub = adapter::request_hub(opts);
    let accept = req.headers().get(header::ACCEPT).cloned();
    if opts.is_send_request() || opts.is_send_body() {
        request::attach(opts, &hub, &mut req).await;
    }
    let ctx = adapter::request_context(hub.clone());
    req.extensions_mut().insert(ctx.clone());

    let caught =
        CatchPanic::new(async move { service.call(req).await }.bind_hub(hub.clone())).await;
    match caught {
        Ok(Ok(mut res)) => {
            record_error(&ctx, res.response());
            let outcome = adapter::finish(opts, &hub, &ctx, http_status(res.status())).await;
            if let Some(id) = outcome.event_id {
                set_event_header(opts, res.headers_mut(), id);
            }
            res.response_mut().extensions_mut().insert(outcome);
            Ok(res.map_body(|_, body| GuardedBody::new(body, hub)))
        }
        Ok(Err(err)) => {
            // An inner middleware's error: actix renders it later; report it like a response
            // (no `Outcome` or event header: there is no response to carry them yet).
            let status = err.as_response_error().status_code();
            record_actix_error(&ctx, &err, status);
            adapter::finish(opts, &hub, &ctx, http_status(status)).await;
            Err(err)
        }
        Err(caught) => {
            let accept = accept.and_then(|v| http::HeaderValue::from_bytes(v.as_bytes()).ok());
            let res = adapter::recover(opts, &hub, &ctx, caught, accept.as_ref()).await;
            Err(RecoveredPanic::from_response(res).await.into())
        }
    }
}

/// Records the error an actix response carries (a handler's `Err`): an [`HttpError`]'s own
/// `errata_errors::Error` (with its location and stack), any other `ResponseError` as a
/// PRIVATE error with its message.
fn record_error<B>(ctx: &RequestContext, res: &HttpResponse<B>) {
    if let Some(err) = res.error() {
        record_actix_error(ctx, err, res.status());
    }
}

fn record_actix_error(
    ctx: &RequestContext,
    err: &actix_web::Error,
    status: actix_web::http::StatusCode,
) {
    if let Some(HttpError(inner)) = err.as_error::<HttpError>() {
        ctx.error(inner.clone());
    } else if status.is_client_error() || status.is_server_error() {
        ctx.error(Error::private(err.to_string()));
    }
}

/// actix-web uses `http` 0.2 types; errata-tower uses `http` 1.
fn http_status(status: actix_web::http::StatusCode) -> http::StatusCode {
    http::StatusCode::from_u16(status.as_u16()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR)
}

fn set_event_header(
    opts: &Options,
    headers: &mut actix_web::http::header::HeaderMap,
    id: sentry_core::types::Uuid,
) {
    if let Some((name, value)) = adapter::event_header(opts, id)
        && let Ok(name) = HeaderName::from_bytes(name.as_str().as_bytes())
        && let Ok(value) = HeaderValue::from_bytes(value.as_bytes())
    {
        headers.insert(name, value);
    }
}
