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
use http::{HeaderValue, Request, Response, header};
use http_body::Body;
use sentry_core::types::Uuid;
use sentry_core::{Hub, SentryFutureExt};
use tower_service::Service;

use crate::panic::{CatchPanic, Caught, resume_reported};
use crate::{
    GuardedBody, Options, Outcome, RequestContext, ResponseFuture, delivery, event, log, request,
};

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

fn non_nil(id: Uuid) -> Option<Uuid> {
    (!id.is_nil()).then_some(id)
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
    let hub = Arc::new(match &opts.hub {
        Some(parent) => Hub::new_from_top(parent),
        None => Hub::new_from_top(Hub::main()),
    });
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
    Ok(panicked(&opts, &hub, &ctx, accept.as_ref(), caught).await)
}

/// After a caught panic: one fatal event, the delivery wait when asked, then the friendly
/// response (or the unwind resumed with `re_panic`) with its [`Outcome`].
async fn panicked<ResB>(
    opts: &Options,
    hub: &Arc<Hub>,
    ctx: &RequestContext,
    accept: Option<&HeaderValue>,
    mut caught: Caught,
) -> Response<GuardedBody<ResB>> {
    let (report, event_id) = caught.report_on(hub, "handler");
    let mut delivered = None;
    if opts.wait_for_delivery && event_id.is_some() {
        delivered = Some(delivery::flush(hub, opts.timeout).await);
    }
    if opts.re_panic {
        resume_reported(caught.payload, event_id);
    }
    let mut res = opts.responder.panic_response(accept, event_id);
    if let Some(id) = event_id {
        set_event_header(opts, res.headers_mut(), id);
    }
    let outcome = Outcome {
        status: res.status(),
        errors: ctx.take_errors(),
        panic: Some(Arc::new(report)),
        event_id,
        delivered,
    };
    res.extensions_mut().insert(outcome);
    res.map(GuardedBody::replaced)
}

/// Describes the request (and buffers the body) into an event processor of the request's hub.
async fn attach_request<B>(opts: &Options, hub: &Hub, req: Request<B>) -> Request<B>
where
    B: Body + 'static,
    B::Error: Into<BoxError>,
{
    let pii = hub.client().is_some_and(|c| c.options().send_default_pii);
    let mut info = if opts.send_request {
        request::describe(&req, pii)
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
    hub.configure_scope(|scope| {
        scope.add_event_processor(move |mut event| {
            if event.request.is_none() {
                event.request = Some(info.clone());
            }
            Some(event)
        });
    });
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
    let mut outcome = Outcome {
        status: res.status(),
        errors: ctx.take_errors(),
        panic: None,
        event_id: None,
        delivered: None,
    };
    let report = opts.report.reports_errors(&outcome);
    // GoFrame logs every 500 whatever the report policy (also under `PanicsOnly`).
    if report || (outcome.status.is_server_error() && !outcome.errors.is_empty()) {
        log::errors(hub, outcome.status, &outcome.errors);
    }
    if report {
        let options = hub.client().map(|c| c.options().clone());
        let ev = event::errors_event(&outcome.errors, outcome.status.as_u16(), options.as_ref());
        outcome.event_id = non_nil(hub.capture_event(ev));
        if let Some(id) = outcome.event_id {
            set_event_header(opts, res.headers_mut(), id);
            if opts.wait_for_delivery {
                outcome.delivered = Some(delivery::flush(hub, opts.timeout).await);
            }
        }
    }
    res.extensions_mut().insert(outcome);
    res
}

fn set_event_header(opts: &Options, headers: &mut http::HeaderMap, id: Uuid) {
    if let Some(name) = &opts.event_id_header
        && let Ok(value) = HeaderValue::from_str(&id.simple().to_string())
    {
        headers.insert(name.clone(), value);
    }
}
