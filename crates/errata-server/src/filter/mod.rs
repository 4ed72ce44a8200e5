//! Inbound filters: the events a project drops at ingest before they count against its
//! quota and rate limits, as Sentry's "Inbound Filters". [`InboundFilter`] is a project's
//! [`InboundFilters`] settings compiled once (when the key cache loads the project, and
//! kept across reloads while the settings stay the same), so the hot path only matches:
//! environments by name, releases and error messages by glob ([`glob`]), known web
//! crawlers by user agent ([`crawler`]), browser extensions' errors ([`extension`]), and
//! localhost. Pure: no IO; the cost of a check is linear in the event's text.

pub mod crawler;
pub mod extension;
pub mod glob;

use errata_protocol::{Event, EventType};
use errata_store::InboundFilters;

use glob::GlobSet;

/// Why an event was filtered: each is counted as the outcome `filtered:<name>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FilterReason {
    /// Its environment is one the project drops.
    Environment,
    /// Its release matches a release pattern.
    ReleaseVersion,
    /// An exception's `Type: value`, or the message, matches an error message pattern.
    ErrorMessage,
    /// Sent from a known web crawler.
    WebCrawlers,
    /// Caused by a browser extension.
    BrowserExtensions,
    /// Sent from localhost.
    Localhost,
}

impl FilterReason {
    /// Every reason, in the order the filters are checked.
    pub const ALL: [Self; 6] = [
        Self::Environment,
        Self::ReleaseVersion,
        Self::ErrorMessage,
        Self::Localhost,
        Self::BrowserExtensions,
        Self::WebCrawlers,
    ];

    /// The outcome reason stored (`filtered:release-version`...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Environment => "filtered:environment",
            Self::ReleaseVersion => "filtered:release-version",
            Self::ErrorMessage => "filtered:error-message",
            Self::WebCrawlers => "filtered:web-crawlers",
            Self::BrowserExtensions => "filtered:browser-extensions",
            Self::Localhost => "filtered:localhost",
        }
    }

    /// The reason stored as `name` (as [`Self::as_str`] spells it).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// What the UI calls it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Environment => "Filtered: environment",
            Self::ReleaseVersion => "Filtered: release",
            Self::ErrorMessage => "Filtered: error message",
            Self::WebCrawlers => "Filtered: web crawler",
            Self::BrowserExtensions => "Filtered: browser extension",
            Self::Localhost => "Filtered: localhost",
        }
    }
}

/// The built-in filters, by the ids Sentry's API gives them (`/filters/{id}/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltIn {
    BrowserExtensions,
    Localhost,
    WebCrawlers,
}

impl BuiltIn {
    /// Every built-in filter, in the order the API lists them.
    pub const ALL: [Self; 3] = [Self::BrowserExtensions, Self::Localhost, Self::WebCrawlers];

    /// Sentry's id (`browser-extensions`, `localhost`, `web-crawlers`).
    pub fn id(self) -> &'static str {
        match self {
            Self::BrowserExtensions => "browser-extensions",
            Self::Localhost => "localhost",
            Self::WebCrawlers => "web-crawlers",
        }
    }

    /// The filter with Sentry's id `id`.
    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.id() == id)
    }

    /// One line saying what it drops.
    pub fn description(self) -> &'static str {
        match self {
            Self::BrowserExtensions => "Errors known to be caused by browser extensions",
            Self::Localhost => "Events from localhost (127.0.0.1, ::1, a localhost URL)",
            Self::WebCrawlers => "Events from known web crawlers, by user agent",
        }
    }

    /// Whether it is on in `filters`.
    pub fn is_on(self, filters: &InboundFilters) -> bool {
        match self {
            Self::BrowserExtensions => filters.browser_extensions,
            Self::Localhost => filters.localhost,
            Self::WebCrawlers => filters.web_crawlers,
        }
    }
}

/// A project's inbound filters, compiled.
#[derive(Debug, Clone, Default)]
pub struct InboundFilter {
    /// Environment names, lowercase.
    environments: Vec<String>,
    releases: GlobSet,
    error_messages: GlobSet,
    web_crawlers: bool,
    browser_extensions: bool,
    localhost: bool,
}

