//! A project's alerting in the UI, under `/projects/{slug}/alerts/`: the overview (its
//! channels and rules), adding a channel (`.../channels`; a webhook's generated signing
//! secret is shown once, on the page that answers the form), a channel's enable, disable,
//! delete and "Send test notification" (`.../channels/{id}`), the rule form (create at
//! `.../rules/new`, edit at `.../rules/{id}`, delete at `.../rules/{id}/delete`) and the
//! delivery log (`.../deliveries/`). Members read; changing channels and rules, and test
//! sends, need `project:write`. Channel secrets never reach a page.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use errata_store::{
    AlertRule, AlertRuleId, Channel, ChannelChange, ChannelId, ChannelKind,
    DEFAULT_COOLDOWN_MINUTES, Delivery, DeliveryAttempt, Level, NewChannel, Project, Recipient,
    RuleActions, RuleFilters, RuleSpec, RuleTriggers, Scope, Store, StoreError, WindowCondition,
};
use errata_web::NavItem;
use errata_web::alerts::{
    AlertsPage, AttemptRow, ChannelChoice, ChannelForm, ChannelRow, DeliveriesPage, DeliveryRow,
    NewSecret, RuleForm, RuleFormPage, RuleRow, RuleView, Window,
};
use errata_web::event_view::Moment;

use super::form::{Fields, checked_form};
use super::page::{UiError, layout, not_found, page, redirect};
use super::project::all_projects;
use crate::api::channel::redact;
use crate::auth::Viewer;
use crate::state::AppState;

/// How many deliveries the log shows.
pub(crate) const DELIVERY_LOG_LIMIT: usize = 100;

/// The project of `slug`.
pub(crate) fn project_by_slug(store: &dyn Store, slug: &str) -> errata_store::Result<Project> {
    all_projects(store)?
        .into_iter()
        .find(|p| p.slug == slug)
        .ok_or_else(|| StoreError::not_found(format_args!("project {slug:?}")))
}

