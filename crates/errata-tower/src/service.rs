//! [`ErrataService`]: the request flow of the layer.
//!
//! Per request: a fresh hub derived from the main hub (or the configured one), optional request
//! and body capture as an event processor of that hub, a [`RequestContext`] in the request
//! extensions, then the inner service's `call` and future run bound to the hub and inside a
//! catch scope. Afterwards: errors returned as `errata_errors::Error` responses are recorded,
//! the report policy decides on an event, delivery is awaited when asked, and an [`Outcome`]
//! goes into the response extensions. A caught panic becomes one fatal event and the friendly
//! 500 (or is resumed with `re_panic`).

use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use errata_errors::{Error, ErrorChain};
use http::{Request, Response, header};
use http_body::Body;
use sentry_core::types::Uuid;
use sentry_core::{Hub, SentryFutureExt};
use tower_service::Service;

use crate::panic::CatchPanic;
use crate::{GuardedBody, Options, RequestContext, ResponseFuture, adapter, request};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The service produced by [`ErrataLayer`](crate::ErrataLayer).
#[derive(Clone, Debug)]
pub struct ErrataService<S> {
    inner: S,
    options: Arc<Options>,
}

impl<S> ErrataService<S> {
    pub(crate) fn new(inner: S, options: Arc<Options>) -> Self {
        Self { inner, options }
    }
}

impl<S, B, ResB> Service<Request<B>> for ErrataService<S>
where
    S: Service<Request<B>, Response = Response<ResB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
    ResB: Body<Data = Bytes> + Send + 'static,
    ResB::Error: Into<BoxError>,
{
    type Response = Response<GuardedBody<ResB>>;
    type Error = S::Error;
    type Future = ResponseFuture<Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        ResponseFuture::new(handle(self.options.clone(), inner, req))
    }
}

async fn handle<S, B, ResB>(
    opts: Arc<Options>,
    mut inner: S,
    mut req: Request<B>,
) -> Result<Response<GuardedBody<ResB>>, S::Error>
where
    S: Service<Request<B>, Response = Response<ResB>> + Send + 'static,
    S::Future: Send + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let hub = adapter::request_hub(&opts);
    let accept = req.headers().get(header::ACCEPT).cloned();
    if opts.send_request || opts.send_body {
        req = attach_request(&opts, &hub, req).await;
    }
    let ctx = RequestContext::new(hub.clone());
    req.extensions_mut().insert(ctx.clone());

    let caught = CatchPanic::new(async move { inner.call(req).await }.bind_hub(hub.clone())).await;
    let caught = match caught {
        // A panic the innermost `PanicGuardLayer` turned into a 500 is reported as if caught here.
        Ok(Ok(res)) => match ctx.take_panic() {
            None => {
                let res = finish(&opts, &hub, &ctx, res).await;
                return Ok(res.map(|body| GuardedBody::inner(body, hub)));
            }
            Some(caught) => caught,
        },
        Ok(Err(e)) => return Err(e),
        Err(caught) => caught,
    };
    let res = adapter::recover(&opts, &hub, &ctx, caught, accept.as_ref()).await;
    Ok(res.map(GuardedBody::replaced))
}

/// Describes the request (and buffers the body) into an event processor of the request's hub.
async fn attach_request<B>(opts: &Options, hub: &Hub, req: Request<B>) -> Request<B>
where
    B: Body + 'static,
    B::Error: Into<BoxError>,
{
    let mut info = if opts.send_request {
        adapter::describe_request(hub, &req)
    } else {
        sentry_core::protocol::Request::default()
    };
    let req = if opts.send_body {
        let (rebuilt, data) = request::capture_body(req, opts.max_body_bytes).await;
        info.data = data;
        rebuilt
    } else {
        req
    };
    adapter::attach_request(hub, info);
    req
}

/// After a normal response: records errors carried by the response, logs a 5xx with errors,
/// reports per policy, waits for delivery when asked, and stores the [`Outcome`].
async fn finish<ResB>(
    opts: &Options,
    hub: &Arc<Hub>,
    ctx: &RequestContext,
    mut res: Response<ResB>,
) -> Response<ResB> {
    if let Some(err) = res.extensions_mut().remove::<Error>() {
        ctx.error(err);
    }
    if let Some(chain) = res.extensions_mut().remove::<ErrorChain>() {
        for err in chain {
            ctx.error(err);
        }
    }
    let outcome = adapter::finish(opts, hub, ctx, res.status()).await;
    if let Some(id) = outcome.event_id {
        set_event_header(opts, res.headers_mut(), id);
    }
    res.extensions_mut().insert(outcome);
    res
}

fn set_event_header(opts: &Options, headers: &mut http::HeaderMap, id: Uuid) {
    if let Some((name, value)) = adapter::event_header(opts, id) {
        headers.insert(name, value);
    }
}
