//! An issue's user reports (user feedback): `GET /api/0/issues/{issue_id}/user-reports/`,
//! newest first, in Sentry's shape.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use errata_store::UserReport;
use serde::Serialize;

use errata_store::Scope;

use super::date::iso8601;
use super::{ApiError, blocking, issue};
use crate::auth::Viewer;
use crate::state::AppState;

/// A user report as the API shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UserReportView {
    id: String,
    #[serde(rename = "eventID")]
    event_id: String,
    name: String,
    email: String,
    comments: String,
    date_created: String,
    issue: Option<String>,
    user: Option<()>,
}

impl UserReportView {
    fn new(report: &UserReport) -> Self {
        Self {
            id: report.id.to_string(),
            event_id: report.event_id.simple().to_string(),
            name: report.fields.name.clone(),
            email: report.fields.email.clone(),
            comments: report.fields.comments.clone(),
            date_created: iso8601(report.created_ms),
            issue: report.issue_id.map(|id| id.to_string()),
            user: None,
        }
    }
}

/// `GET /api/0/issues/{issue_id}/user-reports/`.
pub(super) async fn list(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<Vec<UserReportView>>, ApiError> {
    viewer.require(Scope::EventRead)?;
    let (_, _, issue) = issue::resolve(&state, &params).await?;
    let reports = blocking(&state, move |store| store.issue_user_reports(issue.id)).await?;
    Ok(Json(reports.iter().map(UserReportView::new).collect()))
}