/// A store refusal as a sentence for a form ("invalid input: a rule needs..." -> "A rule
/// needs...").
pub(crate) fn refusal(e: &StoreError) -> String {
    let text = e.to_string();
    let prefix = format!("{}: ", e.kind());
    let message = text.strip_prefix(&prefix).unwrap_or(&text);
    let mut chars = message.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// A stored rule as the web crate's plain values.
pub(crate) fn rule_view(spec: &RuleSpec) -> RuleView {
    let window = |w: Option<WindowCondition>| {
        w.map(|w| Window {
            count: w.count,
            minutes: w.minutes,
        })
    };
    RuleView {
        name: spec.name.clone(),
        enabled: spec.enabled,
        new_issue: spec.triggers.new_issue,
        regression: spec.triggers.regression,
        unignored: spec.triggers.unignored,
        frequency: window(spec.triggers.frequency),
        user_count: window(spec.triggers.user_count),
        min_level: spec.filters.min_level.map(|l| l.as_str().to_owned()),
        environment: spec.filters.environment.clone(),
        release: spec.filters.release.clone(),
        tag: spec.filters.tag.clone(),
        all_channels: spec.actions.all_channels,
        channels: spec.actions.channels.iter().map(|c| c.0).collect(),
        email_members: spec.actions.email_members,
        cooldown_minutes: spec.cooldown_minutes,
    }
}

/// What the overview shows besides the lists.
#[derive(Debug, Default)]
struct OverviewExtra {
    new_secret: Option<NewSecret>,
    channel_form: ChannelForm,
}

fn channel_row(c: &Channel, now: i64) -> ChannelRow {
    ChannelRow {
        id: c.id.0,
        kind: c.kind.as_str().to_owned(),
        name: c.name.clone(),
        target: c.target.clone(),
        api_base: c.api_base.clone(),
        enabled: c.enabled,
        has_secret: c.secret.is_some(),
        created: Moment::from_millis(c.created_ms, now),
    }
}

fn channel_names(channels: &[Channel]) -> Vec<(i64, String)> {
    channels.iter().map(|c| (c.id.0, c.name.clone())).collect()
}

async fn overview(
    state: &AppState,
    viewer: &Viewer,
    headers: &HeaderMap,
    slug: String,
    extra: OverviewExtra,
) -> Result<Response, UiError> {
    let (project, channels, rules) = state
        .store_call(move |s| {
            let project = project_by_slug(&*s.store, &slug)?;
            let channels = s.store.channels(project.id)?;
            let rules = s.store.alert_rules(project.id)?;
            Ok((project, channels, rules))
        })
        .await
        .map_err(|e| not_found(e, "project"))?;
    let now = crate::now_ms();
    let names = channel_names(&channels);
    let failed = extra.channel_form.error.is_some();
    let overview = AlertsPage {
        layout: layout(
            viewer,
            headers,
            &format!("{} alerts", project.name),
            NavItem::Projects,
        ),
        slug: project.slug.clone(),
        name: project.name.clone(),
        can_write: viewer.scopes.contains(Scope::ProjectWrite),
        channels: channels.iter().map(|c| channel_row(c, now)).collect(),
        rules: rules
            .iter()
            .map(|r| RuleRow {
                id: r.id.0,
                name: r.spec.name.clone(),
                enabled: r.spec.enabled,
                summary: rule_view(&r.spec).summary(&names),
            })
            .collect(),
        new_secret: extra.new_secret,
        channel_form: extra.channel_form,
    };
    let mut response = page(headers, overview.render());
    if failed {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

/// `GET /projects/{slug}/alerts/`.
pub(super) async fn index(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, UiError> {
    viewer.require(Scope::ProjectRead)?;
    overview(&state, &viewer, &headers, slug, OverviewExtra::default()).await
}

/// `POST /projects/{slug}/alerts/channels`: adds a channel (`kind`, `target`, `name`;
/// trackers `token` and `api_base`). A webhook gets a generated signing secret, shown on
/// the page this answers with and never again.
pub(super) async fn add_channel(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(slug): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    let fields = checked_form(&state, &viewer, &headers, &body)?;
    viewer.require(Scope::ProjectWrite)?;
    let form = ChannelForm {
        kind: fields.get("kind").to_owned(),
        name: fields.get("name").to_owned(),
        target: fields.get("target").to_owned(),
        api_base: fields.get("api_base").to_owned(),
        error: None,
    };
    let again = |form: ChannelForm, error: String| OverviewExtra {
        channel_form: ChannelForm {
            error: Some(error),
            ..form
        },
        new_secret: None,
    };
    let kind = match ChannelKind::parse(&form.kind) {
        Ok(kind) => kind,
        Err(e) => {
            let extra = again(form, refusal(&e));
            return overview(&state, &viewer, &headers, slug, extra).await;
        }
    };
    let secret = match kind {
        ChannelKind::Webhook => Some(crate::alert::generate_webhook_secret()),
        ChannelKind::GitHub | ChannelKind::GitLab => Some(fields.get("token").to_owned()),
        ChannelKind::Slack | ChannelKind::Email => None,
    };
    let api_base = Some(form.api_base.clone()).filter(|_| kind.is_tracker());
    let lookup = slug.clone();
    let name = form.name.clone();
    let new = (name, form.target.clone(), secret.clone());
    let created = state
        .store_call(move |s| {
            let project = project_by_slug(&*s.store, &lookup)?;
            let (name, target, secret) = new;
            s.store.create_channel(&NewChannel {
                project_id: project.id,
                kind,
                name,
                target,
                secret,
                api_base,
            })
        })
        .await;
    match created {
        Ok(channel) if kind == ChannelKind::Webhook => {
            let extra = OverviewExtra {
                new_secret: Some(NewSecret {
                    channel_name: channel.name.clone(),
                    secret: channel.secret.unwrap_or_default(),
                }),
                channel_form: ChannelForm::default(),
            };
            overview(&state, &viewer, &headers, slug, extra).await
        }
        Ok(_) => Ok(redirect(
            &format!("/projects/{slug}/alerts/"),
            Some("Channel added."),
        )),
        Err(e) if e.is_invalid() => {
            let extra = again(form, refusal(&e));
            overview(&state, &viewer, &headers, slug, extra).await
        }
        Err(e) => Err(not_found(e, "project")),
    }
}

/// The channel `id` of the project `slug` (a channel of another project is not found).
fn project_channel(
    store: &dyn Store,
    slug: &str,
    id: ChannelId,
) -> errata_store::Result<(Project, Channel)> {
    let project = project_by_slug(store, slug)?;
    let channel = store.channel(id)?;
    if channel.project_id != project.id {
        return Err(StoreError::not_found(format_args!("channel {}", id.0)));
    }
    Ok((project, channel))
}

/// `POST /projects/{slug}/alerts/channels/{id}` with `action` = `enable`, `disable`,
/// `delete` or `test` (a sample notification sent now; the outcome comes back as the
/// flash message).
pub(super) async fn channel_action(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    body: Bytes,
) -> Result<Response, UiError> {
    let fields = checked_form(&state, &viewer, &headers, &body)?;
    viewer.require(Scope::ProjectWrite)?;
    let back = format!("/projects/{slug}/alerts/");
    let id = ChannelId(id);
    let action = fields.get("action").to_owned();
    if action == "test" {
        let (_, channel) = state
            .store_call(move |s| project_channel(&*s.store, &slug, id))
            .await
            .map_err(|e| not_found(e, "channel"))?;
        let outcome = crate::alert::send_test(&state, &channel).await;
        let detail = redact(&outcome.detail, std::slice::from_ref(&channel));
        let status = outcome
            .status
            .map(|s| format!(" (HTTP {s})"))
            .unwrap_or_default();
        let message = if outcome.delivered {
            format!("Test notification delivered{status}.")
        } else {
            format!("Test notification failed{status}: {detail}")
        };
        return Ok(redirect(&back, Some(&message)));
    }
    let change = match action.as_str() {
        "enable" => Some(true),
        "disable" => Some(false),
        "delete" => None,
        other => {
            return Ok(redirect(
                &back,
                Some(&format!("Unknown action {other:?}; nothing changed.")),
            ));
        }
    };
    let message = state
        .store_call(move |s| {
            let (_, channel) = project_channel(&*s.store, &slug, id)?;
            if let Some(enabled) = change {
                s.store.change_channel(
                    channel.id,
                    &ChannelChange {
                        enabled: Some(enabled),
                        ..ChannelChange::default()
                    },
                )?;
                Ok(if enabled {
                    "Channel enabled."
                } else {
                    "Channel disabled: nothing is sent to it."
                })
            } else {
                s.store.delete_channel(channel.id)?;
                Ok("Channel deleted.")
            }
        })
        .await
        .map_err(|e| not_found(e, "channel"))?;
    Ok(redirect(&back, Some(message)))
}

/// The rule form's fields as typed.
fn read_rule_form(fields: &Fields) -> RuleForm {
    let text = |name: &str| fields.get(name).to_owned();
    RuleForm {
        name: text("name"),
        enabled: fields.checked("enabled"),
        new_issue: fields.checked("new_issue"),
        regression: fields.checked("regression"),
        unignored: fields.checked("unignored"),
        frequency: fields.checked("frequency"),
        frequency_count: text("frequency_count"),
        frequency_minutes: text("frequency_minutes"),
        user_count: fields.checked("user_count"),
        user_count_count: text("user_count_count"),
        user_count_minutes: text("user_count_minutes"),
        min_level: text("min_level"),
        environment: text("environment"),
        release: text("release"),
        tag: text("tag"),
        all_channels: fields.checked("all_channels"),
        channels: fields
            .all("channel")
            .filter_map(|v| v.parse().ok())
            .collect(),
        email_members: fields.checked("email_members"),
        cooldown_minutes: text("cooldown_minutes"),
    }
}

fn whole(raw: &str, label: &str) -> Result<u32, String> {
    raw.trim()
        .parse()
        .map_err(|_| format!("{label} must be a whole number."))
}

/// The form as a rule (the store checks the ranges and that something fires and is sent).
fn rule_spec(form: &RuleForm) -> Result<RuleSpec, String> {
    let window = |on: bool,
                  count: &str,
                  minutes: &str,
                  what: &str|
     -> Result<Option<WindowCondition>, String> {
        if !on {
            return Ok(None);
        }
        Ok(Some(WindowCondition {
            count: whole(count, &format!("The {what} count"))?,
            minutes: whole(minutes, &format!("The {what} window"))?,
        }))
    };
    let optional = |raw: &str| Some(raw.trim().to_owned()).filter(|s| !s.is_empty());
    let min_level = match form.min_level.trim() {
        "" => None,
        name => Some(Level::parse(name).map_err(|_| format!("Unknown level {name:?}."))?),
    };
    let tag = match form.tag.trim() {
        "" => None,
        raw => {
            let (key, value) = raw
                .split_once(':')
                .ok_or_else(|| "The tag filter is key:value.".to_owned())?;
            Some((key.trim().to_owned(), value.trim().to_owned()))
        }
    };
    let cooldown_minutes = match form.cooldown_minutes.trim() {
        "" => DEFAULT_COOLDOWN_MINUTES,
        raw => whole(raw, "The cooldown")?,
    };
    Ok(RuleSpec {
        name: form.name.clone(),
        enabled: form.enabled,
        triggers: RuleTriggers {
            new_issue: form.new_issue,
            regression: form.regression,
            unignored: form.unignored,
            frequency: window(
                form.frequency,
                &form.frequency_count,
                &form.frequency_minutes,
                "frequency",
            )?,
            user_count: window(
                form.user_count,
                &form.user_count_count,
                &form.user_count_minutes,
                "user",
            )?,
        },
        filters: RuleFilters {
            min_level,
            environment: optional(&form.environment),
            release: optional(&form.release),
            tag,
        },
        actions: RuleActions {
            all_channels: form.all_channels,
            channels: form.channels.iter().map(|id| ChannelId(*id)).collect(),
            email_members: form.email_members,
        },
        cooldown_minutes,
    })
}

/// The rule form page (new when `rule_id` is `None`).
async fn rule_page(
    state: &AppState,
    viewer: &Viewer,
    headers: &HeaderMap,
    slug: String,
    rule_id: Option<AlertRuleId>,
    form: Option<RuleForm>,
    error: Option<String>,
) -> Result<Response, UiError> {
    let (project, channels, rule) = state
        .store_call(move |s| {
            let project = project_by_slug(&*s.store, &slug)?;
            let channels = s.store.channels(project.id)?;
            let rule = match rule_id {
                Some(id) => Some(project_rule(&*s.store, &project, id)?),
                None => None,
            };
            Ok((project, channels, rule))
        })
        .await
        .map_err(|e| not_found(e, "project or rule"))?;
    let form = form.unwrap_or_else(|| match &rule {
        Some(rule) => RuleForm::from_view(&rule_view(&rule.spec)),
        None => RuleForm::new_rule(),
    });
    let failed = error.is_some();
    let title = match &rule {
        Some(rule) => format!("Rule {}", rule.spec.name),
        None => "New rule".to_owned(),
    };
    let form_page = RuleFormPage {
        layout: layout(viewer, headers, &title, NavItem::Projects),
        slug: project.slug.clone(),
        name: project.name.clone(),
        rule_id: rule.map(|r| r.id.0),
        form,
        channels: channels
            .iter()
            .map(|c| ChannelChoice {
                id: c.id.0,
                kind: c.kind.as_str().to_owned(),
                name: c.name.clone(),
                enabled: c.enabled,
            })
            .collect(),
        error,
    };
    let mut response = page(headers, form_page.render());
    if failed {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

/// The rule `id` of `project` (a rule of another project is not found).
fn project_rule(
    store: &dyn Store,
    project: &Project,
    id: AlertRuleId,
) -> errata_store::Result<AlertRule> {
    let rule = store.alert_rule(id)?;
    if rule.project_id != project.id {
        return Err(StoreError::not_found(format_args!("rule {}", id.0)));
    }
    Ok(rule)
}

/// `GET /projects/{slug}/alerts/rules/new`.
pub(super) async fn new_rule(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, UiError> {
    viewer.require(Scope::ProjectWrite)?;
    rule_page(&state, &viewer, &headers, slug, None, None, None).await
}

/// `GET /projects/{slug}/alerts/rules/{id}`.
pub(super) async fn edit_rule(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Response, UiError> {
    viewer.require(Scope::ProjectWrite)?;
    let id = Some(AlertRuleId(id));
    rule_page(&state, &viewer, &headers, slug, id, None, None).await
}

/// `POST /projects/{slug}/alerts/rules/new`.
pub(super) async fn create_rule(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(slug): Path<String>,
    body: Bytes,
) -> Result<Response, UiError> {
    save(state, viewer, headers, slug, None, body).await
}

/// `POST /projects/{slug}/alerts/rules/{id}`.
pub(super) async fn save_rule(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    body: Bytes,
) -> Result<Response, UiError> {
    save(state, viewer, headers, slug, Some(AlertRuleId(id)), body).await
}

async fn save(
    state: AppState,
    viewer: Viewer,
    headers: HeaderMap,
    slug: String,
    id: Option<AlertRuleId>,
    body: Bytes,
) -> Result<Response, UiError> {
    let fields = checked_form(&state, &viewer, &headers, &body)?;
    viewer.require(Scope::ProjectWrite)?;
    let form = read_rule_form(&fields);
    let spec = match rule_spec(&form) {
        Ok(spec) => spec,
        Err(error) => {
            return rule_page(&state, &viewer, &headers, slug, id, Some(form), Some(error)).await;
        }
    };
    let lookup = slug.clone();
    let saved = state
        .store_call(move |s| {
            let project = project_by_slug(&*s.store, &lookup)?;
            match id {
                Some(id) => {
                    project_rule(&*s.store, &project, id)?;
                    s.store.replace_alert_rule(id, &spec)
                }
                None => s.store.create_alert_rule(project.id, &spec),
            }
        })
        .await;
    match saved {
        Ok(_) => Ok(redirect(
            &format!("/projects/{slug}/alerts/"),
            Some(if id.is_some() {
                "Rule saved."
            } else {
                "Rule created."
            }),
        )),
        Err(e) if e.is_invalid() => {
            let error = Some(refusal(&e));
            rule_page(&state, &viewer, &headers, slug, id, Some(form), error).await
        }
        Err(e) => Err(not_found(e, "project or rule")),
    }
}

/// `POST /projects/{slug}/alerts/rules/{id}/delete`.
pub(super) async fn delete_rule(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path((slug, id)): Path<(String, i64)>,
    body: Bytes,
) -> Result<Response, UiError> {
    checked_form(&state, &viewer, &headers, &body)?;
    viewer.require(Scope::ProjectWrite)?;
    let back = format!("/projects/{slug}/alerts/");
    state
        .store_call(move |s| {
            let project = project_by_slug(&*s.store, &slug)?;
            let rule = project_rule(&*s.store, &project, AlertRuleId(id))?;
            s.store.delete_alert_rule(rule.id)
        })
        .await
        .map_err(|e| not_found(e, "project or rule"))?;
    Ok(redirect(&back, Some("Rule deleted.")))
}

/// A delivery with what the log shows about it.
struct LoggedDelivery {
    delivery: Delivery,
    attempts: Vec<DeliveryAttempt>,
    issue_label: String,
    recipient: String,
}

/// `GET /projects/{slug}/alerts/deliveries/`: the latest deliveries with their attempts.
pub(super) async fn deliveries(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, UiError> {
    viewer.require(Scope::ProjectRead)?;
    let (project, channels, logged) = state
        .store_call(move |s| {
            let store = &*s.store;
            let project = project_by_slug(store, &slug)?;
            let channels = store.channels(project.id)?;
            let users = store.users()?;
            let mut logged = Vec::new();
            for delivery in store.deliveries(project.id, DELIVERY_LOG_LIMIT)? {
                let attempts = store.delivery_attempts(delivery.id)?;
                let issue_label = match store.issue(delivery.issue_id) {
                    Ok(issue) => format!(
                        "{} {}",
                        crate::api::issue::short_id(&project.slug, issue.short_id),
                        issue.title
                    ),
                    Err(e) if e.is_not_found() => String::new(),
                    Err(e) => return Err(e),
                };
                let recipient = match delivery.recipient {
                    Recipient::Channel(id) => channels.iter().find(|c| c.id == id).map_or_else(
                        || format!("Channel {} (deleted)", id.0),
                        |c| {
                            format!(
                                "{}: {}",
                                errata_web::alerts::kind_label(c.kind.as_str()),
                                c.name
                            )
                        },
                    ),
                    Recipient::Member(id) => users.iter().find(|u| u.id == id).map_or_else(
                        || format!("Member {}", id.0),
                        |u| format!("Email: {}", u.email),
                    ),
                };
                logged.push(LoggedDelivery {
                    delivery,
                    attempts,
                    issue_label,
                    recipient,
                });
            }
            Ok((project, channels, logged))
        })
        .await
        .map_err(|e| not_found(e, "project"))?;
    let now = crate::now_ms();
    let log = DeliveriesPage {
        layout: layout(
            &viewer,
            &headers,
            &format!("{} delivery log", project.name),
            NavItem::Projects,
        ),
        slug: project.slug.clone(),
        name: project.name.clone(),
        limit: DELIVERY_LOG_LIMIT,
        deliveries: logged
            .into_iter()
            .map(|l| DeliveryRow {
                id: l.delivery.id.0,
                created: Moment::from_millis(l.delivery.created_ms, now),
                trigger: l.delivery.trigger.label().to_owned(),
                issue_id: l.delivery.issue_id.0,
                issue_label: l.issue_label,
                recipient: l.recipient,
                state: l.delivery.state.as_str().to_owned(),
                attempts: l.delivery.attempts,
                last_error: l
                    .delivery
                    .last_error
                    .as_deref()
                    .map(|e| redact(e, &channels)),
                attempt_log: l
                    .attempts
                    .iter()
                    .map(|a| AttemptRow {
                        at: Moment::from_millis(a.at_ms, now),
                        status: a.status,
                        result: a.result.as_str().to_owned(),
                        error: a.error.as_deref().map(|e| redact(e, &channels)),
                        duration_ms: a.duration_ms,
                    })
                    .collect(),
            })
            .collect(),
    };
    Ok(page(&headers, log.render()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> RuleForm {
        let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        read_rule_form(&Fields::parse(&Bytes::from(body.join("&"))).unwrap())
    }

    #[test]
    fn the_rule_form_reads_into_a_rule_and_back() {
        let f = form(&[
            ("name", "Prod+errors"),
            ("enabled", "on"),
            ("new_issue", "on"),
            ("frequency", "on"),
            ("frequency_count", "100"),
            ("frequency_minutes", "60"),
            ("user_count_count", "5"),
            ("min_level", "error"),
            ("environment", "+prod+"),
            ("tag", "browser%3AFirefox"),
            ("channel", "3"),
            ("channel", "x"),
            ("email_members", "on"),
            ("cooldown_minutes", "10"),
        ]);
        let spec = rule_spec(&f).unwrap();
        assert_eq!(spec.name, "Prod errors");
        assert!(spec.enabled && spec.triggers.new_issue && !spec.triggers.regression);
        assert_eq!(
            spec.triggers.frequency,
            Some(WindowCondition {
                count: 100,
                minutes: 60
            })
        );
        assert_eq!(spec.triggers.user_count, None);
        assert_eq!(spec.filters.min_level, Some(Level::Error));
        assert_eq!(spec.filters.environment.as_deref(), Some("prod"));
        assert_eq!(
            spec.filters.tag,
            Some(("browser".to_owned(), "Firefox".to_owned()))
        );
        assert_eq!(spec.actions.channels, vec![ChannelId(3)]);
        assert!(!spec.actions.all_channels && spec.actions.email_members);
        assert_eq!(spec.cooldown_minutes, 10);
        assert!(spec.normalized().is_ok());
        let back = RuleForm::from_view(&rule_view(&spec.normalized().unwrap()));
        assert_eq!(back.tag, "browser:Firefox");
        assert!(back.frequency && !back.user_count);
    }

    #[test]
    fn bad_numbers_levels_and_tags_are_refused_with_a_message() {
        let bad = |pairs: &[(&str, &str)]| rule_spec(&form(pairs)).unwrap_err();
        assert!(bad(&[("frequency", "on"), ("frequency_count", "x")]).contains("count"));
        assert!(bad(&[("min_level", "loud")]).contains("level"));
        assert!(bad(&[("tag", "nocolon")]).contains("key:value"));
        assert!(bad(&[("cooldown_minutes", "-1")]).contains("cooldown"));
        assert_eq!(rule_spec(&form(&[])).unwrap().cooldown_minutes, 30);
        assert_eq!(
            refusal(&StoreError::invalid("a rule needs at least one trigger")),
            "A rule needs at least one trigger."
        );
    }
}
