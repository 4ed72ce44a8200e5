//! Conformance: bootstrap, DSN keys, projects and their settings.

#[allow(clippy::wildcard_imports)]
use super::*;

pub fn bootstrap_is_idempotent<H: Harness>(h: &H) {
    let store = h.fresh();
    let first = setup(&store);
    assert!(first.created);
    assert!(first.admin.is_admin());
    assert_eq!(first.admin.role, crate::Role::Owner);
    assert_eq!(first.key.project_id, first.project.id);
    let second = store.bootstrap(&spec()).unwrap();
    assert!(!second.created);
    assert_eq!(second.organization, first.organization);
    assert_eq!(second.admin, first.admin);
    assert_eq!(second.project, first.project);
    assert_eq!(second.key, first.key);
    assert_eq!(
        store.organizations().unwrap(),
        vec![first.organization.clone()]
    );
    assert_eq!(
        store.projects(first.organization.id).unwrap(),
        vec![first.project.clone()]
    );
    assert_eq!(
        store.project_keys(first.project.id).unwrap(),
        vec![first.key]
    );
}

pub fn project_keys_are_found_by_public_key<H: Harness>(h: &H) {
    let store = h.fresh();
    let b = setup(&store);
    assert_eq!(
        store.project_key(&b.key.public_key).unwrap(),
        Some(b.key.clone())
    );
    assert!(b.key.is_active);
    assert_eq!(b.key.public_key.len(), 32);
    assert_eq!(store.project_key(&"0".repeat(32)).unwrap(), None);
    let (other, other_key) = store
        .create_project(&NewProject::named(b.organization.id, "Web App"))
        .unwrap();
    assert_ne!(other_key.public_key, b.key.public_key);
    let found = store.project_key(&other_key.public_key).unwrap().unwrap();
    assert_eq!(found.project_id, other.id);
}

pub fn project_scrubbing_is_on_by_default<H: Harness>(h: &H) {
    let store = h.fresh();
    let b = setup(&store);
    assert!(b.project.scrub_data);
    let (web, _) = store
        .create_project(&NewProject::named(b.organization.id, "Web"))
        .unwrap();
    assert!(web.scrub_data);
    let scrubbing = |on| ProjectSettings {
        scrub_data: Some(on),
        ..ProjectSettings::default()
    };
    let off = store
        .update_project_settings(web.id, &scrubbing(false))
        .unwrap();
    assert!(!off.scrub_data);
    assert!(!store.project(web.id).unwrap().scrub_data);
    assert!(store.project(b.project.id).unwrap().scrub_data);
    assert!(
        store
            .update_project_settings(crate::ProjectId(9999), &scrubbing(true))
            .unwrap_err()
            .is_not_found()
    );
}

