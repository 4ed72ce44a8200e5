//! Turning a page's view model into the HTML string the server sends. Askama only fails
//! when a value's `Display` fails, which none of the view models' plain strings and numbers
//! do; should it happen anyway, the visitor gets a short, fixed page instead of a panic.

use askama::Template;

/// Shown when rendering fails (it carries no request data, so it needs no escaping).
const RENDER_FAILURE: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Error · Errata</title></head><body><main><h1>Something went wrong</h1>\
<p>This page could not be rendered. Reload to try again.</p></main></body></html>";

/// The page as HTML.
pub(crate) fn render_page<T: Template>(page: &T) -> String {
    page.render().unwrap_or_else(|_| RENDER_FAILURE.to_owned())
}
