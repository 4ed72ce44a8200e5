//! The security headers every HTML page is sent with. The server sets exactly these values;
//! the templates are written for them: no inline scripts, no `style` attributes, no inline
//! event handlers, SVG drawn with presentation attributes only.

/// `Content-Security-Policy`: scripts, styles and fetches from this origin only, forms post
/// only here, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
base-uri 'none'; frame-ancestors 'none'";

/// `X-Content-Type-Options`: browsers must not guess content types.
pub const X_CONTENT_TYPE_OPTIONS: &str = "nosniff";

/// `Referrer-Policy`: issue URLs do not leak to other sites.
pub const REFERRER_POLICY: &str = "same-origin";

/// `X-Frame-Options`: no framing (for browsers that ignore `frame-ancestors`).
pub const X_FRAME_OPTIONS: &str = "DENY";

/// Every header above as (name, value) pairs, for the server to set in one loop.
pub const SECURITY_HEADERS: [(&str, &str); 4] = [
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", X_CONTENT_TYPE_OPTIONS),
    ("referrer-policy", REFERRER_POLICY),
    ("x-frame-options", X_FRAME_OPTIONS),
];

/// The cookie holding the theme (`light`, `dark` or `auto`); the script sets it.
pub const THEME_COOKIE: &str = "errata_theme";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_is_the_contracts() {
        assert_eq!(
            CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
        );
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe"));
    }
}
