//! Inbound filters as settings (stored, patched filter by filter, validated) and the
//! per-hour outcome series the stats page draws (filtered drops among them).

use super::{Harness, T0, setup};
use crate::{
    FilterPatch, InboundFilters, MAX_FILTER_PATTERNS, NewProject, OutcomeBucket, OutcomeDelta,
    ProjectSettings, Store as _,
};

fn list(entries: &[&str]) -> Vec<String> {
    entries.iter().map(|e| (*e).to_owned()).collect()
}

fn filters(patch: FilterPatch) -> ProjectSettings {
    ProjectSettings {
        filters: patch,
        ..ProjectSettings::default()
    }
}

pub fn inbound_filters_round_trip_and_patch_partially<H: Harness>(h: &H) {
    let store = h.fresh();
    let b = setup(&store);
    let p = b.project.id;
    // Off by default, for the bootstrap's project and a new one.
    assert!(b.project.filters.is_empty());
    assert!(store.project(p).unwrap().filters.is_empty());
    let (other, _) = store
        .create_project(&NewProject::named(b.organization.id, "Web"))
        .unwrap();
    assert_eq!(other.filters, InboundFilters::default());

    let all = store
        .update_project_settings(
            p,
            &filters(FilterPatch {
                environments: Some(list(&[" staging ", "dev", "staging", ""])),
                releases: Some(list(&["1.0.*", "*-beta"])),
                error_messages: Some(list(&["*ResizeObserver loop*", "TypeError: *"])),
                web_crawlers: Some(true),
                browser_extensions: Some(true),
                localhost: Some(false),
            }),
        )
        .unwrap();
    let expected = InboundFilters {
        environments: vec!["staging".into(), "dev".into()],
        releases: vec!["1.0.*".into(), "*-beta".into()],
        error_messages: vec!["*ResizeObserver loop*".into(), "TypeError: *".into()],
        web_crawlers: true,
        browser_extensions: true,
        localhost: false,
    };
    assert_eq!(all.filters, expected, "trimmed, de-duplicated, in order");
    assert_eq!(store.project(p).unwrap(), all);
    assert_eq!(
        store.project(other.id).unwrap().filters,
        InboundFilters::default(),
        "only the named project changes"
    );

    // One filter at a time leaves the others (and the other settings) as they are.
    let one = store
        .update_project_settings(
            p,
            &filters(FilterPatch {
                web_crawlers: Some(false),
                ..FilterPatch::default()
            }),
        )
        .unwrap();
    assert_eq!(
        one.filters,
        InboundFilters {
            web_crawlers: false,
            ..expected.clone()
        }
    );
    assert_eq!(one.sensitive_fields, all.sensitive_fields);
    let renamed = store
        .update_project_settings(
            p,
            &ProjectSettings {
                name: Some("Renamed".into()),
                ..ProjectSettings::default()
            },
        )
        .unwrap();
    assert_eq!(
        renamed.filters, one.filters,
        "other settings keep the filters"
    );
    let cleared = store
        .update_project_settings(
            p,
            &filters(FilterPatch {
                releases: Some(Vec::new()),
                ..FilterPatch::default()
            }),
        )
        .unwrap();
    assert!(cleared.filters.releases.is_empty());
    assert_eq!(cleared.filters.environments, expected.environments);

    // Invalid lists change nothing.
    let many: Vec<String> = (0..=MAX_FILTER_PATTERNS)
        .map(|n| format!("{n}.*"))
        .collect();
    for bad in [
        FilterPatch {
            releases: Some(many),
            ..FilterPatch::default()
        },
        FilterPatch {
            error_messages: Some(list(&[&"x".repeat(crate::MAX_FILTER_PATTERN_LEN + 1)])),
            web_crawlers: Some(true),
            ..FilterPatch::default()
        },
        FilterPatch {
            environments: Some(list(&["a\tb"])),
            ..FilterPatch::default()
        },
    ] {
        let e = store.update_project_settings(p, &filters(bad)).unwrap_err();
        assert!(e.is_invalid(), "{e}");
    }
    assert_eq!(store.project(p).unwrap(), cleared);
    let reopened = h.reopen(store);
    assert_eq!(reopened.project(p).unwrap(), cleared);
}

pub fn outcome_series_lists_each_hour<H: Harness>(h: &H) {
    let store = h.fresh();
    let b = setup(&store);
    let p = b.project.id;
    let (other, _) = store
        .create_project(&NewProject::named(b.organization.id, "o"))
        .unwrap();
    let hour = crate::BUCKET_MS;
    let start = crate::bucket_start(T0);
    let delta = |project, at: i64, category: &str, reason: &str, quantity| OutcomeDelta {
        project_id: project,
        timestamp_ms: at,
        category: category.into(),
        reason: reason.into(),
        quantity,
    };
    store
        .add_outcomes(&[
            delta(p, start + 5, "error", "accepted", 3),
            delta(p, start + hour - 1, "error", "accepted", 2),
            delta(p, start + 10, "error", "filtered:release-version", 4),
            delta(p, start + 2 * hour, "error", "filtered:web-crawlers", 1),
            delta(p, start + 2 * hour + 7, "default", "accepted", 6),
            delta(p, start - hour, "error", "accepted", 100),
            delta(other.id, start, "error", "accepted", 50),
        ])
        .unwrap();
    store
        .add_outcomes(&[delta(
            p,
            start + 2 * hour,
            "error",
            "filtered:web-crawlers",
            i64::MAX as u64,
        )])
        .unwrap();
    let bucket = |at: i64, category: &str, reason: &str, quantity| OutcomeBucket {
        hour_ms: at,
        category: category.into(),
        reason: reason.into(),
        quantity,
    };
    // From inside the first hour: that whole hour is listed, in hour, category, reason order.
    assert_eq!(
        store.outcome_series(p, start + 30).unwrap(),
        [
            bucket(start, "error", "accepted", 5),
            bucket(start, "error", "filtered:release-version", 4),
            bucket(start + 2 * hour, "default", "accepted", 6),
            bucket(
                start + 2 * hour,
                "error",
                "filtered:web-crawlers",
                i64::MAX as u64
            ),
        ]
    );
    assert_eq!(store.outcome_series(p, start - hour).unwrap().len(), 5);
    assert_eq!(
        store.outcome_series(other.id, 0).unwrap(),
        [bucket(start, "error", "accepted", 50)]
    );
    assert!(
        store
            .outcome_series(p, start + 3 * hour)
            .unwrap()
            .is_empty()
    );
    // The series adds up to the totals.
    let totals = store.outcomes(p, start).unwrap();
    let series_total: u64 = store
        .outcome_series(p, start)
        .unwrap()
        .iter()
        .filter(|b| b.reason == "accepted")
        .map(|b| b.quantity)
        .sum();
    let accepted: u64 = totals
        .iter()
        .filter(|c| c.reason == "accepted")
        .map(|c| c.quantity)
        .sum();
    assert_eq!(series_total, accepted);
}
