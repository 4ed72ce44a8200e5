//! `errata send-test-event --dsn DSN`: sends one event through the official protocol
//! (an envelope with `X-Sentry-Auth`), as an SDK would, and prints the event id.

use anyhow::{Context as _, bail};
use errata_protocol::dsn::Dsn;
use serde_json::json;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The DSN to send to.
    #[arg(long, env = "SENTRY_DSN")]
    dsn: String,
    /// The event's message.
    #[arg(
        long,
        default_value = "This is a test event from errata send-test-event"
    )]
    message: String,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<()> {
    let dsn: Dsn = args.dsn.parse().context("parsing the DSN")?;
    let event_id = uuid::Uuid::new_v4().simple().to_string();
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    let event = json!({
        "event_id": event_id,
        "timestamp": timestamp,
        "level": "info",
        "platform": "other",
        "logentry": { "message": args.message },
        "sdk": { "name": "errata.cli", "version": env!("CARGO_PKG_VERSION") },
        "tags": { "source": "send-test-event" },
    });
    let payload = event.to_string();
    let body = format!(
        "{}\n{}\n{payload}\n",
        json!({ "event_id": event_id, "dsn": args.dsn }),
        json!({ "type": "event", "length": payload.len() }),
    );
    let auth = format!(
        "Sentry sentry_key={}, sentry_version=7, sentry_client=errata-cli/{}",
        dsn.public_key(),
        env!("CARGO_PKG_VERSION")
    );
    let url = dsn.envelope_url();
    let response = ureq::post(&url)
        .header("X-Sentry-Auth", &auth)
        .header("Content-Type", "application/x-sentry-envelope")
        .config()
        .http_status_as_error(false)
        .build()
        .send(body.as_bytes())
        .with_context(|| format!("sending to {url}"))?;
    let status = response.status();
    let text = response.into_body().read_to_string().unwrap_or_default();
    if !status.is_success() {
        bail!("{url} answered {status}: {text}");
    }
    #[allow(clippy::print_stdout, reason = "the command's output")]
    {
        println!("Sent event {event_id} to {url} ({status}).");
    }
    Ok(())
}
