//! A project's alert channels and its delivery log:
//! `GET`/`POST /api/0/projects/{org}/{project}/alert-channels/`,
//! `GET`/`PUT`/`DELETE .../alert-channels/{channel_id}/`,
//! `POST .../alert-channels/{channel_id}/test/` (a sample notification sent now; answers
//! `{"delivered", "status", "detail"}`), and `GET .../alert-deliveries/` (the latest 100
//! deliveries with their attempts). Reading needs `project:read`; changing and testing
//! `project:write`.
//!
//! A channel reads as `{"id", "kind", "name", "target", "apiBase", "enabled",
//! "hasSecret", "dateCreated"}`. The secret (a webhook's signing secret, a tracker's token)
//! is never shown, only whether it is set; Slack and webhook URLs are shown with their
//! path masked (`https://hooks.slack.com/…`), since such a URL is itself a secret. `POST`
//! takes `{"kind", "target", "name"?, "secret"?, "apiBase"?}`; a webhook without a secret
//! gets a generated one, returned once as `"secret"` in the 201. `PUT` takes any of
//! `{"name", "target", "secret" (null removes it), "enabled"}`; a channel as `GET` showed
//! it may be sent back (its masked target and read-only fields then change nothing).

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use errata_store::{
    AttemptResult, Channel, ChannelChange, ChannelId, ChannelKind, Delivery, DeliveryAttempt,
    NewChannel, Project, Recipient, Scope,
};
use serde::{Deserialize, Deserializer, Serialize};

use super::date::iso8601;
use super::organization::param;
use super::project;
use super::{ApiError, blocking};
use crate::auth::Viewer;
use crate::state::AppState;

/// How many deliveries `GET .../alert-deliveries/` answers.
const DELIVERY_LIMIT: usize = 100;

/// A channel as the API shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ChannelJson {
    pub(crate) id: String,
    pub(crate) kind: &'static str,
    pub(crate) name: String,
    /// Masked for Slack and webhook URLs.
    pub(crate) target: String,
    pub(crate) api_base: Option<String>,
    pub(crate) enabled: bool,
    pub(crate) has_secret: bool,
    pub(crate) date_created: String,
    /// Only in the answer to the `POST` that generated it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) secret: Option<String>,
}

impl ChannelJson {
    pub(crate) fn new(channel: &Channel) -> Self {
        Self {
            id: channel.id.0.to_string(),
            kind: channel.kind.as_str(),
            name: channel.name.clone(),
            target: errata_web::alerts::mask_target(channel.kind.as_str(), &channel.target),
            api_base: channel.api_base.clone(),
            enabled: channel.enabled,
            has_secret: channel.secret.is_some(),
            date_created: iso8601(channel.created_ms),
            secret: None,
        }
    }
}

/// `text` (an error from a receiver, a test send's outcome) with every channel's secret
/// and every Slack or webhook URL (itself a secret) replaced by what may be shown.
pub(crate) fn redact(text: &str, channels: &[Channel]) -> String {
    let mut out = text.to_owned();
    for c in channels {
        if let Some(secret) = c.secret.as_deref().filter(|s| s.len() >= 4) {
            out = out.replace(secret, "[redacted]");
        }
        if matches!(c.kind, ChannelKind::Slack | ChannelKind::Webhook) && c.target.len() >= 8 {
            out = out.replace(
                &c.target,
                &errata_web::alerts::mask_target(c.kind.as_str(), &c.target),
            );
        }
    }
    out
}

/// The body of `POST`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewChannelBody {
    kind: String,
    target: String,
    #[serde(default)]
    name: String,
    secret: Option<String>,
    api_base: Option<String>,
}

/// The body of `PUT`.
#[derive(Debug, Default, Deserialize)]
#[allow(
    clippy::option_option,
    reason = "absent (keep), null (remove) and a value (set) are three different changes, as in ChannelChange"
)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
struct ChangeBody {
    name: Option<String>,
    target: Option<String>,
    #[serde(deserialize_with = "present")]
    secret: Option<Option<String>>,
    enabled: Option<bool>,
    // Read-only fields of a channel as `GET` shows it, so that what was read may be sent
    // back: ignored when unchanged, a 400 otherwise.
    id: Option<String>,
    kind: Option<String>,
    #[serde(deserialize_with = "present")]
    api_base: Option<Option<String>>,
    has_secret: Option<bool>,
    date_created: Option<String>,
}

