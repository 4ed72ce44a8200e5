//! Submitted forms: `application/x-www-form-urlencoded` bodies read into ordered
//! (name, value) pairs (names may repeat: checkboxes, bulk ids), with typed readers that
//! say which field was wrong.

use axum::body::Bytes;
use axum::http::HeaderMap;

use super::page::UiError;
use crate::auth::{CsrfSubject, Viewer, verify_form};
use crate::state::AppState;

/// The most a form body may hold (settings and bulk forms are small).
pub(crate) const MAX_FORM_BYTES: usize = 64 * 1024;

/// A submitted form.
#[derive(Debug, Default)]
pub(crate) struct Fields(Vec<(String, String)>);

impl Fields {
    /// Reads a form body; a body that is too big or malformed reads as what it holds.
    pub(crate) fn parse(body: &Bytes) -> Result<Self, String> {
        if body.len() > MAX_FORM_BYTES {
            return Err(format!("the form is larger than {MAX_FORM_BYTES} bytes"));
        }
        Ok(Self(
            form_urlencoded_pairs(body)
                .into_iter()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }

    /// The first value of `name`, or "".
    pub(crate) fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether a checkbox was ticked (browsers send nothing for an unticked one).
    pub(crate) fn checked(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// An optional whole number: empty means `None`.
    pub(crate) fn number(&self, name: &str, label: &str, max: u64) -> Result<Option<u64>, String> {
        let raw = self.get(name).trim();
        if raw.is_empty() {
            return Ok(None);
        }
        match raw.parse::<u64>() {
            Ok(0) => Ok(None),
            Ok(n) if n <= max => Ok(Some(n)),
            _ => Err(format!("{label} must be a whole number from 1 to {max}")),
        }
    }
}

/// A signed-in viewer's form, read and checked (the session's CSRF token and the
/// request's origin) before the handler acts on it: every form handler starts here.
pub(crate) fn checked_form(
    state: &AppState,
    viewer: &Viewer,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Fields, UiError> {
    let fields = Fields::parse(body).map_err(UiError::Csrf)?;
    verify_form(
        state,
        CsrfSubject::Viewer(viewer),
        headers,
        fields.get("csrf"),
    )?;
    Ok(fields)
}

/// `a=1&b=x+y` -> pairs, percent-decoded (invalid UTF-8 replaced).
fn form_urlencoded_pairs(
    body: &[u8],
) -> Vec<(std::borrow::Cow<'_, str>, std::borrow::Cow<'_, str>)> {
    body.split(|b| *b == b'&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (k, v) = match part.iter().position(|b| *b == b'=') {
                Some(i) => (&part[..i], &part[i + 1..]),
                None => (part, &b""[..]),
            };
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(raw: &[u8]) -> std::borrow::Cow<'_, str> {
    let plus: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    let decoded: Vec<u8> = percent_encoding::percent_decode(&plus).collect();
    std::borrow::Cow::Owned(String::from_utf8_lossy(&decoded).into_owned())
}

/// A same-site path to go back to after a form (`next`): only local paths, never
/// `//host` or a scheme, else `fallback`.
pub(crate) fn local_path<'a>(next: &'a str, fallback: &'a str) -> &'a str {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.contains(['\r', '\n']);
    if ok { next } else { fallback }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_read_repeated_and_encoded_fields() {
        let f = Fields::parse(&Bytes::from_static(
            b"issue=1&issue=2&q=a+b%21&empty=&n=5&flag",
        ))
        .unwrap();
        assert_eq!(f.all("issue").collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(f.get("q"), "a b!");
        assert!(f.checked("flag") && !f.checked("nope"));
        assert_eq!(f.number("n", "N", 10).unwrap(), Some(5));
        assert_eq!(f.number("empty", "E", 10).unwrap(), None);
        assert!(f.number("q", "Q", 10).unwrap_err().contains("Q must be"));
        assert!(f.number("n", "N", 4).is_err());
        assert!(Fields::parse(&Bytes::from(vec![b'a'; MAX_FORM_BYTES + 1])).is_err());
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path("/issues/?q=1", "/"), "/issues/?q=1");
        for bad in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil",
            "",
            "x",
        ] {
            assert_eq!(local_path(bad, "/issues/"), "/issues/", "{bad}");
        }
    }
}
