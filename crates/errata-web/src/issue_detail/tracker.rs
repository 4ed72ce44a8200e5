//! The links to issue trackers: the GitHub or GitLab issues made from it, and a
//! "Create GitHub issue" button per enabled tracker channel of its project (a form
//! posting `csrf` and `channel` to `/issues/{id}/tracker`).

/// A GitHub or GitLab issue made from this one.
#[derive(Debug, Clone, Default)]
pub struct TrackerLink {
    /// `github` or `gitlab`.
    pub kind: String,
    /// The tracker issue's page (linked only when it is an http(s) URL).
    pub url: String,
    /// `owner/repo#12`.
    pub reference: String,
}

impl TrackerLink {
    /// The URL when it is safe to link (http or https), else `None` (shown as text).
    pub fn href(&self) -> Option<&str> {
        (self.url.starts_with("https://") || self.url.starts_with("http://"))
            .then_some(self.url.as_str())
    }

    pub fn kind_label(&self) -> &str {
        crate::alerts::kind_label(&self.kind)
    }
}

/// A tracker channel an issue may be filed in.
#[derive(Debug, Clone, Default)]
pub struct TrackerTarget {
    pub channel_id: i64,
    /// `github` or `gitlab`.
    pub kind: String,
    /// The channel's name (shown when a project has several).
    pub name: String,
}

impl TrackerTarget {
    /// "Create GitHub issue".
    pub fn button_label(&self) -> String {
        format!("Create {} issue", crate::alerts::kind_label(&self.kind))
    }
}

/// The issue page's tracker panel.
#[derive(Debug, Clone, Default)]
pub struct Trackers {
    pub links: Vec<TrackerLink>,
    /// Empty unless the viewer may file issues.
    pub targets: Vec<TrackerTarget>,
}

impl Trackers {
    /// Whether there is anything to show.
    pub fn is_empty(&self) -> bool {
        self.links.is_empty() && self.targets.is_empty()
    }
}
