//! Projects in the UI: the list (`/projects/`), creation (`/projects/new`), and each
//! project's settings page (`/projects/{slug}/settings/`: name, quota, scrubbing; its DSN
//! keys created, disabled, enabled or rotated through `/projects/{slug}/keys`; its inbound
//! filters saved through `/projects/{slug}/filters`; setup snippets), and deletion
//! (`/projects/{slug}/delete`, admins only).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use errata_store::{
    EventQuota, FilterPatch, IssueFilter, IssueQuery, IssueSort, IssueStatus, KeyChange, KeyId,
    MAX_QUOTA_LIMIT, NewProject, Project, ProjectSettings, QuotaWindow, Scope, Store, StoreError,
};
use errata_web::event_view::Moment;
use errata_web::issue_detail::Period;
use errata_web::{
    FilterFields, KeyRow, NavItem, ProjectListPage, ProjectNewPage, ProjectRow, ProjectSettingsPage,
};

use super::form::{Fields, checked_form};
use super::page::{UiError, layout, not_found, page, redirect};
use super::trend;
use crate::auth::Viewer;
use crate::state::AppState;

/// Every project of the installation's organization, by slug.
pub(crate) fn all_projects(store: &dyn Store) -> errata_store::Result<Vec<Project>> {
    let mut projects = Vec::new();
    for org in store.organizations()? {
        projects.extend(store.projects(org.id)?);
    }
    Ok(projects)
}

fn by_slug(store: &dyn Store, slug: &str) -> errata_store::Result<Project> {
    all_projects(store)?
        .into_iter()
        .find(|p| p.slug == slug)
        .ok_or_else(|| StoreError::not_found(format_args!("project {slug:?}")))
}

/// How many unresolved issues the list counts per project at most.
const COUNT_CAP: usize = errata_store::MAX_PAGE;

/// `GET /projects/`.
pub(super) async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
) -> Result<Response, UiError> {
    viewer.require(Scope::ProjectRead)?;
    let now = crate::now_ms();
    let period = Period::Day;
    let rows = state
        .store_call(move |s| {
            let mut rows = Vec::new();
            for project in all_projects(&*s.store)? {
                let page = s.store.issues(&IssueQuery {
                    project_id: Some(project.id),
                    filter: IssueFilter {
                        status: Some(IssueStatus::Unresolved),
                        ..IssueFilter::default()
                    },
                    sort: IssueSort::LastSeen,
                    cursor: None,
                    limit: COUNT_CAP,
                })?;
                let ids: Vec<_> = page.items.iter().map(|i| i.id).collect();
                let counts = s
                    .store
                    .issue_hourly_counts(&ids, trend::start_ms(period, now))?;
                let mut total = vec![0_u64; period.buckets()];
                for buckets in trend::bucket(period, &ids, &counts, now).into_values() {
                    for (sum, n) in total.iter_mut().zip(buckets) {
                        *sum = sum.saturating_add(n);
                    }
                }
                rows.push(ProjectRow {
                    slug: project.slug,
                    name: project.name,
                    platform: project.platform.unwrap_or_default(),
                    unresolved_issues: page.items.len() as u64,
                    events_24h: total.iter().sum(),
                    sparkline: total,
                });
            }
            Ok(rows)
        })
        .await?;
    let list = ProjectListPage {
        layout: layout(&viewer, &headers, "Projects", NavItem::Projects),
        projects: rows,
        can_create: viewer.scopes.contains(Scope::ProjectAdmin),
    };
    Ok(page(&headers, list.render()))
}

/// `GET /projects/new`.
pub(super) async fn new_form(viewer: Viewer, headers: HeaderMap) -> Result<Response, UiError> {
    viewer.require(Scope::ProjectAdmin)?;
    let form = ProjectNewPage {
        layout: layout(&viewer, &headers, "New project", NavItem::Projects),
        name: String::new(),
        platform: String::new(),
        error: None,
    };
    Ok(page(&headers, form.render()))
}

