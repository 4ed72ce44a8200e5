//! `errata project create NAME [--json]`: creates a project with its first DSN key, and
//! `errata project quota SLUG --events N --per day|month` (or `--clear`): sets or removes
//! a project's event quota and prints what is now set. Both work on the configured data
//! dir, safe while the server runs.

use anyhow::Context as _;
use clap::Subcommand;
use errata_server::Config;
use errata_store::{EventQuota, NewProject, Organization, ProjectSettings, QuotaWindow, Store};
use serde_json::json;

#[derive(Debug, Subcommand)]
pub(crate) enum ProjectCommand {
    /// Create a project and print its DSN.
    Create {
        /// The project's name (its slug is derived from it).
        name: String,
        /// Print `{"id", "slug", "organization", "dsn"}` as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Set or remove a project's event quota, then print it.
    Quota {
        /// The project's slug.
        slug: String,
        /// Accept at most N events per window (1 to 10^12).
        #[arg(
            long,
            value_name = "N",
            requires = "per",
            required_unless_present = "clear"
        )]
        events: Option<u64>,
        /// The window the quota counts over: a UTC calendar `day` or `month`.
        #[arg(long, value_name = "WINDOW", value_parser = parse_window, requires = "events")]
        per: Option<QuotaWindow>,
        /// Remove the quota.
        #[arg(long, conflicts_with_all = ["events", "per"])]
        clear: bool,
    },
}

fn parse_window(s: &str) -> Result<QuotaWindow, String> {
    QuotaWindow::parse(s).ok_or_else(|| format!("{s:?} is not a window: expected day or month"))
}

pub(crate) fn run(config: &Config, command: ProjectCommand) -> anyhow::Result<()> {
    let store = crate::database::open_store(config)?;
    errata_server::bootstrap(config, &*store).context("initializing the database")?;
    let organization = store
        .organizations()?
        .into_iter()
        .next()
        .context("no organization exists")?;
    match command {
        ProjectCommand::Create { name, json } => {
            create(config, &*store, &organization, &name, json)
        }
        ProjectCommand::Quota {
            slug,
            events,
            per,
            clear: _,
        } => {
            // clap guarantees `--events` and `--per` together, or `--clear` alone.
            let quota = events
                .zip(per)
                .map(|(limit, window)| EventQuota { limit, window });
            set_quota(&*store, &organization, &slug, quota)
        }
    }
}

fn create(
    config: &Config,
    store: &dyn Store,
    organization: &Organization,
    name: &str,
    json: bool,
) -> anyhow::Result<()> {
    let (project, key) = store
        .create_project(&NewProject {
            organization_id: organization.id,
            slug: errata_store::slugify(name),
            name: name.to_owned(),
            platform: None,
        })
        .with_context(|| format!("creating project {name:?}"))?;
    let dsn =
        errata_server::state::dsn_for(&config.public_base_url(), &key.public_key, project.id.0);
    #[allow(clippy::print_stdout, reason = "the command's output")]
    if json {
        println!(
            "{}",
            json!({ "id": project.id.0.to_string(), "slug": project.slug, "organization": organization.slug, "dsn": dsn })
        );
    } else {
        println!(
            "Created project {} ({}).\nDSN: {dsn}",
            project.name, project.slug
        );
    }
    Ok(())
}

fn set_quota(
    store: &dyn Store,
    organization: &Organization,
    slug: &str,
    quota: Option<EventQuota>,
) -> anyhow::Result<()> {
    let project = store
        .project_by_slug(organization.id, slug)
        .with_context(|| {
            format!(
                "no project {slug:?} in organization {:?}",
                organization.slug
            )
        })?;
    let patch = ProjectSettings {
        event_quota: Some(quota),
        ..ProjectSettings::default()
    };
    let project = store
        .update_project_settings(project.id, &patch)
        .with_context(|| format!("setting the event quota of project {slug:?}"))?;
    #[allow(clippy::print_stdout, reason = "the command's output")]
    match project.event_quota {
        Some(quota) => println!(
            "Project {}: at most {} events per {} (UTC).",
            project.slug, quota.limit, quota.window
        ),
        None => println!("Project {}: no event quota.", project.slug),
    }
    Ok(())
}
