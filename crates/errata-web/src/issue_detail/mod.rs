//! The issue page: its view model and template. The server fills [`IssueDetail`] from
//! the store (the issue row, hourly counts, tag counts, the shown event's stored JSON,
//! attachments, feedback, the grouping JSON and the activity log) and calls
//! [`IssueDetail::render_html`]. Everything that came from an event is escaped by the
//! template; the only unescaped markup is the chart's SVG, built from numbers.

mod activity;
mod attachment;
mod grouping;
mod header;
mod navigation;
mod tags;
mod tracker;
mod trend;

use askama::Template;

use crate::event_view::EventView;
use crate::layout::Layout;

pub use activity::{ActivityEntry, Feedback};
pub use attachment::{Attachment, human_size};
pub use grouping::{GroupingNode, GroupingVariant, GroupingView};
pub use header::{IssueHeader, IssueStatus, ignore_detail};
pub use navigation::EventNav;
pub use tags::{TagDistribution, TagValueShare};
pub use tracker::{TrackerLink, TrackerTarget, Trackers};
pub use trend::{Period, Trend};

/// The issue page (`GET /issues/{id}/` and `/issues/{id}/events/{event_id}/`).
#[derive(Debug, Clone, Default, Template)]
#[template(path = "issue/detail.html")]
pub struct IssueDetail {
    /// The shared frame; its `csrf` goes into the action forms.
    pub layout: Layout,
    /// The header.
    pub issue: IssueHeader,
    /// Events over time.
    pub trend: Trend,
    /// Tag distributions over the issue's events, in the order to show.
    pub tags: Vec<TagDistribution>,
    /// Links to the other events.
    pub nav: EventNav,
    /// The shown event (`None` when none is stored any more).
    pub event: Option<EventView>,
    /// The shown event's attachments.
    pub attachments: Vec<Attachment>,
    /// User feedback on the issue, newest first.
    pub feedback: Vec<Feedback>,
    /// Why the events are one issue (from the grouping JSON).
    pub grouping: Option<GroupingView>,
    /// The activity log, newest first.
    pub activity: Vec<ActivityEntry>,
    /// Tracker issues made from this one, and the trackers it may be filed in.
    pub trackers: Trackers,
}

impl IssueDetail {
    /// The page's HTML.
    pub fn render_html(&self) -> Result<String, askama::Error> {
        self.render()
    }
}

#[cfg(test)]
mod tests;
