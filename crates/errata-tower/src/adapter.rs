//! Framework-neutral building blocks for adapters such as errata-actix: the per-request steps of
//! [`ErrataService`](crate::ErrataService) as small functions, for web frameworks that are not
//! tower (actix-web's middleware is `!Send` and has its own request and response types).
//!
//! An adapter's request flow, in order:
//!
//! 1. [`request_hub`] and [`request_context`]: the request's own hub and its context (put it
//!    where handlers can reach it, and bind the hub while the handler runs);
//! 2. with `send_request`/`send_body`: [`describe_request`] and [`body_plan`], then
//!    [`attach_request`] to attach the description to every event of the request;
//! 3. run the handler inside [`CatchPanic`](crate::panic::CatchPanic) (or [`catch`]);
//! 4. after a response: record the errors it carries (`ctx.error(e);`), then [`finish`]; after a
//!    caught panic: [`recover`], which reports, waits for delivery when asked, resumes the unwind
//!    under `re_panic`, and renders the friendly 500;
//! 5. while streaming the response body: poll it inside [`catch`] and [`report_panic`] a panic.
//!
//! Everything else (the panic hook, event building, the error log, the bounded flush) happens
//! inside these functions, so an adapter cannot diverge from the tower layer's behaviour.
//!
//! ```
//! use errata_tower::{Options, adapter};
//! let opts = Options::new();
//! let hub = adapter::request_hub(&opts);
//! let ctx = adapter::request_context(hub.clone());
//! ctx.error(errata_errors::Error::private("ledger unreachable"));
//! let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! let outcome = rt.block_on(adapter::finish(&opts, &hub, &ctx, http::StatusCode::BAD_GATEWAY));
//! assert_eq!(outcome.errors.len(), 1);
//! assert!(ctx.errors().is_empty()); // taken into the outcome
//! ```

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::Full;
use sentry_core::Hub;
use sentry_core::protocol::Request as EventRequest;
use sentry_core::types::Uuid;

use crate::panic::{Caught, resume_reported};
use crate::{Options, Outcome, RequestContext, delivery, event, log, request};

/// A fresh hub for one request, derived from `Options::hub` or else `Hub::main()`.
pub fn request_hub(opts: &Options) -> Arc<Hub> {
    Arc::new(match &opts.hub {
        Some(parent) => Hub::new_from_top(parent),
        None => Hub::new_from_top(Hub::main()),
    })
}

/// The context of a request on `hub`, with no errors recorded yet.
pub fn request_context(hub: Arc<Hub>) -> RequestContext {
    RequestContext::new(hub)
}

/// Method, URL (credentials scrubbed), query and headers (scrubbed unless the hub's client has
/// `send_default_pii`), as `send_request` attaches them. Only the request's head is read.
pub fn describe_request<B>(hub: &Hub, req: &Request<B>) -> EventRequest {
    let pii = hub.client().is_some_and(|c| c.options().send_default_pii);
    request::describe(req, pii)
}

/// What `send_body` does with a body of a known size (`None`: streamed or chunked).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BodyPlan {
    /// No body: attach nothing.
    Empty,
    /// Read it (at most `max_body_bytes`), attach it and hand the same bytes to the handler.
    Read,
    /// Do not read it; attach this note instead (never a truncated body).
    Omit(String),
}

/// The note attached when reading a body that was meant to be captured failed.
pub const BODY_READ_FAILED: &str = "[body omitted: reading it failed]";

/// Decides what `send_body` does with a body of this known size and the configured limit.
///
/// ```
/// use errata_tower::adapter::{BodyPlan, body_plan};
/// assert_eq!(body_plan(Some(0), 4), BodyPlan::Empty);
/// assert_eq!(body_plan(Some(4), 4), BodyPlan::Read);
/// assert!(matches!(body_plan(Some(5), 4), BodyPlan::Omit(_)));
/// assert!(matches!(body_plan(None, 4), BodyPlan::Omit(_)));
/// ```
pub fn body_plan(size: Option<u64>, max: usize) -> BodyPlan {
    match size {
        Some(0) => BodyPlan::Empty,
        None => BodyPlan::Omit("[body omitted: streamed, size unknown]".to_owned()),
        Some(n) if n > max as u64 => BodyPlan::Omit(format!(
            "[body omitted: {n} bytes, over the {max}-byte limit]"
        )),
        Some(_) => BodyPlan::Read,
    }
}

