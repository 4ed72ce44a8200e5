#![doc = "placeholder"]
pub mod error;
pub mod email;
pub mod escape;
pub mod net;
pub mod notification;
pub mod slack;
pub mod tracker;
pub mod slack_interactive;
pub mod sender;
pub mod webhook;
pub use error::{NotifyError, Result};
pub use notification::{EventSummary, IssueSummary, Notification, ProjectSummary};
