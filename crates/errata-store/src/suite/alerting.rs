//! Conformance: alerting. Channels and rules round-trip, every project has the default
//! rule, ingest queues deliveries in the event's transaction as the rules say (triggers,
//! filters, frequency and user-count windows, cooldown, members' email), and the outbox
//! hands each delivery to one claimer at a time and moves it on with its attempts.

use super::{Harness, event, hash, setup};
use crate::{
    AttemptResult, ChannelChange, ChannelKind, DELIVERY_LEASE_MS, DeliveryAttempt, DeliveryState,
    IssueLink, IssueStatus, Level, NewChannel, NewDelivery, NewEvent, NewUser, ProjectId,
    Recipient, Role, RuleSpec, RuleTriggers, Store, Trigger, WindowCondition,
};

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// An event received now (windows count from the store's clock).
fn fresh_event(project: ProjectId, h: &str) -> NewEvent {
    let mut e = event(project, &[h], 0);
    e.received_ms = now_ms();
    e.timestamp_ms = e.received_ms;
    e
}

fn slack(project: ProjectId, name: &str) -> NewChannel {
    NewChannel {
        project_id: project,
        kind: ChannelKind::Slack,
        name: name.to_owned(),
        target: format!("https://hooks.example.com/{name}"),
        secret: None,
        api_base: None,
    }
}

fn alerts_of<S: Store>(store: &S, events: &[NewEvent]) -> Vec<u32> {
    store
        .ingest(events)
        .expect("ingest")
        .iter()
        .map(|r| r.alerts)
        .collect()
}

pub fn new_projects_get_the_default_rule_and_channels_round_trip<H: Harness>(h: &H) {
    let store = h.fresh();
    let b = setup(&store);
    let rules = store.alert_rules(b.project.id).expect("rules");
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].spec, RuleSpec::default_rule());

    let a = store
        .create_channel(&slack(b.project.id, "a"))
        .expect("create");
    let mut hook = slack(b.project.id, "hook");
    hook.kind = ChannelKind::Webhook;
    hook.secret = Some("whsec_c2VjcmV0".into());
    let hook = store.create_channel(&hook).expect("create webhook");
    assert_eq!(hook.secret.as_deref(), Some("whsec_c2VjcmV0"));
    assert!(
        store
            .create_channel(&slack(ProjectId(b.project.id.0 + 99), "x"))
            .unwrap_err()
            .is_not_found()
    );
    let mut bad = slack(b.project.id, "bad");
    bad.target = "file:///etc/passwd".into();
    assert!(store.create_channel(&bad).unwrap_err().is_invalid());

    let off = store
        .change_channel(
            a.id,
            &ChannelChange {
                enabled: Some(false),
                name: Some("renamed".into()),
                ..Default::default()
            },
        )
        .expect("change");
    assert!(!off.enabled);
    assert_eq!(store.channel(a.id).expect("channel"), off);
    let ids: Vec<_> = store
        .channels(b.project.id)
        .expect("channels")
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, vec![a.id, hook.id]);

    let mut spec = RuleSpec::default_rule();
    spec.name = "named".into();
    spec.actions.all_channels = false;
    spec.actions.channels = vec![hook.id, a.id, hook.id];
    let rule = store
        .create_alert_rule(b.project.id, &spec)
        .expect("create rule");
    assert_eq!(rule.spec.actions.channels, {
        let mut v = vec![a.id, hook.id];
        v.sort();
        v
    });
    assert_eq!(store.alert_rule(rule.id).expect("rule"), rule);
    spec.triggers = RuleTriggers::default();
    assert!(
        store
            .replace_alert_rule(rule.id, &spec)
            .unwrap_err()
            .is_invalid()
    );
    spec.triggers.frequency = Some(WindowCondition {
        count: 5,
        minutes: 10,
    });
    spec.filters.min_level = Some(Level::Error);
    spec.filters.tag = Some(("browser".into(), "Firefox".into()));
    let replaced = store.replace_alert_rule(rule.id, &spec).expect("replace");
    assert_eq!(replaced.spec, spec.normalized().expect("valid"));
    store.delete_channel(a.id).expect("delete channel");
    assert_eq!(
        store
            .alert_rule(rule.id)
            .expect("rule")
            .spec
            .actions
            .channels,
        vec![hook.id]
    );
    store.delete_alert_rule(rule.id).expect("delete rule");
    assert!(store.alert_rule(rule.id).unwrap_err().is_not_found());
    assert!(store.channel(a.id).unwrap_err().is_not_found());
}

