//! `POST /integrations/slack/interactive`: a click on a Slack message's Resolve or Ignore
//! button. The request is Slack's, signed with the Slack app's signing secret: it is
//! checked (HMAC-SHA256 over `v0:{timestamp}:{body}`, a timestamp within five minutes,
//! a constant-time comparison) before anything is read; the action is applied as done by
//! the Slack user ("Slack: Ada" in the issue's activity); Slack gets its 200 at once and
//! the message is replaced through the click's `response_url` afterwards.

use axum::body::{Body, to_bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use errata_notify::slack::slack_action_update;
use errata_notify::slack_interactive::{
    MAX_INTERACTION_BYTES, SlackAction, outcome_text, parse_interaction, verify_slack_signature,
};
use errata_store::{Actor, IssueId, IssueStatus, StatusChange};

use crate::api::issue::short_id;
use crate::state::AppState;

/// The handler.
pub(crate) async fn interactive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(secret) = state.config.alerts.slack_signing_secret.clone() else {
        return refuse(
            StatusCode::NOT_FOUND,
            "Slack interactivity is not configured (set ERRATA_SLACK_SIGNING_SECRET)",
        );
    };
    let Ok(body) = to_bytes(body, MAX_INTERACTION_BYTES).await else {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request body is too large for a Slack interaction",
        );
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Err(e) = verify_slack_signature(
        secret.expose(),
        header("x-slack-request-timestamp"),
        header("x-slack-signature"),
        &body,
        crate::now_ms() / 1000,
    ) {
        tracing::warn!(error = %e, "refused a Slack interaction");
        return refuse(StatusCode::UNAUTHORIZED, &e.to_string());
    }
    let interaction = match parse_interaction(&body) {
        Ok(i) => i,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let issue_id = IssueId(interaction.issue_id);
    let status = match interaction.action {
        SlackAction::Resolve => IssueStatus::Resolved,
        SlackAction::Ignore => IssueStatus::Ignored,
    };
    let actor = Actor {
        user_id: None,
        name: format!("Slack: {}", interaction.user_name),
    };
    let changed = state
        .store_call(move |s| {
            let issue =
                s.store
                    .change_issue_status(issue_id, &StatusChange::from(status), &actor)?;
            let project = s.store.project(issue.project_id)?;
            Ok((issue, project))
        })
        .await;
    let (issue, project) = match changed {
        Ok(found) => found,
        Err(e) if e.is_not_found() => {
            return refuse(StatusCode::NOT_FOUND, "no such issue (deleted?)");
        }
        Err(e) => {
            tracing::warn!(error = %e, "a Slack action could not be applied");
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "the action could not be applied; try again",
            );
        }
    };
    tracing::info!(issue = %issue.id, status = %status.as_str(), by = %interaction.user_name, "issue changed from Slack");
    if let Some(url) = interaction.response_url {
        let update = slack_action_update(
            &short_id(&project.slug, issue.short_id),
            &issue.title,
            &format!("{}/issues/{}/", state.public_url, issue.id),
            &outcome_text(interaction.action, &interaction.user_name),
        );
        tokio::spawn(async move {
            let mut headers = http::HeaderMap::new();
            headers.insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
            let body = update.to_string().into_bytes();
            match state.alerts.sender.http().post(&url, headers, body).await {
                Ok(r) if r.is_success() => {}
                Ok(r) => tracing::warn!(status = r.status, "Slack refused the message update"),
                Err(e) => tracing::warn!(error = %e, "updating the Slack message failed"),
            }
        });
    }
    StatusCode::OK.into_response()
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "detail": message }))).into_response()
}
