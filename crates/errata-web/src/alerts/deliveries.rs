//! The delivery log (`GET /projects/{slug}/alerts/deliveries/`): the project's latest
//! deliveries, newest first, each with its attempts in a disclosure.

use askama::Template;

use crate::event_view::Moment;
use crate::issue_list::ProjectLink;
use crate::layout::Layout;
use crate::page::render_page;

/// One attempt at a delivery.
#[derive(Debug, Clone, Default)]
pub struct AttemptRow {
    pub at: Moment,
    /// The receiver's HTTP status, if any.
    pub status: Option<u16>,
    /// `delivered`, `retry`, `failed`, `skipped`.
    pub result: String,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// One delivery.
#[derive(Debug, Clone, Default)]
pub struct DeliveryRow {
    pub id: i64,
    pub created: Moment,
    /// "New issue", "Regression"...
    pub trigger: String,
    pub issue_id: i64,
    /// The issue's short id or title, when known (else "Issue {id}").
    pub issue_label: String,
    /// The channel's kind and name, or the member's email.
    pub recipient: String,
    /// `pending`, `delivered`, `failed`, `skipped`.
    pub state: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub attempt_log: Vec<AttemptRow>,
}

impl DeliveryRow {
    /// `/issues/{id}/`.
    pub fn issue_href(&self) -> String {
        format!("/issues/{}/", self.issue_id)
    }

    pub fn issue_text(&self) -> String {
        if self.issue_label.is_empty() {
            format!("Issue {}", self.issue_id)
        } else {
            self.issue_label.clone()
        }
    }

    /// The state's badge class (only known states: the text is not trusted into a class).
    pub fn state_class(&self) -> &'static str {
        match self.state.as_str() {
            "delivered" => "delivery-delivered",
            "failed" => "delivery-failed",
            "skipped" => "delivery-skipped",
            _ => "delivery-pending",
        }
    }
}

/// `GET /projects/{slug}/alerts/deliveries/`.
#[derive(Debug, Clone, Default, Template)]
#[template(path = "alerts/deliveries.html")]
pub struct DeliveriesPage {
    pub layout: Layout,
    pub slug: String,
    /// The project's name.
    pub name: String,
    pub deliveries: Vec<DeliveryRow>,
    /// How many the page shows at most.
    pub limit: usize,
}

impl DeliveriesPage {
    /// The page as HTML.
    pub fn render(&self) -> String {
        render_page(self)
    }

    pub fn issues_href(&self) -> String {
        ProjectLink {
            slug: self.slug.clone(),
            name: self.name.clone(),
        }
        .issues_href()
    }

    pub fn alerts_href(&self) -> String {
        super::alerts_href(&self.slug)
    }
}
