//! A project's inbound filters, as stored: which events ingest drops before they count
//! against quotas and rate limits (Sentry's "Inbound Filters"). Environments by name,
//! releases and error messages by glob pattern (`*` any run, `?` one character, matched
//! case-insensitively against the whole text by the server), and the built-in filters for
//! known web crawlers, browser extensions and localhost, each on or off.
//!
//! Every list is bounded ([`MAX_FILTER_PATTERNS`] entries of at most
//! [`MAX_FILTER_PATTERN_LEN`] characters) so what the server compiles and runs per event
//! is bounded too. [`FilterPatch`] is the change every backend validates and normalizes
//! with [`FilterPatch::normalized`] (trimmed, empty lines dropped, duplicates removed).

use crate::error::{Result, StoreError};

/// The most entries in one filter list (environments, releases or error messages).
pub const MAX_FILTER_PATTERNS: usize = 50;

/// The longest entry of a filter list, in characters.
pub const MAX_FILTER_PATTERN_LEN: usize = 200;

/// A project's inbound filters (default: none, every built-in filter off).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct InboundFilters {
    /// Events whose environment is one of these (case-insensitive) are dropped.
    pub environments: Vec<String>,
    /// Glob patterns matched against the event's release.
    pub releases: Vec<String>,
    /// Glob patterns matched against each exception's `Type: value` and the message.
    pub error_messages: Vec<String>,
    /// Drop events from known web crawlers (by the request's `User-Agent`).
    pub web_crawlers: bool,
    /// Drop errors caused by browser extensions.
    pub browser_extensions: bool,
    /// Drop events from localhost (`127.0.0.1`, `::1`, a `localhost` URL).
    pub localhost: bool,
}

impl InboundFilters {
    /// True when no filter is on: ingest skips filtering altogether.
    pub fn is_empty(&self) -> bool {
        self.environments.is_empty()
            && self.releases.is_empty()
            && self.error_messages.is_empty()
            && !self.web_crawlers
            && !self.browser_extensions
            && !self.localhost
    }

    /// These filters with `patch` applied (the patch already normalized).
    #[must_use]
    pub fn patched(&self, patch: &FilterPatch) -> Self {
        Self {
            environments: patch
                .environments
                .clone()
                .unwrap_or_else(|| self.environments.clone()),
            releases: patch
                .releases
                .clone()
                .unwrap_or_else(|| self.releases.clone()),
            error_messages: patch
                .error_messages
                .clone()
                .unwrap_or_else(|| self.error_messages.clone()),
            web_crawlers: patch.web_crawlers.unwrap_or(self.web_crawlers),
            browser_extensions: patch.browser_extensions.unwrap_or(self.browser_extensions),
            localhost: patch.localhost.unwrap_or(self.localhost),
        }
    }
}

/// A change to a project's inbound filters: `None` leaves a filter as it is; a list
/// replaces the whole list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterPatch {
    pub environments: Option<Vec<String>>,
    pub releases: Option<Vec<String>>,
    pub error_messages: Option<Vec<String>>,
    pub web_crawlers: Option<bool>,
    pub browser_extensions: Option<bool>,
    pub localhost: Option<bool>,
}

impl FilterPatch {
    /// Changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The patch as backends store it: entries trimmed, empty ones dropped, duplicates
    /// removed (first occurrence kept). Refuses more than [`MAX_FILTER_PATTERNS`] entries
    /// in a list, an entry longer than [`MAX_FILTER_PATTERN_LEN`] characters, and control
    /// characters (a list is edited one entry per line).
    pub fn normalized(&self) -> Result<Self> {
        let list = |what: &str, entries: &Option<Vec<String>>| {
            entries
                .as_deref()
                .map(|entries| normalize_list(what, entries))
                .transpose()
        };
        Ok(Self {
            environments: list("environment", &self.environments)?,
            releases: list("release pattern", &self.releases)?,
            error_messages: list("error message pattern", &self.error_messages)?,
            ..self.clone()
        })
    }
}

fn normalize_list(what: &str, entries: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(entries.len().min(MAX_FILTER_PATTERNS));
    for entry in entries {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        if entry.chars().count() > MAX_FILTER_PATTERN_LEN {
            return Err(StoreError::invalid(format!(
                "a {what} has at most {MAX_FILTER_PATTERN_LEN} characters"
            )));
        }
        if entry.chars().any(char::is_control) {
            return Err(StoreError::invalid(format!(
                "a {what} cannot hold control characters (one per line)"
            )));
        }
        if !out.iter().any(|e| e == entry) {
            out.push(entry.to_owned());
        }
    }
    if out.len() > MAX_FILTER_PATTERNS {
        return Err(StoreError::invalid(format!(
            "at most {MAX_FILTER_PATTERNS} entries per filter list, not {} {what}s",
            out.len()
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[&str]) -> Vec<String> {
        entries.iter().map(|e| (*e).to_owned()).collect()
    }

    #[test]
    fn lists_are_trimmed_deduplicated_and_bounded() {
        let patch = FilterPatch {
            releases: Some(list(&[" 1.0.* ", "", "1.0.*", "2.*"])),
            ..FilterPatch::default()
        };
        let normalized = patch.normalized().unwrap();
        assert_eq!(normalized.releases, Some(list(&["1.0.*", "2.*"])));
        assert_eq!(normalized.environments, None, "absent stays absent");

        let long = "x".repeat(MAX_FILTER_PATTERN_LEN + 1);
        let too_long = FilterPatch {
            error_messages: Some(list(&[&long])),
            ..FilterPatch::default()
        };
        assert!(too_long.normalized().unwrap_err().is_invalid());
        let control = FilterPatch {
            environments: Some(list(&["prod\u{0}"])),
            ..FilterPatch::default()
        };
        assert!(control.normalized().unwrap_err().is_invalid());
        let many: Vec<String> = (0..=MAX_FILTER_PATTERNS).map(|n| format!("e{n}")).collect();
        let too_many = FilterPatch {
            environments: Some(many.clone()),
            ..FilterPatch::default()
        };
        assert!(too_many.normalized().unwrap_err().is_invalid());
        let enough = FilterPatch {
            environments: Some(many[..MAX_FILTER_PATTERNS].to_vec()),
            ..FilterPatch::default()
        };
        assert!(enough.normalized().is_ok());
    }

    #[test]
    fn patches_apply_field_by_field() {
        let filters = InboundFilters {
            releases: vec!["1.*".into()],
            web_crawlers: true,
            ..InboundFilters::default()
        };
        assert!(!filters.is_empty());
        assert!(InboundFilters::default().is_empty());
        let patched = filters.patched(&FilterPatch {
            browser_extensions: Some(true),
            ..FilterPatch::default()
        });
        assert_eq!(patched.releases, ["1.*"]);
        assert!(patched.web_crawlers && patched.browser_extensions && !patched.localhost);
        assert!(FilterPatch::default().is_empty());
    }
}
