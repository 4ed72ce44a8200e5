//! Errata's web UI, as pure rendering: the server fills view models (plain structs of
//! strings and numbers, separate from store rows and wire types) and this crate turns
//! them into HTML with templates compiled into the binary (askama, automatic escaping for
//! every `.html` template), draws charts as SVG on the server, and embeds the static
//! assets (one stylesheet, one small script) under content-hashed names. Nothing here
//! does IO, so every page can be rendered and checked in a unit test.

pub mod alerts;
mod asset;
pub mod chart;
mod error_page;
pub mod event_view;
pub mod issue_detail;
mod issue_list;
mod layout;
mod login;
mod page;
mod platform;
mod project_list;
mod project_new;
mod project_settings;
mod project_stats;
mod security;
mod setup_snippet;
mod sparkline;
pub mod storage;
mod tokens;
mod users;

pub use alerts::{AlertsPage, DeliveriesPage, RuleFormPage};
pub use asset::{ASSET_CACHE_CONTROL, Asset, AssetKind, asset, asset_path};
pub use error_page::{ErrorKind, ErrorPage};
pub use event_view::EventView;
pub use issue_detail::IssueDetail;
pub use issue_list::{IssueListPage, IssueRow, ProjectLink};
pub use layout::{Layout, NavItem};
pub use login::LoginPage;
pub use platform::PLATFORMS;
pub use project_list::{ProjectListPage, ProjectRow};
pub use project_new::ProjectNewPage;
pub use project_settings::{FilterFields, KeyRow, ProjectSettingsPage};
pub use project_stats::{OutcomeClass, OutcomeSeries, ProjectStatsPage, ReasonRow, StatsPeriod};
pub use security::{
    CONTENT_SECURITY_POLICY, REFERRER_POLICY, SECURITY_HEADERS, THEME_COOKIE,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
pub use setup_snippet::{DSN_PLACEHOLDER, SetupSnippet, setup_snippets};
pub use sparkline::sparkline;
pub use storage::{DeletedRow, StoragePage, StorageRow};
pub use tokens::{AlertEmailRow, TOKEN_SCOPES, TokenRow, TokensPage};
pub use users::{CREATABLE_ROLES, GeneratedPassword, UserRow, UsersPage};