pub fn state_changes_queue_one_delivery_per_enabled_channel<H: Harness>(h: &H) {
    let store = h.fresh();
    let b = setup(&store);
    let p = b.project.id;
    let on = store.create_channel(&slack(p, "on")).expect("on");
    let off = store.create_channel(&slack(p, "off")).expect("off");
    store
        .change_channel(
            off.id,
            &ChannelChange {
                enabled: Some(false),
                ..Default::default()
            },
        )
        .expect("disable");
    let mut gh = slack(p, "gh");
    gh.kind = ChannelKind::GitHub;
    gh.target = "octo/repo".into();
    gh.secret = Some("token".into());
    store.create_channel(&gh).expect("tracker");

    // A new issue: one delivery (the enabled Slack channel; trackers only when named).
    let first = fresh_event(p, &hash(1));
    assert_eq!(alerts_of(&store, std::slice::from_ref(&first)), vec![1]);
    let log = store.deliveries(p, 10).expect("deliveries");
    assert_eq!(log.len(), 1);
    let d = &log[0];
    assert_eq!(d.recipient, Recipient::Channel(on.id));
    assert_eq!(d.trigger, Trigger::NewIssue);
    assert_eq!(d.event_id, Some(first.event_id));
    assert_eq!(d.state, DeliveryState::Pending);
    assert_eq!(d.attempts, 0);
    assert!(d.message_id() != String::new());

    // More events of the open issue: nothing.
    assert_eq!(alerts_of(&store, &[fresh_event(p, &hash(1))]), vec![0]);
    // Resolved, then an event: a regression alerts at once (no cooldown on state changes).
    store
        .set_issue_status(d.issue_id, IssueStatus::Resolved)
        .expect("resolve");
    let again = fresh_event(p, &hash(1));
    assert_eq!(alerts_of(&store, std::slice::from_ref(&again)), vec![1]);
    let log = store.deliveries(p, 10).expect("deliveries");
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].trigger, Trigger::Regression);
    assert_eq!(log[0].event_id, Some(again.event_id));

    // A duplicate event id queues nothing.
    assert_eq!(alerts_of(&store, &[again]), vec![0]);
    // Two new issues in one batch: one delivery each.
    assert_eq!(
        alerts_of(
            &store,
            &[fresh_event(p, &hash(2)), fresh_event(p, &hash(3))]
        ),
        vec![1, 1]
    );
    // Filters: a rule for fatal only stays quiet for an error.
    let mut rule = store.alert_rules(p).expect("rules")[0].clone();
    rule.spec.filters.min_level = Some(Level::Fatal);
    store
        .replace_alert_rule(rule.id, &rule.spec)
        .expect("replace");
    assert_eq!(alerts_of(&store, &[fresh_event(p, &hash(4))]), vec![0]);
    let mut fatal = fresh_event(p, &hash(5));
    fatal.level = Level::Fatal;
    assert_eq!(alerts_of(&store, &[fatal]), vec![1]);
    // A disabled rule never fires.
    rule.spec.enabled = false;
    store
        .replace_alert_rule(rule.id, &rule.spec)
        .expect("replace");
    let mut fatal = fresh_event(p, &hash(6));
    fatal.level = Level::Fatal;
    assert_eq!(alerts_of(&store, &[fatal]), vec![0]);
}

