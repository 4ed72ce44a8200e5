//! Projects: `GET /api/0/organizations/{org}/projects/`,
//! `GET /api/0/projects/{org}/{project}/`, `PUT` of the same to change settings
//! (`dataScrubber`, Sentry's name for server-side scrubbing), and the lookup of `{org}/{project}` every
//! project-scoped route starts with (an unknown organization or project is a 404).

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use errata_store::{Organization, Project, ProjectSettings};
use serde::Serialize;

use super::auth::Authenticated;
use super::date::iso8601;
use super::organization::{self, OrganizationSummary, not_found_as, param};
use super::{ApiError, blocking};
use crate::state::AppState;

/// A project as the API shows it (Sentry's project fields that tools read).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ProjectView {
    id: String,
    slug: String,
    name: String,
    platform: Option<String>,
    date_created: String,
    status: &'static str,
    is_member: bool,
    has_access: bool,
    organization: OrganizationSummary,
    /// Errata has no teams.
    team: Option<()>,
    teams: Vec<()>,
    /// Server-side scrubbing of sensitive data (on by default).
    data_scrubber: bool,
}

impl ProjectView {
    fn new(project: &Project, org: &Organization) -> Self {
        Self {
            id: project.id.to_string(),
            slug: project.slug.clone(),
            name: project.name.clone(),
            platform: project.platform.clone(),
            date_created: iso8601(project.created_ms),
            data_scrubber: project.scrub_data,
            status: "active",
            is_member: true,
            has_access: true,
            organization: OrganizationSummary::new(org),
            team: None,
            teams: Vec::new(),
        }
    }
}

/// The short form embedded in issues.
#[derive(Debug, Serialize)]
pub(super) struct ProjectSummary {
    id: String,
    slug: String,
    name: String,
    platform: Option<String>,
}

impl ProjectSummary {
    pub(super) fn new(project: &Project) -> Self {
        Self {
            id: project.id.to_string(),
            slug: project.slug.clone(),
            name: project.name.clone(),
            platform: project.platform.clone(),
        }
    }
}

/// The organization and project named by the `{org}` and `{project}` path parameters.
pub(super) async fn resolve(
    state: &AppState,
    params: &HashMap<String, String>,
) -> Result<(Organization, Project), ApiError> {
    let org = organization::find(state, param(params, "org")).await?;
    let slug = param(params, "project").to_owned();
    let missing = format!("project {slug:?} not found in organization {:?}", org.slug);
    let org_id = org.id;
    let project = blocking(state, move |store| store.project_by_slug(org_id, &slug))
        .await
        .map_err(|e| not_found_as(e, missing))?;
    Ok((org, project))
}

/// `GET /api/0/organizations/{org}/projects/`.
pub(super) async fn list(
    _auth: Authenticated,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<Vec<ProjectView>>, ApiError> {
    let org = organization::find(&state, param(&params, "org")).await?;
    let org_id = org.id;
    let projects = blocking(&state, move |store| store.projects(org_id)).await?;
    Ok(Json(
        projects.iter().map(|p| ProjectView::new(p, &org)).collect(),
    ))
}

/// `GET /api/0/projects/{org}/{project}/`.
pub(super) async fn detail(
    _auth: Authenticated,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<ProjectView>, ApiError> {
    let (org, project) = resolve(&state, &params).await?;
    Ok(Json(ProjectView::new(&project, &org)))
}

/// `PUT /api/0/projects/{org}/{project}/` with `{"dataScrubber": true|false}`: changes the
/// project's settings and answers the project. Takes effect for the next ingest request.
pub(super) async fn update(
    _auth: Authenticated,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> Result<Json<ProjectView>, ApiError> {
    let (org, project) = resolve(&state, &params).await?;
    let value: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not JSON: {e}")))?;
    let Some(fields) = value.as_object() else {
        return Err(ApiError::BadRequest("expected a JSON object".into()));
    };
    if let Some(unknown) = fields.keys().find(|k| k.as_str() != "dataScrubber") {
        return Err(ApiError::BadRequest(format!(
            "unknown or read-only field {unknown:?}; settable: dataScrubber"
        )));
    }
    let mut updated = project;
    if let Some(value) = fields.get("dataScrubber") {
        let on = value
            .as_bool()
            .ok_or_else(|| ApiError::BadRequest("dataScrubber must be true or false".into()))?;
        let id = updated.id;
        let patch = ProjectSettings {
            scrub_data: Some(on),
            ..ProjectSettings::default()
        };
        updated = blocking(&state, move |store| {
            store.update_project_settings(id, &patch)
        })
        .await?;
        state.keys.clear();
    }
    Ok(Json(ProjectView::new(&updated, &org)))
}
