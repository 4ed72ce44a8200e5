//! Account pages: `/settings/tokens/` (the viewer's API tokens: create with scopes no
//! wider than the viewer's own, list, revoke; a new secret is shown once) and
//! `/settings/users/` (admins: list users, create one with a generated password, reset a
//! password, which also ends that user's sessions; the password is shown once). The tokens
//! page also holds the viewer's alert email per project (`POST /settings/alert-email`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use errata_store::{
    NewToken, NewUser, ProjectId, Role, Scope, Scopes, StoreError, TokenId, UserId,
};
use errata_web::event_view::Moment;
use errata_web::{
    AlertEmailRow, GeneratedPassword, NavItem, TokenRow, TokensPage, UserRow, UsersPage,
};

use super::form::checked_form;
use super::page::{UiError, layout, page, redirect};
use crate::auth::Viewer;
use crate::state::AppState;

/// What a tokens page shows besides the list.
#[derive(Debug, Default)]
struct TokensExtra {
    new_token: Option<String>,
    error: Option<String>,
    label: String,
    scopes: Vec<String>,
}

async fn tokens_page(
    state: &AppState,
    viewer: &Viewer,
    headers: &HeaderMap,
    extra: TokensExtra,
) -> Result<Response, UiError> {
    let user = viewer.user.id;
    let may_read_projects = viewer.scopes.contains(Scope::ProjectRead);
    let (tokens, alert_email) = state
        .store_call(move |s| {
            let tokens = s.store.tokens(Some(user))?;
            let mut alert_email = Vec::new();
            if may_read_projects {
                let off = s.store.member_email_opt_outs(user)?;
                for project in super::project::all_projects(&*s.store)? {
                    alert_email.push(AlertEmailRow {
                        project_id: project.id.0,
                        project_name: project.name,
                        enabled: !off.contains(&project.id),
                    });
                }
            }
            Ok((tokens, alert_email))
        })
        .await?;
    let now = crate::now_ms();
    let rows = tokens
        .iter()
        .map(|t| {
            let created = Moment::from_millis(t.created_ms, now);
            let last_use = t.last_used_ms.map(|ms| Moment::from_millis(ms, now));
            TokenRow {
                id: t.id.0,
                label: t.label.clone(),
                scopes: t.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
                created: created.human,
                created_iso: created.iso,
                last_used: last_use.as_ref().map(|m| m.human.clone()),
                last_used_iso: last_use.map(|m| m.iso),
            }
        })
        .collect();
    let failed = extra.error.is_some();
    let tokens = TokensPage {
        layout: layout(viewer, headers, "API tokens", NavItem::Settings),
        tokens: rows,
        new_token: extra.new_token,
        error: extra.error,
        label: extra.label,
        scopes: extra.scopes,
        alert_email,
    };
    let mut response = page(headers, tokens.render());
    if failed {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

/// `GET /settings/tokens/`.
pub(super) async fn tokens(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
) -> Result<Response, UiError> {
    tokens_page(&state, &viewer, &headers, TokensExtra::default()).await
}

/// `POST /settings/tokens/`: `revoke=ID`, or create (`label`, `scope`...).
pub(super) async fn tokens_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, UiError> {
    let fields = checked_form(&state, &viewer, &headers, &body)?;
    let user = viewer.user.id;
    if let Ok(id) = fields.get("revoke").parse::<i64>() {
        let revoked = state
            .store_call(move |s| {
                // Only the viewer's own tokens.
                if !s.store.tokens(Some(user))?.iter().any(|t| t.id.0 == id) {
                    return Err(StoreError::not_found(format_args!("token {id}")));
                }
                s.store.revoke_token(TokenId(id))
            })
            .await;
        return match revoked {
            Ok(()) => Ok(redirect("/settings/tokens/", Some("Token revoked."))),
            Err(e) if e.is_not_found() => Err(UiError::NotFound("token".into())),
            Err(e) => Err(e.into()),
        };
    }
    let label = fields.get("label").trim().to_owned();
    let asked: Vec<String> = fields.all("scope").map(str::to_owned).collect();
    let mut scopes = Scopes::default();
    let mut error = None;
    for name in &asked {
        match Scope::parse(name) {
            Some(scope) if viewer.scopes.contains(scope) => scopes.insert(scope),
            Some(scope) => {
                error = Some(format!(
                    "You cannot grant {scope}: your own access does not include it."
                ));
            }
            None => error = Some(format!("Unknown scope {name:?}.")),
        }
    }
    if label.is_empty() || label.chars().count() > 100 {
        error = Some("A token needs a label of 1 to 100 characters.".into());
    } else if scopes.is_empty() && error.is_none() {
        error = Some("Pick at least one scope.".into());
    }
    if error.is_some() {
        let extra = TokensExtra {
            error,
            label,
            scopes: asked,
            new_token: None,
        };
        return tokens_page(&state, &viewer, &headers, extra).await;
    }
    let created = state
        .store_call(move |s| {
            s.store.create_token(&NewToken {
                user_id: user,
                label,
                scopes,
            })
        })
        .await?;
    let extra = TokensExtra {
        new_token: Some(created.secret),
        ..TokensExtra::default()
    };
    tokens_page(&state, &viewer, &headers, extra).await
}

/// `POST /settings/alert-email` with `project` (every project shown) and `email` (those
/// ticked): turns the viewer's alert email for each project on or off.
pub(super) async fn alert_email(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, UiError> {
    let fields = checked_form(&state, &viewer, &headers, &body)?;
    viewer.require(Scope::ProjectRead)?;
    let user = viewer.user.id;
    let shown: Vec<i64> = fields
        .all("project")
        .filter_map(|v| v.parse().ok())
        .collect();
    let ticked: Vec<i64> = fields.all("email").filter_map(|v| v.parse().ok()).collect();
    state
        .store_call(move |s| {
            let projects = super::project::all_projects(&*s.store)?;
            for id in shown {
                // Only existing projects; unknown ids are ignored.
                if projects.iter().any(|p| p.id.0 == id) {
                    s.store
                        .set_member_email_enabled(user, ProjectId(id), ticked.contains(&id))?;
                }
            }
            Ok(())
        })
        .await?;
    Ok(redirect("/settings/tokens/", Some("Alert email saved.")))
}

/// What a users page shows besides the list.
#[derive(Debug, Default)]
struct UsersExtra {
    generated: Option<GeneratedPassword>,
    error: Option<String>,
    email: String,
    name: String,
    role: String,
}

async fn users_page(
    state: &AppState,
    viewer: &Viewer,
    headers: &HeaderMap,
    extra: UsersExtra,
) -> Result<Response, UiError> {
    let users = state.store_call(|s| s.store.users()).await?;
    let rows = users
        .iter()
        .map(|u| UserRow {
            id: u.id.0,
            email: u.email.clone(),
            name: u.name.clone(),
            role: u.role.as_str().to_owned(),
            is_self: u.id == viewer.user.id,
        })
        .collect();
    let failed = extra.error.is_some();
    let users = UsersPage {
        layout: layout(viewer, headers, "Users", NavItem::Users),
        users: rows,
        generated: extra.generated,
        error: extra.error,
        email: extra.email,
        name: extra.name,
        role: extra.role,
    };
    let mut response = page(headers, users.render());
    if failed {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

/// `GET /settings/users/` (admins).
pub(super) async fn users(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
) -> Result<Response, UiError> {
    viewer.require(Scope::MemberAdmin)?;
    users_page(&state, &viewer, &headers, UsersExtra::default()).await
}

/// `POST /settings/users/`: `reset=ID`, or create (`email`, `name`, `role`).
pub(super) async fn users_submit(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, UiError> {
    let fields = checked_form(&state, &viewer, &headers, &body)?;
    viewer.require(Scope::MemberAdmin)?;
    let password = crate::generate_password();
    let hash = {
        let password = password.clone();
        state
            .workers
            .run(move || crate::hash_password(&password))
            .await?
            .map_err(|e| UiError::Store(StoreError::backend(format!("hashing failed: {e}"))))?
    };
    if let Ok(id) = fields.get("reset").parse::<i64>() {
        let user = state
            .store_call(move |s| {
                let user = s.store.set_user_password(UserId(id), &hash)?;
                s.store.delete_user_sessions(user.id)?;
                Ok(user)
            })
            .await
            .map_err(|e| super::page::not_found(e, "user"))?;
        let extra = UsersExtra {
            generated: Some(GeneratedPassword {
                email: user.email,
                password,
            }),
            ..UsersExtra::default()
        };
        return users_page(&state, &viewer, &headers, extra).await;
    }
    let email = fields.get("email").trim().to_owned();
    let name = fields.get("name").trim().to_owned();
    let role_name = fields.get("role").to_owned();
    let role = match role_name.as_str() {
        "admin" => Role::Admin,
        "member" | "" => Role::Member,
        other => {
            let extra = UsersExtra {
                error: Some(format!("Unknown role {other:?}: pick member or admin.")),
                email,
                name,
                role: role_name,
                ..UsersExtra::default()
            };
            return users_page(&state, &viewer, &headers, extra).await;
        }
    };
    let new = NewUser {
        email: email.clone(),
        name: name.clone(),
        role,
        password_hash: hash,
    };
    match state.store_call(move |s| s.store.create_user(&new)).await {
        Ok(user) => {
            let extra = UsersExtra {
                generated: Some(GeneratedPassword {
                    email: user.email,
                    password,
                }),
                ..UsersExtra::default()
            };
            users_page(&state, &viewer, &headers, extra).await
        }
        Err(e) if e.is_invalid() || e.is_conflict() => {
            let extra = UsersExtra {
                error: Some(format!("The user was not created: {e}.")),
                email,
                name,
                role: role_name,
                ..UsersExtra::default()
            };
            users_page(&state, &viewer, &headers, extra).await
        }
        Err(e) => Err(e.into()),
    }
}