pub fn frequency_and_user_count_rules_fire_at_their_count_then_cool_down<H: Harness>(h: &H) {
    let store = h.fresh();
    let b = setup(&store);
    let p = b.project.id;
    let channel = store.create_channel(&slack(p, "c")).expect("channel");
    let default = store.alert_rules(p).expect("rules")[0].id;
    store.delete_alert_rule(default).expect("delete default");
    let mut spec = RuleSpec::default_rule();
    spec.triggers = RuleTriggers {
        frequency: Some(WindowCondition {
            count: 3,
            minutes: 10,
        }),
        ..Default::default()
    };
    spec.actions.channels = vec![channel.id];
    spec.actions.all_channels = false;
    spec.cooldown_minutes = 60;
    let frequency = store.create_alert_rule(p, &spec).expect("rule");

    // N-1 events: quiet; the N-th: one delivery; then the cooldown holds.
    assert_eq!(alerts_of(&store, &[fresh_event(p, &hash(1))]), vec![0]);
    assert_eq!(alerts_of(&store, &[fresh_event(p, &hash(1))]), vec![0]);
    assert_eq!(alerts_of(&store, &[fresh_event(p, &hash(1))]), vec![1]);
    assert_eq!(
        store.deliveries(p, 10).expect("log")[0].trigger,
        Trigger::Frequency
    );
    for _ in 0..3 {
        assert_eq!(alerts_of(&store, &[fresh_event(p, &hash(1))]), vec![0]);
    }
    // Old events do not count: three received two hours ago open no alert.
    let old: Vec<_> = (0..3)
        .map(|_| {
            let mut e = fresh_event(p, &hash(2));
            e.received_ms -= 2 * 3_600_000;
            e
        })
        .collect();
    assert_eq!(alerts_of(&store, &old), vec![0, 0, 0]);

    // Distinct users: 2 users in many events stay under 3; a third user fires.
    store.delete_alert_rule(frequency.id).expect("delete");
    let mut spec = spec.clone();
    spec.triggers = RuleTriggers {
        user_count: Some(WindowCondition {
            count: 3,
            minutes: 10,
        }),
        ..Default::default()
    };
    store.create_alert_rule(p, &spec).expect("user rule");
    let user_event = |u: &str| {
        let mut e = fresh_event(p, &hash(3));
        e.user = Some(u.to_owned());
        e
    };
    let batch = vec![user_event("a"), user_event("b"), user_event("a")];
    assert_eq!(alerts_of(&store, &batch), vec![0, 0, 0]);
    let fired = alerts_of(&store, &[user_event("b"), user_event("c")]);
    assert_eq!(fired.iter().sum::<u32>(), 1, "{fired:?}");
    assert_eq!(
        store.deliveries(p, 10).expect("log")[0].trigger,
        Trigger::UserCount
    );
}

pub fn members_get_email_unless_they_opted_out<H: Harness>(h: &H) {
    let store = h.fresh();
    let b = setup(&store);
    let p = b.project.id;
    let member = store
        .create_user(&NewUser {
            email: "m@example.com".into(),
            name: "M".into(),
            password_hash: "$argon2id$stub".into(),
            role: Role::Member,
        })
        .expect("member");
    // Off by default: no member email without SMTP.
    assert_eq!(alerts_of(&store, &[fresh_event(p, &hash(1))]), vec![0]);
    store.set_member_email(true);
    assert_eq!(alerts_of(&store, &[fresh_event(p, &hash(2))]), vec![2]);
    store
        .set_member_email_enabled(member.id, p, false)
        .expect("opt out");
    assert_eq!(
        store.member_email_opt_outs(member.id).expect("opt-outs"),
        vec![p]
    );
    assert_eq!(alerts_of(&store, &[fresh_event(p, &hash(3))]), vec![1]);
    let log = store.deliveries(p, 1).expect("log");
    assert_eq!(log[0].recipient, Recipient::Member(b.admin.id));
    store
        .set_member_email_enabled(member.id, p, true)
        .expect("opt in");
    assert!(
        store
            .member_email_opt_outs(member.id)
            .expect("none")
            .is_empty()
    );
}

