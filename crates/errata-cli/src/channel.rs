//! `errata channel add PROJECT_SLUG KIND TARGET [--name N] [--secret S] [--api-base URL]
//! [--json]`: adds an alert channel to a project (a webhook without `--secret` gets a
//! generated signing secret, printed this once); `errata channel list PROJECT_SLUG
//! [--json]`; `errata channel test ID`: sends a sample notification to the channel now
//! and exits non-zero when it was not delivered. They work on the configured data dir,
//! safe while the server runs. A project's default rule sends to "all channels", so a
//! Slack, webhook or email channel added here is used at once.

use anyhow::Context as _;
use clap::Subcommand;
use errata_server::Config;
use errata_store::{Channel, ChannelId, ChannelKind, NewChannel, Project, Store};
use serde_json::{Value, json};

#[derive(Debug, Subcommand)]
pub(crate) enum ChannelCommand {
    /// Add a channel to a project and print it.
    Add {
        /// The project's slug (in the first organization).
        project: String,
        /// `slack`, `webhook`, `email`, `github` or `gitlab`.
        kind: String,
        /// The URL (Slack, webhook), the address (email), `owner/repo` (GitHub) or the
        /// project (GitLab).
        target: String,
        /// The webhook's signing secret (`whsec_...`; generated when left out) or the
        /// tracker's token.
        #[arg(long)]
        secret: Option<String>,
        /// A name to show (the target by default).
        #[arg(long)]
        name: Option<String>,
        /// GitHub Enterprise or self-hosted GitLab API base.
        #[arg(long)]
        api_base: Option<String>,
        /// Print the channel as JSON (with `"secret"` when one was generated).
        #[arg(long)]
        json: bool,
    },
    /// List a project's channels (never their secrets).
    List {
        /// The project's slug (in the first organization).
        project: String,
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Send a test notification to a channel now; fails when it is not delivered.
    Test {
        /// The channel's id (see `errata channel list`).
        id: i64,
    },
}

pub(crate) fn run(config: &Config, command: ChannelCommand) -> anyhow::Result<()> {
    let store = crate::database::open_store(config)?;
    errata_server::bootstrap(config, &*store).context("initializing the database")?;
    match command {
        ChannelCommand::Add {
            project,
            kind,
            target,
            secret,
            name,
            api_base,
            json,
        } => {
            let project = project_by_slug(&*store, &project)?;
            let kind = ChannelKind::parse(&kind)?;
            let generated = (kind == ChannelKind::Webhook && secret.is_none())
                .then(errata_server::alert::generate_webhook_secret);
            let channel = store
                .create_channel(&NewChannel {
                    project_id: project.id,
                    kind,
                    // Unnamed Slack and webhook channels are named after their masked URL.
                    name: name.unwrap_or_default(),
                    target,
                    secret: secret.or_else(|| generated.clone()),
                    api_base,
                })
                .context("adding the channel")?;
            let mut shown = channel_json(&channel);
            if let Some(secret) = &generated {
                shown["secret"] = Value::String(secret.clone());
            }
            #[allow(clippy::print_stdout, reason = "the command's output")]
            if json {
                println!("{shown}");
            } else {
                println!(
                    "Added {} channel {} ({}) to project {}.",
                    channel.kind, channel.id.0, channel.name, project.slug
                );
                if let Some(secret) = generated {
                    println!("Signing secret (shown once): {secret}");
                }
            }
            Ok(())
        }
        ChannelCommand::List { project, json } => {
            let project = project_by_slug(&*store, &project)?;
            let channels = store.channels(project.id)?;
            #[allow(clippy::print_stdout, reason = "the command's output")]
            if json {
                let list: Vec<Value> = channels.iter().map(channel_json).collect();
                println!("{}", Value::Array(list));
            } else if channels.is_empty() {
                println!("Project {} has no channels.", project.slug);
            } else {
                println!(
                    "{:<6} {:<8} {:<9} {:<24} TARGET",
                    "ID", "KIND", "STATE", "NAME"
                );
                for c in &channels {
                    println!(
                        "{:<6} {:<8} {:<9} {:<24} {}",
                        c.id.0,
                        c.kind.as_str(),
                        if c.enabled { "enabled" } else { "disabled" },
                        c.name,
                        c.target
                    );
                }
            }
            Ok(())
        }
        ChannelCommand::Test { id } => {
            let channel = store
                .channel(ChannelId(id))
                .with_context(|| format!("no channel {id}"))?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("starting the async runtime")?;
            let outcome = runtime.block_on(errata_server::alert::send_test_with(config, &channel));
            let status = outcome
                .status
                .map(|s| format!(" (HTTP {s})"))
                .unwrap_or_default();
            if outcome.delivered {
                #[allow(clippy::print_stdout, reason = "the command's output")]
                {
                    println!("Delivered{status}. {}", outcome.detail);
                }
                Ok(())
            } else {
                anyhow::bail!("not delivered{status}: {}", outcome.detail)
            }
        }
    }
}

/// The project `slug` of the first organization.
fn project_by_slug(store: &dyn Store, slug: &str) -> anyhow::Result<Project> {
    let organization = store
        .organizations()?
        .into_iter()
        .next()
        .context("no organization exists")?;
    store
        .project_by_slug(organization.id, slug)
        .with_context(|| {
            format!(
                "no project {slug:?} in organization {:?}",
                organization.slug
            )
        })
}

/// A channel as the CLI prints it: the Web API's fields, the full target (this runs with
/// the database's own access), never the secret.
fn channel_json(c: &Channel) -> Value {
    json!({
        "id": c.id.0.to_string(),
        "projectId": c.project_id.0.to_string(),
        "kind": c.kind.as_str(),
        "name": c.name,
        "target": c.target,
        "apiBase": c.api_base,
        "enabled": c.enabled,
        "hasSecret": c.secret.is_some(),
    })
}
