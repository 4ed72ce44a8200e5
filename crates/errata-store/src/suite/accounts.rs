//! Conformance: API tokens, user accounts, missing rows and durability across reopening.

#[allow(clippy::wildcard_imports)]
use super::*;

pub fn tokens_verify_only_their_secret<H: Harness>(h: &H) {
    let store = h.fresh();
    let b = setup(&store);
    let created = store
        .create_token(&NewToken {
            user_id: b.admin.id,
            label: "cli".into(),
            scopes: Scopes::all(),
        })
        .unwrap();
    assert_eq!(created.secret.len(), 64);
    assert_eq!(
        store.verify_token(&created.secret).unwrap(),
        Some(created.token.clone())
    );
    assert_eq!(created.token.user_id, b.admin.id);
    let other = store
        .create_token(&NewToken {
            user_id: b.admin.id,
            label: "ci".into(),
            scopes: Scopes::empty(),
        })
        .unwrap();
    assert_ne!(other.secret, created.secret);
    assert_eq!(
        store.verify_token(&other.secret).unwrap().unwrap().id,
        other.token.id
    );
    assert_eq!(store.verify_token("").unwrap(), None);
    assert_eq!(store.verify_token(&created.secret[..63]).unwrap(), None);
    assert_eq!(
        store
            .verify_token(&crate::hash_secret(&created.secret))
            .unwrap(),
        None
    );
}

pub fn missing_rows_are_not_found<H: Harness>(h: &H) {
    let store = h.fresh();
    let p = setup(&store).project.id;
    let nobody = IssueId(424_242);
    assert!(store.issue(nobody).unwrap_err().is_not_found());
    assert!(
        store
            .set_issue_status(nobody, IssueStatus::Resolved)
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        store
            .issue_events(nobody, None, 10)
            .unwrap_err()
            .is_not_found()
    );
    assert!(store.latest_event(nobody).unwrap_err().is_not_found());
    assert!(store.issue_user_reports(nobody).unwrap_err().is_not_found());
    assert!(store.event(p, Uuid::new_v4()).unwrap_err().is_not_found());
    assert!(store.project(ProjectId(999)).unwrap_err().is_not_found());
    assert!(
        store
            .project_keys(ProjectId(999))
            .unwrap_err()
            .is_not_found()
    );
    assert!(store.organization("nope").unwrap_err().is_not_found());
    assert!(
        store
            .project_by_slug(crate::OrganizationId(1), "nope")
            .unwrap_err()
            .is_not_found()
    );
}

pub fn committed_data_survives_reopening<H: Harness>(h: &H) {
    let store = h.fresh();
    let b = setup(&store);
    let p = b.project.id;
    let events: Vec<_> = (0..50)
        .map(|n| event(p, &[&hash(n % 5)], i64::from(n)))
        .collect();
    let results = store.ingest(&events).unwrap();
    store
        .set_issue_status(results[0].issue_id, IssueStatus::Resolved)
        .unwrap();
    let token = store
        .create_token(&NewToken {
            user_id: b.admin.id,
            label: "t".into(),
            scopes: Scopes::all(),
        })
        .unwrap();
    let before = store.issues(&query(p, IssueFilter::default())).unwrap();
    let store = h.reopen(store);
    assert!(!store.bootstrap(&spec()).unwrap().created);
    assert_eq!(
        store.issues(&query(p, IssueFilter::default())).unwrap(),
        before
    );
    for e in &events {
        assert_eq!(
            store.event(p, e.event_id).unwrap().payload,
            e.payload.decompress().unwrap()
        );
    }
    assert!(store.verify_token(&token.secret).unwrap().is_some());
    assert_eq!(
        store.issue(results[0].issue_id).unwrap().status,
        IssueStatus::Resolved
    );
    // New events after reopening still find their issues.
    assert_eq!(
        ingest_one(&store, event(p, &[&hash(1)], 100)).issue_id,
        results[1].issue_id
    );
}

pub fn users_are_created_found_listed_and_reset<H: Harness>(h: &H) {
    let store = h.fresh();
    let boot = setup(&store);
    let new = |email: &str, role: Role| NewUser {
        email: email.into(),
        name: " Ana Lima ".into(),
        password_hash: "$argon2id$first".into(),
        role,
    };
    let member = store
        .create_user(&new(" Ana@Example.COM ", Role::Member))
        .unwrap();
    assert_eq!(member.email, "ana@example.com");
    assert_eq!(member.name, "Ana Lima");
    assert!(!member.is_admin());
    let taken = store
        .create_user(&new("ANA@example.com", Role::Admin))
        .unwrap_err();
    assert!(taken.is_conflict(), "{taken}");
    for bad in ["not-an-email", "a@b@c", ""] {
        let error = store.create_user(&new(bad, Role::Member)).unwrap_err();
        assert!(error.is_invalid(), "{bad:?}: {error}");
    }
    let admin = store
        .create_user(&new("ops@example.com", Role::Admin))
        .unwrap();
    assert!(admin.is_admin());
    assert_eq!(store.user_by_email("ANA@EXAMPLE.COM ").unwrap(), member);
    assert!(
        store
            .user_by_email("nobody@example.com")
            .unwrap_err()
            .is_not_found()
    );
    let emails: Vec<String> = store
        .users()
        .unwrap()
        .into_iter()
        .map(|u| u.email)
        .collect();
    assert_eq!(
        emails,
        vec![boot.admin.email.clone(), member.email.clone(), admin.email]
    );
    let reset = store
        .set_user_password(member.id, "$argon2id$second")
        .unwrap();
    assert_eq!(reset.password_hash, "$argon2id$second");
    assert_eq!(reset.role, Role::Member);
    assert!(
        store
            .set_user_password(member.id, "")
            .unwrap_err()
            .is_invalid()
    );
    assert!(
        store
            .set_user_password(UserId(999_999), "$argon2id$x")
            .unwrap_err()
            .is_not_found()
    );
    let store = h.reopen(store);
    let again = store.user_by_email("ana@example.com").unwrap();
    assert_eq!(again.password_hash, "$argon2id$second");
    // The bootstrap still finds its owner.
    assert_eq!(store.bootstrap(&spec()).unwrap().admin.id, boot.admin.id);
}
