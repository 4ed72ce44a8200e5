//! [`ErrataLayer`]: the tower `Layer` that wraps a service in [`ErrataService`].

use std::sync::Arc;

use tower_layer::Layer;

use crate::{ErrataService, Options};

/// Reports panics and recorded errors of the wrapped HTTP service (hertzsentry's `NewSentry`).
///
/// Creating it installs the chained panic hook, so create it after `sentry::init`. Put it
/// outermost (the last `.layer()` in axum) so it sees every panic and error.
///
/// ```
/// use axum::{Router, routing::get};
/// use errata_tower::{ErrataLayer, Options};
///
/// let app: Router = Router::new()
///     .route("/ok", get(|| async { "ok" }))
///     .layer(ErrataLayer::new(Options::new().send_request(true)));
/// # let _ = app;
/// ```
#[derive(Clone, Debug, Default)]
pub struct ErrataLayer {
    options: Arc<Options>,
}

impl ErrataLayer {
    /// A layer with these options.
    pub fn new(options: Options) -> Self {
        crate::panic::install();
        Self {
            options: Arc::new(options),
        }
    }
}

impl<S> Layer<S> for ErrataLayer {
    type Service = ErrataService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ErrataService::new(inner, self.options.clone())
    }
}
