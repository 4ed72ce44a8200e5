//! The `errata-shop` binary: reads `SENTRY_DSN`, `SHOP_BIND` and `SHOP_FRAMEWORK` (`axum`, the
//! default, or `actix`), initialises `sentry` (with `sentry-tracing`) before any runtime exists
//! (so every worker's hub has the client), serves the shop, and flushes pending events at
//! shutdown (Ctrl-C).

use std::time::Duration;

use errata_tower::Options;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::prelude::*;

fn main() -> std::io::Result<()> {
    // sentry-tracing as services install it (error logs become events, info and up become
    // breadcrumbs): the layer's own error log still gives exactly one event per failure.
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        ))
        .with(sentry_tracing::ErrorLayer::new().with_filter(LevelFilter::ERROR))
        .with(sentry_tracing::BreadcrumbLayer::new().with_filter(LevelFilter::INFO))
        .init();
    let dsn = std::env::var("SENTRY_DSN").unwrap_or_default();
    if dsn.is_empty() {
        tracing::warn!("SENTRY_DSN is not set: events are not sent anywhere");
    }
    let _guard = sentry::init((
        dsn,
        errata_tower::prepare_client_options(
            sentry::ClientOptions::new()
                .in_app_include(vec!["errata_shop"])
                .shutdown_timeout(Duration::from_secs(2)),
        ),
    ));
    let bind = std::env::var("SHOP_BIND").unwrap_or_else(|_| "127.0.0.1:8080".to_owned());
    let options = Options::new().send_request(true).send_body(true);
    if std::env::var("SHOP_FRAMEWORK").is_ok_and(|f| f == "actix") {
        return serve_actix(&bind, options);
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async move {
            let listener = tokio::net::TcpListener::bind(&bind).await?;
            tracing::info!(addr = %listener.local_addr()?, "errata-shop (axum) listening");
            axum::serve(listener, errata_shop::app(options))
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await?;
            errata_tower::flush(&sentry::Hub::main(), Duration::from_secs(2)).await;
            Ok(())
        })
}

/// The same shop on actix-web (`SHOP_FRAMEWORK=actix`); actix stops on Ctrl-C by itself.
fn serve_actix(bind: &str, options: Options) -> std::io::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let server = actix_web::HttpServer::new(move || errata_shop::actix_app(options.clone()))
            .workers(2)
            .bind(bind)?;
        tracing::info!(addr = ?server.addrs(), "errata-shop (actix-web) listening");
        server.run().await?;
        errata_tower::flush(&sentry::Hub::main(), Duration::from_secs(2)).await;
        Ok(())
    })
}
