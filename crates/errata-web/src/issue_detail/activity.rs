//! What people said and did about the issue: user feedback sent through the SDK, and
//! the activity log (status changes, regressions, first event).

use crate::event_view::Moment;

/// One user's feedback (Sentry's user report).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Feedback {
    /// The name they gave.
    pub name: String,
    /// The email they gave (shown as text, never a `mailto:` link).
    pub email: String,
    /// What they wrote.
    pub comments: String,
    /// When.
    pub when: Moment,
}

/// One entry of the activity log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityEntry {
    /// When.
    pub when: Moment,
    /// Who (a user's name, or `Errata` for automatic changes).
    pub who: String,
    /// What happened, such as `resolved the issue`.
    pub text: String,
}
