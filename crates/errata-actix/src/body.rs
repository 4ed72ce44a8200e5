//! [`GuardedBody`]: the middleware's response body, the inner body polled inside a catch scope.
//!
//! actix polls response bodies in the connection task, after the middleware's future is done,
//! so a panic *while streaming* (a `streaming(...)` body whose stream panics) would otherwise
//! kill the connection unreported. Each poll runs in errata-tower's catch scope; a panic is
//! reported once on the request's hub (and logged) and ends the stream with an error
//! (`errata_tower::LayerError::BodyPanicked`): the status and headers are already sent, so the
//! client sees a truncated response, as with the tower layer. Fixed bodies pass through
//! `try_into_bytes` unchanged, so actix's fast path for them is kept.

use std::error::Error as StdError;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use bytes::Bytes;
use errata_tower::{LayerError, adapter};
use sentry_core::Hub;

pin_project_lite::pin_project! {
    /// The middleware's response body: the inner body, guarded against panics while streaming.
    pub struct GuardedBody<B> {
        #[pin]
        body: B,
        hub: Option<Arc<Hub>>,
        panicked: bool,
    }
}

impl<B> GuardedBody<B> {
    pub(crate) fn new(body: B, hub: Arc<Hub>) -> Self {
        Self {
            body,
            hub: Some(hub),
            panicked: false,
        }
    }
}

impl<B> std::fmt::Debug for GuardedBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardedBody")
            .field("panicked", &self.panicked)
            .finish_non_exhaustive()
    }
}

impl<B: MessageBody> MessageBody for GuardedBody<B> {
    type Error = Box<dyn StdError>;

    fn size(&self) -> BodySize {
        if self.panicked {
            return BodySize::None;
        }
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.project();
        if *this.panicked {
            return Poll::Ready(None);
        }
        let body = this.body;
        match adapter::catch(|| body.poll_next(cx)) {
            Ok(poll) => poll.map(|next| next.map(|chunk| chunk.map_err(Into::into))),
            Err(mut caught) => {
                *this.panicked = true;
                if let Some(hub) = this.hub.take() {
                    adapter::report_panic(&hub, &mut caught, "response body (while streaming)");
                }
                Poll::Ready(Some(Err(Box::new(LayerError::BodyPanicked))))
            }
        }
    }

    fn try_into_bytes(self) -> Result<Bytes, Self> {
        let Self {
            body,
            hub,
            panicked,
        } = self;
        body.try_into_bytes().map_err(|body| Self {
            body,
            hub,
            panicked,
        })
    }
}
