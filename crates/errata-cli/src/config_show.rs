//! `errata config show`: the configuration the binary runs with, every setting with the
//! layer it came from (default, the file, an `ERRATA_*` variable, a flag), secrets
//! redacted, and the warnings loading it raised (unknown variables and keys). Text is
//! aligned `key = value  # source` lines; `--format json` is one object for scripts.

use std::path::Path;

use anyhow::Context as _;
use errata_server::Config;
use errata_server::config::{ConfigWarning, Overrides, render_text, settings};
use serde_json::json;

/// `errata config` subcommands.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum ConfigCommand {
    /// Print the effective configuration: each value and where it came from.
    Show {
        /// `text` (aligned lines) or `json`.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
}

/// How the configuration was loaded: what the sources are attributed from.
#[derive(Debug)]
pub(crate) struct Layers<'a> {
    /// `--config` / `ERRATA_CONFIG`.
    pub(crate) file: Option<&'a Path>,
    /// The flags given.
    pub(crate) overrides: &'a Overrides,
    /// What loading warned about.
    pub(crate) warnings: &'a [ConfigWarning],
}

pub(crate) fn run(
    config: &Config,
    layers: &Layers<'_>,
    command: &ConfigCommand,
) -> anyhow::Result<()> {
    let ConfigCommand::Show { format } = command;
    let all = settings(
        config,
        layers.file,
        |name| std::env::var(name).ok(),
        layers.overrides,
    )
    .context("reading the configuration's sources")?;
    let warnings: Vec<String> = layers.warnings.iter().map(ToString::to_string).collect();
    let out = match format {
        Format::Text => {
            let mut text = String::new();
            for warning in &warnings {
                text.push_str("# warning: ");
                text.push_str(warning);
                text.push('\n');
            }
            text.push_str(&render_text(&all));
            text
        }
        Format::Json => {
            serde_json::to_string_pretty(&json!({ "settings": all, "warnings": warnings }))? + "\n"
        }
    };
    #[allow(clippy::print_stdout, reason = "the command's output")]
    {
        print!("{out}");
    }
    Ok(())
}
