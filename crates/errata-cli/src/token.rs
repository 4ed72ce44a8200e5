//! `errata token create [--label L] [--scope S]... [--user EMAIL] [--json]`, `errata token
//! list [--json]` and `errata token revoke ID`: Web API tokens (Bearer tokens), managed
//! beside a running server on the same data dir. Only a token's hash is stored, so its
//! secret is shown once at creation and never listed. A token acts as its user (default:
//! the owner) with its scopes (default: all) within that user's role.

use anyhow::{Context as _, bail};
use clap::Subcommand;
use errata_server::Config;
use errata_store::{NewToken, Role, Scope, Scopes, Store, TokenId};
use serde_json::json;

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Create an API token (its secret is shown once).
    Create {
        /// A label to recognize the token by.
        #[arg(long, default_value = "cli")]
        label: String,
        /// A scope the token gets (repeatable, e.g. `--scope event:read`); default: all.
        #[arg(long = "scope", value_name = "SCOPE")]
        scopes: Vec<String>,
        /// The user the token acts as (default: the owner).
        #[arg(long, value_name = "EMAIL")]
        user: Option<String>,
        /// Print `{"token", "id", "user", "scopes"}` as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the tokens (never their secrets).
    List {
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token: it stops working at once.
    Revoke {
        /// The token's id (see `errata token list`).
        id: i64,
    },
}

pub(crate) fn run(config: &Config, command: TokenCommand) -> anyhow::Result<()> {
    let store = crate::database::open_store(config)?;
    errata_server::bootstrap(config, &*store).context("initializing the database")?;
    match command {
        TokenCommand::Create {
            label,
            scopes,
            user,
            json,
        } => create(&*store, label, &scopes, user.as_deref(), json)?,
        TokenCommand::List { json } => list(&*store, json)?,
        TokenCommand::Revoke { id } => {
            store
                .revoke_token(TokenId(id))
                .with_context(|| format!("revoking token {id}"))?;
            #[allow(clippy::print_stdout, reason = "the command's output")]
            {
                println!("token {id} revoked");
            }
        }
    }
    Ok(())
}

/// `errata token create`.
fn create(
    store: &dyn Store,
    label: String,
    scopes: &[String],
    user: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let user = match user {
        Some(email) => store.user_by_email(email).context("finding the user")?,
        None => store
            .users()?
            .into_iter()
            .find(|u| u.role == Role::Owner)
            .context("the database has no owner")?,
    };
    let scopes = if scopes.is_empty() {
        Scopes::all()
    } else {
        let mut set = Scopes::empty();
        for list in scopes {
            set = set.union(Scopes::parse(list).map_err(|name| {
                anyhow::anyhow!("unknown scope {name:?}; scopes are: {}", Scopes::all())
            })?);
        }
        set
    };
    let beyond = scopes.difference(Scopes::for_role(user.role));
    if !beyond.is_empty() {
        bail!(
            "{} is a {}: a token of theirs cannot have {beyond}",
            user.email,
            user.role.as_str()
        );
    }
    let created = store.create_token(&NewToken {
        user_id: user.id,
        label,
        scopes,
    })?;
    #[allow(clippy::print_stdout, reason = "the command's output")]
    if json {
        println!(
            "{}",
            json!({
                "token": created.secret,
                "id": created.token.id.0,
                "user": user.email,
                "scopes": scope_names(scopes),
            })
        );
    } else {
        println!("{}", created.secret);
    }
    Ok(())
}

/// `errata token list`.
fn list(store: &dyn Store, json: bool) -> anyhow::Result<()> {
    let users = store.users()?;
    let email = |id| {
        users
            .iter()
            .find(|u| u.id == id)
            .map_or("?", |u| u.email.as_str())
    };
    let tokens = store.tokens(None)?;
    #[allow(clippy::print_stdout, reason = "the command's output")]
    if json {
        let list: Vec<_> = tokens
            .iter()
            .map(|t| {
                json!({
                    "id": t.id.0,
                    "user": email(t.user_id),
                    "label": t.label,
                    "scopes": scope_names(t.scopes),
                    "created_ms": t.created_ms,
                    "last_used_ms": t.last_used_ms,
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(list));
    } else {
        for t in &tokens {
            let last = t
                .last_used_ms
                .map_or_else(|| "never".to_owned(), errata_server::api::iso8601);
            println!(
                "{}\t{}\t{}\t{}\t{}\t{last}",
                t.id.0,
                email(t.user_id),
                t.label,
                t.scopes,
                errata_server::api::iso8601(t.created_ms),
            );
        }
    }
    Ok(())
}

fn scope_names(scopes: Scopes) -> Vec<&'static str> {
    scopes.iter().map(Scope::as_str).collect()
}
