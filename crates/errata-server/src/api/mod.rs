//! The Web API under `/api/0/`: a Sentry-compatible subset, with Sentry's paths and field
//! names (camelCase, ids as strings, ISO 8601 dates), so existing tools (sentry-cli,
//! integrations) work. Every route needs a [`crate::auth::Viewer`]: `Authorization:
//! Bearer <token>` or the UI's session cookie (writes by session also need the
//! `X-CSRF-Token` header and a same-origin `Origin`); each handler requires the scope
//! Sentry requires (`event:read` to read issues and events, `event:write` to change an
//! issue's status, `event:admin` to delete one, `project:read`/`project:write` for
//! projects, keys, alert rules and channels, `org:read` for organizations). Errors are [`ApiError`]s rendered
//! as `{"detail": ...}`.
//!
//! [`ROUTES`] is the one table of paths: the router is built from it (each path answers
//! with and without its trailing slash) and the test of `docs/openapi.json` checks that
//! every path and method in it is documented. View models are built by hand from store
//! rows, one module per resource.

mod alert_rule;
mod attachment;
pub(crate) mod channel;
mod date;
pub mod error;
mod event;
mod filter;
pub(crate) mod grouping;
pub(crate) mod issue;
mod key;
mod organization;
mod outcome;
mod pagination;
mod project;
mod root;
pub(crate) mod status;
mod storage;
mod tag;
mod user_report;

use axum::Router;
use axum::routing::{MethodRouter, get, post, put};

use crate::state::AppState;
pub use date::iso8601;
pub use error::ApiError;

/// One route: its path (axum and `OpenAPI` share the `{param}` syntax), the methods it
/// answers, and its handlers.
struct Route {
    path: &'static str,
    methods: &'static [&'static str],
    handler: fn() -> MethodRouter<AppState>,
}

