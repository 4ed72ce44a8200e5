//! Projects: `GET /api/0/organizations/{org}/projects/`,
//! `GET /api/0/projects/{org}/{project}/`, `PUT` of the same to change settings (Sentry's
//! `dataScrubber`, `sensitiveFields` and `scrubIPAddresses`, the inbound filters' `options`
//! (`filter.rs`), and Errata's `eventQuota`), and
//! the lookup of `{org}/{project}` every project-scoped route starts with (an unknown
//! organization or project is a 404).

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use errata_store::{EventQuota, Organization, Project, ProjectSettings, QuotaWindow};
use serde::Serialize;
use serde_json::{Map, Value};

use errata_store::Scope;

use super::date::iso8601;
use super::organization::{self, OrganizationSummary, not_found_as, param};
use super::{ApiError, blocking, filter};
use crate::auth::Viewer;
use crate::state::AppState;

/// A project as the API shows it (Sentry's project fields that tools read).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
#[allow(
    clippy::struct_excessive_bools,
    reason = "a view model mirroring Sentry's JSON fields, not a state machine"
)]
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
    /// Field names scrubbed besides the built-in ones (lowercase).
    sensitive_fields: Vec<String>,
    /// Scrub client IP addresses (off by default: IPs are kept).
    #[serde(rename = "scrubIPAddresses")]
    scrub_ip_addresses: bool,
    /// At most `limit` events per UTC `window`, or `null`.
    event_quota: Option<QuotaView>,
    /// Sentry's project options Errata keeps: the inbound filters' pattern lists.
    options: BTreeMap<&'static str, String>,
}

/// An event quota as the API shows and accepts it.
#[derive(Debug, Serialize)]
struct QuotaView {
    limit: u64,
    window: &'static str,
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
            sensitive_fields: project.sensitive_fields.clone(),
            scrub_ip_addresses: project.scrub_ip_addresses,
            event_quota: project.event_quota.map(|q| QuotaView {
                limit: q.limit,
                window: q.window.as_str(),
            }),
            options: filter::options_view(&project.filters),
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
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<Vec<ProjectView>>, ApiError> {
    viewer.require(Scope::ProjectRead)?;
    let org = organization::find(&state, param(&params, "org")).await?;
    let org_id = org.id;
    let projects = blocking(&state, move |store| store.projects(org_id)).await?;
    Ok(Json(
        projects.iter().map(|p| ProjectView::new(p, &org)).collect(),
    ))
}

/// `GET /api/0/projects/{org}/{project}/`.
pub(super) async fn detail(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<ProjectView>, ApiError> {
    viewer.require(Scope::ProjectRead)?;
    let (org, project) = resolve(&state, &params).await?;
    Ok(Json(ProjectView::new(&project, &org)))
}

/// The fields `PUT` accepts.
const SETTABLE: [&str; 7] = [
    "name",
    "options",
    "rateLimitPerMinute",
    "dataScrubber",
    "sensitiveFields",
    "scrubIPAddresses",
    "eventQuota",
];

/// `PUT /api/0/projects/{org}/{project}/` with any of `{"dataScrubber": bool,
/// "sensitiveFields": [string], "scrubIPAddresses": bool, "eventQuota": {"limit": N,
/// "window": "day"|"month"} | null, "options": {"filters:releases": "1.*\n2.0",
/// ...}}`: changes those settings (and only those) and answers
/// the project. Takes effect for the next ingest request.
pub(super) async fn update(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> Result<Json<ProjectView>, ApiError> {
    viewer.require(Scope::ProjectWrite)?;
    let (org, project) = resolve(&state, &params).await?;
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not JSON: {e}")))?;
    let Some(fields) = value.as_object() else {
        return Err(ApiError::BadRequest("expected a JSON object".into()));
    };
    let patch = settings_patch(fields)?;
    if patch.is_empty() {
        return Ok(Json(ProjectView::new(&project, &org)));
    }
    let id = project.id;
    let updated = blocking(&state, move |store| {
        store.update_project_settings(id, &patch)
    })
    .await?;
    state.keys.clear();
    Ok(Json(ProjectView::new(&updated, &org)))
}

/// The settings a `PUT` body changes; a 400 naming the field for an unknown field or a
/// value of the wrong shape (the store checks the values themselves).
fn settings_patch(fields: &Map<String, Value>) -> Result<ProjectSettings, ApiError> {
    if let Some(unknown) = fields.keys().find(|k| !SETTABLE.contains(&k.as_str())) {
        return Err(ApiError::BadRequest(format!(
            "unknown or read-only field {unknown:?}; settable: {}",
            SETTABLE.join(", ")
        )));
    }
    let bool_field = |name: &str| {
        fields
            .get(name)
            .map(|v| {
                v.as_bool()
                    .ok_or_else(|| ApiError::BadRequest(format!("{name} must be true or false")))
            })
            .transpose()
    };
    let sensitive_fields = fields
        .get("sensitiveFields")
        .map(|v| {
            v.as_array()
                .and_then(|items| {
                    items
                        .iter()
                        .map(|item| item.as_str().map(str::to_owned))
                        .collect::<Option<Vec<_>>>()
                })
                .ok_or_else(|| {
                    ApiError::BadRequest("sensitiveFields must be an array of strings".into())
                })
        })
        .transpose()?;
    let event_quota = fields.get("eventQuota").map(event_quota).transpose()?;
    let name = fields
        .get("name")
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| ApiError::BadRequest("name must be a string".into()))
        })
        .transpose()?;
    let rate_limit_per_minute = match fields.get("rateLimitPerMinute") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(v) => Some(Some(v.as_u64().filter(|n| *n > 0).ok_or_else(|| {
            ApiError::BadRequest(
                "rateLimitPerMinute must be null or a positive integer (events per minute)".into(),
            )
        })?)),
    };
    Ok(ProjectSettings {
        name,
        rate_limit_per_minute,
        scrub_data: bool_field("dataScrubber")?,
        sensitive_fields,
        scrub_ip_addresses: bool_field("scrubIPAddresses")?,
        event_quota,
        filters: fields
            .get("options")
            .map(filter::options_patch)
            .transpose()?
            .unwrap_or_default(),
    })
}

/// `null` (no quota) or `{"limit": N, "window": "day"|"month"}`.
fn event_quota(value: &Value) -> Result<Option<EventQuota>, ApiError> {
    const SHAPE: &str =
        r#"eventQuota must be null or {"limit": a positive integer, "window": "day" or "month"}"#;
    let bad = |why: String| ApiError::BadRequest(format!("{why}; {SHAPE}"));
    let quota = match value {
        Value::Null => return Ok(None),
        Value::Object(quota) => quota,
        _ => return Err(bad("eventQuota is not an object".into())),
    };
    if let Some(unknown) = quota
        .keys()
        .find(|k| !matches!(k.as_str(), "limit" | "window"))
    {
        return Err(bad(format!("unknown field eventQuota.{unknown}")));
    }
    let limit = match quota.get("limit") {
        None => return Err(bad("eventQuota.limit is missing".into())),
        Some(limit) => limit.as_u64().ok_or_else(|| {
            bad(format!(
                "eventQuota.limit {limit} is not a positive integer"
            ))
        })?,
    };
    let window = match quota.get("window") {
        None => return Err(bad("eventQuota.window is missing".into())),
        Some(window) => window
            .as_str()
            .and_then(QuotaWindow::parse)
            .ok_or_else(|| {
                bad(format!(
                    "eventQuota.window {window} is not \"day\" or \"month\""
                ))
            })?,
    };
    Ok(Some(EventQuota { limit, window }))
}
