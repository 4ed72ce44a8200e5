//! actix extractors and accessors: the request context ([`Ctx`]) and the request's hub
//! ([`RequestHub`]), plus [`request_context`] and [`hub_from_request`] for code that holds an
//! `HttpRequest`.
//!
//! `RequestContext` is errata-tower's type and `FromRequest` is actix's, so the extractors are
//! newtypes ([`Ctx`] derefs to the context: `ctx.error(e);`). Both fail with a plain 500 when the
//! route is not behind [`Errata`](crate::Errata), which is a wiring bug, not a client error.

use std::future::{Ready, ready};
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use errata_tower::RequestContext;
use sentry_core::Hub;

/// The request's [`RequestContext`], as an extractor: record errors with `ctx.error(e);`.
///
/// ```
/// use actix_web::{App, HttpResponse, web};
/// use errata_actix::{Ctx, Errata};
///
/// async fn checkout(ctx: Ctx) -> HttpResponse {
///     ctx.error(errata_errors::Error::private("pricing service timed out"));
///     HttpResponse::BadGateway().finish() // a 5xx with a recorded error: one event
/// }
/// let app = App::new()
///     .route("/checkout", web::post().to(checkout))
///     .wrap(Errata::new(errata_tower::Options::new()));
/// # let _ = app;
/// ```
#[derive(Clone, Debug)]
pub struct Ctx(pub RequestContext);

impl std::ops::Deref for Ctx {
    type Target = RequestContext;

    fn deref(&self) -> &RequestContext {
        &self.0
    }
}

impl FromRequest for Ctx {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(request_context(req).map(Ctx).ok_or_else(missing))
    }
}

/// The request's hub, as an extractor (hertzsentry's `GetHubFromContext`). While the handler
/// runs it is also `Hub::current()`.
#[derive(Clone, Debug)]
pub struct RequestHub(pub Arc<Hub>);

impl FromRequest for RequestHub {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(hub_from_request(req).map(RequestHub).ok_or_else(missing))
    }
}

/// The context the middleware put in the request extensions (`None` when not behind it).
pub fn request_context(req: &HttpRequest) -> Option<RequestContext> {
    req.extensions().get::<RequestContext>().cloned()
}

/// The hub of a request that passed the middleware (`None` when not behind it).
///
/// ```
/// let req = actix_web::test::TestRequest::default().to_http_request();
/// assert!(errata_actix::hub_from_request(&req).is_none());
/// ```
pub fn hub_from_request(req: &HttpRequest) -> Option<Arc<Hub>> {
    req.extensions()
        .get::<RequestContext>()
        .map(|c| c.hub().clone())
}

fn missing() -> actix_web::Error {
    tracing::error!("errata-actix misconfigured: the route is not behind the Errata middleware");
    actix_web::error::ErrorInternalServerError("Internal Server Error")
}
