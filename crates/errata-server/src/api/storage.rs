//! Storage use: `GET /api/0/organizations/{org}/storage/` (the installation's footprint,
//! disk budget and forecast, with every project of the organization) and
//! `GET /api/0/projects/{org}/{project}/storage/` (one project, with the installation's
//! figures). Errata's own paths: Sentry has no equivalent. Built from
//! [`crate::storage::report`].

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use errata_store::Scope;
use serde::Serialize;

use super::date::iso8601;
use super::organization::{self, param};
use super::{ApiError, project};
use crate::auth::Viewer;
use crate::state::AppState;
use crate::storage::{ProjectStorage, StorageReport};

/// The installation's storage.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StorageView {
    /// What the database's files take on disk.
    disk_bytes: u64,
    /// What its data takes (what the budget is checked against).
    live_bytes: u64,
    budget_bytes: Option<u64>,
    retention_days: Option<u32>,
    project_max_events: Option<u64>,
    events: u64,
    stored_bytes: u64,
    bytes_per_day: u64,
    /// Days until the budget is reached at the current rate (0: reached; retention is
    /// thinning).
    days_until_full: Option<f64>,
    /// Days of events the budget holds at the current rate.
    days_held: Option<f64>,
    /// Deleted by retention since the server started, per reason.
    deleted_since_start: Vec<DeletedView>,
    last_retention_pass: Option<String>,
    projects: Vec<ProjectStorageView>,
}

/// Events deleted for one reason.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DeletedView {
    reason: &'static str,
    events: u64,
    stored_bytes: u64,
}

/// One project's storage.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ProjectStorageView {
    id: String,
    slug: String,
    name: String,
    events: u64,
    stored_bytes: u64,
    live_bytes: u64,
    oldest_event: Option<String>,
    events_per_day: u64,
    bytes_per_day: u64,
}

impl ProjectStorageView {
    fn new(p: &ProjectStorage) -> Self {
        Self {
            id: p.id.to_string(),
            slug: p.slug.clone(),
            name: p.name.clone(),
            events: p.events,
            stored_bytes: p.stored_bytes,
            live_bytes: p.live_bytes,
            oldest_event: p.oldest_received_ms.map(iso8601),
            events_per_day: whole(p.events_per_day),
            bytes_per_day: whole(p.bytes_per_day),
        }
    }
}

impl StorageView {
    fn new(r: &StorageReport) -> Self {
        Self {
            disk_bytes: r.footprint.disk_bytes,
            live_bytes: r.footprint.live_bytes,
            budget_bytes: r.budget_bytes,
            retention_days: r.retention_days,
            project_max_events: r.project_max_events,
            events: r.events,
            stored_bytes: r.stored_bytes,
            bytes_per_day: whole(r.bytes_per_day),
            days_until_full: r.days_until_full.map(tenths),
            days_held: r.days_held.map(tenths),
            deleted_since_start: r
                .deleted
                .iter()
                .map(|(reason, d)| DeletedView {
                    reason: reason.as_str(),
                    events: d.events,
                    stored_bytes: d.stored_bytes,
                })
                .collect(),
            last_retention_pass: r.last_pass_ms.map(iso8601),
            projects: r.projects.iter().map(ProjectStorageView::new).collect(),
        }
    }
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn whole(x: f64) -> u64 {
    x.max(0.0).round() as u64
}

fn tenths(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The report of `projects`, on a blocking thread.
async fn build(
    state: &AppState,
    projects: Vec<errata_store::Project>,
) -> Result<StorageReport, ApiError> {
    state
        .store_call(move |s| {
            crate::storage::report(
                s.store.as_ref(),
                &projects,
                &s.config.retention,
                &s.retention.snapshot(),
                crate::now_ms(),
            )
        })
        .await
        .map_err(ApiError::from)
}

/// `GET /api/0/organizations/{org}/storage/`.
pub(super) async fn organization(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<StorageView>, ApiError> {
    viewer.require(Scope::OrgRead)?;
    let org = organization::find(&state, param(&params, "org")).await?;
    let projects = super::blocking(&state, move |store| store.projects(org.id)).await?;
    Ok(Json(StorageView::new(&build(&state, projects).await?)))
}

/// `GET /api/0/projects/{org}/{project}/storage/`.
pub(super) async fn project(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<StorageView>, ApiError> {
    viewer.require_any(&[Scope::OrgRead, Scope::ProjectRead])?;
    let (_, project) = project::resolve(&state, &params).await?;
    Ok(Json(StorageView::new(&build(&state, vec![project]).await?)))
}
