//! The issue page: `GET /issues/{id}/` (latest event) and `/issues/{id}/events/{event}/`
//! read the issue, the event and everything around them in one store call, then build
//! the view (event JSON, grouping explanation) and render it on the worker pool. Also the
//! raw event JSON, attachment downloads (never rendered on our origin), and the status
//! form (`POST /issues/{id}/status`), and filing the issue in a GitHub or GitLab channel
//! of its project (`POST /issues/{id}/tracker`).

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use errata_store::{
    Activity, ActivityKind, Actor, Attachment, AttachmentId, Channel, ChannelId, EventNavigation,
    IgnoreUntil, Issue, IssueId, IssueLink, IssueStatus, Project, Resolution, Scope, StatusChange,
    StoreError, StoredEvent, TagValueCount, USER_TAG, UserReport, Uuid,
};
use errata_web::event_view::Moment;
use errata_web::issue_detail::{
    ActivityEntry, EventNav, Feedback, GroupingView, IssueHeader, Period, TagDistribution,
    TrackerLink, TrackerTarget, Trackers, Trend,
};
use errata_web::{EventView, IssueDetail, NavItem};

use super::form::checked_form;
use super::page::{UiError, display_name, layout, not_found, page, redirect};
use super::trend;
use crate::api::issue::short_id;
use crate::auth::Viewer;
use crate::state::AppState;

/// `?period=` of the page.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct DetailParams {
    period: Option<String>,
}

/// Everything the page shows, read in one store call.
struct Loaded {
    issue: Issue,
    project: Project,
    event: Option<StoredEvent>,
    navigation: EventNavigation,
    tags: Vec<TagValueCount>,
    counts: Vec<errata_store::HourCount>,
    attachments: Vec<Attachment>,
    reports: Vec<UserReport>,
    activity: Vec<Activity>,
    /// Tracker issues made from it, and its project's enabled tracker channels.
    links: Vec<IssueLink>,
    trackers: Vec<Channel>,
}

fn parse_event_id(raw: &str) -> Result<Uuid, UiError> {
    Uuid::parse_str(raw).map_err(|_| UiError::NotFound(format!("event {raw:?}")))
}

/// `GET /issues/{id}/`.
pub(super) async fn latest(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(params): Query<DetailParams>,
) -> Result<Response, UiError> {
    show(state, viewer, headers, IssueId(id), None, params).await
}

/// `GET /issues/{id}/events/{event_id}/`.
pub(super) async fn one_event(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path((id, event_id)): Path<(i64, String)>,
    Query(params): Query<DetailParams>,
) -> Result<Response, UiError> {
    let event_id = parse_event_id(&event_id)?;
    show(state, viewer, headers, IssueId(id), Some(event_id), params).await
}

async fn show(
    state: AppState,
    viewer: Viewer,
    headers: HeaderMap,
    id: IssueId,
    event_id: Option<Uuid>,
    params: DetailParams,
) -> Result<Response, UiError> {
    viewer.require(Scope::EventRead)?;
    let now = crate::now_ms();
    let period = Period::from_param(params.period.as_deref());
    let loaded = state
        .store_call(move |s| {
            let store = &*s.store;
            let issue = store.issue(id)?;
            let project = store.project(issue.project_id)?;
            let event = match event_id {
                Some(event_id) => {
                    let event = store.event(issue.project_id, event_id)?;
                    if event.row.issue_id != id {
                        return Err(StoreError::not_found("event of this issue"));
                    }
                    Some(event)
                }
                None => match store.latest_event(id) {
                    Ok(event) => Some(event),
                    Err(e) if e.is_not_found() => None,
                    Err(e) => return Err(e),
                },
            };
            let (navigation, attachments) = match &event {
                Some(e) => (
                    store.event_navigation(id, e.row.event_id)?,
                    store.attachments(issue.project_id, e.row.event_id)?,
                ),
                None => (EventNavigation::default(), Vec::new()),
            };
            Ok(Loaded {
                tags: store.issue_tags(id)?,
                counts: store.issue_hourly_counts(&[id], trend::start_ms(period, now))?,
                reports: store.issue_user_reports(id)?,
                activity: store.issue_activity(id)?,
                links: store.issue_links(id)?,
                trackers: store
                    .channels(issue.project_id)?
                    .into_iter()
                    .filter(|c| c.enabled && c.kind.is_tracker())
                    .collect(),
                navigation,
                attachments,
                event,
                project,
                issue,
            })
        })
        .await
        .map_err(|e| not_found(e, format!("issue {id}")))?;
    let layout = layout(&viewer, &headers, &loaded.issue.title, NavItem::Issues);
    let may_file = viewer.scopes.contains(Scope::EventWrite);
    let html = state
        .workers
        .run(move || render(loaded, layout, period, now, may_file))
        .await??;
    Ok(page(&headers, html))
}

