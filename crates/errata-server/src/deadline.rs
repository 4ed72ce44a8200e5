//! Request bodies with a deadline and a minimum rate: a client that sends its body too
//! slowly (or stops) gets an error from the body instead of holding a connection, a
//! permit and memory for as long as it likes. Every request body is wrapped at the
//! connection ([`crate::connection`]), so every endpoint is covered; ingest answers the
//! error with 408.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// How often the rate is checked while a body stalls.
const CHECK_EVERY: Duration = Duration::from_secs(1);

/// The body took too long: the error [`DeadlineBody`] yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TooSlow {
    /// Past the whole-body deadline.
    #[error("the request body was not received within {0} s")]
    Deadline(u64),
    /// Slower than the minimum rate after the grace period.
    #[error("the request body arrived slower than {0} bytes per second")]
    Rate(u64),
}

/// The limits a [`DeadlineBody`] enforces.
#[derive(Debug, Clone, Copy)]
pub struct BodyDeadline {
    /// The whole body must arrive within this.
    pub timeout: Duration,
    /// The minimum rate applies after this.
    pub grace: Duration,
    /// Bytes per second, averaged since the body started (0: no check).
    pub min_rate: u64,
}

pin_project_lite::pin_project! {
    /// A body that fails with [`TooSlow`] past its deadline or below its minimum rate.
    pub struct DeadlineBody<B> {
        #[pin]
        inner: B,
        limits: BodyDeadline,
        started: Instant,
        received: u64,
        done: bool,
        #[pin]
        timer: Sleep,
    }
}

impl<B> DeadlineBody<B> {
    /// Wraps `inner`; the clock starts now.
    pub fn new(inner: B, limits: BodyDeadline) -> Self {
        let started = Instant::now();
        Self {
            inner,
            limits,
            started,
            received: 0,
            done: false,
            timer: tokio::time::sleep_until(started + limits.grace.min(limits.timeout)),
        }
    }
}

impl<B> std::fmt::Debug for DeadlineBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeadlineBody")
            .field("received", &self.received)
            .finish_non_exhaustive()
    }
}

impl BodyDeadline {
    /// Whether a body that has received `received` bytes after `elapsed` is too slow.
    fn check(&self, elapsed: Duration, received: u64) -> Result<(), TooSlow> {
        if elapsed >= self.timeout {
            return Err(TooSlow::Deadline(self.timeout.as_secs()));
        }
        if self.min_rate > 0 && elapsed >= self.grace {
            let expected = self.min_rate as f64 * elapsed.as_secs_f64();
            if (received as f64) < expected {
                return Err(TooSlow::Rate(self.min_rate));
            }
        }
        Ok(())
    }
}

impl<B> Body for DeadlineBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let mut this = self.project();
        if *this.done {
            return this.inner.poll_frame(cx).map_err(Into::into);
        }
        match this.inner.as_mut().poll_frame(cx) {
            Poll::Ready(None) => {
                *this.done = true;
                return Poll::Ready(None);
            }
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    *this.received += data.len() as u64;
                }
                let elapsed = this.started.elapsed();
                if let Err(slow) = this.limits.check(elapsed, *this.received) {
                    return Poll::Ready(Some(Err(Box::new(slow))));
                }
                return Poll::Ready(Some(Ok(frame)));
            }
            Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e.into()))),
            Poll::Pending => {}
        }
        // Nothing arrived: check when the timer fires, then set it again.
        while this.timer.as_mut().poll(cx).is_ready() {
            let elapsed = this.started.elapsed();
            if let Err(slow) = this.limits.check(elapsed, *this.received) {
                return Poll::Ready(Some(Err(Box::new(slow))));
            }
            let next = (Instant::now() + CHECK_EVERY).min(*this.started + this.limits.timeout);
            this.timer.as_mut().reset(next);
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Whether `error` (from reading a body) is, or was caused by, a [`TooSlow`].
pub fn too_slow(error: &(dyn std::error::Error + 'static)) -> Option<TooSlow> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(slow) = e.downcast_ref::<TooSlow>() {
            return Some(*slow);
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt as _;
    use http_body_util::StreamBody;

    fn limits() -> BodyDeadline {
        BodyDeadline {
            timeout: Duration::from_secs(60),
            grace: Duration::from_secs(5),
            min_rate: 100,
        }
    }

    #[test]
    fn the_rules() {
        let l = limits();
        assert!(l.check(Duration::from_secs(4), 0).is_ok());
        assert!(l.check(Duration::from_secs(5), 500).is_ok());
        assert_eq!(
            l.check(Duration::from_secs(5), 499),
            Err(TooSlow::Rate(100))
        );
        assert_eq!(
            l.check(Duration::from_secs(60), u64::MAX),
            Err(TooSlow::Deadline(60))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_body_fails_after_the_grace_period() {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, std::io::Error>>(1);
        let stream = tokio_stream_from(rx);
        let body = DeadlineBody::new(StreamBody::new(stream), limits());
        tx.send(Ok(Frame::data(Bytes::from_static(b"x"))))
            .await
            .unwrap();
        let started = Instant::now();
        let err = body.collect().await.unwrap_err();
        assert_eq!(too_slow(&*err), Some(TooSlow::Rate(100)));
        assert_eq!(started.elapsed().as_secs(), 5);
        drop(tx);
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_arrives_in_time_passes() {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, std::io::Error>>(1);
        let body = DeadlineBody::new(StreamBody::new(tokio_stream_from(rx)), limits());
        let sender = tokio::spawn(async move {
            for _ in 0..10 {
                tx.send(Ok(Frame::data(Bytes::from(vec![0u8; 200]))))
                    .await
                    .unwrap();
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(bytes.len(), 2000);
        sender.await.unwrap();
    }

    /// A `Stream` over an mpsc receiver (no tokio-stream dependency).
    fn tokio_stream_from<T>(
        rx: tokio::sync::mpsc::Receiver<T>,
    ) -> impl futures_core::Stream<Item = T> {
        struct Frames<T>(tokio::sync::mpsc::Receiver<T>);
        impl<T> futures_core::Stream for Frames<T> {
            type Item = T;
            fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
                self.0.poll_recv(cx)
            }
        }
        Frames(rx)
    }
}