fn fields(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

pub fn project_settings_round_trip_and_patch_partially<H: Harness>(h: &H) {
    let store = h.fresh();
    let b = setup(&store);
    // Defaults: scrubbing on, no extra fields, IPs kept, no quota.
    for project in [&b.project, &store.project(b.project.id).unwrap()] {
        assert!(project.scrub_data);
        assert!(project.sensitive_fields.is_empty());
        assert!(!project.scrub_ip_addresses);
        assert_eq!(project.event_quota, None);
    }
    let (web, _) = store
        .create_project(&NewProject::named(b.organization.id, "Web"))
        .unwrap();
    assert_eq!(
        (
            web.sensitive_fields.len(),
            web.scrub_ip_addresses,
            web.event_quota
        ),
        (0, false, None)
    );
    let p = b.project.id;
    let daily = EventQuota {
        limit: 1000,
        window: QuotaWindow::Day,
    };
    let all = store
        .update_project_settings(
            p,
            &ProjectSettings {
                name: Some("  Checkout API ".into()),
                scrub_data: Some(false),
                sensitive_fields: Some(fields(&["SSN", "card.number", "ssn", "api-key_2"])),
                scrub_ip_addresses: Some(true),
                event_quota: Some(Some(daily)),
                rate_limit_per_minute: Some(Some(600)),
                filters: crate::FilterPatch::default(),
            },
        )
        .unwrap();
    assert_eq!(all.name, "Checkout API", "renamed, trimmed");
    assert_eq!(all.rate_limit_per_minute, Some(600));
    assert!(!all.scrub_data);
    assert_eq!(all.sensitive_fields, ["ssn", "card.number", "api-key_2"]);
    assert!(all.scrub_ip_addresses);
    assert_eq!(all.event_quota, Some(daily));
    assert_eq!(store.project(p).unwrap(), all);
    assert_eq!(
        (all.id, &all.slug, all.created_ms),
        (p, &b.project.slug, b.project.created_ms)
    );
    // An empty patch changes nothing; a partial one changes only what it names.
    assert_eq!(
        store
            .update_project_settings(p, &ProjectSettings::default())
            .unwrap(),
        all
    );
    let monthly = EventQuota {
        limit: crate::MAX_QUOTA_LIMIT,
        window: QuotaWindow::Month,
    };
    let quota_only = store
        .update_project_settings(
            p,
            &ProjectSettings {
                event_quota: Some(Some(monthly)),
                ..ProjectSettings::default()
            },
        )
        .unwrap();
    assert_eq!(
        quota_only,
        crate::Project {
            event_quota: Some(monthly),
            ..all.clone()
        }
    );
    let fields_only = store
        .update_project_settings(
            p,
            &ProjectSettings {
                sensitive_fields: Some(Vec::new()),
                scrub_ip_addresses: Some(false),
                ..ProjectSettings::default()
            },
        )
        .unwrap();
    assert_eq!(
        fields_only,
        crate::Project {
            sensitive_fields: Vec::new(),
            scrub_ip_addresses: false,
            ..quota_only.clone()
        }
    );
    let removed = store
        .update_project_settings(
            p,
            &ProjectSettings {
                event_quota: Some(None),
                ..ProjectSettings::default()
            },
        )
        .unwrap();
    assert_eq!(removed.event_quota, None);
    assert!(!removed.scrub_data);
    // Other projects are untouched; settings are what every read returns.
    assert_eq!(store.project(web.id).unwrap(), web);
    assert_eq!(
        store.project_by_slug(b.organization.id, "backend").unwrap(),
        removed
    );
    assert!(
        store
            .projects(b.organization.id)
            .unwrap()
            .contains(&removed)
    );
    let set = store
        .update_project_settings(
            web.id,
            &ProjectSettings {
                sensitive_fields: Some(fields(&["token"])),
                event_quota: Some(Some(daily)),
                ..ProjectSettings::default()
            },
        )
        .unwrap();
    let store = h.reopen(store);
    assert_eq!(store.project(web.id).unwrap(), set);
    assert_eq!(store.project(p).unwrap(), removed);
}

pub fn project_settings_are_validated<H: Harness>(h: &H) {
    let store = h.fresh();
    let b = setup(&store);
    let p = b.project.id;
    let good = store
        .update_project_settings(
            p,
            &ProjectSettings {
                sensitive_fields: Some(fields(&["ssn"])),
                ..ProjectSettings::default()
            },
        )
        .unwrap();
    let quota = |limit| ProjectSettings {
        scrub_data: Some(false),
        event_quota: Some(Some(EventQuota {
            limit,
            window: QuotaWindow::Day,
        })),
        ..ProjectSettings::default()
    };
    let with_fields = |fields: Vec<String>| ProjectSettings {
        scrub_ip_addresses: Some(true),
        sensitive_fields: Some(fields),
        ..ProjectSettings::default()
    };
    let too_many: Vec<String> = (0..=crate::MAX_SENSITIVE_FIELDS)
        .map(|n| format!("field{n}"))
        .collect();
    let bad = [
        quota(0),
        quota(crate::MAX_QUOTA_LIMIT + 1),
        quota(u64::MAX),
        with_fields(too_many),
        with_fields(fields(&[""])),
        with_fields(fields(&["with space"])),
        with_fields(fields(&["ok", "semi;colon"])),
        with_fields(fields(&["naïve"])),
        with_fields(vec!["x".repeat(crate::MAX_SENSITIVE_FIELD_LEN + 1)]),
    ];
    for patch in &bad {
        let e = store.update_project_settings(p, patch).unwrap_err();
        assert!(e.is_invalid(), "{patch:?}: {e}");
        // Nothing of a refused patch is applied.
        assert_eq!(store.project(p).unwrap(), good);
    }
    // The limits themselves are accepted.
    let at_limits: Vec<String> = (0..crate::MAX_SENSITIVE_FIELDS)
        .map(|n| format!("{n}{}", "x".repeat(crate::MAX_SENSITIVE_FIELD_LEN - 2)))
        .collect();
    let updated = store
        .update_project_settings(p, &with_fields(at_limits.clone()))
        .unwrap();
    assert_eq!(updated.sensitive_fields, at_limits);
    assert_eq!(
        store
            .update_project_settings(p, &quota(1))
            .unwrap()
            .event_quota
            .map(|q| q.limit),
        Some(1)
    );
    // A missing project is not found, even with an empty patch.
    let missing = store
        .update_project_settings(ProjectId(9999), &ProjectSettings::default())
        .unwrap_err();
    assert!(missing.is_not_found());
}

pub fn projects_are_created_with_unique_slugs<H: Harness>(h: &H) {
    let store = h.fresh();
    let b = setup(&store);
    let org = b.organization.id;
    let (web, _) = store
        .create_project(&NewProject::named(org, "Web App"))
        .unwrap();
    assert_eq!(web.slug, "web-app");
    assert_eq!(store.project(web.id).unwrap(), web);
    assert_eq!(store.project_by_slug(org, "web-app").unwrap(), web);
    let again = store.create_project(&NewProject::named(org, "web app"));
    assert!(again.unwrap_err().is_conflict());
    let mut bad = NewProject::named(org, "x");
    bad.slug = "Bad Slug".into();
    assert!(store.create_project(&bad).unwrap_err().is_invalid());
    let orphan = NewProject::named(crate::OrganizationId(9999), "y");
    assert!(store.create_project(&orphan).unwrap_err().is_not_found());
    let slugs: Vec<_> = store
        .projects(org)
        .unwrap()
        .into_iter()
        .map(|p| p.slug)
        .collect();
    assert_eq!(slugs, ["backend", "web-app"]);
    assert_eq!(store.organization("acme").unwrap().id, org);
}
