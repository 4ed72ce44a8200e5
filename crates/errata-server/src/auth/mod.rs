//! Who may do what: web sessions and API tokens, scopes, CSRF defences and login
//! throttling.
//!
//! - [`session`]: the `errata_session` cookie (the session's secret; the store keeps a
//!   hash).
//! - [`viewer`]: the [`Viewer`] extractor (session cookie or `Authorization: Bearer`),
//!   its effective [`errata_store::Scopes`], and [`AuthError`], every refusal.
//! - [`csrf`]: the CSRF token and Origin checks of state-changing cookie requests, and
//!   the login form's double-submit cookie.
//! - [`throttle`]: failed-login counters per email and per IP (in memory, per node).
//! - [`login`]: [`login()`] and [`logout`], for the UI's login and logout handlers.
//!
//! A page handler: take a `Viewer` (a missing session redirects to `/login?next=...`),
//! call `viewer.require(Scope::...)?` before acting, and in form handlers
//! `csrf::verify_form(&state, CsrfSubject::Viewer(&viewer), &headers, &form.csrf)?`.

pub mod csrf;
pub mod login;
pub mod session;
pub mod throttle;
pub mod viewer;

pub use csrf::{CsrfSubject, LoginCsrf, login_csrf, verify_form};
pub use login::{LoggedIn, LoginError, client_ip, login, logout};
pub use session::{SESSION_COOKIE, clear_session_cookie, session_cookie};
pub use throttle::LoginThrottle;
pub use viewer::{AuthError, Credential, Viewer};
