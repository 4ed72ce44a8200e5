//! `errata project create NAME [--json]`: creates a project with its first DSN key in the
//! configured data dir (safe while the server runs).

use anyhow::Context as _;
use clap::Subcommand;
use errata_server::Config;
use errata_store::NewProject;
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
}

pub(crate) fn run(config: &Config, command: ProjectCommand) -> anyhow::Result<()> {
    let ProjectCommand::Create { name, json } = command;
    let store = errata_server::open_store(config).context("opening the database")?;
    errata_server::bootstrap(config, &*store).context("initializing the database")?;
    let organization = store
        .organizations()?
        .into_iter()
        .next()
        .context("no organization exists")?;
    let (project, key) = store
        .create_project(&NewProject {
            organization_id: organization.id,
            slug: errata_store::slugify(&name),
            name: name.clone(),
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
