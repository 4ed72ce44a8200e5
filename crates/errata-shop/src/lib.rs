//! The example shop: an axum app wired with `errata-tower`, whose routes succeed, panic, fail
//! privately, fail publicly, fail to bind, fail three layers deep and fail in `anyhow` code, so
//! a newcomer sees real Rust issues in Errata.
//!
//! The binary (`main.rs`) only reads the environment, initialises `sentry` and serves [`app`]
//! (or, with `SHOP_FRAMEWORK=actix`, the same routes on actix-web: [`actix_app`]); keeping the
//! routers here lets the integration tests drive them without a socket.
//!
//! ```
//! let app = errata_shop::app(errata_tower::Options::new());
//! # let _ = app;
//! ```

mod actix;
mod checkout;
mod orders;
mod pricing;

pub use actix::actix_app;
use axum::Router;
use axum::routing::{get, post};
use errata_tower::{ErrataLayer, Options};

/// The shop's router behind the layer.
pub fn app(options: Options) -> Router {
    Router::new()
        .route("/ok", get(|| async { "ok\n" }))
        .route("/panic", get(checkout::quote))
        .route("/error/private", get(checkout::stock))
        .route("/error/public", get(checkout::redeem))
        .route("/error/bind", post(checkout::order))
        .route("/background", get(checkout::receipt))
        .route("/orders/{id}/reorder", post(checkout::reorder))
        .route("/prices/import", post(checkout::import))
        .layer(ErrataLayer::new(options))
}
