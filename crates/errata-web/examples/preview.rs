//! Writes every page, filled with sample data, plus the assets into a directory, for
//! looking at the design without a server: `cargo run -p errata-web --example preview --
//! /tmp/preview`, then `python3 -m http.server -d /tmp/preview` and open `/issues.html`.

use std::path::PathBuf;

use errata_web::{
    AssetKind, IssueListPage, IssueRow, KeyRow, Layout, LoginPage, NavItem, OutcomeClass,
    OutcomeSeries, ProjectLink, ProjectListPage, ProjectRow, ProjectSettingsPage, ProjectStatsPage,
    ReasonRow, StatsPeriod, TokenRow, TokensPage, UserRow, UsersPage, asset, asset_path,
};

fn layout(title: &str, nav: NavItem, theme: &str) -> Layout {
    Layout {
        title: title.into(),
        user: Some("Ann Admin".into()),
        csrf: "csrf".into(),
        nav,
        flash: Some("Resolved 2 issues.".into()),
        theme: theme.into(),
        is_admin: true,
    }
}

fn rows() -> Vec<IssueRow> {
    let titles = [
        (
            "ZeroDivisionError: division by zero",
            "app.billing in compute_total",
            "error",
        ),
        (
            "panic: index out of bounds: the len is 3 but the index is 7",
            "errata_shop::pricing::discount_percent",
            "fatal",
        ),
        (
            "TypeError: Cannot read properties of undefined (reading 'map')",
            "src/components/List.tsx in render",
            "error",
        ),
        ("Slow query on orders", "db.orders", "warning"),
        ("User signed up", "", "info"),
    ];
    titles
        .iter()
        .enumerate()
        .map(|(index, (title, culprit, level))| IssueRow {
            id: i64::try_from(index).unwrap_or(0) + 1,
            short_id: format!("BACKEND-{}", index + 1),
            title: (*title).into(),
            culprit: (*culprit).into(),
            level: (*level).into(),
            project_slug: "backend".into(),
            events: [12_345, 87, 3, 1_200_000, 1][index],
            users: [321, 4, 1, 0, 1][index],
            first_seen: "3d ago".into(),
            first_seen_iso: "2026-01-01T00:00:00Z".into(),
            last_seen: format!("{}m ago", index * 7 + 1),
            last_seen_iso: "2026-01-04T09:00:00Z".into(),
            sparkline: (0..24)
                .map(|hour| ((hour * 7 + index * 3) % 11) as u64)
                .collect(),
            is_new: index == 2,
            is_regressed: index == 1,
            status: if index == 4 {
                "resolved".into()
            } else {
                "unresolved".into()
            },
            href: format!("/issues/{}/", index + 1),
        })
        .collect()
}

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "preview".into()));
    std::fs::create_dir_all(dir.join("static"))?;
    for kind in [AssetKind::Stylesheet, AssetKind::Script] {
        let path = asset_path(kind);
        let name = path.trim_start_matches("/static/");
        std::fs::write(dir.join("static").join(name), asset(name).unwrap().bytes)?;
    }
    let backend = ProjectLink {
        slug: "backend".into(),
        name: "Backend".into(),
    };
    for theme in ["light", "dark"] {
        let list = IssueListPage {
            layout: layout("Issues", NavItem::Issues, theme),
            project: None,
            projects: vec![backend.clone()],
            query: "is:unresolved".into(),
            sort: "last_seen".into(),
            period: "24h".into(),
            rows: rows(),
            cursor: None,
            next_cursor: Some("next".into()),
            poll_since_ms: 0,
            error: None,
        };
        std::fs::write(dir.join(format!("issues-{theme}.html")), list.render())?;
    }
    let empty = IssueListPage {
        layout: layout("Issues", NavItem::Issues, "light"),
        project: Some(backend.clone()),
        query: "is:unresolved".into(),
        ..IssueListPage::default()
    };
    std::fs::write(dir.join("issues-empty.html"), empty.render())?;
    let login = LoginPage {
        layout: Layout {
            title: "Sign in".into(),
            ..Layout::default()
        },
        error: Some("Wrong email or password.".into()),
        ..LoginPage::default()
    };
    std::fs::write(dir.join("login.html"), login.render())?;
    let projects = ProjectListPage {
        layout: layout("Projects", NavItem::Projects, "light"),
        projects: vec![ProjectRow {
            slug: "backend".into(),
            name: "Backend".into(),
            platform: "rust".into(),
            unresolved_issues: 12,
            events_24h: 3_400,
            sparkline: (0..24).map(|hour| hour % 5).collect(),
        }],
        can_create: true,
    };
    std::fs::write(dir.join("projects.html"), projects.render())?;
    write_settings_pages(&dir)
}

