//! Several writers: `PgStore`s with their own pools (as separate nodes would have) write
//! to one database at once, released together by a barrier, and the result is the one of
//! some serial order of their calls (the "Several writers" contract of `Store::ingest`,
//! and `Store::claim_deliveries`'s "never the same delivery").

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Barrier};

use errata_store::suite::{event, hash};
use errata_store::{
    ActivityKind, BootstrapSpec, ChannelId, IngestKind, IngestResult, IssueId, IssueStatus,
    NewDelivery, ProjectId, Recipient, Store, Trigger,
};
use errata_store_postgres::PgStore;
use errata_store_postgres::testing::TestDatabase;

const NODES: usize = 4;

fn spec() -> BootstrapSpec {
    BootstrapSpec {
        organization_slug: "acme".into(),
        organization_name: "Acme".into(),
        admin_email: "admin@example.com".into(),
        admin_password_hash: "$argon2id$stub".into(),
        project_slug: "backend".into(),
        project_name: "Backend".into(),
    }
}

/// A database with an organization and project, and one store per node.
fn nodes(db: &TestDatabase) -> (Vec<Arc<PgStore>>, ProjectId) {
    let stores: Vec<_> = (0..NODES)
        .map(|_| Arc::new(PgStore::open(&db.config()).unwrap()))
        .collect();
    let project = stores[0].bootstrap(&spec()).unwrap().project.id;
    (stores, project)
}

