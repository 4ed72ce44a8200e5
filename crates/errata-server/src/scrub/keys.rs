//! Sensitive names: the keys whose values are filtered wherever a key/value pair appears
//! (Sentry's default list and ours), the headers filtered whatever their name says, the
//! extra query parameter names that carry credentials in URLs, and the headers and CGI
//! variables that carry the client's IP address. Every check is an ASCII case-insensitive
//! comparison over the bytes of the name: nothing is allocated per key.

/// Substrings of keys whose values are filtered (compared ASCII case-insensitively).
///
/// Sentry's default server-side list (`password` to `bearer`), its legacy `card[number]`
/// (the legacy `access_token`, `stripetoken` and `github_token` are covered by `token`),
/// and Errata's own `pwd`, `session` and `cookie` (session ids and cookie jars are
/// credentials too). Like Sentry's, the match is a substring match, so `auth` also
/// matches `author`, `oauth_provider` and `authenticated`: we keep that, so a key Sentry
/// would filter is filtered here too (booleans, `null` and empty strings are never
/// filtered, so `"authenticated": true` survives).
pub const DEFAULT_SENSITIVE_KEYS: [&str; 16] = [
    "password",
    "secret",
    "passwd",
    "api_key",
    "apikey",
    "auth",
    "credentials",
    "mysql_pwd",
    "privatekey",
    "private_key",
    "token",
    "bearer",
    "card[number]",
    "pwd",
    "session",
    "cookie",
];

/// Headers whose values are filtered whatever the key list says (whole names, ASCII
/// case-insensitive). Most are covered by [`DEFAULT_SENSITIVE_KEYS`]; they are listed so
/// that the rule for headers reads in one place.
pub const SENSITIVE_HEADERS: [&str; 6] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "api-key",
];

/// Query (and fragment) parameter names whose values are filtered in URLs, in addition
/// to every name matching the sensitive keys (which already covers `access_token`,
/// `token`, `api_key`, `apikey`, `password`, `secret`, `auth`, `client_secret`...).
/// Whole names, ASCII case-insensitive: these are too short or too common to be
/// substrings (`key` would match `monkey`, `sig` would match `design`).
pub const SENSITIVE_URL_PARAMS: [&str; 9] = [
    "key",
    "sig",
    "signature",
    "pass",
    "jwt",
    "x-amz-signature",
    "x-amz-credential",
    "x-goog-signature",
    "x-goog-credential",
];

/// Request headers that carry the client's address; removed when IPs are dropped.
pub const CLIENT_IP_HEADERS: [&str; 8] = [
    "x-forwarded-for",
    "x-real-ip",
    "forwarded",
    "cf-connecting-ip",
    "true-client-ip",
    "x-client-ip",
    "x-cluster-client-ip",
    "fastly-client-ip",
];

/// The CGI variable holding the client's address (`request.env`); headers appear there
/// too, as `HTTP_` and the header name with `_` for `-` (`HTTP_X_FORWARDED_FOR`).
const REMOTE_ADDR: &str = "REMOTE_ADDR";

/// The prefix CGI puts before header names in the environment.
const CGI_HEADER_PREFIX: &str = "HTTP_";

/// Whether values under `key` are filtered by Sentry's default list (and ours).
pub fn is_sensitive_key(key: &str) -> bool {
    DEFAULT_SENSITIVE_KEYS
        .iter()
        .any(|needle| contains_ignore_ascii_case(key, needle))
}

/// Whether header `name` is filtered whatever its value (not counting the key list).
pub(super) fn is_sensitive_header(name: &str) -> bool {
    SENSITIVE_HEADERS
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h))
}

/// Whether `name` is one of the [`SENSITIVE_URL_PARAMS`] (not counting the key list).
pub(super) fn is_sensitive_url_param(name: &str) -> bool {
    SENSITIVE_URL_PARAMS
        .iter()
        .any(|p| name.eq_ignore_ascii_case(p))
}

/// Whether header `name` carries the client's address.
pub(super) fn is_client_ip_header(name: &str) -> bool {
    CLIENT_IP_HEADERS
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h))
}

