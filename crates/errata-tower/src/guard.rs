//! [`PanicGuardLayer`]: the optional innermost layer that lets middleware see a panic.
//!
//! `GoFrame` recovers a panic at every `Next()`, so a middleware's code after `Next()` still runs
//! and reads `r.GetError()`. Rust unwinds straight through every frame up to the
//! [`ErrataLayer`](crate::ErrataLayer)'s catch scope, so middleware between the two never sees the
//! response. Put this guard innermost (axum's `route_layer`) and a panic of the handler becomes a
//! plain 500 with an empty body that travels back up through that middleware; the panic is kept
//! on the request's [`RequestContext`], where [`RequestContext::outcome_of`] shows it, and the
//! `ErrataLayer` then reports it exactly as if it had caught it itself (one event, the friendly
//! body, `re_panic`). Without an `ErrataLayer` around it (no context in the request) the guard
//! lets the panic unwind, as if it were not there.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{Request, Response, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

use crate::RequestContext;
use crate::panic::{self, CatchPanic, Caught};

/// Turns a panic of the inner service into a 500 that outer middleware can inspect, keeping the
/// panic for the enclosing [`ErrataLayer`](crate::ErrataLayer) to report (see the module docs).
///
/// ```
/// use axum::{Router, extract::Request, middleware::{self, Next}, response::Response, routing::get};
/// use errata_tower::{ErrataLayer, Options, PanicGuardLayer, RequestContext};
///
/// // GoFrame's post-middleware: runs after the handler, even when it panicked.
/// async fn audit(ctx: RequestContext, req: Request, next: Next) -> Response {
///     let res = next.run(req).await;
///     let seen = ctx.outcome_of(&res);
///     if let Some(panic) = &seen.panic {
///         tracing::warn!(message = %panic.message, "handler panicked");
///     }
///     res
/// }
/// let app: Router = Router::new()
///     .route("/", get(|| async { "ok" }))
///     .route_layer(PanicGuardLayer)
///     .layer(middleware::from_fn(audit))
///     .layer(ErrataLayer::new(Options::new()));
/// # let _ = app;
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct PanicGuardLayer;

impl<S> Layer<S> for PanicGuardLayer {
    type Service = PanicGuard<S>;

    fn layer(&self, inner: S) -> Self::Service {
        panic::ensure_installed();
        PanicGuard { inner }
    }
}

/// The service of [`PanicGuardLayer`].
#[derive(Clone, Debug)]
pub struct PanicGuard<S> {
    inner: S,
}

impl<S, B, ResB> Service<Request<B>> for PanicGuard<S>
where
    S: Service<Request<B>, Response = Response<ResB>>,
    ResB: Default,
{
    type Response = Response<ResB>;
    type Error = S::Error;
    type Future = GuardFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let ctx = RequestContext::from_extensions(req.extensions());
        match panic::catch(|| self.inner.call(req)) {
            Ok(fut) => GuardFuture::Running {
                fut: CatchPanic::new(fut),
                ctx,
            },
            Err(caught) => GuardFuture::Caught {
                caught: Some((caught, ctx)),
            },
        }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`PanicGuard`].
    #[project = GuardProj]
    #[allow(missing_debug_implementations)]
    pub enum GuardFuture<F> {
        /// The inner future, polled in a catch scope.
        Running { #[pin] fut: CatchPanic<F>, ctx: Option<RequestContext> },
        /// `call` itself panicked.
        Caught { caught: Option<(Caught, Option<RequestContext>)> },
    }
}

impl<F, ResB, E> Future for GuardFuture<F>
where
    F: Future<Output = Result<Response<ResB>, E>>,
    ResB: Default,
{
    type Output = Result<Response<ResB>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (caught, ctx) = match self.project() {
            GuardProj::Running { fut, ctx } => match fut.poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(out)) => return Poll::Ready(out),
                Poll::Ready(Err(caught)) => (caught, ctx.take()),
            },
            GuardProj::Caught { caught } => match caught.take() {
                Some(pair) => pair,
                None => panic!("GuardFuture polled after completion"),
            },
        };
        Poll::Ready(Ok(hand_over(caught, ctx)))
    }
}

/// Keeps the panic on the request's context and answers a bare 500, or resumes the unwind when
/// no `ErrataLayer` encloses the guard.
fn hand_over<ResB: Default>(mut caught: Caught, ctx: Option<RequestContext>) -> Response<ResB> {
    let Some(ctx) = ctx else {
        std::panic::resume_unwind(caught.payload)
    };
    // Resolve the stack now, on the thread that panicked, so the report names it.
    caught.report();
    ctx.store_panic(caught);
    let mut res = Response::new(ResB::default());
    *res.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    res
}
