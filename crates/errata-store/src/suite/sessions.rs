//! Conformance: web sessions (lookup by secret, expiry, sliding, deletion), token scopes,
//! listing, use tracking and revocation, users by id, and the live nodes of an installation.

#[allow(clippy::wildcard_imports)]
use super::*;
use crate::{NewSession, SESSION_LIFETIME_MS, Scope, TokenId};

fn member<S: Store>(store: &S, email: &str) -> crate::User {
    store
        .create_user(&NewUser {
            email: email.into(),
            name: String::new(),
            password_hash: "$argon2id$m".into(),
            role: Role::Member,
        })
        .unwrap()
}

pub fn sessions_are_found_by_secret_until_they_expire<H: Harness>(h: &H) {
    let store = h.fresh();
    let admin = setup(&store).admin;
    let created = store.create_session(&NewSession::at(admin.id, T0)).unwrap();
    assert_eq!(created.secret.len(), 64);
    assert_eq!(created.session.csrf_token.len(), 64);
    assert_ne!(created.session.csrf_token, created.secret);
    assert_eq!(created.session.user_id, admin.id);
    assert_eq!(created.session.expires_ms, T0 + SESSION_LIFETIME_MS);
    let (session, user) = store.session(&created.secret, T0 + 1).unwrap().unwrap();
    assert_eq!(session, created.session);
    assert_eq!(user, admin);
    // Another session of the same user has its own secret and CSRF token.
    let other = store.create_session(&NewSession::at(admin.id, T0)).unwrap();
    assert_ne!(other.secret, created.secret);
    assert_ne!(other.session.csrf_token, created.session.csrf_token);
    // Only the secret opens it: not its hash, not a prefix, not the CSRF token.
    for wrong in [
        String::new(),
        crate::hash_secret(&created.secret),
        created.secret[..63].to_owned(),
        created.session.csrf_token.clone(),
    ] {
        assert_eq!(store.session(&wrong, T0).unwrap(), None, "{wrong:?}");
    }
    // Expired: gone, at the very millisecond.
    let expires = created.session.expires_ms;
    assert!(
        store
            .session(&created.secret, expires - 1)
            .unwrap()
            .is_some()
    );
    assert_eq!(store.session(&created.secret, expires).unwrap(), None);
    // Sessions survive reopening (several nodes, restarts).
    let store = h.reopen(store);
    assert!(store.session(&created.secret, T0).unwrap().is_some());
    // A session needs an existing user.
    assert!(
        store
            .create_session(&NewSession::at(UserId(999_999), T0))
            .unwrap_err()
            .is_not_found()
    );
}

pub fn sessions_slide_when_touched<H: Harness>(h: &H) {
    let store = h.fresh();
    let admin = setup(&store).admin;
    let created = store.create_session(&NewSession::at(admin.id, T0)).unwrap();
    let later = T0 + SESSION_LIFETIME_MS - 10;
    store
        .touch_session(created.session.id, later, later + SESSION_LIFETIME_MS)
        .unwrap();
    let after = T0 + SESSION_LIFETIME_MS + 10;
    let (session, _) = store.session(&created.secret, after).unwrap().unwrap();
    assert_eq!(session.last_seen_ms, later);
    assert_eq!(session.expires_ms, later + SESSION_LIFETIME_MS);
    assert_eq!(session.created_ms, T0);
    assert_eq!(session.csrf_token, created.session.csrf_token);
    // Touching a session deleted meanwhile is not an error.
    store.delete_session(&created.secret).unwrap();
    store
        .touch_session(created.session.id, after, after + 1)
        .unwrap();
    assert_eq!(store.session(&created.secret, after).unwrap(), None);
}

pub fn sessions_are_deleted_one_by_user_and_when_expired<H: Harness>(h: &H) {
    let store = h.fresh();
    let admin = setup(&store).admin;
    let ana = member(&store, "ana@example.com");
    let open = |user: UserId, at: i64| store.create_session(&NewSession::at(user, at)).unwrap();
    let (a1, a2, b1) = (open(admin.id, T0), open(admin.id, T0), open(ana.id, T0));
    // Logout ends one session; an unknown secret is no error.
    store.delete_session(&a1.secret).unwrap();
    store.delete_session("no such secret").unwrap();
    assert_eq!(store.session(&a1.secret, T0).unwrap(), None);
    assert!(store.session(&a2.secret, T0).unwrap().is_some());
    // A password reset ends every session of that user only.
    let a3 = open(admin.id, T0);
    assert_eq!(store.delete_user_sessions(admin.id).unwrap(), 2);
    assert_eq!(store.session(&a3.secret, T0).unwrap(), None);
    assert!(store.session(&b1.secret, T0).unwrap().is_some());
    assert_eq!(store.delete_user_sessions(admin.id).unwrap(), 0);
    // Cleanup deletes exactly the expired ones.
    let late = open(ana.id, T0 + 1_000);
    let now = b1.session.expires_ms;
    assert_eq!(store.delete_expired_sessions(now).unwrap(), 1);
    assert_eq!(store.delete_expired_sessions(now).unwrap(), 0);
    assert!(store.session(&late.secret, now).unwrap().is_some());
}

