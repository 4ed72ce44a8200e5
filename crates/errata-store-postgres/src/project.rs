//! Organizations, users, projects and keys in `PostgreSQL`: bootstrap of an empty database
//! (under a transaction-scoped advisory lock, so nodes starting together bootstrap once),
//! project creation with its first key and default rule, and the lookups ingest auth and
//! the API make.

use std::sync::LazyLock;

use tokio_postgres::Row;

use errata_store::{
    BootstrapSpec, Bootstrapped, EventQuota, FilterPatch, InboundFilters, KeyChange, KeyId,
    NewProject, NewUser, Organization, OrganizationId, Project, ProjectId, ProjectKey,
    ProjectSettings, QuotaWindow, Result, Role, StoreError, User, generate_key, validate_slug,
};

use crate::db::{Db, to_i64, to_u64};

const ORG_COLUMNS: &str = "id, slug, name, created_ms";
const PROJECT_COLUMNS: &str = "id, organization_id, slug, name, platform, created_ms, scrub_data,
    sensitive_fields, scrub_ip_addresses, event_quota_limit, event_quota_window, \
    rate_limit_per_minute, filter_environments, filter_releases, filter_error_messages, \
    filter_web_crawlers, filter_browser_extensions, filter_localhost";
const KEY_COLUMNS: &str = "id, project_id, public_key, secret_key, label, is_active, created_ms";
/// A DSN key by its public part (ingest's authentication, behind the server's key cache).
pub(crate) static KEY_BY_PUBLIC: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {KEY_COLUMNS} FROM project_keys WHERE public_key = $1"));

/// The advisory lock key bootstrap holds for its transaction ("errata:b").
const BOOTSTRAP_LOCK: i64 = 0x6572_7261_7461_3a62;

fn org_from_row(r: &Row) -> Organization {
    Organization {
        id: OrganizationId(r.get(0)),
        slug: r.get(1),
        name: r.get(2),
        created_ms: r.get(3),
    }
}

fn project_from_row(r: &Row) -> Result<Project> {
    let fields: String = r.get(7);
    let sensitive_fields = serde_json::from_str(&fields)
        .map_err(|e| StoreError::backend("corrupt sensitive_fields of a project").with_source(e))?;
    Ok(Project {
        id: ProjectId(r.get(0)),
        organization_id: OrganizationId(r.get(1)),
        slug: r.get(2),
        name: r.get(3),
        platform: r.get(4),
        created_ms: r.get(5),
        scrub_data: r.get(6),
        sensitive_fields,
        scrub_ip_addresses: r.get(8),
        event_quota: quota_from_columns(r)?,
        rate_limit_per_minute: r.get::<_, Option<i64>>(11).map(to_u64),
        filters: InboundFilters {
            environments: string_list(r, 12)?,
            releases: string_list(r, 13)?,
            error_messages: string_list(r, 14)?,
            web_crawlers: r.get(15),
            browser_extensions: r.get(16),
            localhost: r.get(17),
        },
    })
}

/// The stored JSON array of strings in column `column` (a filter list).
fn string_list(r: &Row, column: usize) -> Result<Vec<String>> {
    let json: String = r.get(column);
    serde_json::from_str(&json)
        .map_err(|e| StoreError::backend("corrupt filter list of a project").with_source(e))
}

/// The event quota of columns 9 (limit) and 10 (window): both set, or both NULL.
fn quota_from_columns(r: &Row) -> Result<Option<EventQuota>> {
    let limit: Option<i64> = r.get(9);
    let window: Option<String> = r.get(10);
    match (limit, window) {
        (Some(limit), Some(window)) => {
            let window = QuotaWindow::parse(&window)
                .ok_or_else(|| StoreError::backend(format!("unknown quota window {window:?}")))?;
            Ok(Some(EventQuota {
                limit: to_u64(limit),
                window,
            }))
        }
        _ => Ok(None),
    }
}

