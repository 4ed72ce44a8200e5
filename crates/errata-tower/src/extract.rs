//! axum extractors (feature `axum`): the request context and the request's hub.
//!
//! Handlers take [`RequestContext`] to record errors (`ctx.error(e)`) or [`RequestHub`] to use the
//! request's hub directly; both fail with a 500 ([`LayerError::MissingLayer`]) when the route is
//! not behind the `ErrataLayer`, which is a wiring bug, not a client error.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;
use sentry_core::Hub;

use crate::{LayerError, RequestContext};

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = LayerError;

    /// ```
    /// use axum::{Router, routing::get};
    /// use errata_tower::{ErrataLayer, Options, RequestContext};
    ///
    /// async fn checkout(ctx: RequestContext) -> &'static str {
    ///     ctx.error(errata_errors::Error::private("pricing service timed out"));
    ///     "recorded"
    /// }
    /// let app: Router = Router::new().route("/checkout", get(checkout)).layer(ErrataLayer::new(Options::new()));
    /// # let _ = app;
    /// ```
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        RequestContext::from_extensions(&parts.extensions).ok_or(LayerError::MissingLayer)
    }
}

/// The request's hub, as an extractor (hertzsentry's `GetHubFromContext`).
///
/// ```
/// use axum::{Router, routing::get};
/// use errata_tower::{ErrataLayer, Options, RequestHub};
///
/// async fn tagged(RequestHub(hub): RequestHub) -> &'static str {
///     hub.configure_scope(|s| s.set_tag("cart", "42"));
///     "ok"
/// }
/// let app: Router = Router::new().route("/", get(tagged)).layer(ErrataLayer::new(Options::new()));
/// # let _ = app;
/// ```
#[derive(Clone, Debug)]
pub struct RequestHub(pub Arc<Hub>);

impl<S: Send + Sync> FromRequestParts<S> for RequestHub {
    type Rejection = LayerError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<RequestContext>()
            .map(|c| RequestHub(c.hub().clone()))
            .ok_or(LayerError::MissingLayer)
    }
}

impl IntoResponse for LayerError {
    fn into_response(self) -> Response {
        tracing::error!(error = %self, "errata-tower misconfigured");
        (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response()
    }
}