/// Every route of the Web API. Paths end with `/` as Sentry's do.
const ROUTES: &[Route] = &[
    Route {
        path: "/api/0/",
        methods: &["get"],
        handler: || get(root::index),
    },
    Route {
        path: "/api/0/organizations/",
        methods: &["get"],
        handler: || get(organization::list),
    },
    Route {
        path: "/api/0/organizations/{org}/",
        methods: &["get"],
        handler: || get(organization::detail),
    },
    Route {
        path: "/api/0/organizations/{org}/storage/",
        methods: &["get"],
        handler: || get(storage::organization),
    },
    Route {
        path: "/api/0/organizations/{org}/projects/",
        methods: &["get"],
        handler: || get(project::list),
    },
    Route {
        path: "/api/0/projects/{org}/{project}/",
        methods: &["get", "put"],
        handler: || get(project::detail).put(project::update),
    },
    Route {
        path: "/api/0/projects/{org}/{project}/filters/",
        methods: &["get"],
        handler: || get(filter::list),
    },
    Route {
        path: "/api/0/projects/{org}/{project}/filters/{filter_id}/",
        methods: &["put"],
        handler: || put(filter::update),
    },
    Route {
        path: "/api/0/projects/{org}/{project}/keys/",
        methods: &["get"],
        handler: || get(key::list),
    },
    Route {
        path: "/api/0/projects/{org}/{project}/rules/",
        methods: &["get", "post"],
        handler: || get(alert_rule::list).post(alert_rule::create),
    },
    Route {
        path: "/api/0/projects/{org}/{project}/rules/{rule_id}/",
        methods: &["get", "put", "delete"],
        handler: || {
            get(alert_rule::detail)
                .put(alert_rule::update)
                .delete(alert_rule::remove)
        },
    },
    Route {
        path: "/api/0/projects/{org}/{project}/alert-channels/",
        methods: &["get", "post"],
        handler: || get(channel::list).post(channel::create),
    },
    Route {
        path: "/api/0/projects/{org}/{project}/alert-channels/{channel_id}/",
        methods: &["get", "put", "delete"],
        handler: || {
            get(channel::detail)
                .put(channel::update)
                .delete(channel::remove)
        },
    },
    Route {
        path: "/api/0/projects/{org}/{project}/alert-channels/{channel_id}/test/",
        methods: &["post"],
        handler: || post(channel::test),
    },
    Route {
        path: "/api/0/projects/{org}/{project}/alert-deliveries/",
        methods: &["get"],
        handler: || get(channel::deliveries),
    },
    Route {
        path: "/api/0/projects/{org}/{project}/issues/",
        methods: &["get", "put"],
        handler: || get(issue::list).put(issue::bulk_update),
    },
    Route {
        path: "/api/0/projects/{org}/{project}/storage/",
        methods: &["get"],
        handler: || get(storage::project),
    },
    Route {
        path: "/api/0/projects/{org}/{project}/outcomes/",
        methods: &["get"],
        handler: || get(outcome::list),
    },
    Route {
        path: "/api/0/projects/{org}/{project}/events/{event_id}/",
        methods: &["get"],
        handler: || get(event::detail),
    },
    Route {
        path: "/api/0/projects/{org}/{project}/events/{event_id}/grouping-info/",
        methods: &["get"],
        handler: || get(grouping::info),
    },
    Route {
        path: "/api/0/projects/{org}/{project}/events/{event_id}/attachments/",
        methods: &["get"],
        handler: || get(attachment::list),
    },
    Route {
        path: "/api/0/projects/{org}/{project}/events/{event_id}/attachments/{attachment_id}/",
        methods: &["get"],
        handler: || get(attachment::detail),
    },
    Route {
        path: "/api/0/issues/{issue_id}/",
        methods: &["get", "put", "delete"],
        handler: || get(issue::detail).put(issue::update).delete(issue::remove),
    },
    Route {
        path: "/api/0/issues/{issue_id}/events/",
        methods: &["get"],
        handler: || get(event::list),
    },
    Route {
        path: "/api/0/issues/{issue_id}/events/latest/",
        methods: &["get"],
        handler: || get(event::latest),
    },
    Route {
        path: "/api/0/issues/{issue_id}/tags/",
        methods: &["get"],
        handler: || get(tag::list),
    },
    Route {
        path: "/api/0/issues/{issue_id}/user-reports/",
        methods: &["get"],
        handler: || get(user_report::list),
    },
    Route {
        path: "/api/0/organizations/{org}/issues/{issue_id}/",
        methods: &["get", "put", "delete"],
        handler: || get(issue::detail).put(issue::update).delete(issue::remove),
    },
    Route {
        path: "/api/0/organizations/{org}/issues/{issue_id}/events/",
        methods: &["get"],
        handler: || get(event::list),
    },
    Route {
        path: "/api/0/organizations/{org}/issues/{issue_id}/events/latest/",
        methods: &["get"],
        handler: || get(event::latest),
    },
    Route {
        path: "/api/0/organizations/{org}/issues/{issue_id}/tags/",
        methods: &["get"],
        handler: || get(tag::list),
    },
    Route {
        path: "/api/0/organizations/{org}/issues/{issue_id}/user-reports/",
        methods: &["get"],
        handler: || get(user_report::list),
    },
];

/// The Web API's routes, with full paths (merge it into the application router; do not
/// nest it: a nested `/` route would answer `/api/0` but not `/api/0/`). Each path also
/// answers without its trailing slash.
pub fn router() -> Router<AppState> {
    ROUTES.iter().fold(Router::new(), |router, route| {
        let bare = route.path.trim_end_matches('/');
        router
            .route(route.path, (route.handler)())
            .route(bare, (route.handler)())
    })
}

/// Every documented `(path, method)` pair of the Web API, methods lowercase (for the
/// `OpenAPI` test).
pub fn routes() -> Vec<(&'static str, &'static str)> {
    ROUTES
        .iter()
        .flat_map(|r| r.methods.iter().map(move |m| (r.path, *m)))
        .collect()
}

/// Runs a blocking store call off the async runtime.
pub async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&dyn errata_store::Store) -> errata_store::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    state
        .store_call(move |state| f(&*state.store))
        .await
        .map_err(ApiError::from)
}