/// Whether environment variable `key` carries the client's address: `REMOTE_ADDR`, or
/// one of the [`CLIENT_IP_HEADERS`] in CGI form (`HTTP_X_REAL_IP`).
pub(super) fn is_client_ip_env(key: &str) -> bool {
    if key.eq_ignore_ascii_case(REMOTE_ADDR) {
        return true;
    }
    let Some(prefix) = key.get(..CGI_HEADER_PREFIX.len()) else {
        return false;
    };
    if !prefix.eq_ignore_ascii_case(CGI_HEADER_PREFIX) {
        return false;
    }
    let name = &key.as_bytes()[CGI_HEADER_PREFIX.len()..];
    CLIENT_IP_HEADERS.iter().any(|h| {
        h.len() == name.len()
            && h.bytes().zip(name).all(|(h, &n)| {
                let n = if n == b'_' { b'-' } else { n };
                h == n.to_ascii_lowercase()
            })
    })
}

/// Whether `haystack` contains `needle` (lowercase), comparing ASCII letters without
/// case; other bytes must be equal. Allocation-free; `O(haystack × needle)`, and both
/// are short (keys and key names).
pub(super) fn contains_ignore_ascii_case(haystack: &str, needle: &str) -> bool {
    let (hay, needle) = (haystack.as_bytes(), needle.as_bytes());
    let Some(&first) = needle.first() else {
        return true;
    };
    if hay.len() < needle.len() {
        return false;
    }
    (0..=hay.len() - needle.len()).any(|i| {
        hay[i].to_ascii_lowercase() == first
            && hay[i..i + needle.len()].eq_ignore_ascii_case(needle)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_keys_match_as_case_insensitive_substrings() {
        for key in [
            "password",
            "DB_PASSWORD",
            "userPassword",
            "client_secret",
            "X-Sentry-Auth",
            "Authorization",
            "access_token",
            "refresh_token",
            "csrfmiddlewaretoken",
            "stripeToken",
            "github_token",
            "api_key",
            "ApiKey",
            "mysql_pwd",
            "PWD",
            "private_key",
            "privateKey",
            "credentials",
            "bearer",
            "card[number]",
            "sessionid",
            "Set-Cookie",
        ] {
            assert!(is_sensitive_key(key), "{key} should be sensitive");
        }
    }

    #[test]
    fn ordinary_keys_are_not_sensitive() {
        for key in [
            "user",
            "name",
            "email",
            "amount",
            "card",
            "key",
            "keyboard",
            "monkey",
            "signature",
            "passport",
            "id",
            "",
            "é",
        ] {
            assert!(!is_sensitive_key(key), "{key} should not be sensitive");
        }
    }

    #[test]
    fn auth_matches_author_as_in_sentry() {
        // Documented over-match: Sentry's `auth` substring also catches these.
        for key in ["author", "oauth_provider", "authenticated"] {
            assert!(is_sensitive_key(key), "{key}");
        }
    }

    #[test]
    fn headers_url_params_and_client_ip_names() {
        assert!(is_sensitive_header("Cookie"));
        assert!(is_sensitive_header("X-Api-Key"));
        assert!(!is_sensitive_header("Accept"));
        assert!(is_sensitive_url_param("KEY"));
        assert!(is_sensitive_url_param("X-Amz-Signature"));
        assert!(!is_sensitive_url_param("keys"));
        assert!(!is_sensitive_url_param("page"));
        assert!(is_client_ip_header("X-Forwarded-For"));
        assert!(is_client_ip_header("X-Real-Ip"));
        assert!(!is_client_ip_header("X-Forwarded-Proto"));
        for key in [
            "REMOTE_ADDR",
            "remote_addr",
            "HTTP_X_FORWARDED_FOR",
            "HTTP_X_REAL_IP",
        ] {
            assert!(is_client_ip_env(key), "{key}");
        }
        for key in [
            "SERVER_NAME",
            "HTTP_",
            "HTTP_HOST",
            "HTTP_X_FORWARDED_PROTO",
            "H",
        ] {
            assert!(!is_client_ip_env(key), "{key}");
        }
    }

    #[test]
    fn substring_search_handles_edges() {
        assert!(contains_ignore_ascii_case("abc", ""));
        assert!(!contains_ignore_ascii_case("", "a"));
        assert!(contains_ignore_ascii_case("xxTOKEN", "token"));
        assert!(!contains_ignore_ascii_case("toke", "token"));
        assert!(contains_ignore_ascii_case("ñ-secret-ñ", "secret"));
    }
}