pub fn tokens_keep_scopes_are_listed_and_revoked<H: Harness>(h: &H) {
    let store = h.fresh();
    let admin = setup(&store).admin;
    let ana = member(&store, "ana@example.com");
    let read_only: Scopes = [Scope::EventRead, Scope::ProjectRead].into_iter().collect();
    let create = |user: UserId, label: &str, scopes: Scopes| {
        store
            .create_token(&NewToken {
                user_id: user,
                label: label.into(),
                scopes,
            })
            .unwrap()
    };
    let full = create(admin.id, "full", Scopes::all());
    let reader = create(admin.id, "reader", read_only);
    let anas = create(ana.id, "ana", Scopes::for_role(Role::Member));
    assert_eq!(full.token.scopes, Scopes::all());
    assert_eq!(full.token.last_used_ms, None);
    let verified = store.verify_token(&reader.secret).unwrap().unwrap();
    assert_eq!(verified.scopes, read_only);
    assert_eq!(verified, reader.token);
    // Listing: a user's own, or all; never the secrets (the type has none).
    let ids = |user: Option<UserId>| -> Vec<TokenId> {
        store
            .tokens(user)
            .unwrap()
            .into_iter()
            .map(|t| t.id)
            .collect()
    };
    assert_eq!(ids(Some(admin.id)), [full.token.id, reader.token.id]);
    assert_eq!(ids(Some(ana.id)), [anas.token.id]);
    assert_eq!(ids(None), [full.token.id, reader.token.id, anas.token.id]);
    // Uses are recorded.
    store.touch_token(reader.token.id, T0 + 5).unwrap();
    assert_eq!(
        store
            .verify_token(&reader.secret)
            .unwrap()
            .unwrap()
            .last_used_ms,
        Some(T0 + 5)
    );
    // Revoked: the secret no longer verifies, the token is no longer listed.
    store.revoke_token(reader.token.id).unwrap();
    assert_eq!(store.verify_token(&reader.secret).unwrap(), None);
    assert_eq!(ids(Some(admin.id)), [full.token.id]);
    assert!(
        store
            .revoke_token(reader.token.id)
            .unwrap_err()
            .is_not_found()
    );
    store.touch_token(reader.token.id, T0 + 6).unwrap();
    assert!(store.verify_token(&full.secret).unwrap().is_some());
    // A token needs an existing user.
    assert!(
        store
            .create_token(&NewToken {
                user_id: UserId(999_999),
                label: "ghost".into(),
                scopes: Scopes::all(),
            })
            .unwrap_err()
            .is_not_found()
    );
    let store = h.reopen(store);
    let again = store.verify_token(&anas.secret).unwrap().unwrap();
    assert_eq!(again.scopes, Scopes::for_role(Role::Member));
}

pub fn users_are_found_by_id<H: Harness>(h: &H) {
    let store = h.fresh();
    let admin = setup(&store).admin;
    let ana = member(&store, "ana@example.com");
    assert_eq!(store.user(admin.id).unwrap(), admin);
    assert_eq!(store.user(ana.id).unwrap(), ana);
    assert!(store.user(UserId(999_999)).unwrap_err().is_not_found());
}

pub fn nodes_are_counted_while_they_beat_and_forgotten_after<H: Harness>(h: &H) {
    let store = h.fresh();
    // A node alone counts itself.
    assert_eq!(store.node_heartbeat("a", T0, T0 - 15_000).unwrap(), 1);
    assert_eq!(
        store.node_heartbeat("b", T0 + 1_000, T0 - 14_000).unwrap(),
        2
    );
    // A beat moves the node's time on rather than adding a row.
    assert_eq!(
        store.node_heartbeat("a", T0 + 5_000, T0 - 10_000).unwrap(),
        2
    );
    // b is silent past the window: forgotten, and so not counted any more.
    assert_eq!(
        store.node_heartbeat("a", T0 + 20_000, T0 + 5_000).unwrap(),
        1
    );
    assert_eq!(
        store.node_heartbeat("c", T0 + 21_000, T0 + 6_000).unwrap(),
        2
    );
    // A clean stop leaves at once; leaving twice, or as a stranger, is no error.
    store.node_leave("c").unwrap();
    store.node_leave("c").unwrap();
    store.node_leave("nobody").unwrap();
    assert_eq!(
        store.node_heartbeat("a", T0 + 22_000, T0 + 7_000).unwrap(),
        1
    );
    // The count survives reopening (the nodes live in the database, not the handle).
    let store = h.reopen(store);
    assert_eq!(
        store.node_heartbeat("d", T0 + 23_000, T0 + 8_000).unwrap(),
        2
    );
}
