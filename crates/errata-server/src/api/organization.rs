//! Organizations: `GET /api/0/organizations/` and `GET /api/0/organizations/{org}/`,
//! with the fields of Sentry's organization serializer that sentry-cli reads, and the
//! lookup by slug every organization-scoped route starts with.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use errata_store::Organization;
use serde::Serialize;

use errata_store::Scope;

use super::date::iso8601;
use super::{ApiError, blocking};
use crate::auth::Viewer;
use crate::state::AppState;

/// An organization as the API shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OrganizationView {
    id: String,
    slug: String,
    name: String,
    date_created: String,
    status: Status,
    is_early_adopter: bool,
    #[serde(rename = "require2FA")]
    require_2fa: bool,
    require_email_verification: bool,
    features: Vec<String>,
}

/// Sentry's `{"id": "active", "name": "active"}`.
#[derive(Debug, Serialize)]
struct Status {
    id: &'static str,
    name: &'static str,
}

/// The short form embedded in projects.
#[derive(Debug, Serialize)]
pub(super) struct OrganizationSummary {
    id: String,
    slug: String,
    name: String,
}

impl OrganizationView {
    fn new(org: &Organization) -> Self {
        Self {
            id: org.id.to_string(),
            slug: org.slug.clone(),
            name: org.name.clone(),
            date_created: iso8601(org.created_ms),
            status: Status {
                id: "active",
                name: "active",
            },
            is_early_adopter: false,
            require_2fa: false,
            require_email_verification: false,
            features: Vec::new(),
        }
    }
}

impl OrganizationSummary {
    pub(super) fn new(org: &Organization) -> Self {
        Self {
            id: org.id.to_string(),
            slug: org.slug.clone(),
            name: org.name.clone(),
        }
    }
}

/// The organization with this slug, or a 404.
pub(super) async fn find(state: &AppState, slug: &str) -> Result<Organization, ApiError> {
    let slug = slug.to_owned();
    let missing = format!("organization {slug:?} not found");
    blocking(state, move |store| store.organization(&slug))
        .await
        .map_err(|e| not_found_as(e, missing))
}

/// Replaces a generic 404 with a specific message.
pub(super) fn not_found_as(error: ApiError, detail: String) -> ApiError {
    match error {
        ApiError::NotFound(_) => ApiError::NotFound(detail),
        ApiError::Store(e) if e.is_not_found() => ApiError::NotFound(detail),
        other => other,
    }
}

/// A path parameter that the route guarantees.
pub(super) fn param<'a>(params: &'a HashMap<String, String>, name: &str) -> &'a str {
    params.get(name).map_or("", String::as_str)
}

/// `GET /api/0/organizations/`.
pub(super) async fn list(
    viewer: Viewer,
    State(state): State<AppState>,
) -> Result<Json<Vec<OrganizationView>>, ApiError> {
    viewer.require(Scope::OrgRead)?;
    let orgs = blocking(&state, |store| store.organizations()).await?;
    Ok(Json(orgs.iter().map(OrganizationView::new).collect()))
}

/// `GET /api/0/organizations/{org}/`.
pub(super) async fn detail(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<OrganizationView>, ApiError> {
    viewer.require(Scope::OrgRead)?;
    let org = find(&state, param(&params, "org")).await?;
    Ok(Json(OrganizationView::new(&org)))
}