fn key_from_row(r: &Row) -> ProjectKey {
    ProjectKey {
        id: KeyId(r.get(0)),
        project_id: ProjectId(r.get(1)),
        public_key: r.get(2),
        secret_key: r.get(3),
        label: r.get(4),
        is_active: r.get(5),
        created_ms: r.get(6),
    }
}

pub(crate) fn bootstrap(c: &Db<'_>, spec: &BootstrapSpec, now_ms: i64) -> Result<Bootstrapped> {
    validate_slug(&spec.organization_slug)?;
    validate_slug(&spec.project_slug)?;
    // Nodes starting together: the second waits for the first's commit, then finds it.
    c.execute("SELECT pg_advisory_xact_lock($1)", &[&BOOTSTRAP_LOCK])?;
    let existing = c.query_opt(
        &format!("SELECT {ORG_COLUMNS} FROM organizations ORDER BY id LIMIT 1"),
        &[],
    )?;
    if let Some(row) = existing {
        return existing_bootstrap(c, org_from_row(&row), spec, now_ms);
    }
    let id: i64 = c
        .query_one(
            "INSERT INTO organizations (slug, name, created_ms) VALUES ($1, $2, $3)
             RETURNING id",
            &[&spec.organization_slug, &spec.organization_name, &now_ms],
        )?
        .get(0);
    let organization = Organization {
        id: OrganizationId(id),
        slug: spec.organization_slug.clone(),
        name: spec.organization_name.clone(),
        created_ms: now_ms,
    };
    let admin = insert_admin(c, spec, now_ms)?;
    let new = NewProject {
        organization_id: organization.id,
        slug: spec.project_slug.clone(),
        name: spec.project_name.clone(),
        platform: None,
    };
    let (project, key) = insert_project(c, &new, now_ms)?;
    Ok(Bootstrapped {
        organization,
        admin,
        project,
        key,
        created: true,
    })
}

/// The second start: find what the first one created (re-creating only what is missing).
fn existing_bootstrap(
    c: &Db<'_>,
    organization: Organization,
    spec: &BootstrapSpec,
    now_ms: i64,
) -> Result<Bootstrapped> {
    let admin = c
        .query_opt(
            &format!(
                "SELECT {} FROM users WHERE role = 'owner' ORDER BY id LIMIT 1",
                crate::user::COLUMNS
            ),
            &[],
        )?
        .map(|r| crate::user::from_row(&r));
    let admin = match admin {
        Some(admin) => admin,
        None => insert_admin(c, spec, now_ms)?,
    };
    let project = c.query_opt(
        &format!(
            "SELECT {PROJECT_COLUMNS} FROM projects WHERE organization_id = $1
             ORDER BY id LIMIT 1"
        ),
        &[&organization.id.0],
    )?;
    let (project, key) = if let Some(project) = project {
        let project = project_from_row(&project)?;
        let key = c
            .query_opt(
                &format!(
                    "SELECT {KEY_COLUMNS} FROM project_keys WHERE project_id = $1
                         AND is_active ORDER BY id LIMIT 1"
                ),
                &[&project.id.0],
            )?
            .map(|r| key_from_row(&r));
        let key = match key {
            Some(key) => key,
            None => insert_labelled_key(c, project.id, "Default", now_ms)?,
        };
        (project, key)
    } else {
        let new = NewProject {
            organization_id: organization.id,
            slug: spec.project_slug.clone(),
            name: spec.project_name.clone(),
            platform: None,
        };
        insert_project(c, &new, now_ms)?
    };
    Ok(Bootstrapped {
        organization,
        admin,
        project,
        key,
        created: false,
    })
}

fn insert_admin(c: &Db<'_>, spec: &BootstrapSpec, now_ms: i64) -> Result<User> {
    let owner = NewUser {
        email: spec.admin_email.clone(),
        name: String::new(),
        password_hash: spec.admin_password_hash.clone(),
        role: Role::Owner,
    };
    crate::user::create(c, &owner, now_ms)
}

