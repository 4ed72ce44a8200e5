//! The issue list, across projects (`/issues/`) and per project
//! (`/projects/{slug}/issues/`): Sentry's search syntax, four orders, cursor pages, a
//! sparkline per row from the hourly counts; bulk resolve / ignore / unresolve / delete
//! (`POST /issues/bulk`); and `GET /issues/poll`, which tells the page's script how many
//! issues appeared since it was rendered.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use errata_store::{
    Actor, Issue, IssueFilter, IssueId, IssueQuery, IssueSort, Project, ProjectId, Scope,
    StatusChange,
};
use errata_web::event_view::Moment;
use errata_web::{IssueListPage, IssueRow, NavItem, ProjectLink};
use serde_json::json;

use super::form::{checked_form, local_path};
use super::page::{UiError, display_name, layout, not_found, page, redirect};
use super::project::all_projects;
use super::trend;
use crate::api::issue::short_id;
use crate::auth::Viewer;
use crate::state::AppState;
use errata_web::issue_detail::Period;

/// The search when the page is opened without one (Sentry's default).
const DEFAULT_QUERY: &str = "is:unresolved";

/// How many issues a page shows.
const PAGE_SIZE: usize = 50;

/// The list's query string.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct ListParams {
    query: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
    period: Option<String>,
}

/// `GET /issues/`.
pub(super) async fn all(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Query(params): Query<ListParams>,
) -> Result<Response, UiError> {
    list(state, viewer, headers, None, params).await
}

/// `GET /projects/{slug}/issues/`.
pub(super) async fn of_project(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Query(params): Query<ListParams>,
) -> Result<Response, UiError> {
    list(state, viewer, headers, Some(slug), params).await
}

async fn list(
    state: AppState,
    viewer: Viewer,
    headers: HeaderMap,
    slug: Option<String>,
    params: ListParams,
) -> Result<Response, UiError> {
    viewer.require(Scope::EventRead)?;
    let now = crate::now_ms();
    let query_text = params.query.unwrap_or_else(|| DEFAULT_QUERY.to_owned());
    let sort = params
        .sort
        .as_deref()
        .and_then(|s| IssueSort::parse(s).ok())
        .unwrap_or_default();
    let period = Period::from_param(params.period.as_deref());
    let (filter, error) = match IssueFilter::parse(&query_text) {
        Ok(filter) => (Some(filter), None),
        Err(e) => (None, Some(format!("This search does not work: {e}"))),
    };
    let cursor = params.cursor.filter(|c| !c.is_empty());
    let this_page = cursor.clone();
    let found = state
        .store_call(move |s| {
            let projects = all_projects(&*s.store)?;
            let project = match &slug {
                Some(slug) => Some(
                    projects
                        .iter()
                        .find(|p| &p.slug == slug)
                        .cloned()
                        .ok_or_else(|| errata_store::StoreError::not_found("project"))?,
                ),
                None => None,
            };
            let Some(filter) = filter else {
                return Ok((projects, project, Vec::new(), None, Vec::new()));
            };
            let page = s.store.issues(&IssueQuery {
                project_id: project.as_ref().map(|p| p.id),
                filter,
                sort,
                cursor,
                limit: PAGE_SIZE,
            })?;
            let ids: Vec<IssueId> = page.items.iter().map(|i| i.id).collect();
            let counts = s
                .store
                .issue_hourly_counts(&ids, trend::start_ms(period, now))?;
            Ok((projects, project, page.items, page.next_cursor, counts))
        })
        .await;
    let (projects, project, issues, next_cursor, counts) =
        found.map_err(|e| not_found(e, "project"))?;
    let ids: Vec<IssueId> = issues.iter().map(|i| i.id).collect();
    let mut buckets = trend::bucket(period, &ids, &counts, now);
    let slugs: HashMap<ProjectId, &Project> = projects.iter().map(|p| (p.id, p)).collect();
    let rows = issues
        .iter()
        .map(|issue| {
            row(
                issue,
                &slugs,
                buckets.remove(&issue.id).unwrap_or_default(),
                now,
            )
        })
        .collect();
    let link = |p: &Project| ProjectLink {
        slug: p.slug.clone(),
        name: p.name.clone(),
    };
    let title = project
        .as_ref()
        .map_or_else(|| "Issues".to_owned(), |p| format!("{} issues", p.name));
    let list = IssueListPage {
        layout: layout(&viewer, &headers, &title, NavItem::Issues),
        project: project.as_ref().map(link),
        projects: projects.iter().map(link).collect(),
        query: query_text,
        sort: sort.as_str().to_owned(),
        period: period.param().to_owned(),
        rows,
        cursor: this_page,
        next_cursor,
        poll_since_ms: u64::try_from(now).unwrap_or(0),
        error,
    };
    let html = state.workers.run(move || list.render()).await?;
    Ok(page(&headers, html))
}

