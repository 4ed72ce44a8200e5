//! Dropping the client's IP address (`ScrubRules::drop_ip`, Sentry's "Prevent Storing of
//! IP Addresses"): `user.ip_address`, the address headers of the request
//! ([`super::keys::CLIENT_IP_HEADERS`]) and their CGI twins plus `REMOTE_ADDR` in
//! `request.env` are removed, as are the original values processing errors kept for
//! those fields. A user left with nothing but its address is removed. IPs inside free
//! text are left alone (they are not credentials, and version numbers look alike).

use super::keys::{is_client_ip_env, is_client_ip_header};
use errata_protocol::Event;
use errata_protocol::user::User;

/// The last segment of the error path of the user's address.
const IP_ADDRESS_FIELD: &str = "ip_address";

/// Removes every client address of `event`.
pub(super) fn drop_client_ips(event: &mut Event) {
    if let Some(user) = &mut event.user {
        user.ip_address = None;
        if *user == User::default() {
            event.user = None;
        }
    }
    if let Some(request) = &mut event.request {
        request
            .headers
            .retain(|(name, _)| !is_client_ip_header(name));
        request.env.retain(|key, _| !is_client_ip_env(key));
    }
    for error in &mut event.errors {
        let last = error.name.rsplit('.').next().unwrap_or_default();
        if last == IP_ADDRESS_FIELD || is_client_ip_env(last) || is_client_ip_header(last) {
            error.value = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use errata_protocol::{NormalizeContext, normalize_value};
    use serde_json::json;

    fn event(payload: serde_json::Value) -> Event {
        let mut ctx = NormalizeContext::new(1.8e9);
        ctx.client_ip = Some("203.0.113.9".to_owned());
        normalize_value(payload, &ctx).unwrap()
    }

    #[test]
    fn client_addresses_are_removed() {
        let mut e = event(json!({
            "user": {"id": "7", "ip_address": "198.51.100.4"},
            "request": {
                "headers": {"X-Forwarded-For": "198.51.100.4, 10.0.0.1", "X-Real-IP": "198.51.100.4",
                            "Accept": "*/*"},
                "env": {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.4",
                        "SERVER_NAME": "web-1"}
            }
        }));
        drop_client_ips(&mut e);
        let user = e.user.as_ref().unwrap();
        assert_eq!(
            (user.id.as_deref(), user.ip_address.as_deref()),
            (Some("7"), None)
        );
        let request = e.request.as_ref().unwrap();
        assert_eq!(
            request.headers,
            vec![("Accept".to_owned(), "*/*".to_owned())]
        );
        assert_eq!(request.env.keys().collect::<Vec<_>>(), ["SERVER_NAME"]);
    }

    #[test]
    fn a_user_made_only_of_the_address_goes() {
        let mut e = event(json!({"user": {"ip_address": "{{auto}}"}}));
        assert_eq!(
            e.user.as_ref().unwrap().ip_address.as_deref(),
            Some("203.0.113.9")
        );
        drop_client_ips(&mut e);
        assert_eq!(e.user, None);
    }

    #[test]
    fn original_values_of_bad_addresses_go() {
        let mut e = event(json!({"user": {"id": "1", "ip_address": ["198.51.100.4"]}}));
        assert!(e.errors.iter().any(|e| e.value.is_some()), "{:?}", e.errors);
        drop_client_ips(&mut e);
        assert!(e.errors.iter().all(|e| e.value.is_none()), "{:?}", e.errors);
    }
}
