//! Issues: a project's issue list (`GET /api/0/projects/{org}/{project}/issues/` with
//! Sentry's `?query=` syntax and cursor pagination), bulk status changes on that path
//! (`PUT ...?id=1&id=2` or `?status=...`, what `sentry-cli issues resolve|mute` send),
//! and one issue (`/api/0/issues/{issue_id}/`, also under
//! `/api/0/organizations/{org}/issues/{issue_id}/`): `GET`, `PUT {"status": ...}`,
//! `DELETE`. An issue of another organization under the organization path is a 404.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use errata_store::{
    Actor, Issue, IssueFilter, IssueId, IssueQuery, IssueStatus, Organization, Project, Resolution,
    StatusChange,
};
use serde::Serialize;
use serde_json::{Value, json};

use errata_store::Scope;

use super::date::iso8601;
use super::organization::{self, param};
use super::pagination::{PageRequest, link_header, query_value};
use super::project::{self, ProjectSummary};
use super::status;
use super::{ApiError, blocking};
use crate::auth::Viewer;
use crate::state::AppState;

/// What `?query=` means when absent (Sentry's default); `?query=` (empty) lists all.
const DEFAULT_QUERY: &str = "is:unresolved";

/// An issue as the API shows it (Sentry's group fields).
#[allow(
    clippy::struct_excessive_bools,
    reason = "Sentry's flags, constant in Errata but read by tools"
)]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct IssueView {
    id: String,
    short_id: String,
    title: String,
    culprit: String,
    permalink: String,
    logger: Option<String>,
    level: &'static str,
    status: &'static str,
    status_details: Value,
    is_public: bool,
    platform: Option<String>,
    project: ProjectSummary,
    #[serde(rename = "type")]
    ty: String,
    metadata: Value,
    num_comments: u64,
    assigned_to: Option<()>,
    is_bookmarked: bool,
    is_subscribed: bool,
    has_seen: bool,
    annotations: Vec<()>,
    /// A string, as in Sentry.
    count: String,
    user_count: u64,
    first_seen: String,
    last_seen: String,
    first_release: Option<ReleaseView>,
    last_release: Option<ReleaseView>,
}

/// A release named on an issue.
#[derive(Debug, Serialize)]
struct ReleaseView {
    version: String,
}

impl IssueView {
    pub(super) fn new(issue: &Issue, project: &Project, org: &Organization, base: &str) -> Self {
        let release = |r: &Option<String>| {
            r.as_ref().map(|version| ReleaseView {
                version: version.clone(),
            })
        };
        Self {
            id: issue.id.to_string(),
            short_id: short_id(&project.slug, issue.short_id),
            title: issue.title.clone(),
            culprit: issue.culprit.clone(),
            permalink: format!("{base}/organizations/{}/issues/{}/", org.slug, issue.id),
            logger: None,
            level: issue.level.as_str(),
            status: issue.status.as_str(),
            status_details: status::details_view(issue),
            is_public: false,
            platform: project.platform.clone(),
            project: ProjectSummary::new(project),
            ty: issue.event_type.clone(),
            metadata: serde_json::from_slice(&issue.metadata).unwrap_or_else(|_| json!({})),
            num_comments: 0,
            assigned_to: None,
            is_bookmarked: false,
            is_subscribed: false,
            has_seen: false,
            annotations: Vec::new(),
            count: issue.times_seen.to_string(),
            user_count: issue.user_count,
            first_seen: iso8601(issue.first_seen_ms),
            last_seen: iso8601(issue.last_seen_ms),
            first_release: release(&issue.first_release),
            last_release: release(&issue.last_release),
        }
    }
}

