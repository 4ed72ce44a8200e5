//! `errata token create [--json]`: creates a Web API token (a Bearer token) for the
//! admin; only its hash is stored, so it is shown once.

use anyhow::Context as _;
use clap::Subcommand;
use errata_server::Config;
use errata_store::NewToken;
use serde_json::json;

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Create an API token.
    Create {
        /// A label to recognize the token by.
        #[arg(long, default_value = "cli")]
        label: String,
        /// Print `{"token"}` as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn run(config: &Config, command: TokenCommand) -> anyhow::Result<()> {
    let TokenCommand::Create { label, json } = command;
    let store = errata_server::open_store(config).context("opening the database")?;
    let welcome = errata_server::bootstrap(config, &*store).context("initializing the database")?;
    let _ = welcome;
    let created = store.create_token(&NewToken {
        user_id: None,
        label,
    })?;
    #[allow(clippy::print_stdout, reason = "the command's output")]
    if json {
        println!("{}", json!({ "token": created.secret }));
    } else {
        println!("{}", created.secret);
    }
    Ok(())
}