fn row(
    issue: &Issue,
    projects: &HashMap<ProjectId, &Project>,
    sparkline: Vec<u64>,
    now: i64,
) -> IssueRow {
    let slug = projects
        .get(&issue.project_id)
        .map(|p| p.slug.clone())
        .unwrap_or_default();
    let first = Moment::from_millis(issue.first_seen_ms, now);
    let last = Moment::from_millis(issue.last_seen_ms, now);
    IssueRow {
        id: issue.id.0,
        short_id: short_id(&slug, issue.short_id),
        title: issue.title.clone(),
        culprit: issue.culprit.clone(),
        level: issue.level.as_str().to_owned(),
        project_slug: slug,
        events: issue.times_seen,
        users: issue.user_count,
        first_seen: first.human,
        first_seen_iso: first.iso,
        last_seen: last.human,
        last_seen_iso: last.iso,
        sparkline,
        is_new: issue.is_new(now),
        is_regressed: issue.is_regressed(now),
        status: issue.status.as_str().to_owned(),
        href: format!("/issues/{}/", issue.id),
    }
}

/// `POST /issues/bulk`: `action` on every `issue` of the form.
pub(super) async fn bulk(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, UiError> {
    let fields = checked_form(&state, &viewer, &headers, &body)?;
    let next = local_path(fields.get("next"), "/issues/").to_owned();
    let action = fields.get("action").to_owned();
    let change = match action.as_str() {
        "resolve" => Some(StatusChange::Resolve(errata_store::Resolution::Now)),
        "ignore" => Some(StatusChange::Ignore(errata_store::IgnoreUntil::default())),
        "unresolve" => Some(StatusChange::Unresolve),
        "delete" => None,
        other => {
            return Ok(redirect(
                &next,
                Some(&format!("Unknown action {other:?}; nothing changed.")),
            ));
        }
    };
    viewer.require(if change.is_some() {
        Scope::EventWrite
    } else {
        Scope::EventAdmin
    })?;
    let ids: Vec<IssueId> = fields
        .all("issue")
        .filter_map(|id| id.parse().ok())
        .map(IssueId)
        .take(errata_store::MAX_PAGE)
        .collect();
    if ids.is_empty() {
        return Ok(redirect(&next, Some("Select issues first.")));
    }
    let actor = Actor::user(viewer.user.id, display_name(&viewer));
    let done = state
        .store_call(move |s| {
            let mut done = 0_usize;
            for id in ids {
                let result = match &change {
                    Some(change) => s.store.change_issue_status(id, change, &actor).map(drop),
                    None => s.store.delete_issue(id),
                };
                match result {
                    Ok(()) => done += 1,
                    Err(e) if e.is_not_found() => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(done)
        })
        .await?;
    let verb = match action.as_str() {
        "resolve" => "Resolved",
        "ignore" => "Ignored",
        "unresolve" => "Unresolved",
        _ => "Deleted",
    };
    let plural = if done == 1 { "" } else { "s" };
    Ok(redirect(
        &next,
        Some(&format!("{verb} {done} issue{plural}.")),
    ))
}

/// `?since=&query=&project=` of the poll.
#[derive(Debug, serde::Deserialize)]
pub(super) struct PollParams {
    since: i64,
    query: Option<String>,
    project: Option<String>,
}

/// `GET /issues/poll`: `{"new": n}`, the issues matching the query first seen after
/// `since` (counted up to one page).
pub(super) async fn poll(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<PollParams>,
) -> Result<Response, UiError> {
    viewer.require(Scope::EventRead)?;
    let Ok(filter) = IssueFilter::parse(params.query.as_deref().unwrap_or(DEFAULT_QUERY)) else {
        return Ok(Json(json!({ "new": 0 })).into_response());
    };
    let since = params.since;
    let slug = params.project;
    let new = state
        .store_call(move |s| {
            let project = match &slug {
                Some(slug) => all_projects(&*s.store)?
                    .into_iter()
                    .find(|p| &p.slug == slug)
                    .map(|p| p.id),
                None => None,
            };
            let page = s.store.issues(&IssueQuery {
                project_id: project,
                filter,
                sort: IssueSort::FirstSeen,
                cursor: None,
                limit: errata_store::MAX_PAGE,
            })?;
            Ok(page
                .items
                .iter()
                .take_while(|i| i.first_seen_ms > since)
                .count())
        })
        .await?;
    Ok(Json(json!({ "new": new })).into_response())
}