impl InboundFilter {
    /// Compiles `filters`. A pattern list that does not compile (beyond the automaton's
    /// size limit: the store's bounds keep real lists far below it) filters nothing and
    /// is logged: an event is never dropped by a filter that could not be built.
    pub fn new(filters: &InboundFilters) -> Self {
        let compile = |what: &str, patterns: &[String]| {
            GlobSet::new(patterns).unwrap_or_else(|error| {
                tracing::warn!(%error, what, "inbound filter patterns not compiled; not applied");
                GlobSet::default()
            })
        };
        Self {
            environments: filters
                .environments
                .iter()
                .map(|e| e.to_lowercase())
                .collect(),
            releases: compile("releases", &filters.releases),
            error_messages: compile("error messages", &filters.error_messages),
            web_crawlers: filters.web_crawlers,
            browser_extensions: filters.browser_extensions,
            localhost: filters.localhost,
        }
    }

    /// Whether any filter is on (when none is, ingest skips filtering).
    pub fn is_active(&self) -> bool {
        !self.environments.is_empty()
            || !self.releases.is_empty()
            || !self.error_messages.is_empty()
            || self.web_crawlers
            || self.browser_extensions
            || self.localhost
    }

    /// The first filter (in [`FilterReason::ALL`]'s order) that drops `event`, if any.
    pub fn check(&self, event: &Event) -> Option<FilterReason> {
        if !self.environments.is_empty()
            && let Some(environment) = event.environment.as_deref()
            && self.environments.contains(&environment.to_lowercase())
        {
            return Some(FilterReason::Environment);
        }
        if let Some(release) = event.release.as_deref()
            && self.releases.is_match(release)
        {
            return Some(FilterReason::ReleaseVersion);
        }
        if !self.error_messages.is_empty() && self.matches_message(event) {
            return Some(FilterReason::ErrorMessage);
        }
        if self.localhost && from_localhost(event) {
            return Some(FilterReason::Localhost);
        }
        if self.browser_extensions && extension::is_extension_error(event) {
            return Some(FilterReason::BrowserExtensions);
        }
        if self.web_crawlers
            && event
                .request
                .as_ref()
                .and_then(|r| r.header("User-Agent"))
                .is_some_and(crawler::is_crawler)
        {
            return Some(FilterReason::WebCrawlers);
        }
        None
    }

    /// Sentry's rule: each exception's `Type: value`, and the formatted message (never a
    /// transaction).
    fn matches_message(&self, event: &Event) -> bool {
        if event.ty == EventType::Transaction {
            return false;
        }
        let matches = |text: &str| self.error_messages.is_match(text);
        event
            .exception
            .values
            .iter()
            .any(|exception| extension::exception_text(exception, matches))
            || event.logentry.as_ref().is_some_and(|log| {
                log.formatted
                    .as_deref()
                    .or(log.message.as_deref())
                    .is_some_and(matches)
            })
    }
}

/// Sentry's localhost filter: the user's IP is a loopback address, or the request URL's
/// host is `localhost` or one.
fn from_localhost(event: &Event) -> bool {
    let loopback = |host: &str| {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    };
    if event
        .user
        .as_ref()
        .and_then(|u| u.ip_address.as_deref())
        .is_some_and(loopback)
    {
        return true;
    }
    event
        .request
        .as_ref()
        .and_then(|r| r.url.as_deref())
        .and_then(url_host)
        .is_some_and(loopback)
}