pub fn deliveries_are_claimed_once_and_move_on_with_their_attempts<H: Harness>(h: &H) {
    let store = h.fresh();
    let b = setup(&store);
    let p = b.project.id;
    let channel = store.create_channel(&slack(p, "c")).expect("channel");
    let issue = store.ingest(&[fresh_event(p, &hash(1))]).expect("ingest")[0].issue_id;
    let queued = store
        .queue_delivery(&NewDelivery {
            project_id: p,
            recipient: Recipient::Channel(channel.id),
            issue_id: issue,
            event_id: None,
            trigger: Trigger::Manual,
        })
        .expect("queue");
    let now = now_ms() + 1000;
    let claimed = store.claim_deliveries("a", now, 10).expect("claim");
    assert_eq!(claimed.len(), 2, "the new-issue alert and the queued one");
    assert!(
        store
            .claim_deliveries("b", now, 10)
            .expect("claim")
            .is_empty()
    );

    let attempt = |id, result: AttemptResult, at_ms| DeliveryAttempt {
        delivery_id: id,
        at_ms,
        status: Some(503),
        error: Some("503 Service Unavailable".into()),
        duration_ms: 12,
        result,
    };
    assert!(
        store
            .record_attempt("b", &attempt(queued.id, AttemptResult::Retry, now))
            .unwrap_err()
            .is_conflict()
    );
    let retried = store
        .record_attempt("a", &attempt(queued.id, AttemptResult::Retry, now))
        .expect("retry");
    assert_eq!(retried.state, DeliveryState::Pending);
    assert_eq!(retried.attempts, 1);
    assert!(retried.next_attempt_ms > now);
    assert_eq!(
        retried.last_error.as_deref(),
        Some("503 Service Unavailable")
    );
    // Not due yet; the other one is still leased to "a".
    assert!(
        store
            .claim_deliveries("b", now + 1, 10)
            .expect("claim")
            .is_empty()
    );
    // Due: "b" gets the retried one, and, with "a"'s lease run out, the other too.
    let later = retried.next_attempt_ms.max(now + DELIVERY_LEASE_MS);
    let taken = store.claim_deliveries("b", later, 10).expect("claim");
    assert_eq!(taken.len(), 2);
    let other = taken.iter().find(|d| d.id != queued.id).expect("other").id;
    assert!(
        store
            .record_attempt("a", &attempt(other, AttemptResult::Delivered, later))
            .unwrap_err()
            .is_conflict(),
        "a lost its lease"
    );
    let done = store
        .record_attempt("b", &attempt(queued.id, AttemptResult::Delivered, later))
        .expect("delivered");
    assert_eq!(done.state, DeliveryState::Delivered);
    assert_eq!(done.finished_ms, Some(later));
    assert_eq!(done.last_error, None);
    let attempts = store.delivery_attempts(queued.id).expect("attempts");
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0].result, AttemptResult::Retry);
    assert_eq!(attempts[1].result, AttemptResult::Delivered);
    assert_eq!(attempts[0].status, Some(503));
    // A delivered one is never claimed again.
    assert!(
        store
            .claim_deliveries("c", later + GIVE_UP, 10)
            .expect("claim")
            .iter()
            .all(|d| d.id != queued.id)
    );
}

const GIVE_UP: i64 = crate::GIVE_UP_AFTER_MS;

pub fn alert_rows_go_with_their_issue_and_project<H: Harness>(h: &H) {
    let store = h.fresh();
    let b = setup(&store);
    let p = b.project.id;
    store.create_channel(&slack(p, "c")).expect("channel");
    let issue = store.ingest(&[fresh_event(p, &hash(1))]).expect("ingest")[0].issue_id;
    let link = IssueLink {
        issue_id: issue,
        kind: ChannelKind::GitHub,
        url: "https://github.com/o/r/issues/1".into(),
        reference: "o/r#1".into(),
        created_ms: 5,
    };
    store.add_issue_link(&link).expect("link");
    assert_eq!(store.issue_links(issue).expect("links"), vec![link.clone()]);
    let delivery = store.deliveries(p, 1).expect("log")[0].id;
    store.delete_issue(issue).expect("delete issue");
    assert!(store.issue_links(issue).expect("links").is_empty());
    assert!(store.delivery(delivery).unwrap_err().is_not_found());
    assert!(store.add_issue_link(&link).unwrap_err().is_not_found());

    store.delete_project(p).expect("delete project");
    assert!(store.channels(p).expect("channels").is_empty());
    assert!(store.alert_rules(p).expect("rules").is_empty());
}
