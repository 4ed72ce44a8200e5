//! Errata's web UI, as pure rendering: the server fills view models (plain structs of
//! strings and numbers, separate from store rows and wire types) and this crate turns
//! them into HTML with templates compiled into the binary (askama, automatic escaping for
//! every `.html` template), draws charts as SVG on the server, and embeds the static
//! assets (one stylesheet, one small script) under content-hashed names. Nothing here
//! does IO, so every page can be rendered and checked in a unit test.

mod layout;

pub use layout::{Layout, NavItem};
pub mod chart;
pub mod event_view;
pub mod issue_detail;

pub use event_view::EventView;
pub use issue_detail::IssueDetail;
