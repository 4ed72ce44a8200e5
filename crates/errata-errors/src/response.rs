//! Rendering an [`Error`] as an HTTP response (feature `axum`), without leaking private text.
//!
//! The rendered response also carries the `Error` in its extensions, which is how a handler's
//! returned error reaches the middleware that records and reports it (the axum idiom for
//! Hertz's `c.Error(err)` / `GoFrame`'s `r.GetError()`): `IntoResponse` has no access to the request.
//! Status: [`Error::with_status`] if set, else 400 for `BIND`/`PUBLIC`, else 500. Body: JSON,
//! `Error::to_json()` for a `PUBLIC` (and not `PRIVATE`) error, otherwise only the status's
//! reason phrase.

use axum_core::response::{IntoResponse, Response};
use http::{StatusCode, header};

use crate::{Error, ErrorType};

impl Error {
    /// The status [`IntoResponse`] uses for this error.
    ///
    /// ```
    /// use errata_errors::{Error, ErrorType};
    /// assert_eq!(Error::public("x").http_status(), http::StatusCode::BAD_REQUEST);
    /// assert_eq!(Error::private("x").http_status(), http::StatusCode::INTERNAL_SERVER_ERROR);
    /// assert_eq!(Error::public("x").with_status(404).http_status(), http::StatusCode::NOT_FOUND);
    /// ```
    pub fn http_status(&self) -> StatusCode {
        self.status()
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(if self.is_type(ErrorType::BIND | ErrorType::PUBLIC) {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            })
    }

    /// The JSON body [`IntoResponse`] renders: public messages only.
    ///
    /// ```
    /// use errata_errors::Error;
    /// assert_eq!(Error::public("qty > 10").client_json(), serde_json::json!({"error": "qty > 10"}));
    /// assert_eq!(Error::private("db pw").client_json(),
    ///            serde_json::json!({"error": "Internal Server Error"}));
    /// ```
    pub fn client_json(&self) -> serde_json::Value {
        if self.is_public() && !self.is_private() {
            self.to_json()
        } else {
            serde_json::json!({
                "error": self.http_status().canonical_reason().unwrap_or("Error")
            })
        }
    }
}

impl IntoResponse for Error {
    /// ```
    /// use axum_core::response::IntoResponse;
    /// let res = errata_errors::Error::private("secret").into_response();
    /// assert_eq!(res.status(), 500);
    /// assert!(res.extensions().get::<errata_errors::Error>().is_some());
    /// ```
    fn into_response(self) -> Response {
        let status = self.http_status();
        let body = self.client_json().to_string();
        let mut res = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
        res.extensions_mut().insert(self);
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_wins_over_public_when_both_bits_are_set() {
        let e = Error::message("secret", ErrorType::PUBLIC | ErrorType::PRIVATE, None);
        assert!(!e.client_json().to_string().contains("secret"));
    }

    #[test]
    fn bind_errors_are_client_errors() {
        let e = Error::message("bad json", ErrorType::BIND, None);
        assert_eq!(e.http_status(), StatusCode::BAD_REQUEST);
        assert!(!e.client_json().to_string().contains("bad json"));
    }
}
