//! Organizations, users, projects and keys in `SQLite`: bootstrap of an empty database,
//! project creation with its first key, and the lookups ingest auth and the API make.

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use errata_store::{
    BootstrapSpec, Bootstrapped, EventQuota, FilterPatch, InboundFilters, KeyChange, KeyId,
    NewProject, Organization, OrganizationId, Project, ProjectId, ProjectKey, ProjectSettings,
    QuotaWindow, Result, StoreError, User, generate_key, validate_slug,
};

use errata_store::{NewUser, Role};

use crate::error::db;

const ORG_COLUMNS: &str = "id, slug, name, created_ms";
const PROJECT_COLUMNS: &str = "id, organization_id, slug, name, platform, created_ms, scrub_data,
    sensitive_fields, scrub_ip_addresses, event_quota_limit, event_quota_window, \
    rate_limit_per_minute, filter_environments, filter_releases, filter_error_messages, \
    filter_web_crawlers, filter_browser_extensions, filter_localhost";
const KEY_COLUMNS: &str = "id, project_id, public_key, secret_key, label, is_active, created_ms";

fn org_from_row(r: &Row<'_>) -> rusqlite::Result<Organization> {
    Ok(Organization {
        id: OrganizationId(r.get(0)?),
        slug: r.get(1)?,
        name: r.get(2)?,
        created_ms: r.get(3)?,
    })
}

fn project_from_row(r: &Row<'_>) -> rusqlite::Result<Project> {
    Ok(Project {
        id: ProjectId(r.get(0)?),
        organization_id: OrganizationId(r.get(1)?),
        slug: r.get(2)?,
        name: r.get(3)?,
        platform: r.get(4)?,
        created_ms: r.get(5)?,
        scrub_data: r.get(6)?,
        sensitive_fields: sensitive_fields_from_json(7, &r.get::<_, String>(7)?)?,
        scrub_ip_addresses: r.get(8)?,
        event_quota: quota_from_columns(r)?,
        rate_limit_per_minute: r.get(11)?,
        filters: InboundFilters {
            environments: sensitive_fields_from_json(12, &r.get::<_, String>(12)?)?,
            releases: sensitive_fields_from_json(13, &r.get::<_, String>(13)?)?,
            error_messages: sensitive_fields_from_json(14, &r.get::<_, String>(14)?)?,
            web_crawlers: r.get(15)?,
            browser_extensions: r.get(16)?,
            localhost: r.get(17)?,
        },
    })
}

/// A stored JSON array of strings (sensitive field names, filter lists).
fn sensitive_fields_from_json(column: usize, json: &str) -> rusqlite::Result<Vec<String>> {
    serde_json::from_str(json).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, e.into())
    })
}

/// The event quota of columns 9 (limit) and 10 (window): both set, or both NULL.
fn quota_from_columns(r: &Row<'_>) -> rusqlite::Result<Option<EventQuota>> {
    let limit: Option<u64> = r.get(9)?;
    let window: Option<String> = r.get(10)?;
    match (limit, window) {
        (Some(limit), Some(window)) => {
            let window = QuotaWindow::parse(&window).ok_or_else(|| {
                rusqlite::Error::FromSqlConversionFailure(
                    10,
                    rusqlite::types::Type::Text,
                    format!("unknown quota window {window:?}").into(),
                )
            })?;
            Ok(Some(EventQuota { limit, window }))
        }
        _ => Ok(None),
    }
}

fn key_from_row(r: &Row<'_>) -> rusqlite::Result<ProjectKey> {
    Ok(ProjectKey {
        id: KeyId(r.get(0)?),
        project_id: ProjectId(r.get(1)?),
        public_key: r.get(2)?,
        secret_key: r.get(3)?,
        label: r.get(4)?,
        is_active: r.get(5)?,
        created_ms: r.get(6)?,
    })
}

