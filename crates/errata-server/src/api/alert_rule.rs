//! A project's alert rules: `GET`/`POST /api/0/projects/{org}/{project}/rules/` and
//! `GET`/`PUT`/`DELETE .../rules/{rule_id}/` (reading needs `project:read`, changing
//! `project:write`). A rule reads and is written as
//!
//! ```json
//! {"id": "1", "name": "New issues", "enabled": true,
//!  "triggers": {"newIssue": true, "regression": true, "unignored": false,
//!               "frequency": {"count": 100, "minutes": 60} | null, "userCount": null},
//!  "filters": {"minLevel": "error" | null, "environment": "prod" | null, "release": null,
//!              "tag": {"key": "browser", "value": "Firefox"} | null},
//!  "actions": {"allChannels": true, "channels": ["3"], "emailMembers": true},
//!  "cooldownMinutes": 30, "dateCreated": "..."}
//! ```
//!
//! `POST` and `PUT` take the same body (`id` and `dateCreated` are ignored; a missing part is
//! off or empty, a missing `cooldownMinutes` is 30, a missing `enabled` is true); `PUT`
//! replaces the whole rule. A rule without a trigger or an action is a 400 saying so.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use errata_store::{
    AlertRule, AlertRuleId, ChannelId, DEFAULT_COOLDOWN_MINUTES, Level, Project, RuleActions,
    RuleFilters, RuleSpec, RuleTriggers, Scope, WindowCondition,
};
use serde::{Deserialize, Serialize};

use super::date::iso8601;
use super::organization::param;
use super::project;
use super::{ApiError, blocking};
use crate::auth::Viewer;
use crate::state::AppState;