/// Builds the view and renders it (CPU work: JSON parsing, grouping, templates).
fn render(
    loaded: Loaded,
    layout: errata_web::Layout,
    period: Period,
    now: i64,
    may_file: bool,
) -> Result<String, UiError> {
    let Loaded {
        issue,
        project,
        event,
        navigation,
        tags,
        counts,
        attachments,
        reports,
        activity,
        links,
        trackers,
    } = loaded;
    let ids = [issue.id];
    let buckets = trend::bucket(period, &ids, &counts, now)
        .remove(&issue.id)
        .unwrap_or_default();
    let (event_view, grouping, nav) = match &event {
        Some(stored) => {
            let json: serde_json::Value =
                serde_json::from_slice(&stored.payload).unwrap_or(serde_json::Value::Null);
            let grouping = crate::api::grouping::explain(&stored.payload, stored.row.received_ms)
                .ok()
                .and_then(|(json, _)| GroupingView::from_json(&json));
            let hex = |u: Option<Uuid>| u.map(|u| u.simple().to_string());
            let (oldest, prev, next, latest) = (
                hex(navigation.oldest),
                hex(navigation.previous),
                hex(navigation.next),
                hex(navigation.latest),
            );
            let nav = EventNav::new(
                issue.id.0,
                &stored.row.event_id.simple().to_string(),
                oldest.as_deref(),
                prev.as_deref(),
                next.as_deref(),
                latest.as_deref(),
            );
            (Some(EventView::new(&json)), grouping, nav)
        }
        None => (None, None, EventNav::default()),
    };
    let detail = IssueDetail {
        layout,
        issue: header(&issue, &project, now),
        trend: Trend {
            counts: buckets,
            start_secs: trend::start_ms(period, now) / 1000,
            period,
        },
        tags: distributions(&tags),
        nav,
        event: event_view,
        attachments: attachments
            .iter()
            .map(|a| {
                errata_web::issue_detail::Attachment::new(
                    issue.id.0,
                    &a.id.to_string(),
                    &a.name,
                    a.size,
                )
            })
            .collect(),
        feedback: reports
            .iter()
            .map(|r| Feedback {
                name: r.fields.name.clone(),
                email: r.fields.email.clone(),
                comments: r.fields.comments.clone(),
                when: Moment::from_millis(r.created_ms, now),
            })
            .collect(),
        grouping,
        activity: activity.iter().rev().map(|a| entry(a, now)).collect(),
        trackers: Trackers {
            links: links
                .iter()
                .map(|l| TrackerLink {
                    kind: l.kind.as_str().to_owned(),
                    url: l.url.clone(),
                    reference: l.reference.clone(),
                })
                .collect(),
            targets: trackers
                .iter()
                .filter(|_| may_file)
                .map(|c| TrackerTarget {
                    channel_id: c.id.0,
                    kind: c.kind.as_str().to_owned(),
                    name: c.name.clone(),
                })
                .collect(),
        },
    };
    detail
        .render_html()
        .map_err(|e| UiError::Store(StoreError::backend(format!("rendering failed: {e}"))))
}