/// The host of an absolute URL (`scheme://[user@]host[:port]/...`).
fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host_port.starts_with('[') {
        return host_port.split_once(']').map(|(h, _)| &h[1..]);
    }
    Some(host_port.split(':').next().unwrap_or(host_port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: &str) -> Event {
        errata_protocol::normalize(
            json.as_bytes(),
            &errata_protocol::NormalizeContext::new(1_700_000_000.0),
        )
        .unwrap()
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn reasons_have_stored_names() {
        for reason in FilterReason::ALL {
            assert_eq!(FilterReason::parse(reason.as_str()), Some(reason));
            assert!(reason.as_str().starts_with("filtered:"));
        }
        assert_eq!(FilterReason::parse("filtered:other"), None);
        for filter in BuiltIn::ALL {
            assert_eq!(BuiltIn::parse(filter.id()), Some(filter));
        }
        assert_eq!(BuiltIn::parse("legacy-browsers"), None);
    }

    #[test]
    fn nothing_is_filtered_by_default() {
        let filter = InboundFilter::new(&InboundFilters::default());
        assert!(!filter.is_active());
        let e = event(
            r#"{"environment":"dev","release":"1.0","message":"x",
                "request":{"headers":{"User-Agent":"Googlebot/2.1"}}}"#,
        );
        assert_eq!(filter.check(&e), None);
    }

    #[test]
    fn each_filter_drops_what_it_names() {
        let filter = InboundFilter::new(&InboundFilters {
            environments: strings(&["Staging"]),
            releases: strings(&["1.0.*"]),
            error_messages: strings(&["*ResizeObserver loop*", "ValueError: bad *"]),
            web_crawlers: true,
            browser_extensions: true,
            localhost: true,
        });
        assert!(filter.is_active());
        let check = |json: &str| filter.check(&event(json));
        assert_eq!(
            check(r#"{"environment":"staging","message":"m"}"#),
            Some(FilterReason::Environment)
        );
        assert_eq!(check(r#"{"environment":"production","message":"m"}"#), None);
        assert_eq!(
            check(r#"{"release":"1.0.3","message":"m"}"#),
            Some(FilterReason::ReleaseVersion)
        );
        assert_eq!(check(r#"{"release":"1.1.0","message":"m"}"#), None);
        assert_eq!(
            check(r#"{"exception":{"values":[{"type":"ValueError","value":"bad input"}]}}"#),
            Some(FilterReason::ErrorMessage)
        );
        assert_eq!(
            check(r#"{"exception":{"values":[{"type":"ValueError","value":"good"}]}}"#),
            None
        );
        assert_eq!(
            check(r#"{"message":"ResizeObserver loop limit exceeded"}"#),
            Some(FilterReason::ErrorMessage)
        );
        assert_eq!(
            check(r#"{"logentry":{"message":"ResizeObserver loop %s","params":["x"]}}"#),
            Some(FilterReason::ErrorMessage),
            "the formatted message"
        );
        assert_eq!(
            check(r#"{"message":"m","user":{"ip_address":"127.0.0.1"}}"#),
            Some(FilterReason::Localhost)
        );
        assert_eq!(
            check(r#"{"message":"m","request":{"url":"http://localhost:3000/cart"}}"#),
            Some(FilterReason::Localhost)
        );
        assert_eq!(
            check(r#"{"message":"m","request":{"url":"http://[::1]:8080/"}}"#),
            Some(FilterReason::Localhost)
        );
        assert_eq!(
            check(r#"{"message":"m","request":{"url":"https://localhost.example.com/"}}"#),
            None
        );
        assert_eq!(
            check(
                r#"{"exception":{"values":[{"type":"Error","value":"x",
                    "stacktrace":{"frames":[{"abs_path":"moz-extension://a/b.js"}]}}]}}"#
            ),
            Some(FilterReason::BrowserExtensions)
        );
        assert_eq!(
            check(
                r#"{"message":"m","request":{"url":"https://shop.example/",
                    "headers":[["user-agent","Mozilla/5.0 (compatible; bingbot/2.0)"]]}}"#
            ),
            Some(FilterReason::WebCrawlers)
        );
        assert_eq!(
            check(
                r#"{"message":"m","request":{"url":"https://shop.example/",
                    "headers":{"User-Agent":"Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0"}}}"#
            ),
            None
        );
        // The first filter in order names the reason.
        assert_eq!(
            check(r#"{"environment":"STAGING","release":"1.0.0","message":"m"}"#),
            Some(FilterReason::Environment)
        );
    }

    #[test]
    fn built_in_filters_are_off_unless_turned_on() {
        let patterns_only = InboundFilter::new(&InboundFilters {
            releases: strings(&["9.*"]),
            ..InboundFilters::default()
        });
        let crawler_from_localhost = event(
            r#"{"message":"m","user":{"ip_address":"::1"},
                "request":{"headers":{"User-Agent":"Googlebot/2.1"}}}"#,
        );
        assert_eq!(patterns_only.check(&crawler_from_localhost), None);
    }

    #[test]
    fn url_hosts() {
        assert_eq!(url_host("http://localhost:3000/x"), Some("localhost"));
        assert_eq!(url_host("https://u:p@127.0.0.1/x"), Some("127.0.0.1"));
        assert_eq!(url_host("http://[::1]:80/"), Some("::1"));
        assert_eq!(url_host("https://example.com?q"), Some("example.com"));
        assert_eq!(url_host("/relative"), None);
    }
}