/// `POST /projects/new`.
pub(super) async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, UiError> {
    let fields = checked_form(&state, &viewer, &headers, &body)?;
    viewer.require(Scope::ProjectAdmin)?;
    let name = fields.get("name").trim().to_owned();
    let platform = fields.get("platform").trim().to_owned();
    let again = |error: String| {
        let form = ProjectNewPage {
            layout: layout(&viewer, &headers, "New project", NavItem::Projects),
            name: name.clone(),
            platform: platform.clone(),
            error: Some(error),
        };
        let mut response = page(&headers, form.render());
        *response.status_mut() = axum::http::StatusCode::BAD_REQUEST;
        response
    };
    if name.is_empty() || name.chars().count() > errata_store::MAX_PROJECT_NAME_LEN {
        return Ok(again(format!(
            "A project name has 1 to {} characters.",
            errata_store::MAX_PROJECT_NAME_LEN
        )));
    }
    let slug = errata_store::slugify(&name);
    let new_name = name.clone();
    let new_platform = (!platform.is_empty()).then(|| platform.clone());
    let created = state
        .store_call(move |s| {
            let org = s
                .store
                .organizations()?
                .into_iter()
                .next()
                .ok_or_else(|| StoreError::not_found("organization"))?;
            s.store.create_project(&NewProject {
                organization_id: org.id,
                slug,
                name: new_name,
                platform: new_platform,
            })
        })
        .await;
    match created {
        Ok((project, _)) => Ok(redirect(
            &format!("/projects/{}/settings/", project.slug),
            Some("Project created. Point an SDK at its DSN."),
        )),
        Err(e) if e.is_conflict() || e.is_invalid() => Ok(again(format!(
            "That name cannot be used: {e}. Pick another."
        ))),
        Err(e) => Err(e.into()),
    }
}

/// A change the settings page refused, shown by the form that made it.
enum Refused {
    /// The general settings form.
    Settings(String),
    /// The inbound filters' form.
    Filters(String),
}

