//! The HTTP request interface: method and URL (as text, never a link: the event chose
//! it), query, headers, cookies, the body as pretty JSON, and the CGI environment.

use serde_json::Value;

use super::value::{field, pairs, text};

/// The request the event happened in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestView {
    /// `GET`, `POST`...
    pub method: Option<String>,
    /// The URL without query.
    pub url: Option<String>,
    /// Query parameters.
    pub query: Vec<(String, String)>,
    /// The fragment.
    pub fragment: Option<String>,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Cookies.
    pub cookies: Vec<(String, String)>,
    /// The body: strings as sent, structures as pretty JSON.
    pub body: Option<String>,
    /// The body's content type, when known.
    pub content_type: Option<String>,
    /// CGI environment (`REMOTE_ADDR`...).
    pub env: Vec<(String, String)>,
}

impl RequestView {
    /// Reads `request`; `None` when absent or not an object.
    pub(crate) fn read(request: Option<&Value>) -> Option<Self> {
        let request = request.filter(|r| r.is_object())?;
        Some(Self {
            method: field(request, "method"),
            url: field(request, "url"),
            query: pairs(request.get("query_string")),
            fragment: field(request, "fragment"),
            headers: pairs(request.get("headers")),
            cookies: pairs(request.get("cookies")),
            body: request
                .get("data")
                .filter(|d| !d.is_null())
                .map(text)
                .filter(|b| !b.is_empty()),
            content_type: field(request, "inferred_content_type"),
            env: pairs(request.get("env")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn request_fields_are_read_in_any_shape() {
        let r = RequestView::read(Some(&json!({
            "method": "POST", "url": "http://localhost/orders",
            "query_string": "a=1&b=2", "cookies": {"session": "x"},
            "headers": [["Host", "localhost"]], "data": {"password": "[Filtered]"},
        })))
        .unwrap();
        assert_eq!(r.query.len(), 2);
        assert_eq!(r.cookies, vec![("session".into(), "x".into())]);
        assert!(r.body.unwrap().contains("\"password\": \"[Filtered]\""));
        assert!(RequestView::read(Some(&json!("GET /"))).is_none());
    }
}
