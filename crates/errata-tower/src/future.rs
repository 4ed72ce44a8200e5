//! [`ResponseFuture`]: the future returned by [`ErrataService`](crate::ErrataService).
//!
//! The request flow awaits in several places (body capture before the handler, delivery after
//! it), so it is an `async fn` boxed once per request; this named wrapper keeps the type nameable
//! and leaves room to change the representation.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// The response future of the layer's service.
pub struct ResponseFuture<T> {
    inner: BoxFuture<T>,
}

impl<T> ResponseFuture<T> {
    pub(crate) fn new(inner: impl Future<Output = T> + Send + 'static) -> Self {
        Self {
            inner: Box::pin(inner),
        }
    }
}

impl<T> std::fmt::Debug for ResponseFuture<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<T> Future for ResponseFuture<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        self.inner.as_mut().poll(cx)
    }
}