pub(crate) fn bootstrap(
    conn: &mut Connection,
    spec: &BootstrapSpec,
    now_ms: i64,
) -> Result<Bootstrapped> {
    validate_slug(&spec.organization_slug)?;
    validate_slug(&spec.project_slug)?;
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(db)?;
    let existing = tx
        .query_row(
            &format!("SELECT {ORG_COLUMNS} FROM organizations ORDER BY id LIMIT 1"),
            [],
            org_from_row,
        )
        .optional()
        .map_err(db)?;
    let result = if let Some(organization) = existing {
        existing_bootstrap(&tx, organization, spec, now_ms)?
    } else {
        tx.execute(
            "INSERT INTO organizations (slug, name, created_ms) VALUES (?1, ?2, ?3)",
            params![spec.organization_slug, spec.organization_name, now_ms],
        )
        .map_err(db)?;
        let organization = Organization {
            id: OrganizationId(tx.last_insert_rowid()),
            slug: spec.organization_slug.clone(),
            name: spec.organization_name.clone(),
            created_ms: now_ms,
        };
        let admin = insert_admin(&tx, spec, now_ms)?;
        let new = NewProject {
            organization_id: organization.id,
            slug: spec.project_slug.clone(),
            name: spec.project_name.clone(),
            platform: None,
        };
        let (project, key) = insert_project(&tx, &new, now_ms)?;
        Bootstrapped {
            organization,
            admin,
            project,
            key,
            created: true,
        }
    };
    tx.commit().map_err(db)?;
    Ok(result)
}

/// The second start: find what the first one created (re-creating only what is missing).
fn existing_bootstrap(
    tx: &Transaction<'_>,
    organization: Organization,
    spec: &BootstrapSpec,
    now_ms: i64,
) -> Result<Bootstrapped> {
    let admin = tx
        .query_row(
            &format!(
                "SELECT {} FROM users WHERE role = 'owner' ORDER BY id LIMIT 1",
                crate::user::COLUMNS
            ),
            [],
            crate::user::from_row,
        )
        .optional()
        .map_err(db)?;
    let admin = match admin {
        Some(admin) => admin,
        None => insert_admin(tx, spec, now_ms)?,
    };
    let project = tx
        .query_row(
            &format!(
                "SELECT {PROJECT_COLUMNS} FROM projects WHERE organization_id = ?1
                 ORDER BY id LIMIT 1"
            ),
            [organization.id.0],
            project_from_row,
        )
        .optional()
        .map_err(db)?;
    let (project, key) = if let Some(project) = project {
        let key = tx
            .query_row(
                &format!(
                    "SELECT {KEY_COLUMNS} FROM project_keys WHERE project_id = ?1
                         AND is_active ORDER BY id LIMIT 1"
                ),
                [project.id.0],
                key_from_row,
            )
            .optional()
            .map_err(db)?;
        let key = match key {
            Some(key) => key,
            None => insert_key(tx, project.id, now_ms)?,
        };
        (project, key)
    } else {
        let new = NewProject {
            organization_id: organization.id,
            slug: spec.project_slug.clone(),
            name: spec.project_name.clone(),
            platform: None,
        };
        insert_project(tx, &new, now_ms)?
    };
    Ok(Bootstrapped {
        organization,
        admin,
        project,
        key,
        created: false,
    })
}

fn insert_admin(tx: &Transaction<'_>, spec: &BootstrapSpec, now_ms: i64) -> Result<User> {
    let owner = NewUser {
        email: spec.admin_email.clone(),
        name: String::new(),
        password_hash: spec.admin_password_hash.clone(),
        role: Role::Owner,
    };
    crate::user::create(tx, &owner, now_ms)
}