fn header(issue: &Issue, project: &Project, now: i64) -> IssueHeader {
    IssueHeader {
        id: issue.id.0,
        short_id: short_id(&project.slug, issue.short_id),
        title: issue.title.clone(),
        culprit: issue.culprit.clone(),
        level: issue.level.as_str().to_owned(),
        status: match issue.status {
            IssueStatus::Unresolved => errata_web::issue_detail::IssueStatus::Unresolved,
            IssueStatus::Resolved => errata_web::issue_detail::IssueStatus::Resolved,
            IssueStatus::Ignored => errata_web::issue_detail::IssueStatus::Ignored,
        },
        status_detail: issue
            .details
            .describe(issue.status)
            .filter(|d| d != "Resolved"),
        is_regressed: issue.is_regressed(now),
        is_new: issue.is_new(now),
        project_slug: project.slug.clone(),
        project_name: project.name.clone(),
        first_seen: Moment::from_millis(issue.first_seen_ms, now),
        last_seen: Moment::from_millis(issue.last_seen_ms, now),
        first_release: issue.first_release.clone(),
        last_release: issue.last_release.clone(),
        events: issue.times_seen,
        users: issue.user_count,
    }
}

/// How many values of a tag the panel shows.
const TOP_VALUES: usize = 5;

/// The keys shown first, in this order; the others follow by name.
const FIRST_KEYS: [&str; 7] = [
    "environment",
    "release",
    USER_TAG,
    "server_name",
    "browser.name",
    "os.name",
    "level",
];

fn distributions(tags: &[TagValueCount]) -> Vec<TagDistribution> {
    let mut by_key: BTreeMap<&str, Vec<&TagValueCount>> = BTreeMap::new();
    for t in tags {
        by_key.entry(t.key.as_str()).or_default().push(t);
    }
    let rank = |key: &str| {
        FIRST_KEYS
            .iter()
            .position(|k| *k == key)
            .unwrap_or(usize::MAX)
    };
    let mut keys: Vec<&str> = by_key.keys().copied().collect();
    keys.sort_by_key(|k| (rank(k), *k));
    keys.into_iter()
        .map(|key| {
            let values = &by_key[key];
            let total = values
                .iter()
                .fold(0_u64, |sum, v| sum.saturating_add(v.times_seen));
            let top = values
                .iter()
                .take(TOP_VALUES)
                .map(|v| (v.value.clone(), v.times_seen))
                .collect();
            TagDistribution::new(key, total, top)
        })
        .collect()
}

fn entry(a: &Activity, now: i64) -> ActivityEntry {
    let text = match a.kind {
        ActivityKind::FirstSeen => "First seen".to_owned(),
        ActivityKind::Resolved => "Resolved".to_owned(),
        ActivityKind::ResolvedInNextRelease => "Resolved in the next release".to_owned(),
        ActivityKind::ResolvedInRelease => format!("Resolved in release {}", a.detail),
        ActivityKind::Unresolved => "Unresolved".to_owned(),
        ActivityKind::Ignored => format!("Ignored {}", a.detail),
        ActivityKind::Unignored => format!("Came back as unresolved: {}", a.detail),
        ActivityKind::Regression if a.detail.is_empty() => "Regressed".to_owned(),
        ActivityKind::Regression => format!("Regressed ({})", a.detail),
    };
    ActivityEntry {
        when: Moment::from_millis(a.created_ms, now),
        who: if a.actor.name.is_empty() {
            "Errata".to_owned()
        } else {
            a.actor.name.clone()
        },
        text,
    }
}

/// `GET /issues/{id}/events/{event_id}/json`: the stored event as JSON, inert.
pub(super) async fn raw_json(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, event_id)): Path<(i64, String)>,
) -> Result<Response, UiError> {
    viewer.require(Scope::EventRead)?;
    let event_id = parse_event_id(&event_id)?;
    let id = IssueId(id);
    let stored = state
        .store_call(move |s| {
            let issue = s.store.issue(id)?;
            let event = s.store.event(issue.project_id, event_id)?;
            if event.row.issue_id != id {
                return Err(StoreError::not_found("event of this issue"));
            }
            Ok(event)
        })
        .await
        .map_err(|e| not_found(e, "event"))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("sandbox; default-src 'none'"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        stored.payload,
    )
        .into_response())
}