/// A field that is present (`null` included): absent stays `None` through `default`.
#[allow(clippy::option_option, reason = "see ChangeBody::secret")]
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// The project and its channel `{channel_id}` (a channel of another project is a 404).
async fn resolve(
    state: &AppState,
    params: &HashMap<String, String>,
) -> Result<(Project, Channel), ApiError> {
    let (_, project) = project::resolve(state, params).await?;
    let raw = param(params, "channel_id");
    let missing = || ApiError::NotFound(format!("channel {raw:?} not found"));
    let id = ChannelId(raw.parse().map_err(|_| missing())?);
    let channel = blocking(state, move |store| store.channel(id))
        .await
        .map_err(|e| match e {
            ApiError::Store(e) if e.is_not_found() => missing(),
            other => other,
        })?;
    if channel.project_id != project.id {
        return Err(missing());
    }
    Ok((project, channel))
}

/// `GET /api/0/projects/{org}/{project}/alert-channels/`.
pub(super) async fn list(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<Vec<ChannelJson>>, ApiError> {
    viewer.require(Scope::ProjectRead)?;
    let (_, project) = project::resolve(&state, &params).await?;
    let channels = blocking(&state, move |store| store.channels(project.id)).await?;
    Ok(Json(channels.iter().map(ChannelJson::new).collect()))
}

/// `POST /api/0/projects/{org}/{project}/alert-channels/`: 201 with the channel (and a
/// generated webhook secret, this once).
pub(super) async fn create(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> Result<(StatusCode, Json<ChannelJson>), ApiError> {
    viewer.require(Scope::ProjectWrite)?;
    let (_, project) = project::resolve(&state, &params).await?;
    let body: NewChannelBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("invalid channel: {e}")))?;
    let kind = ChannelKind::parse(&body.kind)?;
    let given = body.secret.filter(|s| !s.trim().is_empty());
    let generated = (kind == ChannelKind::Webhook && given.is_none())
        .then(crate::alert::generate_webhook_secret);
    let new = NewChannel {
        project_id: project.id,
        kind,
        name: body.name,
        target: body.target,
        secret: given.or_else(|| generated.clone()),
        api_base: body.api_base,
    };
    let channel = blocking(&state, move |store| store.create_channel(&new)).await?;
    let mut json = ChannelJson::new(&channel);
    json.secret = generated;
    Ok((StatusCode::CREATED, Json(json)))
}

/// `GET /api/0/projects/{org}/{project}/alert-channels/{channel_id}/`.
pub(super) async fn detail(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<ChannelJson>, ApiError> {
    viewer.require(Scope::ProjectRead)?;
    let (_, channel) = resolve(&state, &params).await?;
    Ok(Json(ChannelJson::new(&channel)))
}

/// `PUT /api/0/projects/{org}/{project}/alert-channels/{channel_id}/`.
pub(super) async fn update(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
    body: Bytes,
) -> Result<Json<ChannelJson>, ApiError> {
    viewer.require(Scope::ProjectWrite)?;
    let (_, channel) = resolve(&state, &params).await?;
    let body: ChangeBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("invalid channel change: {e}")))?;
    let read_only = [
        ("id", body.id.is_none_or(|v| v == channel.id.0.to_string())),
        ("kind", body.kind.is_none_or(|v| v == channel.kind.as_str())),
        (
            "apiBase",
            body.api_base.is_none_or(|v| v == channel.api_base),
        ),
    ];
    if let Some((field, _)) = read_only.iter().find(|(_, same)| !same) {
        return Err(ApiError::BadRequest(format!(
            "{field} cannot be changed; create another channel"
        )));
    }
    // A target sent back as `GET` showed it (masked) leaves the URL as it is.
    let shown = errata_web::alerts::mask_target(channel.kind.as_str(), &channel.target);
    let new_target = body.target.filter(|t| *t != shown);
    let change = ChannelChange {
        name: body.name,
        target: new_target,
        secret: body.secret,
        enabled: body.enabled,
    };
    let id = channel.id;
    let channel = blocking(&state, move |store| store.change_channel(id, &change)).await?;
    Ok(Json(ChannelJson::new(&channel)))
}