fn insert_project(
    tx: &Transaction<'_>,
    new: &NewProject,
    now_ms: i64,
) -> Result<(Project, ProjectKey)> {
    validate_slug(&new.slug)?;
    tx.execute(
        "INSERT INTO projects (organization_id, slug, name, platform, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            new.organization_id.0,
            new.slug,
            new.name,
            new.platform,
            now_ms
        ],
    )
    .map_err(|e| {
        let e = db(e);
        if e.is_conflict() {
            StoreError::conflict(format!("project slug {:?} is taken", new.slug))
        } else {
            e
        }
    })?;
    let project_id = ProjectId(tx.last_insert_rowid());
    crate::rule::insert(
        tx,
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
    let key = insert_key(tx, project.id, now_ms)?;
    Ok((project, key))
}

fn insert_key(tx: &Transaction<'_>, project: ProjectId, now_ms: i64) -> Result<ProjectKey> {
    insert_labelled_key(tx, project, "Default", now_ms)
}

fn insert_labelled_key(
    tx: &Connection,
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
    tx.execute(
        "INSERT INTO project_keys (project_id, public_key, secret_key, label, is_active,
            created_ms) VALUES (?1, ?2, ?3, ?4, 1, ?5)",
        params![project.0, key.public_key, key.secret_key, key.label, now_ms],
    )
    .map_err(db)?;
    Ok(ProjectKey {
        id: KeyId(tx.last_insert_rowid()),
        ..key
    })
}

pub(crate) fn create(
    conn: &mut Connection,
    new: &NewProject,
    now_ms: i64,
) -> Result<(Project, ProjectKey)> {
    validate_slug(&new.slug)?;
    let tx = conn.transaction().map_err(db)?;
    let org_exists = tx
        .prepare_cached("SELECT 1 FROM organizations WHERE id = ?1")
        .and_then(|mut s| s.exists([new.organization_id.0]))
        .map_err(db)?;
    if !org_exists {
        return Err(StoreError::not_found(format_args!(
            "organization {}",
            new.organization_id
        )));
    }
    let created = insert_project(&tx, new, now_ms)?;
    tx.commit().map_err(db)?;
    Ok(created)
}

pub(crate) fn key_by_public(conn: &Connection, public_key: &str) -> Result<Option<ProjectKey>> {
    conn.prepare_cached(&format!(
        "SELECT {KEY_COLUMNS} FROM project_keys WHERE public_key = ?1"
    ))
    .and_then(|mut s| s.query_row([public_key], key_from_row).optional())
    .map_err(db)
}

pub(crate) fn keys(conn: &Connection, project: ProjectId) -> Result<Vec<ProjectKey>> {
    get(conn, project)?;
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {KEY_COLUMNS} FROM project_keys WHERE project_id = ?1 ORDER BY id"
        ))
        .map_err(db)?;
    stmt.query_map([project.0], key_from_row)
        .and_then(Iterator::collect)
        .map_err(db)
}

pub(crate) fn organizations(conn: &Connection) -> Result<Vec<Organization>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {ORG_COLUMNS} FROM organizations ORDER BY slug"
        ))
        .map_err(db)?;
    stmt.query_map([], org_from_row)
        .and_then(Iterator::collect)
        .map_err(db)
}

pub(crate) fn organization(conn: &Connection, slug: &str) -> Result<Organization> {
    conn.prepare_cached(&format!(
        "SELECT {ORG_COLUMNS} FROM organizations WHERE slug = ?1"
    ))
    .and_then(|mut s| s.query_row([slug], org_from_row).optional())
    .map_err(db)?
    .ok_or_else(|| StoreError::not_found(format_args!("organization {slug:?}")))
}

pub(crate) fn of_organization(conn: &Connection, org: OrganizationId) -> Result<Vec<Project>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {PROJECT_COLUMNS} FROM projects WHERE organization_id = ?1 ORDER BY slug"
        ))
        .map_err(db)?;
    stmt.query_map([org.0], project_from_row)
        .and_then(Iterator::collect)
        .map_err(db)
}