fn insert_project(c: &Db<'_>, new: &NewProject, now_ms: i64) -> Result<(Project, ProjectKey)> {
    validate_slug(&new.slug)?;
    // ON CONFLICT: a taken slug must not abort the caller's transaction.
    let id: i64 = c
        .query_opt(
            "INSERT INTO projects (organization_id, slug, name, platform, created_ms)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (organization_id, slug) DO NOTHING RETURNING id",
            &[
                &new.organization_id.0,
                &new.slug,
                &new.name,
                &new.platform,
                &now_ms,
            ],
        )?
        .ok_or_else(|| StoreError::conflict(format!("project slug {:?} is taken", new.slug)))?
        .get(0);
    let project_id = ProjectId(id);
    crate::rule::insert(
        c,
        project_id,
        &errata_store::RuleSpec::default_rule(),
        now_ms,
    )?;
    let project = Project {
        id: project_id,
        organization_id: new.organization_id,
        slug: new.slug.clone(),
        name: new.name.clone(),
        platform: new.platform.clone(),
        created_ms: now_ms,
        scrub_data: true,
        sensitive_fields: Vec::new(),
        scrub_ip_addresses: false,
        event_quota: None,
        rate_limit_per_minute: None,
        filters: InboundFilters::default(),
    };
    let key = insert_labelled_key(c, project.id, "Default", now_ms)?;
    Ok((project, key))
}

fn insert_labelled_key(
    c: &Db<'_>,
    project: ProjectId,
    label: &str,
    now_ms: i64,
) -> Result<ProjectKey> {
    let key = ProjectKey {
        id: KeyId(0),
        project_id: project,
        public_key: generate_key(),
        secret_key: generate_key(),
        label: label.to_owned(),
        is_active: true,
        created_ms: now_ms,
    };
    let id: i64 = c
        .query_one(
            "INSERT INTO project_keys (project_id, public_key, secret_key, label, is_active,
                created_ms) VALUES ($1, $2, $3, $4, TRUE, $5) RETURNING id",
            &[
                &project.0,
                &key.public_key,
                &key.secret_key,
                &key.label,
                &now_ms,
            ],
        )?
        .get(0);
    Ok(ProjectKey {
        id: KeyId(id),
        ..key
    })
}

pub(crate) fn create(c: &Db<'_>, new: &NewProject, now_ms: i64) -> Result<(Project, ProjectKey)> {
    validate_slug(&new.slug)?;
    if !c.exists(
        "SELECT 1 FROM organizations WHERE id = $1",
        &[&new.organization_id.0],
    )? {
        return Err(StoreError::not_found(format_args!(
            "organization {}",
            new.organization_id
        )));
    }
    insert_project(c, new, now_ms)
}

pub(crate) fn key_by_public(c: &Db<'_>, public_key: &str) -> Result<Option<ProjectKey>> {
    Ok(c.query_opt(&KEY_BY_PUBLIC, &[&public_key])?
        .map(|r| key_from_row(&r)))
}

pub(crate) fn keys(c: &Db<'_>, project: ProjectId) -> Result<Vec<ProjectKey>> {
    get(c, project)?;
    Ok(c.query(
        &format!("SELECT {KEY_COLUMNS} FROM project_keys WHERE project_id = $1 ORDER BY id"),
        &[&project.0],
    )?
    .iter()
    .map(key_from_row)
    .collect())
}

pub(crate) fn organizations(c: &Db<'_>) -> Result<Vec<Organization>> {
    Ok(c.query(
        &format!("SELECT {ORG_COLUMNS} FROM organizations ORDER BY slug"),
        &[],
    )?
    .iter()
    .map(org_from_row)
    .collect())
}

pub(crate) fn organization(c: &Db<'_>, slug: &str) -> Result<Organization> {
    c.query_opt(
        &format!("SELECT {ORG_COLUMNS} FROM organizations WHERE slug = $1"),
        &[&slug],
    )?
    .map(|r| org_from_row(&r))
    .ok_or_else(|| StoreError::not_found(format_args!("organization {slug:?}")))
}

