//! Checkout handlers: one per shop route, each calling into [`crate::pricing`].

use axum::Json;
use axum::extract::Path;
use axum::extract::rejection::JsonRejection;
use errata_errors::{Error, ErrorType};
use serde::Deserialize;

use crate::{orders, pricing};

/// `GET /panic`: quotes a price for a loyalty level that does not exist (a helper panics).
pub(crate) async fn quote() -> String {
    let level = std::hint::black_box(7);
    format!("discount: {}%\n", pricing::discount_percent(level))
}

/// `GET /error/private`: a failing downstream call, reported and answered with a bare 500.
pub(crate) async fn stock() -> Result<String, Error> {
    Ok(format!("in stock: {}\n", pricing::stock_level("mug")?))
}

/// `GET /error/public`: an expired coupon, a 422 whose message the client may read.
pub(crate) async fn redeem() -> Result<String, Error> {
    Ok(format!("discount: {}%\n", pricing::redeem("SPRING24")?))
}

/// `POST /orders/{id}/reorder`: fails three layers down; the event carries every layer.
pub(crate) async fn reorder(Path(id): Path<u32>) -> Result<String, Error> {
    Ok(format!("reordered as {}\n", orders::reorder(id)?))
}

/// `POST /prices/import`: an `anyhow` error from library-style code, converted with `?`.
pub(crate) async fn import() -> Result<String, Error> {
    Ok(format!("imported {} prices\n", orders::import_prices()?))
}

/// An order as posted by clients.
#[derive(Debug, Deserialize)]
pub(crate) struct Order {
    #[allow(dead_code, reason = "read by serde; the demo only binds it")]
    item: String,
    qty: u32,
}

/// `POST /error/bind`: a JSON body that does not bind is a 400 with the binding message.
pub(crate) async fn order(body: Result<Json<Order>, JsonRejection>) -> Result<String, Error> {
    let Json(order) = body.map_err(|e| Error::new(e, ErrorType::BIND | ErrorType::PUBLIC, None))?;
    Ok(format!("ordered {}\n", order.qty))
}

/// `GET /background`: a receipt mailer spawned with the request's hub panics in the background.
pub(crate) async fn receipt() -> &'static str {
    drop(errata_tower::spawn(async {
        let recipients: Vec<&str> = Vec::new();
        let first = recipients.first().copied();
        first.expect("a receipt needs a recipient").len()
    }));
    "receipt queued\n"
}