/// A rule as the API shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RuleJson {
    id: String,
    name: String,
    enabled: bool,
    triggers: TriggersJson,
    filters: FiltersJson,
    actions: ActionsJson,
    cooldown_minutes: u32,
    date_created: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "the rule's independent triggers, as the JSON names them"
)]
struct TriggersJson {
    new_issue: bool,
    regression: bool,
    unignored: bool,
    frequency: Option<WindowJson>,
    user_count: Option<WindowJson>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowJson {
    count: u32,
    minutes: u32,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
struct FiltersJson {
    min_level: Option<String>,
    environment: Option<String>,
    release: Option<String>,
    tag: Option<TagJson>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TagJson {
    key: String,
    value: String,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct ActionsJson {
    all_channels: bool,
    channels: Vec<String>,
    email_members: bool,
}

/// An id as clients send it: Sentry's ids are strings, numbers are accepted too.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum IdJson {
    Number(i64),
    Text(String),
}

impl IdJson {
    fn id(&self) -> Result<i64, ApiError> {
        match self {
            Self::Number(n) => Ok(*n),
            Self::Text(t) => t
                .parse()
                .map_err(|_| ApiError::BadRequest(format!("{t:?} is not a channel id"))),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
struct ActionsBody {
    all_channels: bool,
    channels: Vec<IdJson>,
    email_members: bool,
}

/// The body of `POST` and `PUT`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RuleBody {
    name: String,
    #[serde(default = "enabled_by_default")]
    enabled: bool,
    #[serde(default)]
    triggers: TriggersJson,
    #[serde(default)]
    filters: FiltersJson,
    #[serde(default)]
    actions: ActionsBody,
    cooldown_minutes: Option<u32>,
    // Read-only fields of a rule as `GET` shows it, so that what was read may be sent back
    // (ignored).
    #[serde(default, rename = "id")]
    _id: Option<serde_json::Value>,
    #[serde(default, rename = "dateCreated")]
    _date_created: Option<serde_json::Value>,
}

fn enabled_by_default() -> bool {
    true
}

impl RuleJson {
    pub(super) fn new(rule: &AlertRule) -> Self {
        let spec = &rule.spec;
        let window = |w: Option<WindowCondition>| {
            w.map(|w| WindowJson {
                count: w.count,
                minutes: w.minutes,
            })
        };
        Self {
            id: rule.id.0.to_string(),
            name: spec.name.clone(),
            enabled: spec.enabled,
            triggers: TriggersJson {
                new_issue: spec.triggers.new_issue,
                regression: spec.triggers.regression,
                unignored: spec.triggers.unignored,
                frequency: window(spec.triggers.frequency),
                user_count: window(spec.triggers.user_count),
            },
            filters: FiltersJson {
                min_level: spec.filters.min_level.map(|l| l.as_str().to_owned()),
                environment: spec.filters.environment.clone(),
                release: spec.filters.release.clone(),
                tag: spec.filters.tag.as_ref().map(|(key, value)| TagJson {
                    key: key.clone(),
                    value: value.clone(),
                }),
            },
            actions: ActionsJson {
                all_channels: spec.actions.all_channels,
                channels: spec
                    .actions
                    .channels
                    .iter()
                    .map(|c| c.0.to_string())
                    .collect(),
                email_members: spec.actions.email_members,
            },
            cooldown_minutes: spec.cooldown_minutes,
            date_created: iso8601(rule.created_ms),
        }
    }
}

/// A request body as a rule: 400 for JSON of the wrong shape or an unknown level (the
/// store checks the rest).
fn read_spec(body: &Bytes) -> Result<RuleSpec, ApiError> {
    let body: RuleBody = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("invalid rule: {e}")))?;
    let window = |w: Option<WindowJson>| {
        w.map(|w| WindowCondition {
            count: w.count,
            minutes: w.minutes,
        })
    };
    let min_level = match body.filters.min_level.as_deref() {
        None | Some("") => None,
        Some(name) => Some(Level::parse(name).map_err(|_| {
            ApiError::BadRequest(format!(
                "unknown minLevel {name:?} (debug, info, warning, error or fatal)"
            ))
        })?),
    };
    let channels = body
        .actions
        .channels
        .iter()
        .map(|c| c.id().map(ChannelId))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RuleSpec {
        name: body.name,
        enabled: body.enabled,
        triggers: RuleTriggers {
            new_issue: body.triggers.new_issue,
            regression: body.triggers.regression,
            unignored: body.triggers.unignored,
            frequency: window(body.triggers.frequency),
            user_count: window(body.triggers.user_count),
        },
        filters: RuleFilters {
            min_level,
            environment: body.filters.environment,
            release: body.filters.release,
            tag: body.filters.tag.map(|t| (t.key, t.value)),
        },
        actions: RuleActions {
            all_channels: body.actions.all_channels,
            channels,
            email_members: body.actions.email_members,
        },
        cooldown_minutes: body.cooldown_minutes.unwrap_or(DEFAULT_COOLDOWN_MINUTES),
    })
}

/// The project and the rule `{rule_id}` of it (a rule of another project is a 404).
async fn resolve(
    state: &AppState,
    params: &HashMap<String, String>,
) -> Result<(Project, AlertRule), ApiError> {
    let (_, project) = project::resolve(state, params).await?;
    let raw = param(params, "rule_id");
    let missing = || ApiError::NotFound(format!("rule {raw:?} not found"));
    let id = AlertRuleId(raw.parse().map_err(|_| missing())?);
    let project_id = project.id;
    let rule = blocking(state, move |store| store.alert_rule(id))
        .await
        .map_err(|e| match e {
            ApiError::Store(e) if e.is_not_found() => missing(),
            other => other,
        })?;
    if rule.project_id != project_id {
        return Err(missing());
    }
    Ok((project, rule))
}

/// `GET /api/0/projects/{org}/{project}/rules/`.
pub(super) async fn list(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<Vec<RuleJson>>, ApiError> {
    viewer.require(Scope::ProjectRead)?;
    let (_, project) = project::resolve(&state, &params).await?;
    let rules = blocking(&state, move |store| store.alert_rules(project.id)).await?;
    Ok(Json(rules.iter().map(RuleJson::new).collect()))
}

/// `POST /api/0/projects/{org}/{project}/rules/`: 201 with the rule.
pub(super) async fn create(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> Result<(StatusCode, Json<RuleJson>), ApiError> {
    viewer.require(Scope::ProjectWrite)?;
    let (_, project) = project::resolve(&state, &params).await?;
    let spec = read_spec(&body)?;
    let rule = blocking(&state, move |store| {
        store.create_alert_rule(project.id, &spec)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(RuleJson::new(&rule))))
}

/// `GET /api/0/projects/{org}/{project}/rules/{rule_id}/`.
pub(super) async fn detail(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<RuleJson>, ApiError> {
    viewer.require(Scope::ProjectRead)?;
    let (_, rule) = resolve(&state, &params).await?;
    Ok(Json(RuleJson::new(&rule)))
}

/// `PUT /api/0/projects/{org}/{project}/rules/{rule_id}/`: replaces the rule.
pub(super) async fn update(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> Result<Json<RuleJson>, ApiError> {
    viewer.require(Scope::ProjectWrite)?;
    let (_, rule) = resolve(&state, &params).await?;
    let spec = read_spec(&body)?;
    let id = rule.id;
    let rule = blocking(&state, move |store| store.replace_alert_rule(id, &spec)).await?;
    Ok(Json(RuleJson::new(&rule)))
}

/// `DELETE /api/0/projects/{org}/{project}/rules/{rule_id}/`: 204.
pub(super) async fn remove(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<StatusCode, ApiError> {
    viewer.require(Scope::ProjectWrite)?;
    let (_, rule) = resolve(&state, &params).await?;
    let id = rule.id;
    blocking(&state, move |store| store.delete_alert_rule(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_read_with_defaults_and_string_or_number_ids() {
        let body = Bytes::from_static(
            br#"{"name": "r", "triggers": {"frequency": {"count": 5, "minutes": 10}},
                "filters": {"minLevel": "warning", "tag": {"key": "k", "value": "v"}},
                "actions": {"channels": ["3", 4]}}"#,
        );
        let spec = read_spec(&body).unwrap();
        assert!(spec.enabled);
        assert_eq!(spec.cooldown_minutes, DEFAULT_COOLDOWN_MINUTES);
        assert_eq!(spec.filters.min_level, Some(Level::Warning));
        assert_eq!(spec.actions.channels, vec![ChannelId(3), ChannelId(4)]);
        assert_eq!(
            spec.triggers.frequency,
            Some(WindowCondition {
                count: 5,
                minutes: 10
            })
        );
        for bad in [
            &br#"{"name": "r", "extra": 1}"#[..],
            br#"{"name": "r", "filters": {"minLevel": "loud"}}"#,
            br#"{"name": "r", "actions": {"channels": ["x"]}}"#,
            b"[",
        ] {
            let e = read_spec(&Bytes::from_static(bad)).unwrap_err();
            assert_eq!(e.status(), StatusCode::BAD_REQUEST, "{e}");
        }
    }
}