pub(crate) fn of_organization(c: &Db<'_>, org: OrganizationId) -> Result<Vec<Project>> {
    c.query(
        &format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE organization_id = $1 ORDER BY slug"),
        &[&org.0],
    )?
    .iter()
    .map(project_from_row)
    .collect()
}

pub(crate) fn get(c: &Db<'_>, id: ProjectId) -> Result<Project> {
    c.query_opt(
        &format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE id = $1"),
        &[&id.0],
    )?
    .map(|r| project_from_row(&r))
    .transpose()?
    .ok_or_else(|| StoreError::not_found(format_args!("project {id}")))
}

/// Applies a settings patch (validated first: an invalid one changes nothing).
pub(crate) fn update_settings(
    c: &Db<'_>,
    id: ProjectId,
    patch: &ProjectSettings,
) -> Result<Project> {
    let patch = patch.normalized()?;
    if patch.is_empty() {
        return get(c, id);
    }
    let sensitive_fields = patch
        .sensitive_fields
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::invalid("unserializable sensitive fields").with_source(e))?;
    let (set_quota, limit, window) = match patch.event_quota {
        Some(quota) => (
            true,
            quota.map(|q| to_i64(q.limit)),
            quota.map(|q| q.window.as_str()),
        ),
        None => (false, None, None),
    };
    let rate_limit = patch.rate_limit_per_minute.flatten().map(to_i64);
    let changed = c.execute(
        "UPDATE projects SET
             name = coalesce($8, name),
             scrub_data = coalesce($2, scrub_data),
             sensitive_fields = coalesce($3, sensitive_fields),
             scrub_ip_addresses = coalesce($4, scrub_ip_addresses),
             event_quota_limit = CASE WHEN $5 THEN $6 ELSE event_quota_limit END,
             event_quota_window = CASE WHEN $5 THEN $7 ELSE event_quota_window END,
             rate_limit_per_minute = CASE WHEN $9 THEN $10 ELSE rate_limit_per_minute END
         WHERE id = $1",
        &[
            &id.0,
            &patch.scrub_data,
            &sensitive_fields,
            &patch.scrub_ip_addresses,
            &set_quota,
            &limit,
            &window,
            &patch.name,
            &patch.rate_limit_per_minute.is_some(),
            &rate_limit,
        ],
    )?;
    if changed == 0 {
        return Err(StoreError::not_found(format_args!("project {id}")));
    }
    update_filters(c, id, &patch.filters)?;
    get(c, id)
}

/// Applies the inbound filters' part of a (normalized) settings patch.
fn update_filters(c: &Db<'_>, id: ProjectId, patch: &FilterPatch) -> Result<()> {
    if patch.is_empty() {
        return Ok(());
    }
    let json = |list: &Option<Vec<String>>| {
        list.as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::invalid("unserializable filter list").with_source(e))
    };
    c.execute(
        "UPDATE projects SET
             filter_environments = coalesce($2, filter_environments),
             filter_releases = coalesce($3, filter_releases),
             filter_error_messages = coalesce($4, filter_error_messages),
             filter_web_crawlers = coalesce($5, filter_web_crawlers),
             filter_browser_extensions = coalesce($6, filter_browser_extensions),
             filter_localhost = coalesce($7, filter_localhost)
         WHERE id = $1",
        &[
            &id.0,
            &json(&patch.environments)?,
            &json(&patch.releases)?,
            &json(&patch.error_messages)?,
            &patch.web_crawlers,
            &patch.browser_extensions,
            &patch.localhost,
        ],
    )?;
    Ok(())
}

pub(crate) fn by_slug(c: &Db<'_>, org: OrganizationId, slug: &str) -> Result<Project> {
    c.query_opt(
        &format!("SELECT {PROJECT_COLUMNS} FROM projects WHERE organization_id = $1 AND slug = $2"),
        &[&org.0, &slug],
    )?
    .map(|r| project_from_row(&r))
    .transpose()?
    .ok_or_else(|| StoreError::not_found(format_args!("project {slug:?}")))
}

/// The longest key label, in characters.
const MAX_KEY_LABEL_LEN: usize = 200;