/// The project settings, tokens and users pages.
fn write_settings_pages(dir: &std::path::Path) -> std::io::Result<()> {
    let settings = ProjectSettingsPage {
        layout: layout("Backend settings", NavItem::Projects, "light"),
        slug: "backend".into(),
        name: "Backend".into(),
        platform: "rust".into(),
        rate_limit_per_minute: Some(600),
        quota_window: "month".into(),
        scrub_data: true,
        sensitive_fields: vec!["card_no".into()],
        keys: vec![KeyRow {
            id: 1,
            label: "Default".into(),
            dsn: "https://0123456789abcdef0123456789abcdef@errata.example/1".into(),
            enabled: true,
            created: "3d ago".into(),
            created_iso: "2026-01-01T00:00:00Z".into(),
        }],
        ..ProjectSettingsPage::default()
    };
    std::fs::write(dir.join("settings.html"), settings.render())?;
    write_stats_pages(dir)?;
    let tokens = TokensPage {
        layout: layout("API tokens", NavItem::Settings, "light"),
        tokens: vec![TokenRow {
            id: 1,
            label: "CI releases".into(),
            scopes: vec!["project:read".into(), "event:write".into()],
            created: "2d ago".into(),
            created_iso: "2026-01-01T00:00:00Z".into(),
            last_used: Some("1h ago".into()),
            last_used_iso: Some("2026-01-03T00:00:00Z".into()),
        }],
        new_token: Some("errata_0123456789abcdef0123456789abcdef".into()),
        ..TokensPage::default()
    };
    std::fs::write(dir.join("tokens.html"), tokens.render())?;
    let users = UsersPage {
        layout: layout("Users", NavItem::Users, "dark"),
        users: vec![UserRow {
            id: 1,
            email: "ann@example.com".into(),
            name: "Ann Admin".into(),
            role: "owner".into(),
            is_self: true,
        }],
        ..UsersPage::default()
    };
    std::fs::write(dir.join("users.html"), users.render())?;
    Ok(())
}

/// The stats page over 7 days, light and dark: a daily rhythm of accepted events, a burst
/// of crawler and release drops, and a quota that ran out one evening.
fn write_stats_pages(dir: &std::path::Path) -> std::io::Result<()> {
    let hours = StatsPeriod::Week.buckets();
    let wave = |i: usize| {
        let hour = i % 24;
        let day = if (8..20).contains(&hour) { 40 } else { 8 };
        (day + (i * 7919) % 13) as u64
    };
    let counts = |f: &dyn Fn(usize) -> u64| (0..hours).map(f).collect::<Vec<u64>>();
    let series = vec![
        OutcomeSeries {
            class: OutcomeClass::Accepted,
            counts: counts(&|i| if (110..116).contains(&i) { 5 } else { wave(i) }),
        },
        OutcomeSeries {
            class: OutcomeClass::Filtered,
            counts: counts(&|i| {
                if (60..72).contains(&i) {
                    25
                } else {
                    (i % 5) as u64
                }
            }),
        },
        OutcomeSeries {
            class: OutcomeClass::RateLimited,
            counts: counts(&|i| if (110..116).contains(&i) { 45 } else { 0 }),
        },
        OutcomeSeries {
            class: OutcomeClass::Invalid,
            counts: counts(&|i| u64::from(i % 17 == 0)),
        },
        OutcomeSeries {
            class: OutcomeClass::ClientDiscarded,
            counts: counts(&|i| u64::from(i % 9 == 0) * 3),
        },
    ];
    let reason = |label: &str, reason: &str, class, quantity| ReasonRow {
        label: label.into(),
        reason: reason.into(),
        class,
        quantity,
    };
    for theme in ["light", "dark"] {
        let page = ProjectStatsPage {
            layout: layout("Backend stats", NavItem::Projects, theme),
            slug: "backend".into(),
            name: "Backend".into(),
            period: StatsPeriod::Week,
            start_secs: 1_795_219_200 - 6 * 86_400,
            series: series.clone(),
            reasons: vec![
                reason(
                    "Filtered: web crawler",
                    "filtered:web-crawlers",
                    OutcomeClass::Filtered,
                    214,
                ),
                reason(
                    "Event quota used up",
                    "quota_exceeded",
                    OutcomeClass::RateLimited,
                    270,
                ),
                reason(
                    "Filtered: release",
                    "filtered:release-version",
                    OutcomeClass::Filtered,
                    180,
                ),
                reason(
                    "Dropped by the SDK: sample rate",
                    "client_discard:sample_rate",
                    OutcomeClass::ClientDiscarded,
                    57,
                ),
                reason("Too large", "too_large", OutcomeClass::Invalid, 10),
            ],
        };
        std::fs::write(dir.join(format!("stats-{theme}.html")), page.render())?;
    }
    Ok(())
}