/// `DELETE /api/0/projects/{org}/{project}/alert-channels/{channel_id}/`: 204.
pub(super) async fn remove(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<StatusCode, ApiError> {
    viewer.require(Scope::ProjectWrite)?;
    let (_, channel) = resolve(&state, &params).await?;
    let id = channel.id;
    blocking(&state, move |store| store.delete_channel(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What a test send gave.
#[derive(Debug, Serialize)]
pub(crate) struct TestJson {
    delivered: bool,
    status: Option<u16>,
    detail: String,
}

/// `POST /api/0/projects/{org}/{project}/alert-channels/{channel_id}/test/`.
pub(super) async fn test(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<TestJson>, ApiError> {
    viewer.require(Scope::ProjectWrite)?;
    let (_, channel) = resolve(&state, &params).await?;
    let outcome = crate::alert::send_test(&state, &channel).await;
    Ok(Json(TestJson {
        delivered: outcome.delivered,
        status: outcome.status,
        detail: redact(&outcome.detail, std::slice::from_ref(&channel)),
    }))
}

/// A delivery as the API shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DeliveryJson {
    id: String,
    trigger: &'static str,
    issue_id: String,
    event_id: Option<String>,
    rule_id: Option<String>,
    recipient: RecipientJson,
    state: &'static str,
    attempt_count: u32,
    date_created: String,
    next_attempt: Option<String>,
    date_finished: Option<String>,
    last_error: Option<String>,
    attempts: Vec<AttemptJson>,
}

/// Who a delivery goes to: `{"type": "channel", "id"}` or `{"type": "member", "id"}`.
#[derive(Debug, Serialize)]
struct RecipientJson {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AttemptJson {
    date: String,
    status: Option<u16>,
    result: &'static str,
    error: Option<String>,
    duration_ms: i64,
}

impl DeliveryJson {
    fn new(delivery: &Delivery, attempts: &[DeliveryAttempt], channels: &[Channel]) -> Self {
        let recipient = match delivery.recipient {
            Recipient::Channel(id) => RecipientJson {
                kind: "channel",
                id: id.0.to_string(),
            },
            Recipient::Member(id) => RecipientJson {
                kind: "member",
                id: id.0.to_string(),
            },
        };
        let pending = delivery.state == errata_store::DeliveryState::Pending;
        Self {
            id: delivery.id.0.to_string(),
            trigger: delivery.trigger.as_str(),
            issue_id: delivery.issue_id.0.to_string(),
            event_id: delivery.event_id.map(|e| e.simple().to_string()),
            rule_id: delivery.rule_id.map(|r| r.0.to_string()),
            recipient,
            state: delivery.state.as_str(),
            attempt_count: delivery.attempts,
            date_created: iso8601(delivery.created_ms),
            next_attempt: pending.then(|| iso8601(delivery.next_attempt_ms)),
            date_finished: delivery.finished_ms.map(iso8601),
            last_error: delivery.last_error.as_deref().map(|e| redact(e, channels)),
            attempts: attempts
                .iter()
                .map(|a| AttemptJson {
                    date: iso8601(a.at_ms),
                    status: a.status,
                    result: AttemptResult::as_str(&a.result),
                    error: a.error.as_deref().map(|e| redact(e, channels)),
                    duration_ms: a.duration_ms,
                })
                .collect(),
        }
    }
}

/// `GET /api/0/projects/{org}/{project}/alert-deliveries/`: newest first.
pub(super) async fn deliveries(
    viewer: Viewer,
    State(state): State<AppState>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Json<Vec<DeliveryJson>>, ApiError> {
    viewer.require(Scope::ProjectRead)?;
    let (_, project) = project::resolve(&state, &params).await?;
    let log = blocking(&state, move |store| {
        let channels = store.channels(project.id)?;
        let mut log = Vec::new();
        for delivery in store.deliveries(project.id, DELIVERY_LIMIT)? {
            let attempts = store.delivery_attempts(delivery.id)?;
            log.push(DeliveryJson::new(&delivery, &attempts, &channels));
        }
        Ok(log)
    })
    .await?;
    Ok(Json(log))
}

#[cfg(test)]
mod tests {
    use errata_store::ProjectId;

    use super::*;

    fn channel(kind: ChannelKind, target: &str, secret: Option<&str>) -> Channel {
        Channel {
            id: ChannelId(1),
            project_id: ProjectId(1),
            kind,
            name: "n".into(),
            target: target.into(),
            secret: secret.map(str::to_owned),
            api_base: None,
            enabled: true,
            created_ms: 0,
        }
    }

    #[test]
    fn errors_never_carry_urls_or_secrets() {
        let channels = [
            channel(
                ChannelKind::Slack,
                "https://hooks.slack.com/services/T/B/SECRET",
                None,
            ),
            channel(ChannelKind::GitHub, "octo/repo", Some("ghp_TOKEN")),
        ];
        let text = "error sending request for url (https://hooks.slack.com/services/T/B/SECRET): \
                    bad credentials ghp_TOKEN for octo/repo";
        assert_eq!(
            redact(text, &channels),
            "error sending request for url (https://hooks.slack.com/…): bad credentials \
             [redacted] for octo/repo"
        );
    }
}