pub(crate) fn get(conn: &Connection, id: ProjectId) -> Result<Project> {
    conn.prepare_cached(&format!(
        "SELECT {PROJECT_COLUMNS} FROM projects WHERE id = ?1"
    ))
    .and_then(|mut s| s.query_row([id.0], project_from_row).optional())
    .map_err(db)?
    .ok_or_else(|| StoreError::not_found(format_args!("project {id}")))
}

/// Applies a settings patch (validated first: an invalid one changes nothing).
pub(crate) fn update_settings(
    conn: &mut Connection,
    id: ProjectId,
    patch: &ProjectSettings,
) -> Result<Project> {
    let patch = patch.normalized()?;
    if patch.is_empty() {
        return get(conn, id);
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
            quota.map(|q| q.limit),
            quota.map(|q| q.window.as_str()),
        ),
        None => (false, None, None),
    };
    let tx = conn.transaction().map_err(db)?;
    let changed = tx
        .prepare_cached(
            "UPDATE projects SET
                 name = coalesce(?8, name),
                 scrub_data = coalesce(?2, scrub_data),
                 sensitive_fields = coalesce(?3, sensitive_fields),
                 scrub_ip_addresses = coalesce(?4, scrub_ip_addresses),
                 event_quota_limit = CASE WHEN ?5 THEN ?6 ELSE event_quota_limit END,
                 event_quota_window = CASE WHEN ?5 THEN ?7 ELSE event_quota_window END,
                 rate_limit_per_minute = CASE WHEN ?9 THEN ?10 ELSE rate_limit_per_minute END
             WHERE id = ?1",
        )
        .and_then(|mut s| {
            s.execute(params![
                id.0,
                patch.scrub_data,
                sensitive_fields,
                patch.scrub_ip_addresses,
                set_quota,
                limit,
                window,
                patch.name,
                patch.rate_limit_per_minute.is_some(),
                patch.rate_limit_per_minute.flatten()
            ])
        })
        .map_err(db)?;
    if changed == 0 {
        return Err(StoreError::not_found(format_args!("project {id}")));
    }
    update_filters(&tx, id, &patch.filters)?;
    let project = get(&tx, id)?;
    tx.commit().map_err(db)?;
    Ok(project)
}

/// Applies the inbound filters' part of a (normalized) settings patch.
fn update_filters(tx: &Transaction<'_>, id: ProjectId, patch: &FilterPatch) -> Result<()> {
    if patch.is_empty() {
        return Ok(());
    }
    let json = |list: &Option<Vec<String>>| {
        list.as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::invalid("unserializable filter list").with_source(e))
    };
    let (environments, releases, error_messages) = (
        json(&patch.environments)?,
        json(&patch.releases)?,
        json(&patch.error_messages)?,
    );
    tx.prepare_cached(
        "UPDATE projects SET
             filter_environments = coalesce(?2, filter_environments),
             filter_releases = coalesce(?3, filter_releases),
             filter_error_messages = coalesce(?4, filter_error_messages),
             filter_web_crawlers = coalesce(?5, filter_web_crawlers),
             filter_browser_extensions = coalesce(?6, filter_browser_extensions),
             filter_localhost = coalesce(?7, filter_localhost)
         WHERE id = ?1",
    )
    .and_then(|mut s| {
        s.execute(params![
            id.0,
            environments,
            releases,
            error_messages,
            patch.web_crawlers,
            patch.browser_extensions,
            patch.localhost
        ])
    })
    .map_err(db)?;
    Ok(())
}

pub(crate) fn by_slug(conn: &Connection, org: OrganizationId, slug: &str) -> Result<Project> {
    conn.prepare_cached(&format!(
        "SELECT {PROJECT_COLUMNS} FROM projects WHERE organization_id = ?1 AND slug = ?2"
    ))
    .and_then(|mut s| {
        s.query_row(params![org.0, slug], project_from_row)
            .optional()
    })
    .map_err(db)?
    .ok_or_else(|| StoreError::not_found(format_args!("project {slug:?}")))
}