/// `GET /issues/{id}/attachments/{attachment_id}`: a download, never rendered here.
pub(super) async fn attachment(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, attachment_id)): Path<(i64, i64)>,
) -> Result<Response, UiError> {
    viewer.require(Scope::EventRead)?;
    let id = IssueId(id);
    let (meta, data) = state
        .store_call(move |s| {
            let issue = s.store.issue(id)?;
            let (meta, data) = s
                .store
                .attachment_data(issue.project_id, AttachmentId(attachment_id))?;
            if meta.issue_id != id {
                return Err(StoreError::not_found("attachment of this issue"));
            }
            Ok((meta, data))
        })
        .await
        .map_err(|e| not_found(e, "attachment"))?;
    let filename: String = meta
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("sandbox; default-src 'none'"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        data,
    )
        .into_response())
}

/// `POST /issues/{id}/status`: the actions form.
pub(super) async fn change_status(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, UiError> {
    let fields = checked_form(&state, &viewer, &headers, &body)?;
    let id = IssueId(id);
    let back = format!("/issues/{id}/");
    let max = crate::api::status::MAX_IGNORE_NUMBER;
    let change = match fields.get("action") {
        "resolve" => StatusChange::Resolve(Resolution::Now),
        "resolve_next_release" => StatusChange::Resolve(Resolution::InNextRelease),
        "unresolve" => StatusChange::Unresolve,
        "ignore" => {
            let read = |name, label| fields.number(name, label, max);
            let until = match (
                read("ignore_minutes", "The duration"),
                read("ignore_count", "The number of events"),
                read("ignore_users", "The number of users"),
            ) {
                (Ok(minutes), Ok(events), Ok(users)) => IgnoreUntil {
                    minutes,
                    events,
                    users,
                },
                (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
                    return Ok(redirect(&back, Some(&e)));
                }
            };
            StatusChange::Ignore(until)
        }
        "delete" => {
            viewer.require(Scope::EventAdmin)?;
            state
                .store_call(move |s| s.store.delete_issue(id))
                .await
                .map_err(|e| not_found(e, format!("issue {id}")))?;
            return Ok(redirect("/issues/", Some("Issue deleted.")));
        }
        other => {
            return Ok(redirect(
                &back,
                Some(&format!("Unknown action {other:?}; nothing changed.")),
            ));
        }
    };
    viewer.require(Scope::EventWrite)?;
    let actor = Actor::user(viewer.user.id, display_name(&viewer));
    let updated = state
        .store_call(move |s| s.store.change_issue_status(id, &change, &actor))
        .await
        .map_err(|e| not_found(e, format!("issue {id}")))?;
    let message = updated
        .details
        .describe(updated.status)
        .unwrap_or_else(|| "Unresolved".to_owned());
    Ok(redirect(&back, Some(&format!("{message}."))))
}

/// `POST /issues/{id}/tracker` with `channel`: files the issue in that GitHub or GitLab
/// channel of its project now, records the link, and goes back to the issue with the
/// outcome as the flash message.
pub(super) async fn file_in_tracker(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, UiError> {
    let fields = checked_form(&state, &viewer, &headers, &body)?;
    viewer.require(Scope::EventWrite)?;
    let back = format!("/issues/{id}/");
    let Ok(channel_id) = fields.get("channel").parse::<i64>() else {
        return Ok(redirect(&back, Some("No tracker was chosen.")));
    };
    let (issue, channel) = state
        .store_call(move |s| {
            let issue = s.store.issue(IssueId(id))?;
            let channel = s.store.channel(ChannelId(channel_id))?;
            if channel.project_id != issue.project_id
                || !channel.kind.is_tracker()
                || !channel.enabled
            {
                return Err(StoreError::not_found("tracker channel of this project"));
            }
            Ok((issue, channel))
        })
        .await
        .map_err(|e| not_found(e, "issue or tracker"))?;
    let name = errata_web::alerts::kind_label(channel.kind.as_str()).to_owned();
    let message = match crate::alert::file_in_tracker(&state, &issue, &channel).await {
        Ok(link) => format!("{name} issue {} created.", link.reference),
        Err(why) => format!("The {name} issue was not created: {why}"),
    };
    Ok(redirect(&back, Some(&message)))
}
