//! `errata user create EMAIL [--name NAME] [--admin]`, `errata user reset-password EMAIL`
//! and `errata user list`: accounts managed beside a running server on the same data dir.
//! Passwords are generated, hashed with argon2id and shown once, so a lost password
//! (the first admin's too) is recovered by resetting it here; a reset ends the user's
//! sessions.

use anyhow::Context as _;
use clap::Subcommand;
use errata_server::Config;
use errata_store::{NewUser, Role, User};
use serde_json::json;

#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Create a user with a generated password (shown once).
    Create {
        /// The login email.
        email: String,
        /// The display name.
        #[arg(long, default_value = "")]
        name: String,
        /// Make the user an admin (default: a member).
        #[arg(long)]
        admin: bool,
        /// Print `{"email", "role", "password"}` as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Give a user a new generated password (shown once).
    ResetPassword {
        /// The login email.
        email: String,
        /// Print `{"email", "role", "password"}` as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the users.
    List,
}

pub(crate) fn run(config: &Config, command: UserCommand) -> anyhow::Result<()> {
    let store = crate::database::open_store(config)?;
    errata_server::bootstrap(config, &*store).context("initializing the database")?;
    match command {
        UserCommand::Create {
            email,
            name,
            admin,
            json,
        } => {
            let password = errata_server::generate_password();
            let user = store
                .create_user(&NewUser {
                    email,
                    name,
                    password_hash: errata_server::hash_password(&password)?,
                    role: if admin { Role::Admin } else { Role::Member },
                })
                .context("creating the user")?;
            show(&user, &password, json, "created");
        }
        UserCommand::ResetPassword { email, json } => {
            let user = store.user_by_email(&email).context("finding the user")?;
            let password = errata_server::generate_password();
            let user = store
                .set_user_password(user.id, &errata_server::hash_password(&password)?)
                .context("setting the password")?;
            // Whoever knew the old password is logged out everywhere.
            store
                .delete_user_sessions(user.id)
                .context("ending the user's sessions")?;
            show(&user, &password, json, "has a new password");
        }
        UserCommand::List =>
        {
            #[allow(clippy::print_stdout, reason = "the command's output")]
            for user in store.users()? {
                println!("{}\t{}\t{}", user.email, user.role.as_str(), user.name);
            }
        }
    }
    Ok(())
}

#[allow(clippy::print_stdout, reason = "the command's output")]
fn show(user: &User, password: &str, json: bool, what: &str) {
    if json {
        println!(
            "{}",
            json!({ "email": user.email, "role": user.role.as_str(), "password": password })
        );
    } else {
        println!(
            "{} ({}) {what}. Password: {password}  (shown only this once)",
            user.email,
            user.role.as_str()
        );
    }
}
