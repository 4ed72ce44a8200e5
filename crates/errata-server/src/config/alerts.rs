//! Alerting's settings: the SMTP relay for email (`ERRATA_SMTP_URL`, `ERRATA_SMTP_FROM`),
//! the Slack app's signing secret that turns on Resolve and Ignore buttons
//! (`ERRATA_SLACK_SIGNING_SECRET`), whether outbound requests may reach loopback and
//! private addresses (yes by default: a self-hosted install talks to its own network;
//! link-local and cloud-metadata addresses are refused whatever this says), the hourly
//! email cap per recipient, and how many deliveries the dispatcher sends at once.

use serde::{Deserialize, Serialize};

use super::{ConfigError, Secret, env_number, invalid, parse_bool};

/// The `[alerts]` section.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct AlertsConfig {
    /// `smtps://user:pass@host:465`, `smtp://host:587?tls=starttls` or `smtp://host:25`.
    pub smtp_url: Option<Secret>,
    /// The sender address of alert emails.
    pub smtp_from: String,
    /// The Slack app's signing secret; unset means no buttons in Slack messages.
    pub slack_signing_secret: Option<Secret>,
    /// Whether webhooks, Slack and trackers may be on loopback or private addresses.
    pub allow_private_addresses: bool,
    /// The most alert emails one address gets per hour from one node (0: no cap).
    pub email_cap_per_hour: u32,
    /// Deliveries sent at once by one node.
    pub concurrency: usize,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        Self {
            smtp_url: None,
            smtp_from: "errata@localhost".to_owned(),
            slack_signing_secret: None,
            allow_private_addresses: true,
            email_cap_per_hour: 30,
            concurrency: 8,
        }
    }
}

impl AlertsConfig {
    pub(crate) fn merge_env(
        &mut self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        if let Some(v) = env("ERRATA_SMTP_URL").filter(|v| !v.is_empty()) {
            self.smtp_url = Some(Secret::new(v));
        }
        if let Some(v) = env("ERRATA_SMTP_FROM") {
            self.smtp_from = v;
        }
        if let Some(v) = env("ERRATA_SLACK_SIGNING_SECRET").filter(|v| !v.is_empty()) {
            self.slack_signing_secret = Some(Secret::new(v));
        }
        if let Some(v) = env("ERRATA_ALERTS_ALLOW_PRIVATE_ADDRESSES") {
            self.allow_private_addresses = parse_bool("ERRATA_ALERTS_ALLOW_PRIVATE_ADDRESSES", &v)?;
        }
        env_number(
            env,
            "ERRATA_ALERTS_EMAIL_CAP_PER_HOUR",
            &mut self.email_cap_per_hour,
        )?;
        env_number(env, "ERRATA_ALERTS_CONCURRENCY", &mut self.concurrency)?;
        Ok(())
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if let Some(url) = &self.smtp_url
            && let Err(e) = errata_notify::email::Mailer::from_url(url.expose(), &self.smtp_from)
        {
            return Err(ConfigError::Invalid {
                name: "smtp_url (ERRATA_SMTP_URL)".to_owned(),
                message: e.to_string(),
            });
        }
        if !self.smtp_from.contains('@') {
            return Err(invalid(
                "smtp_from (ERRATA_SMTP_FROM)",
                "must be an email address",
            ));
        }
        if !(1..=256).contains(&self.concurrency) {
            return Err(invalid(
                "alerts.concurrency (ERRATA_ALERTS_CONCURRENCY)",
                "must be between 1 and 256",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_sets_smtp_and_slack_and_bad_values_name_the_option() {
        let mut c = AlertsConfig::default();
        let env = |k: &str| match k {
            "ERRATA_SMTP_URL" => Some("smtp://127.0.0.1:2525".to_owned()),
            "ERRATA_SLACK_SIGNING_SECRET" => Some("s3cret".to_owned()),
            _ => None,
        };
        c.merge_env(&env).unwrap();
        c.validate().unwrap();
        assert_eq!(c.slack_signing_secret.as_ref().unwrap().expose(), "s3cret");
        assert!(!format!("{c:?}").contains("s3cret"));
        c.smtp_url = Some(Secret::new("ftp://nope"));
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("ERRATA_SMTP_URL"), "{e}");
        let bad = |k: &str| (k == "ERRATA_ALERTS_ALLOW_PRIVATE_ADDRESSES").then(|| "maybe".into());
        let e = AlertsConfig::default()
            .merge_env(&bad)
            .unwrap_err()
            .to_string();
        assert!(e.contains("ERRATA_ALERTS_ALLOW_PRIVATE_ADDRESSES"), "{e}");
    }
}