/// What the settings page shows.
async fn settings_page(
    state: &AppState,
    viewer: &Viewer,
    headers: &HeaderMap,
    slug: String,
    refused: Option<Refused>,
) -> Result<Response, UiError> {
    let (project, keys) = state
        .store_call(move |s| {
            let project = by_slug(&*s.store, &slug)?;
            let keys = s.store.project_keys(project.id)?;
            Ok((project, keys))
        })
        .await
        .map_err(|e| not_found(e, "project"))?;
    let now = crate::now_ms();
    let keys = keys
        .iter()
        .map(|k| {
            let created = Moment::from_millis(k.created_ms, now);
            KeyRow {
                id: k.id.0,
                label: k.label.clone(),
                dsn: state.dsn(&k.public_key, project.id.0),
                enabled: k.is_active,
                created: created.human,
                created_iso: created.iso,
            }
        })
        .collect();
    let mut settings = ProjectSettingsPage {
        layout: layout(
            viewer,
            headers,
            &format!("{} settings", project.name),
            NavItem::Projects,
        ),
        slug: project.slug.clone(),
        name: project.name.clone(),
        platform: project.platform.clone().unwrap_or_default(),
        rate_limit_per_minute: project.rate_limit_per_minute,
        quota_limit: project.event_quota.map(|q| q.limit),
        quota_window: project
            .event_quota
            .map_or("day", |q| q.window.as_str())
            .to_owned(),
        scrub_data: project.scrub_data,
        sensitive_fields: project.sensitive_fields.clone(),
        scrub_ip_addresses: project.scrub_ip_addresses,
        keys,
        filters: FilterFields {
            environments: project.filters.environments.clone(),
            releases: project.filters.releases.clone(),
            error_messages: project.filters.error_messages.clone(),
            web_crawlers: project.filters.web_crawlers,
            browser_extensions: project.filters.browser_extensions,
            localhost: project.filters.localhost,
        },
        error: None,
        filters_error: None,
    };
    let refused_something = refused.is_some();
    match refused {
        Some(Refused::Settings(why)) => settings.error = Some(why),
        Some(Refused::Filters(why)) => settings.filters_error = Some(why),
        None => {}
    }
    let mut response = page(headers, settings.render());
    if refused_something {
        *response.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

/// `GET /projects/{slug}/settings/`.
pub(super) async fn settings(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, UiError> {
    viewer.require(Scope::ProjectRead)?;
    settings_page(&state, &viewer, &headers, slug, None).await
}

/// `POST /projects/{slug}/settings/`.
pub(super) async fn save_settings(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(slug): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    let fields = checked_form(&state, &viewer, &headers, &body)?;
    viewer.require(Scope::ProjectWrite)?;
    let patch = match settings_patch(&fields) {
        Ok(patch) => patch,
        Err(e) => {
            return settings_page(&state, &viewer, &headers, slug, Some(Refused::Settings(e)))
                .await;
        }
    };
    let lookup = slug.clone();
    let saved = state
        .store_call(move |s| {
            let project = by_slug(&*s.store, &lookup)?;
            s.store.update_project_settings(project.id, &patch)
        })
        .await;
    match saved {
        Ok(_) => {
            state.keys.clear();
            Ok(redirect(
                &format!("/projects/{slug}/settings/"),
                Some("Settings saved."),
            ))
        }
        Err(e) if e.is_invalid() => {
            let refused = Refused::Settings(e.to_string());
            settings_page(&state, &viewer, &headers, slug, Some(refused)).await
        }
        Err(e) => Err(not_found(e, "project")),
    }
}

/// `POST /projects/{slug}/filters`: the inbound filters' form (every filter is on it, so
/// all are set; lists one entry per line).
pub(super) async fn save_filters(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(slug): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    let fields = checked_form(&state, &viewer, &headers, &body)?;
    viewer.require(Scope::ProjectWrite)?;
    let lines = |name: &str| fields.get(name).lines().map(str::to_owned).collect();
    let patch = ProjectSettings {
        filters: FilterPatch {
            environments: Some(lines("environments")),
            releases: Some(lines("releases")),
            error_messages: Some(lines("error_messages")),
            web_crawlers: Some(fields.checked("web_crawlers")),
            browser_extensions: Some(fields.checked("browser_extensions")),
            localhost: Some(fields.checked("localhost")),
        },
        ..ProjectSettings::default()
    };
    let lookup = slug.clone();
    let saved = state
        .store_call(move |s| {
            let project = by_slug(&*s.store, &lookup)?;
            s.store.update_project_settings(project.id, &patch)
        })
        .await;
    match saved {
        Ok(_) => {
            state.keys.clear();
            Ok(redirect(
                &format!("/projects/{slug}/settings/#inbound-filters"),
                Some("Inbound filters saved."),
            ))
        }
        Err(e) if e.is_invalid() => {
            let refused = Refused::Filters(e.to_string());
            settings_page(&state, &viewer, &headers, slug, Some(refused)).await
        }
        Err(e) => Err(not_found(e, "project")),
    }
}

/// The settings form as a patch (every field is on the form, so all are set).
fn settings_patch(fields: &Fields) -> Result<ProjectSettings, String> {
    let quota = fields
        .number("quota_limit", "The event quota", MAX_QUOTA_LIMIT)?
        .map(|limit| EventQuota {
            limit,
            window: QuotaWindow::parse(fields.get("quota_window")).unwrap_or(QuotaWindow::Day),
        });
    let rate_limit = fields.number(
        "rate_limit",
        "The rate limit",
        errata_store::MAX_RATE_LIMIT_PER_MINUTE,
    )?;
    let sensitive_fields = fields
        .get("sensitive_fields")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    Ok(ProjectSettings {
        name: Some(fields.get("name").to_owned()),
        scrub_data: Some(fields.checked("scrub_data")),
        sensitive_fields: Some(sensitive_fields),
        scrub_ip_addresses: Some(fields.checked("scrub_ip_addresses")),
        event_quota: Some(quota),
        rate_limit_per_minute: Some(rate_limit),
        filters: FilterPatch::default(),
    })
}

/// `POST /projects/{slug}/keys`: create, disable, enable or rotate a key.
pub(super) async fn keys(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(slug): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    let fields = checked_form(&state, &viewer, &headers, &body)?;
    viewer.require(Scope::ProjectWrite)?;
    let back = format!("/projects/{slug}/settings/");
    let action = fields.get("action").to_owned();
    let key: Option<i64> = fields.get("key").parse().ok();
    let label = fields.get("label").to_owned();
    let change = match action.as_str() {
        "create" => None,
        "disable" => Some(KeyChange::Disable),
        "enable" => Some(KeyChange::Enable),
        "rotate" => Some(KeyChange::Rotate),
        other => {
            return Ok(redirect(
                &back,
                Some(&format!("Unknown action {other:?}; nothing changed.")),
            ));
        }
    };
    let message = state
        .store_call(move |s| {
            let project = by_slug(&*s.store, &slug)?;
            let Some(change) = change else {
                s.store.create_key(project.id, &label)?;
                return Ok("Key created.");
            };
            let id = key.ok_or_else(|| StoreError::invalid("no key given"))?;
            // Only a key of this project.
            if !s
                .store
                .project_keys(project.id)?
                .iter()
                .any(|k| k.id.0 == id)
            {
                return Err(StoreError::not_found(format_args!("key {id}")));
            }
            s.store.change_key(KeyId(id), change)?;
            Ok(match change {
                KeyChange::Disable => "Key disabled: its DSN is refused from now on.",
                KeyChange::Enable => "Key enabled.",
                KeyChange::Rotate => "Key rotated: the old DSN is refused from now on.",
            })
        })
        .await
        .map_err(|e| not_found(e, "project or key"))?;
    // The ingest key cache must not keep serving the old state.
    state.keys.clear();
    Ok(redirect(&back, Some(message)))
}

/// `POST /projects/{slug}/delete`.
pub(super) async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(slug): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    checked_form(&state, &viewer, &headers, &body)?;
    viewer.require(Scope::ProjectAdmin)?;
    state
        .store_call(move |s| {
            let project = by_slug(&*s.store, &slug)?;
            s.store.delete_project(project.id)
        })
        .await
        .map_err(|e| not_found(e, "project"))?;
    state.keys.clear();
    Ok(redirect("/projects/", Some("Project deleted.")))
}
