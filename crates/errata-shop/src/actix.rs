//! The same shop on actix-web with `errata-actix`: the routes call the same pricing and order
//! code as the axum handlers in [`crate::checkout`], so Errata groups their failures into the
//! same issues whichever framework served them.

use actix_web::{App, HttpResponse, web};
use errata_actix::{Errata, HttpError};
use errata_errors::{Error, ErrorType};
use errata_tower::Options;

use crate::{orders, pricing};

/// `GET /panic`: a helper panics (index out of bounds).
async fn quote() -> String {
    let level = std::hint::black_box(7);
    format!("discount: {}%\n", pricing::discount_percent(level))
}

/// `GET /error/private`: the inventory service cannot be reached; a bare 500.
async fn stock() -> Result<String, HttpError> {
    Ok(format!("in stock: {}\n", pricing::stock_level("mug")?))
}

/// `GET /error/public`: an expired coupon, a 422 the client may read.
async fn redeem() -> Result<String, HttpError> {
    Ok(format!("discount: {}%\n", pricing::redeem("SPRING24")?))
}

/// `POST /error/bind`: a body that is not a quantity is a 400 with the binding message.
async fn order(body: String) -> Result<String, HttpError> {
    let qty: u32 = body
        .trim()
        .parse()
        .map_err(|e| Error::new(e, ErrorType::BIND | ErrorType::PUBLIC, None))?;
    Ok(format!("ordered {qty}\n"))
}

/// `POST /orders/{id}/reorder`: fails three layers down.
async fn reorder(id: web::Path<u32>) -> Result<String, HttpError> {
    Ok(format!("reordered as {}\n", orders::reorder(*id)?))
}

/// `POST /prices/import`: an `anyhow` error converted with `.errata()?`.
async fn import() -> Result<String, HttpError> {
    Ok(format!("imported {} prices\n", orders::import_prices()?))
}

/// The shop's routes on actix-web behind the middleware (build it inside `HttpServer::new`).
pub fn actix_app(
    options: Options,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .route(
            "/ok",
            web::get().to(|| async { HttpResponse::Ok().body("ok\n") }),
        )
        .route("/panic", web::get().to(quote))
        .route("/error/private", web::get().to(stock))
        .route("/error/public", web::get().to(redeem))
        .route("/error/bind", web::post().to(order))
        .route("/orders/{id}/reorder", web::post().to(reorder))
        .route("/prices/import", web::post().to(import))
        .wrap(Errata::new(options))
}