/// Sentry's short id: the project slug in capitals, a dash, the per-project number in
/// base 36 (`DEFAULT-1A`).
pub(crate) fn short_id(project_slug: &str, number: i64) -> String {
    let mut digits = Vec::new();
    let mut n = number.unsigned_abs();
    loop {
        let d = (n % 36) as u32;
        digits.push(char::from_digit(d, 36).unwrap_or('0').to_ascii_uppercase());
        n /= 36;
        if n == 0 {
            break;
        }
    }
    let number: String = digits.iter().rev().collect();
    format!("{}-{number}", project_slug.to_ascii_uppercase())
}

/// The issue named by `{issue_id}`, its project and organization; with `{org}` in the
/// path, an issue of another organization is not found.
pub(super) async fn resolve(
    state: &AppState,
    params: &HashMap<String, String>,
) -> Result<(Organization, Project, Issue), ApiError> {
    let raw = param(params, "issue_id");
    let missing = || ApiError::NotFound(format!("issue {raw:?} not found"));
    let id: i64 = raw.parse().map_err(|_| missing())?;
    let path_org = match params.get("org") {
        Some(slug) => Some(organization::find(state, slug).await?),
        None => None,
    };
    let found = blocking(state, move |store| {
        let issue = match store.issue(IssueId(id)) {
            Ok(issue) => issue,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        let project = store.project(issue.project_id)?;
        let org = match path_org {
            Some(org) if org.id == project.organization_id => org,
            Some(_) => return Ok(None),
            None => {
                let orgs = store.organizations()?;
                match orgs.into_iter().find(|o| o.id == project.organization_id) {
                    Some(org) => org,
                    None => return Ok(None),
                }
            }
        };
        Ok(Some((org, project, issue)))
    })
    .await?;
    found.ok_or_else(missing)
}

/// `GET /api/0/projects/{org}/{project}/issues/`.
pub(super) async fn list(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    Query(pairs): Query<Vec<(String, String)>>,
    uri: Uri,
) -> Result<Response, ApiError> {
    viewer.require(Scope::EventRead)?;
    let (org, project) = project::resolve(&state, &params).await?;
    let page = PageRequest::from_query(&pairs)?;
    let filter = IssueFilter::parse(query_value(&pairs, "query").unwrap_or(DEFAULT_QUERY))
        .map_err(|e| ApiError::BadRequest(format!("invalid query: {e}")))?;
    let query = IssueQuery {
        project_id: Some(project.id),
        sort: errata_store::IssueSort::LastSeen,
        filter,
        cursor: page.cursor,
        limit: page.limit,
    };
    let found = blocking(&state, move |store| store.issues(&query)).await?;
    let views: Vec<IssueView> = found
        .items
        .iter()
        .map(|issue| IssueView::new(issue, &project, &org, &state.public_url))
        .collect();
    let link = link_header(&state, &uri, &pairs, found.next_cursor.as_deref());
    Ok(([(header::LINK, link)], Json(views)).into_response())
}

/// `PUT /api/0/projects/{org}/{project}/issues/?id=...` (repeatable), `?status=...` or
/// `?query=...` (default: unresolved issues): sets the status of those issues; answers the
/// change, or 204 when no issue matched.
pub(super) async fn bulk_update(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    Query(pairs): Query<Vec<(String, String)>>,
    body: Bytes,
) -> Result<Response, ApiError> {
    viewer.require(Scope::EventWrite)?;
    let (_, project) = project::resolve(&state, &params).await?;
    let change = status::parse(&body)?;
    let (new_status, new_details) = change_view(&change);
    let mut ids = Vec::new();
    for (_, value) in pairs.iter().filter(|(k, _)| k == "id") {
        ids.push(IssueId(value.parse().map_err(|_| {
            ApiError::BadRequest(format!("id must be an issue id, not {value:?}"))
        })?));
    }
    let current = query_value(&pairs, "status")
        .map(IssueStatus::parse)
        .transpose()
        .map_err(|e| ApiError::BadRequest(format!("invalid status filter: {e}")))?;
    // No ids: every issue matching `?status=` or else `?query=` (default: unresolved), as
    // Sentry does for `sentry-cli issues resolve --all`.
    let filter = if !ids.is_empty() {
        None
    } else if let Some(current) = current {
        Some(IssueFilter {
            status: Some(current),
            ..IssueFilter::default()
        })
    } else {
        Some(
            IssueFilter::parse(query_value(&pairs, "query").unwrap_or(DEFAULT_QUERY))
                .map_err(|e| ApiError::BadRequest(format!("invalid query: {e}")))?,
        )
    };
    let changed = blocking(&state, move |store| {
        if let Some(filter) = filter {
            let mut cursor = None;
            loop {
                let page = store.issues(&IssueQuery {
                    project_id: Some(project.id),
                    sort: errata_store::IssueSort::LastSeen,
                    filter: filter.clone(),
                    cursor,
                    limit: errata_store::MAX_PAGE,
                })?;
                ids.extend(page.items.iter().map(|i| i.id));
                match page.next_cursor {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
        }
        let mut changed = 0_usize;
        for id in ids {
            match store.issue(id) {
                Ok(issue) if issue.project_id == project.id => {
                    store.change_issue_status(id, &change, &Actor::system())?;
                    changed += 1;
                }
                Ok(_) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(changed)
    })
    .await?;
    if changed == 0 {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    Ok(Json(json!({ "status": new_status, "statusDetails": new_details })).into_response())
}

/// What the bulk endpoint answers for a change (Sentry echoes the change).
fn change_view(change: &StatusChange) -> (&'static str, Value) {
    let details = match change {
        StatusChange::Resolve(Resolution::InNextRelease) => json!({ "inNextRelease": true }),
        StatusChange::Resolve(Resolution::InRelease(v)) => json!({ "inRelease": v }),
        StatusChange::Ignore(until) => {
            let mut d = serde_json::Map::new();
            for (name, n) in [
                ("ignoreDuration", until.minutes),
                ("ignoreCount", until.events),
                ("ignoreUserCount", until.users),
            ] {
                if let Some(n) = n {
                    d.insert(name.into(), json!(n));
                }
            }
            Value::Object(d)
        }
        StatusChange::Resolve(Resolution::Now) | StatusChange::Unresolve => json!({}),
    };
    (change.status().as_str(), details)
}

/// `GET /api/0/issues/{issue_id}/`.
pub(super) async fn detail(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<IssueView>, ApiError> {
    viewer.require(Scope::EventRead)?;
    let (org, project, issue) = resolve(&state, &params).await?;
    Ok(Json(IssueView::new(
        &issue,
        &project,
        &org,
        &state.public_url,
    )))
}

/// `PUT /api/0/issues/{issue_id}/` with `{"status": ...}`: answers the updated issue.
pub(super) async fn update(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> Result<Json<IssueView>, ApiError> {
    viewer.require(Scope::EventWrite)?;
    let (org, project, issue) = resolve(&state, &params).await?;
    let change = status::parse(&body)?;
    let id = issue.id;
    let updated = blocking(&state, move |store| {
        store.change_issue_status(id, &change, &Actor::system())
    })
    .await?;
    Ok(Json(IssueView::new(
        &updated,
        &project,
        &org,
        &state.public_url,
    )))
}

/// `DELETE /api/0/issues/{issue_id}/`: 202 with no body, as Sentry.
pub(super) async fn remove(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<StatusCode, ApiError> {
    viewer.require(Scope::EventAdmin)?;
    let (_, _, issue) = resolve(&state, &params).await?;
    let id = issue.id;
    blocking(&state, move |store| store.delete_issue(id)).await?;
    Ok(StatusCode::ACCEPTED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ids_are_base36_in_capitals() {
        assert_eq!(short_id("default", 1), "DEFAULT-1");
        assert_eq!(short_id("web-app", 36 + 10), "WEB-APP-1A");
        assert_eq!(short_id("x", 0), "X-0");
    }
}