/// Runs `work(node)` on every node at once; returns what each returned, by node.
fn together<T: Send + 'static>(
    stores: &[Arc<PgStore>],
    work: impl Fn(usize, &PgStore) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let barrier = Arc::new(Barrier::new(stores.len()));
    let work = Arc::new(work);
    let threads: Vec<_> = stores
        .iter()
        .enumerate()
        .map(|(node, store)| {
            let (store, barrier, work) =
                (Arc::clone(store), Arc::clone(&barrier), Arc::clone(&work));
            std::thread::spawn(move || {
                barrier.wait();
                work(node, &store)
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

#[test]
fn concurrent_batches_share_one_issue_per_new_hash_and_lose_no_count() {
    const GROUPS: u32 = 12;
    const ROUNDS: usize = 3;
    let Some(db) = TestDatabase::create() else {
        return;
    };
    let (stores, project) = nodes(&db);
    let results = together(&stores, move |node, store| {
        let mut all: Vec<IngestResult> = Vec::new();
        for round in 0..ROUNDS {
            // Every node files every group, in a node-dependent order, with two users
            // shared by all nodes and one of its own.
            let batch: Vec<_> = (0..GROUPS)
                .map(|g| (g + node as u32 * 5) % GROUPS)
                .flat_map(|g| {
                    let h = hash(g);
                    ["shared-a", "shared-b", &format!("node-{node}")]
                        .map(|user| {
                            let mut e = event(
                                project,
                                &[&h, &hash(1000 + g)],
                                i64::try_from(round).unwrap(),
                            );
                            e.user = Some(user.to_owned());
                            e.tags = vec![("node".into(), node.to_string())];
                            e
                        })
                        .to_vec()
                })
                .collect();
            all.extend(store.ingest(&batch).unwrap());
        }
        all
    });
    let all: Vec<IngestResult> = results.into_iter().flatten().collect();
    let per_group = NODES * ROUNDS * 3;
    assert_eq!(all.len(), GROUPS as usize * per_group);

    let store = &stores[0];
    let page = store
        .issues(&errata_store::IssueQuery {
            project_id: Some(project),
            sort: errata_store::IssueSort::LastSeen,
            filter: errata_store::IssueFilter::default(),
            cursor: None,
            limit: 100,
        })
        .unwrap();
    // One issue per group, whatever the interleaving, and every result names it.
    assert_eq!(page.items.len(), GROUPS as usize);
    let ids: HashSet<IssueId> = page.items.iter().map(|i| i.id).collect();
    assert!(all.iter().all(|r| ids.contains(&r.issue_id)));
    let new_issues = all
        .iter()
        .filter(|r| r.kind == IngestKind::NewIssue)
        .count();
    assert_eq!(
        new_issues, GROUPS as usize,
        "each issue is new for exactly one event"
    );
    let short_ids: HashSet<i64> = page.items.iter().map(|i| i.short_id).collect();
    assert_eq!(short_ids.len(), GROUPS as usize);
    for issue in &page.items {
        assert_eq!(issue.times_seen, per_group as u64, "issue {}", issue.id);
        // Two shared users plus one per node: counted once each across the nodes.
        assert_eq!(issue.user_count, 2 + NODES as u64, "issue {}", issue.id);
        let tags = store.issue_tags(issue.id).unwrap();
        let node_counts: u64 = tags
            .iter()
            .filter(|t| t.key == "node")
            .map(|t| t.times_seen)
            .sum();
        assert_eq!(node_counts, per_group as u64);
        let hours: u64 = store
            .issue_hourly_counts(&[issue.id], 0)
            .unwrap()
            .iter()
            .map(|h| h.count)
            .sum();
        assert_eq!(hours, per_group as u64);
        let first_seen = store
            .issue_activity(issue.id)
            .unwrap()
            .iter()
            .filter(|a| a.kind == ActivityKind::FirstSeen)
            .count();
        assert_eq!(first_seen, 1);
    }
}

#[test]
fn an_event_id_sent_to_every_node_at_once_is_stored_once() {
    let Some(db) = TestDatabase::create() else {
        return;
    };
    let (stores, project) = nodes(&db);
    let shared = event(project, &[&hash(7)], 0);
    let results = together(&stores, move |_, store| {
        store.ingest(std::slice::from_ref(&shared)).unwrap()[0]
    });
    let filed: Vec<_> = results
        .iter()
        .filter(|r| r.kind != IngestKind::Duplicate)
        .collect();
    assert_eq!(filed.len(), 1, "{results:?}");
    assert!(results.iter().all(|r| r.issue_id == filed[0].issue_id));
    assert_eq!(stores[0].issue(filed[0].issue_id).unwrap().times_seen, 1);
}

#[test]
fn a_regression_racing_on_every_node_is_reported_and_alerted_once() {
    let Some(db) = TestDatabase::create() else {
        return;
    };
    let (stores, project) = nodes(&db);
    let store = &stores[0];
    let issue = store.ingest(&[event(project, &[&hash(1)], 0)]).unwrap()[0].issue_id;
    store
        .set_issue_status(issue, IssueStatus::Resolved)
        .unwrap();
    let channel = store
        .create_channel(&errata_store::NewChannel {
            project_id: project,
            kind: errata_store::ChannelKind::Webhook,
            name: "hook".into(),
            target: "https://example.com/hook".into(),
            secret: None,
            api_base: None,
        })
        .unwrap();
    let results = together(&stores, move |node, store| {
        store
            .ingest(&[event(
                project,
                &[&hash(1)],
                10 + i64::try_from(node).unwrap(),
            )])
            .unwrap()[0]
    });
    let regressions: Vec<_> = results
        .iter()
        .filter(|r| r.kind == IngestKind::Regression)
        .collect();
    assert_eq!(regressions.len(), 1, "{results:?}");
    assert_eq!(regressions[0].alerts, 1);
    let logged = store
        .issue_activity(issue)
        .unwrap()
        .iter()
        .filter(|a| a.kind == ActivityKind::Regression)
        .count();
    assert_eq!(logged, 1);
    let to_channel = store
        .deliveries(project, 100)
        .unwrap()
        .into_iter()
        .filter(|d| {
            d.recipient == Recipient::Channel(channel.id) && d.trigger == Trigger::Regression
        })
        .count();
    assert_eq!(to_channel, 1);
    assert_eq!(store.issue(issue).unwrap().status, IssueStatus::Unresolved);
    assert_eq!(store.issue(issue).unwrap().times_seen, 1 + NODES as u64);
}

#[test]
fn nodes_claiming_at_once_never_share_a_delivery() {
    const DELIVERIES: usize = 60;
    let Some(db) = TestDatabase::create() else {
        return;
    };
    let (stores, project) = nodes(&db);
    let store = &stores[0];
    let issue = store.ingest(&[event(project, &[&hash(1)], 0)]).unwrap()[0].issue_id;
    let channel: ChannelId = store
        .create_channel(&errata_store::NewChannel {
            project_id: project,
            kind: errata_store::ChannelKind::Webhook,
            name: "hook".into(),
            target: "https://example.com/hook".into(),
            secret: None,
            api_base: None,
        })
        .unwrap()
        .id;
    // What ingest queued (the default rule) is claimed too: count it in.
    let mut queued: HashSet<_> = store
        .deliveries(project, 1000)
        .unwrap()
        .iter()
        .map(|d| d.id)
        .collect();
    for _ in 0..DELIVERIES {
        let d = store
            .queue_delivery(&NewDelivery {
                project_id: project,
                recipient: Recipient::Channel(channel),
                issue_id: issue,
                event_id: None,
                trigger: Trigger::NewIssue,
            })
            .unwrap();
        queued.insert(d.id);
    }
    let now = i64::MAX / 2;
    let claims = together(&stores, move |node, store| {
        let mut mine = Vec::new();
        loop {
            let got = store
                .claim_deliveries(&format!("node-{node}"), now, 7)
                .unwrap();
            if got.is_empty() {
                return mine;
            }
            mine.extend(got.into_iter().map(|d| d.id));
        }
    });
    let mut holders = HashMap::new();
    for (node, ids) in claims.iter().enumerate() {
        for id in ids {
            assert!(
                holders.insert(*id, node).is_none(),
                "delivery {id} claimed twice"
            );
        }
    }
    assert_eq!(holders.keys().copied().collect::<HashSet<_>>(), queued);
}

#[test]
fn a_batch_of_thousands_of_new_hashes_stays_within_the_lock_budget() {
    const EVENTS: u32 = 8000;
    let Some(db) = TestDatabase::create() else {
        return;
    };
    let (stores, project) = nodes(&db);
    // Two new hashes per event: without bucketed hash locks this batch would take 16000
    // advisory locks, past what PostgreSQL's shared lock table holds by default.
    let batch: Vec<_> = (0..EVENTS)
        .map(|n| event(project, &[&hash(n), &hash(100_000 + n)], i64::from(n)))
        .collect();
    let results = stores[1].ingest(&batch).unwrap();
    assert!(results.iter().all(|r| r.kind == IngestKind::NewIssue));
    let again = stores[2].ingest(&batch[..10]).unwrap();
    assert!(again.iter().all(|r| r.kind == IngestKind::Duplicate));
    let issue = stores[0].issue(results[0].issue_id).unwrap();
    assert_eq!(issue.times_seen, 1);
}

/// Events whose issue does not exist.
fn orphan_events(store: &PgStore) -> i64 {
    store
        .pool()
        .with_client(async |c| {
            Ok(c.query_one(
                "SELECT count(*) FROM events e
                 WHERE NOT EXISTS (SELECT 1 FROM issues i WHERE i.id = e.issue_id)",
                &[],
            )
            .await?
            .get(0))
        })
        .unwrap()
}

#[test]
fn deleting_an_issue_while_its_events_arrive_leaves_no_event_behind() {
    const ROUNDS: usize = 10;
    let Some(db) = TestDatabase::create() else {
        return;
    };
    let (stores, project) = nodes(&db);
    for round in 0..ROUNDS {
        let offset = i64::try_from(round * 100).unwrap();
        let issue = stores[0]
            .ingest(&[event(project, &[&hash(1)], offset)])
            .unwrap()[0]
            .issue_id;
        let results = together(&stores[..2], move |node, store| {
            if node == 0 {
                store.delete_issue(issue).map(|()| Vec::new())
            } else {
                let batch: Vec<_> = (0..20)
                    .map(|n| event(project, &[&hash(1)], offset + 1 + n))
                    .collect();
                store.ingest(&batch)
            }
        });
        for r in results {
            r.unwrap();
        }
        assert_eq!(orphan_events(&stores[0]), 0, "round {round}");
        // The hash has at most one owner and it exists.
        let owners: i64 = stores[0]
            .pool()
            .with_client(async |c| {
                Ok(c.query_one(
                    "SELECT count(*) FROM grouphashes g JOIN issues i ON i.id = g.issue_id",
                    &[],
                )
                .await?
                .get(0))
            })
            .unwrap();
        assert!(owners <= 1);
    }
}

#[test]
fn deleting_a_project_while_its_events_arrive_leaves_no_event_behind() {
    const ROUNDS: usize = 6;
    let Some(db) = TestDatabase::create() else {
        return;
    };
    let (stores, first) = nodes(&db);
    let org = stores[0].project(first).unwrap().organization_id;
    for round in 0..ROUNDS {
        let (project, _) = stores[0]
            .create_project(&errata_store::NewProject {
                organization_id: org,
                slug: format!("doomed-{round}"),
                name: "Doomed".into(),
                platform: None,
            })
            .unwrap();
        let project = project.id;
        stores[0].ingest(&[event(project, &[&hash(1)], 0)]).unwrap();
        let results = together(&stores[..2], move |node, store| {
            if node == 0 {
                store.delete_project(project).map(|()| Vec::new())
            } else {
                let batch: Vec<_> = (0..20)
                    .map(|n| event(project, &[&hash(n % 3)], 1 + i64::from(n)))
                    .collect();
                store.ingest(&batch)
            }
        });
        let [deleted, ingested] = <[_; 2]>::try_from(results).unwrap();
        deleted.unwrap();
        // Filed before the delete (then deleted with it), or refused: unknown project.
        if let Err(e) = ingested {
            assert!(e.is_invalid(), "{e}");
        }
        assert_eq!(orphan_events(&stores[0]), 0, "round {round}");
        assert!(stores[0].project(project).unwrap_err().is_not_found());
        let left: i64 = stores[0]
            .pool()
            .with_client(async |c| {
                Ok(c.query_one(
                    "SELECT (SELECT count(*) FROM events WHERE project_id = $1)
                        + (SELECT count(*) FROM issues WHERE project_id = $1)
                        + (SELECT count(*) FROM grouphashes WHERE project_id = $1)",
                    &[&project.0],
                )
                .await?
                .get(0))
            })
            .unwrap();
        assert_eq!(
            left, 0,
            "rows of the deleted project remain (round {round})"
        );
    }
}

#[test]
fn an_ignore_ending_under_racing_batches_is_reported_and_alerted_once() {
    let Some(db) = TestDatabase::create() else {
        return;
    };
    let (stores, project) = nodes(&db);
    let store = &stores[0];
    let issue = store.ingest(&[event(project, &[&hash(1)], 0)]).unwrap()[0].issue_id;
    let until = errata_store::IgnoreUntil {
        events: Some(2),
        ..Default::default()
    };
    store
        .change_issue_status(
            issue,
            &errata_store::StatusChange::Ignore(until),
            &errata_store::Actor::system(),
        )
        .unwrap();
    let channel = store
        .create_channel(&errata_store::NewChannel {
            project_id: project,
            kind: errata_store::ChannelKind::Webhook,
            name: "hook".into(),
            target: "https://example.com/hook".into(),
            secret: None,
            api_base: None,
        })
        .unwrap()
        .id;
    let spec = errata_store::RuleSpec {
        name: "Back from ignore".into(),
        triggers: errata_store::RuleTriggers {
            unignored: true,
            ..Default::default()
        },
        ..errata_store::RuleSpec::default_rule()
    };
    store.create_alert_rule(project, &spec).unwrap();
    together(&stores, move |node, store| {
        store
            .ingest(&[event(
                project,
                &[&hash(1)],
                10 + i64::try_from(node).unwrap(),
            )])
            .unwrap()
    });
    let unignored = store
        .issue_activity(issue)
        .unwrap()
        .iter()
        .filter(|a| a.kind == ActivityKind::Unignored)
        .count();
    assert_eq!(unignored, 1);
    let alerts = store
        .deliveries(project, 100)
        .unwrap()
        .into_iter()
        .filter(|d| d.recipient == Recipient::Channel(channel) && d.trigger == Trigger::Unignored)
        .count();
    assert_eq!(alerts, 1);
    let issue = store.issue(issue).unwrap();
    assert_eq!(issue.status, IssueStatus::Unresolved);
    assert_eq!(issue.times_seen, 1 + NODES as u64);
}
