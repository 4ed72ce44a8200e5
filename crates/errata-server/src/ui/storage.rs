//! The storage page (`/settings/storage/`, admins): [`crate::storage::report`] over every
//! project, shown by `errata_web::StoragePage`.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use errata_store::Scope;
use errata_web::{DeletedRow, NavItem, StoragePage, StorageRow};

use super::page::{UiError, layout, page};
use super::project::all_projects;
use crate::auth::Viewer;
use crate::state::AppState;

/// `2026-12-02 15:04 UTC`.
fn when(ms: i64) -> String {
    let iso = crate::api::iso8601(ms);
    format!("{} UTC", iso.get(..16).unwrap_or(&iso).replace('T', " "))
}

/// `GET /settings/storage/` (admins).
pub(super) async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
) -> Result<Response, UiError> {
    viewer.require(Scope::MemberAdmin)?;
    let report = state
        .store_call(|s| {
            let projects = all_projects(&*s.store)?;
            crate::storage::report(
                s.store.as_ref(),
                &projects,
                &s.config.retention,
                &s.retention.snapshot(),
                crate::now_ms(),
            )
        })
        .await?;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let whole = |x: f64| x.max(0.0).round() as u64;
    let view = StoragePage {
        layout: layout(&viewer, &headers, "Storage", NavItem::Storage),
        disk_bytes: report.footprint.disk_bytes,
        live_bytes: report.footprint.live_bytes,
        budget_bytes: report.budget_bytes,
        retention_days: report.retention_days,
        project_max_events: report.project_max_events,
        events: report.events,
        bytes_per_day: whole(report.bytes_per_day),
        days_until_full: report.days_until_full,
        days_held: report.days_held,
        deleted: report
            .deleted
            .iter()
            .map(|(reason, d)| DeletedRow {
                reason: reason.as_str().to_owned(),
                events: d.events,
                stored_bytes: d.stored_bytes,
            })
            .collect(),
        last_pass: report.last_pass_ms.map(when),
        projects: report
            .projects
            .iter()
            .map(|p| StorageRow {
                slug: p.slug.clone(),
                name: p.name.clone(),
                events: p.events,
                stored_bytes: p.stored_bytes,
                live_bytes: p.live_bytes,
                oldest: p.oldest_received_ms.map(when),
                events_per_day: whole(p.events_per_day),
                bytes_per_day: whole(p.bytes_per_day),
            })
            .collect(),
    };
    Ok(page(&headers, view.render()))
}
