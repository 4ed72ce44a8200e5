//! A project's client keys: `GET /api/0/projects/{org}/{project}/keys/`, in Sentry's
//! shape (the key's `id` is its public part; `dsn.public` is what SDKs are given,
//! `dsn.secret` the legacy form with the secret key).

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use errata_store::ProjectKey;
use serde::Serialize;

use errata_store::Scope;

use super::date::iso8601;
use super::project;
use super::{ApiError, blocking};
use crate::auth::Viewer;
use crate::state::AppState;

/// A key as the API shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct KeyView {
    id: String,
    name: String,
    label: String,
    public: String,
    secret: String,
    project_id: i64,
    is_active: bool,
    date_created: String,
    dsn: DsnView,
}

/// The key's DSNs.
#[derive(Debug, Serialize)]
struct DsnView {
    public: String,
    secret: String,
}

impl KeyView {
    fn new(key: &ProjectKey, state: &AppState) -> Self {
        let project_id = key.project_id.0;
        Self {
            id: key.public_key.clone(),
            name: key.label.clone(),
            label: key.label.clone(),
            public: key.public_key.clone(),
            secret: key.secret_key.clone(),
            project_id,
            is_active: key.is_active,
            date_created: iso8601(key.created_ms),
            dsn: DsnView {
                public: state.dsn(&key.public_key, project_id),
                // The user part of a legacy DSN is `public:secret`.
                secret: state.dsn(
                    &format!("{}:{}", key.public_key, key.secret_key),
                    project_id,
                ),
            },
        }
    }
}

/// `GET /api/0/projects/{org}/{project}/keys/`.
pub(super) async fn list(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<Vec<KeyView>>, ApiError> {
    viewer.require(Scope::ProjectRead)?;
    let (_, project) = project::resolve(&state, &params).await?;
    let keys = blocking(&state, move |store| store.project_keys(project.id)).await?;
    Ok(Json(keys.iter().map(|k| KeyView::new(k, &state)).collect()))
}
