//! The error pages: not found (404), forbidden (403, naming what is missing), a failed CSRF
//! check (403, the form expired or came from another site) and an internal error (500).
//! Pages shown before signing in take a `Layout` with `user: None`.

use askama::Template;

use crate::layout::Layout;
use crate::page::render_page;

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// 404: no such page or object (also for objects the user may not see).
    NotFound,
    /// 403: the user lacks a permission; `need` names it ("admin rights").
    Forbidden { need: String },
    /// 403: the form's CSRF token was missing, stale or from elsewhere.
    CsrfFailure,
    /// 500: something broke; `event_id` lets the user quote the report.
    Internal { event_id: Option<String> },
}

/// An error page.
#[derive(Debug, Clone, Template)]
#[template(path = "error_page.html")]
pub struct ErrorPage {
    /// The frame (`user: None` before signing in).
    pub layout: Layout,
    /// What went wrong.
    pub kind: ErrorKind,
}

impl ErrorPage {
    /// The HTTP status to answer with.
    pub fn status(&self) -> u16 {
        match self.kind {
            ErrorKind::NotFound => 404,
            ErrorKind::Forbidden { .. } | ErrorKind::CsrfFailure => 403,
            ErrorKind::Internal { .. } => 500,
        }
    }

    /// The page's heading.
    pub fn heading(&self) -> &'static str {
        match self.kind {
            ErrorKind::NotFound => "Page not found",
            ErrorKind::Forbidden { .. } => "Not allowed",
            ErrorKind::CsrfFailure => "This form expired",
            ErrorKind::Internal { .. } => "Something went wrong",
        }
    }

    /// The page as HTML.
    pub fn render(&self) -> String {
        render_page(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(kind: ErrorKind) -> ErrorPage {
        ErrorPage {
            layout: Layout::default(),
            kind,
        }
    }

    #[test]
    fn each_kind_has_its_status_and_text() {
        let not_found = page(ErrorKind::NotFound);
        assert_eq!(not_found.status(), 404);
        assert!(not_found.render().contains("Page not found"));

        let csrf = page(ErrorKind::CsrfFailure);
        assert_eq!(csrf.status(), 403);
        assert!(
            csrf.render()
                .contains("This form expired or came from another site; reload and try again.")
        );

        let internal = page(ErrorKind::Internal {
            event_id: Some("ab<c>".into()),
        });
        assert_eq!(internal.status(), 500);
        assert!(internal.render().contains("<code>ab&#60;c&#62;</code>"));
    }

    #[test]
    fn the_missing_permission_is_escaped() {
        let forbidden = page(ErrorKind::Forbidden {
            need: "<b>admin</b> rights".into(),
        });
        assert_eq!(forbidden.status(), 403);
        let html = forbidden.render();
        assert!(
            html.contains("You need &#60;b&#62;admin&#60;/b&#62; rights to"),
            "{html}"
        );
        assert!(html.contains("<p class=\"error-code\">403</p>"), "{html}");
    }
}
