//! [`GuardedBody`]: the response body type of the layer.
//!
//! Either the inner service's body, polled inside a catch scope so a panic *while streaming*
//! is reported once and ends the stream with an error (tower-http's `CatchPanic` misses these),
//! or the friendly replacement body after a panic. An enum, so the happy path does not box.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::Full;
use sentry_core::Hub;

use crate::{LayerError, panic};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

pin_project_lite::pin_project! {
    #[project = KindProj]
    enum Kind<B> {
        Inner { #[pin] body: B },
        Replaced { #[pin] body: Full<Bytes> },
    }
}

pin_project_lite::pin_project! {
    /// The layer's response body: the inner body guarded against panics, or a replacement.
    pub struct GuardedBody<B> {
        #[pin]
        kind: Kind<B>,
        hub: Option<Arc<Hub>>,
        panicked: bool,
    }
}

impl<B> std::fmt::Debug for GuardedBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardedBody")
            .field("panicked", &self.panicked)
            .finish_non_exhaustive()
    }
}

impl<B> GuardedBody<B> {
    pub(crate) fn inner(body: B, hub: Arc<Hub>) -> Self {
        Self {
            kind: Kind::Inner { body },
            hub: Some(hub),
            panicked: false,
        }
    }

    pub(crate) fn replaced(body: Full<Bytes>) -> Self {
        Self {
            kind: Kind::Replaced { body },
            hub: None,
            panicked: false,
        }
    }
}

impl<B> Body for GuardedBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.project();
        if *this.panicked {
            return Poll::Ready(None);
        }
        match this.kind.project() {
            KindProj::Replaced { body } => body.poll_frame(cx).map_err(|e| match e {}),
            KindProj::Inner { body } => match panic::catch(|| body.poll_frame(cx)) {
                Ok(p) => p.map(|o| o.map(|r| r.map_err(Into::into))),
                Err(mut caught) => {
                    *this.panicked = true;
                    if let Some(hub) = this.hub.as_ref() {
                        caught.report_on(hub, "response body (while streaming)");
                    }
                    Poll::Ready(Some(Err(Box::new(LayerError::BodyPanicked))))
                }
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        if self.panicked {
            return true;
        }
        match &self.kind {
            Kind::Inner { body } => body.is_end_stream(),
            Kind::Replaced { body } => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Inner { body } => body.size_hint(),
            Kind::Replaced { body } => body.size_hint(),
        }
    }
}
