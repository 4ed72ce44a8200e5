//! [`LayerError`]: the one error type of this crate.

/// What can go wrong in the middleware itself (not in the application).
///
/// ```
/// let e = errata_tower::LayerError::MissingLayer;
/// assert!(e.is_missing_layer() && !e.is_body_panicked());
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LayerError {
    /// An extractor asked for the request context, but the `ErrataLayer` does not wrap the route.
    #[error("errata-tower: the ErrataLayer does not wrap this route")]
    MissingLayer,
    /// The response body panicked while streaming; the panic was reported and the stream ended.
    #[error("errata-tower: the response body panicked while streaming")]
    BodyPanicked,
}

impl LayerError {
    /// Whether the layer was missing.
    pub fn is_missing_layer(&self) -> bool {
        matches!(self, Self::MissingLayer)
    }

    /// Whether a response body panicked.
    pub fn is_body_panicked(&self) -> bool {
        matches!(self, Self::BodyPanicked)
    }
}