/// Attaches the request description to every event captured on `hub` that has none.
pub fn attach_request(hub: &Hub, info: EventRequest) {
    hub.configure_scope(|scope| {
        scope.add_event_processor(move |mut event| {
            if event.request.is_none() {
                event.request = Some(info.clone());
            }
            Some(event)
        });
    });
}

/// Runs `f` inside a catch scope (the panic hook records location and stack for it). For a
/// synchronous step, e.g. a framework's `call` that builds the handler future; futures are
/// wrapped in [`CatchPanic`](crate::panic::CatchPanic) instead.
///
/// ```
/// let caught = errata_tower::adapter::catch(|| -> u32 { panic!("in call") });
/// assert_eq!(caught.unwrap_err().report().message, "in call");
/// ```
pub fn catch<R>(f: impl FnOnce() -> R) -> Result<R, Caught> {
    crate::panic::ensure_installed();
    crate::panic::catch(f)
}

/// Reports a panic caught outside the handler's future, e.g. while streaming the response body
/// (`what` says where, for the error log): once (not if an inner layer already did), logged,
/// without waiting and without a response. Returns the event id.
pub fn report_panic(hub: &Arc<Hub>, caught: &mut Caught, what: &str) -> Option<Uuid> {
    caught.report_on(hub, what).1
}

/// After a normal response with status `status`: takes the errors recorded on `ctx`, logs a 5xx
/// with errors, reports per the policy, waits for delivery when asked (bounded by the timeout)
/// and returns the [`Outcome`]. When `outcome.event_id` is set, add [`event_header`] to the
/// response; put the outcome in the response's extensions.
pub async fn finish(
    opts: &Options,
    hub: &Arc<Hub>,
    ctx: &RequestContext,
    status: StatusCode,
) -> Outcome {
    let mut outcome = Outcome {
        status,
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
        if outcome.event_id.is_some() && opts.wait_for_delivery {
            outcome.delivered = Some(delivery::flush(hub, opts.timeout).await);
        }
    }
    outcome
}

/// After a caught panic: reports it once (logging it too), waits for delivery when asked, then
/// either resumes the unwind with the same payload (`re_panic`, marked as reported so an outer
/// layer does not report it again) or returns the friendly 500 of the configured
/// [`Responder`](crate::Responder), with the event header set and the [`Outcome`] in its
/// extensions. `accept` is the request's `Accept` header.
pub async fn recover(
    opts: &Options,
    hub: &Arc<Hub>,
    ctx: &RequestContext,
    mut caught: Caught,
    accept: Option<&HeaderValue>,
) -> Response<Full<Bytes>> {
    let (report, event_id) = caught.report_on(hub, "handler");
    let mut delivered = None;
    if opts.wait_for_delivery && event_id.is_some() {
        delivered = Some(delivery::flush(hub, opts.timeout).await);
    }
    if opts.re_panic {
        resume_reported(caught.payload, event_id);
    }
    let mut res = opts.responder.panic_response(accept, event_id);
    if let Some((name, value)) = event_id.and_then(|id| event_header(opts, id)) {
        res.headers_mut().insert(name, value);
    }
    let outcome = Outcome {
        status: res.status(),
        errors: ctx.take_errors(),
        panic: Some(Arc::new(report)),
        event_id,
        delivered,
    };
    res.extensions_mut().insert(outcome);
    res
}

/// The response header carrying the event id (`Options::event_id_header`), if enabled.
pub fn event_header(opts: &Options, id: Uuid) -> Option<(HeaderName, HeaderValue)> {
    let name = opts.event_id_header.clone()?;
    let value = HeaderValue::from_str(&id.simple().to_string()).ok()?;
    Some((name, value))
}

fn non_nil(id: Uuid) -> Option<Uuid> {
    (!id.is_nil()).then_some(id)
}
