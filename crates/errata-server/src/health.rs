//! Liveness and readiness: `/healthz` answers while the process serves HTTP; `/readyz`
//! runs every readiness check and answers 200 when none fails, else 503, with a JSON
//! body listing each check's state (`ok`, `failing` or `skipped`) and what it saw, and
//! how many nodes this one counts as live on its database (the rate limits' share).
//!
//! The checks: the writer thread is alive, the database answers a read, its schema is this binary's (migrations current: on
//! `PostgreSQL` a newer node may have migrated the shared database), and the local
//! database's filesystem has at least `metrics.min_free_disk_bytes` free (skipped for a
//! database behind a network URL, `PostgreSQL`, whose disk this node cannot see: watch
//! the database server's own disk there). A new check is an async fn returning a
//! [`Check`], added to the list in [`readyz`].

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Serialize;
use serde_json::json;

use crate::state::AppState;

/// A check's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CheckState {
    /// Passes.
    Ok,
    /// Fails: the node is not ready.
    Failing,
    /// Does not apply here.
    Skipped,
}

/// One readiness check's result.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Check {
    /// Its name.
    pub(crate) name: &'static str,
    /// Its state.
    pub(crate) state: CheckState,
    /// What it saw.
    pub(crate) detail: String,
}

impl Check {
    fn new(name: &'static str, state: CheckState, detail: impl Into<String>) -> Self {
        Self {
            name,
            state,
            detail: detail.into(),
        }
    }
}

/// `GET /healthz`.
pub(crate) async fn healthz() -> impl IntoResponse {
    axum::Json(json!({ "status": "ok" }))
}

/// `GET /readyz`.
pub(crate) async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let checks = [
        writer(&state),
        store(&state).await,
        migrations(&state).await,
        disk(&state).await,
    ];
    let ready = checks.iter().all(|c| c.state != CheckState::Failing);
    let (status, word) = if ready {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready")
    };
    (
        status,
        axum::Json(json!({
            "status": word,
            "nodes": state.limiter.nodes(),
            "checks": checks,
        })),
    )
}

fn writer(state: &AppState) -> Check {
    if state.writer.is_alive() {
        Check::new("writer", CheckState::Ok, "the writer thread runs")
    } else {
        Check::new("writer", CheckState::Failing, "the writer thread stopped")
    }
}

async fn store(state: &AppState) -> Check {
    match state.store_call(|state| state.store.organizations()).await {
        Ok(_) => Check::new("store", CheckState::Ok, "the database answers"),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed: the database");
            Check::new("store", CheckState::Failing, "the database is unavailable")
        }
    }
}

async fn disk(state: &AppState) -> Check {
    let Some(dir) = state.config.local_database_dir() else {
        return Check::new(
            "disk",
            CheckState::Skipped,
            "the database is not local (watch its server's disk)",
        );
    };
    let min_free = state.config.metrics.min_free_disk_bytes;
    if min_free == 0 {
        return Check::new(
            "disk",
            CheckState::Skipped,
            "metrics.min_free_disk_bytes is 0",
        );
    }
    match tokio::task::spawn_blocking(move || crate::disk::space(&dir)).await {
        Ok(Ok(space)) if space.free_bytes < min_free => {
            tracing::warn!(
                free_bytes = space.free_bytes,
                min_free_bytes = min_free,
                "readiness check failed: the disk is full"
            );
            Check::new(
                "disk",
                CheckState::Failing,
                format!(
                    "{} bytes free, under the {min_free} bytes required",
                    space.free_bytes
                ),
            )
        }
        Ok(Ok(space)) => Check::new(
            "disk",
            CheckState::Ok,
            format!("{} bytes free of {}", space.free_bytes, space.total_bytes),
        ),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness check failed: the free disk space");
            Check::new(
                "disk",
                CheckState::Failing,
                format!("cannot read the free space: {error}"),
            )
        }
        Err(error) => Check::new(
            "disk",
            CheckState::Failing,
            format!("cannot read the free space: {error}"),
        ),
    }
}

/// The "migrations" check, from [`migrations_current`].
async fn migrations(state: &AppState) -> Check {
    match migrations_current(state).await {
        Ok(()) => Check::new("migrations", CheckState::Ok, "the schema is this binary's"),
        Err(detail) => Check::new("migrations", CheckState::Failing, detail),
    }
}

/// The "migrations current" check: the database's schema version is the one this binary
/// writes. On `PostgreSQL` another node running a newer Errata may have migrated the
/// shared database beyond this one, which then must not take traffic.
async fn migrations_current(state: &AppState) -> Result<(), String> {
    match state.store_call(|state| state.store.schema_status()).await {
        Ok(schema) if schema.is_current() => Ok(()),
        Ok(schema) => {
            tracing::warn!(%schema, "readiness check failed: migrations not current");
            Err(format!("migrations not current: {schema}"))
        }
        Err(error) => {
            tracing::warn!(%error, "readiness check failed: schema version unreadable");
            Err("database unavailable".to_owned())
        }
    }
}