pub(crate) fn create_key(
    c: &Db<'_>,
    project: ProjectId,
    label: &str,
    now_ms: i64,
) -> Result<ProjectKey> {
    let label = label.trim();
    if label.chars().count() > MAX_KEY_LABEL_LEN {
        return Err(StoreError::invalid(format!(
            "a key label has at most {MAX_KEY_LABEL_LEN} characters"
        )));
    }
    let label = if label.is_empty() { "Default" } else { label };
    get(c, project)?;
    insert_labelled_key(c, project, label, now_ms)
}

pub(crate) fn change_key(c: &Db<'_>, id: KeyId, change: KeyChange) -> Result<ProjectKey> {
    let changed = match change {
        KeyChange::Enable | KeyChange::Disable => c.execute(
            "UPDATE project_keys SET is_active = $2 WHERE id = $1",
            &[&id.0, &(change == KeyChange::Enable)],
        )?,
        KeyChange::Rotate => c.execute(
            "UPDATE project_keys SET public_key = $2, secret_key = $3 WHERE id = $1",
            &[&id.0, &generate_key(), &generate_key()],
        )?,
    };
    if changed == 0 {
        return Err(StoreError::not_found(format_args!("key {id}")));
    }
    let row = c.query_one(
        &format!("SELECT {KEY_COLUMNS} FROM project_keys WHERE id = $1"),
        &[&id.0],
    )?;
    Ok(key_from_row(&row))
}

/// Deletes a project and everything under it, in one transaction. Its issues, then its
/// row, are locked first, in the order ingest locks them (issues by id, then the project
/// to open one), so that a batch filing into the project finishes before or waits and then
/// finds it gone.
pub(crate) fn delete(c: &Db<'_>, id: ProjectId) -> Result<()> {
    c.execute(
        "SELECT 1 FROM issues WHERE project_id = $1 ORDER BY id FOR UPDATE",
        &[&id.0],
    )?;
    if !c.exists("SELECT 1 FROM projects WHERE id = $1 FOR UPDATE", &[&id.0])? {
        return Err(StoreError::not_found(format_args!("project {id}")));
    }
    for sql in [
        "DELETE FROM alert_attempts WHERE delivery_id IN
            (SELECT id FROM alert_deliveries WHERE project_id = $1)",
        "DELETE FROM alert_deliveries WHERE project_id = $1",
        "DELETE FROM alert_rule_issues WHERE rule_id IN
            (SELECT id FROM alert_rules WHERE project_id = $1)",
        "DELETE FROM alert_rule_channels WHERE rule_id IN
            (SELECT id FROM alert_rules WHERE project_id = $1)",
        "DELETE FROM alert_rules WHERE project_id = $1",
        "DELETE FROM alert_channels WHERE project_id = $1",
        "DELETE FROM member_email_opt_outs WHERE project_id = $1",
        "DELETE FROM issue_links WHERE issue_id IN (SELECT id FROM issues WHERE project_id = $1)",
        "DELETE FROM issue_hours WHERE issue_id IN (SELECT id FROM issues WHERE project_id = $1)",
        "DELETE FROM issue_activity WHERE issue_id IN (SELECT id FROM issues WHERE project_id = $1)",
        "DELETE FROM issue_tag_values WHERE issue_id IN (SELECT id FROM issues WHERE project_id = $1)",
        "DELETE FROM attachments WHERE project_id = $1",
        "DELETE FROM user_reports WHERE project_id = $1",
        "DELETE FROM events WHERE project_id = $1",
        "DELETE FROM grouphashes WHERE project_id = $1",
        "DELETE FROM issues WHERE project_id = $1",
        "DELETE FROM releases WHERE project_id = $1",
        "DELETE FROM outcomes WHERE project_id = $1",
        "DELETE FROM project_usage WHERE project_id = $1",
        "DELETE FROM project_keys WHERE project_id = $1",
        "DELETE FROM projects WHERE id = $1",
    ] {
        c.execute(sql, &[&id.0])?;
    }
    Ok(())
}
