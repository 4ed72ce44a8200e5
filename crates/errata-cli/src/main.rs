//! `errata`: the one binary. `errata serve` runs the server; the other commands work
//! beside a running server on the same data dir and configuration, so the DSNs they
//! print use the same public URL.

mod alert_bench;
mod backup;
mod bench;
mod channel;
mod config_show;
mod database;
mod fill;
mod manifest;
mod migrate;
mod migrate_store;
mod progress;
mod project;
mod restore;
mod send_test_event;
mod serve;
mod token;
mod ui_bench;
mod user;

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use errata_server::config::{Config, Loaded, Overrides};

// Ingest allocates many small strings per event; mimalloc serves them faster than the
// system allocator and returns memory to the OS promptly.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Errata: real-time error tracking that speaks the Sentry protocol.
#[derive(Debug, Parser)]
#[command(name = "errata", version, about)]
struct Cli {
    /// A TOML configuration file.
    #[arg(long, global = true, env = "ERRATA_CONFIG")]
    config: Option<PathBuf>,
    /// Where the database lives [default: ./errata-data].
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// The database: `sqlite:<directory>` or `postgres://...` [default: `SQLite` in --data-dir].
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// The address SDKs and people use, for DSNs and links [default: derived from --bind].
    #[arg(long, global = true)]
    public_url: Option<String>,
    /// The address to listen on [default: 127.0.0.1:9000].
    #[arg(long, global = true)]
    bind: Option<String>,
    /// How log lines (on stderr) are written: `text` for people, `json` (one object per
    /// line, with the request's id in its span) for a log pipeline.
    #[arg(long, global = true, env = "ERRATA_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve,
    /// Manage projects: create one, set its event quota.
    #[command(subcommand)]
    Project(project::ProjectCommand),
    /// Manage Web API tokens.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Manage alert channels: add one, list them, send a test notification.
    #[command(subcommand)]
    Channel(channel::ChannelCommand),
    /// Manage user accounts: create one, reset a password, list them.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Send one event to a DSN through the Sentry protocol.
    SendTestEvent(send_test_event::Args),
    /// Benchmarks: `errata bench ingest --dsn DSN --concurrency N --duration S`, `errata bench
    /// fill --issues N --events M`, `errata bench ui --url URL --email E --password P`.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Copy a `SQLite` installation into `PostgreSQL`: `errata migrate-store --from DIR --to
    /// postgres://...` (the target must be empty; `--force` truncates every target table).
    MigrateStore(migrate_store::Args),
    /// Back up a `SQLite` installation while it runs: `errata backup DEST` writes a verified
    /// copy of the database and a manifest into the directory DEST (`PostgreSQL`: use
    /// `pg_dump`, as the error says).
    Backup(backup::Args),
    /// Put a backup made by `errata backup` back into the data dir (the server must be
    /// stopped; `--force` replaces an existing database); it is migrated forward.
    Restore(restore::Args),
    /// Say what an upgrade would do to the database's schema (`--check`: change nothing),
    /// or apply the pending migrations.
    Migrate(migrate::Args),
    /// The configuration: `errata config show` prints every setting with where it came
    /// from (default, file, environment, flag), secrets redacted.
    #[command(subcommand)]
    Config(config_show::ConfigCommand),
}

/// The format of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let Loaded {
        mut config,
        warnings,
    } = Config::load_reporting(
        cli.config.as_deref(),
        |name| std::env::var(name).ok(),
        std::env::vars_os().filter_map(|(name, _)| name.into_string().ok()),
    )
    .context("reading the configuration")?;
    let overrides = Overrides {
        bind: cli.bind.clone(),
        data_dir: cli.data_dir.clone(),
        database_url: cli.database_url.clone(),
        public_url: cli.public_url.clone(),
    };
    config
        .apply(&overrides)
        .context("applying command-line options")?;
    match cli.command {
        Command::Serve => serve::run(config),
        Command::Project(command) => project::run(&config, command),
        Command::Token(command) => token::run(&config, command),
        Command::User(command) => user::run(&config, command),
        Command::Channel(command) => channel::run(&config, command),
        Command::SendTestEvent(args) => send_test_event::run(&args),
        Command::Bench(command) => bench::run(&config, command),
        Command::MigrateStore(args) => migrate_store::run(&args),
        Command::Backup(args) => backup::run(&config, &args),
        Command::Restore(args) => restore::run(&config, &args),
        Command::Migrate(args) => migrate::run(&config, &args),
        Command::Config(command) => config_show::run(
            &config,
            &config_show::Layers {
                file: cli.config.as_deref(),
                overrides: &overrides,
                warnings: &warnings,
            },
            &command,
        ),
    }
}

/// Logs to stderr at `ERRATA_LOG` (an `EnvFilter`, `info` by default), as `format` says.
fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ERRATA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        // The current span (`request{id, method, path}`) and its parents on every line.
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .init(),
    }
}
