//! Moving between an issue's events: links to the oldest, previous, next and latest
//! event (none where the shown event already is that end), and the raw JSON link.

/// The event navigation of the issue page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventNav {
    /// `a#event-oldest`.
    pub oldest: Option<String>,
    /// `a#event-prev`.
    pub prev: Option<String>,
    /// `a#event-next`.
    pub next: Option<String>,
    /// `a#event-latest`.
    pub latest: Option<String>,
    /// `a#raw-json`: the shown event as JSON.
    pub raw_json: Option<String>,
}

impl EventNav {
    /// Links for issue `issue_id` showing event `current`, given the ids of the other
    /// events (`None` where there is none: the shown one is the oldest or the latest).
    /// An id equal to `current`, or with characters an event id cannot have, gives no
    /// link.
    pub fn new(
        issue_id: i64,
        current: &str,
        oldest: Option<&str>,
        prev: Option<&str>,
        next: Option<&str>,
        latest: Option<&str>,
    ) -> Self {
        let href = |id: Option<&str>| {
            let id = id.filter(|id| *id != current && valid_id(id))?;
            Some(format!("/issues/{issue_id}/events/{id}/"))
        };
        Self {
            oldest: href(oldest),
            prev: href(prev),
            next: href(next),
            latest: href(latest),
            raw_json: valid_id(current)
                .then(|| format!("/issues/{issue_id}/events/{current}/json")),
        }
    }
}

/// Event ids are hex (with dashes in the UUID form); nothing else goes into a URL.
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_have_no_links() {
        let nav = EventNav::new(4, "bb", Some("bb"), None, Some("cc"), Some("dd"));
        assert_eq!(nav.oldest, None);
        assert_eq!(nav.prev, None);
        assert_eq!(nav.next.as_deref(), Some("/issues/4/events/cc/"));
        assert_eq!(nav.latest.as_deref(), Some("/issues/4/events/dd/"));
        assert_eq!(nav.raw_json.as_deref(), Some("/issues/4/events/bb/json"));
    }

    #[test]
    fn odd_ids_give_no_links() {
        let nav = EventNav::new(4, "javascript:x", Some("\"><a"), None, None, Some("../x"));
        assert_eq!(nav, EventNav::default());
    }
}
