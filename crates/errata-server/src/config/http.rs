//! The `[http]` section: how long a client may take to send its headers and its body,
//! how long an idle keep-alive connection stays open, how many connections are served at
//! once, and how long a graceful shutdown may take. The defaults suit an SDK on a slow
//! mobile network; a client slower than all of them is a client holding resources.

use serde::{Deserialize, Serialize};
use std::time::Duration;

use super::{ConfigError, env_number, invalid};

/// Connection timeouts and caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct HttpConfig {
    /// Seconds a client has to send a request's headers (the connection is then closed).
    pub header_timeout_secs: u64,
    /// Seconds a client has to send a whole request body (then 408).
    pub body_timeout_secs: u64,
    /// Seconds before the minimum body rate applies.
    pub body_grace_secs: u64,
    /// Bytes per second a body must average once the grace period is over (then 408);
    /// 0 turns the check off.
    pub min_body_rate: u64,
    /// Seconds an idle keep-alive connection stays open.
    pub keep_alive_secs: u64,
    /// Connections served at once; more wait in the kernel's accept queue.
    pub max_connections: usize,
    /// Seconds a graceful shutdown waits for requests in flight before closing them.
    pub shutdown_timeout_secs: u64,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            header_timeout_secs: 10,
            body_timeout_secs: 60,
            body_grace_secs: 5,
            min_body_rate: 1024,
            keep_alive_secs: 75,
            max_connections: 1024,
            shutdown_timeout_secs: 30,
        }
    }
}

impl HttpConfig {
    /// The header timeout.
    pub fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout_secs)
    }

    /// The body deadline.
    pub fn body_timeout(&self) -> Duration {
        Duration::from_secs(self.body_timeout_secs)
    }

    /// The grace period before the minimum rate applies.
    pub fn body_grace(&self) -> Duration {
        Duration::from_secs(self.body_grace_secs)
    }

    /// The idle keep-alive timeout.
    pub fn keep_alive(&self) -> Duration {
        Duration::from_secs(self.keep_alive_secs)
    }

    /// The graceful shutdown deadline.
    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_secs(self.shutdown_timeout_secs)
    }

    pub(super) fn merge_env(
        &mut self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        env_number(
            env,
            "ERRATA_HTTP_HEADER_TIMEOUT_SECS",
            &mut self.header_timeout_secs,
        )?;
        env_number(
            env,
            "ERRATA_HTTP_BODY_TIMEOUT_SECS",
            &mut self.body_timeout_secs,
        )?;
        env_number(
            env,
            "ERRATA_HTTP_BODY_GRACE_SECS",
            &mut self.body_grace_secs,
        )?;
        env_number(env, "ERRATA_HTTP_MIN_BODY_RATE", &mut self.min_body_rate)?;
        env_number(
            env,
            "ERRATA_HTTP_KEEP_ALIVE_SECS",
            &mut self.keep_alive_secs,
        )?;
        env_number(
            env,
            "ERRATA_HTTP_MAX_CONNECTIONS",
            &mut self.max_connections,
        )?;
        env_number(
            env,
            "ERRATA_HTTP_SHUTDOWN_TIMEOUT_SECS",
            &mut self.shutdown_timeout_secs,
        )
    }

    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        for (name, secs) in [
            ("http.header_timeout_secs", self.header_timeout_secs),
            ("http.body_timeout_secs", self.body_timeout_secs),
            ("http.keep_alive_secs", self.keep_alive_secs),
        ] {
            if secs == 0 {
                return Err(invalid(name, "must be at least 1 second"));
            }
        }
        if self.max_connections == 0 {
            return Err(invalid("http.max_connections", "must be at least 1"));
        }
        Ok(())
    }
}