/// The longest key label, in characters.
const MAX_KEY_LABEL_LEN: usize = 200;

pub(crate) fn create_key(
    conn: &mut Connection,
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
    let tx = conn.transaction().map_err(db)?;
    get(&tx, project)?;
    let key = insert_labelled_key(&tx, project, label, now_ms)?;
    tx.commit().map_err(db)?;
    Ok(key)
}

pub(crate) fn change_key(
    conn: &mut Connection,
    id: KeyId,
    change: KeyChange,
) -> Result<ProjectKey> {
    let tx = conn.transaction().map_err(db)?;
    let changed = match change {
        KeyChange::Enable | KeyChange::Disable => tx
            .prepare_cached("UPDATE project_keys SET is_active = ?2 WHERE id = ?1")
            .and_then(|mut s| s.execute(params![id.0, change == KeyChange::Enable])),
        KeyChange::Rotate => tx
            .prepare_cached(
                "UPDATE project_keys SET public_key = ?2, secret_key = ?3 WHERE id = ?1",
            )
            .and_then(|mut s| s.execute(params![id.0, generate_key(), generate_key()])),
    }
    .map_err(db)?;
    if changed == 0 {
        return Err(StoreError::not_found(format_args!("key {id}")));
    }
    let key = tx
        .prepare_cached(&format!(
            "SELECT {KEY_COLUMNS} FROM project_keys WHERE id = ?1"
        ))
        .and_then(|mut s| s.query_row([id.0], key_from_row))
        .map_err(db)?;
    tx.commit().map_err(db)?;
    Ok(key)
}

/// Deletes a project and everything under it, in one transaction.
pub(crate) fn delete(conn: &mut Connection, id: ProjectId) -> Result<()> {
    let tx = conn.transaction().map_err(db)?;
    get(&tx, id)?;
    for sql in [
        "DELETE FROM alert_attempts WHERE delivery_id IN
            (SELECT id FROM alert_deliveries WHERE project_id = ?1)",
        "DELETE FROM alert_deliveries WHERE project_id = ?1",
        "DELETE FROM alert_rule_issues WHERE rule_id IN
            (SELECT id FROM alert_rules WHERE project_id = ?1)",
        "DELETE FROM alert_rule_channels WHERE rule_id IN
            (SELECT id FROM alert_rules WHERE project_id = ?1)",
        "DELETE FROM alert_rules WHERE project_id = ?1",
        "DELETE FROM alert_channels WHERE project_id = ?1",
        "DELETE FROM member_email_opt_outs WHERE project_id = ?1",
        "DELETE FROM issue_links WHERE issue_id IN (SELECT id FROM issues WHERE project_id = ?1)",
        "DELETE FROM issue_hours WHERE issue_id IN (SELECT id FROM issues WHERE project_id = ?1)",
        "DELETE FROM issue_activity WHERE issue_id IN (SELECT id FROM issues WHERE project_id = ?1)",
        "DELETE FROM issue_tag_values WHERE issue_id IN (SELECT id FROM issues WHERE project_id = ?1)",
        "DELETE FROM attachments WHERE project_id = ?1",
        "DELETE FROM user_reports WHERE project_id = ?1",
        "DELETE FROM events WHERE project_id = ?1",
        "DELETE FROM grouphashes WHERE project_id = ?1",
        "DELETE FROM issues WHERE project_id = ?1",
        "DELETE FROM releases WHERE project_id = ?1",
        "DELETE FROM outcomes WHERE project_id = ?1",
        "DELETE FROM project_usage WHERE project_id = ?1",
        "DELETE FROM project_keys WHERE project_id = ?1",
        "DELETE FROM projects WHERE id = ?1",
    ] {
        tx.execute(sql, [id.0]).map_err(db)?;
    }
    tx.commit().map_err(db)
}
