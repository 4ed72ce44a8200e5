//! The crate's one error type, [`NotifyError`]. Its messages are safe to store and show: they
//! never contain a secret (tokens, webhook secrets, SMTP passwords) and are bounded in length
//! ([`bounded`]), since receivers' answers end up in them.

use std::net::IpAddr;

/// The longest error message kept (in bytes, cut on a character boundary).
pub const MAX_ERROR_LEN: usize = 500;

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The address guard refused to contact this address.
    #[error("refused {addr}: {reason}")]
    Refused { addr: IpAddr, reason: &'static str },
    /// A configuration or input that cannot work (a bad URL, a bad secret, a bad address).
    #[error("{0}")]
    Invalid(String),
    /// The request could not be made or did not complete (DNS, connection, timeout).
    #[error("{0}")]
    Transport(String),
    /// The receiver answered with a non-success status; `retry` when trying again later
    /// may succeed (408, 429, rate limits, 5xx).
    #[error("HTTP {status}: {message}")]
    Status {
        status: u16,
        message: String,
        retry: bool,
    },
    /// The receiver answered success but with a body we cannot read.
    #[error("unexpected response: {0}")]
    Response(String),
}

/// The crate's result type.
pub type Result<T, E = NotifyError> = std::result::Result<T, E>;

impl NotifyError {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(bounded(&message.into()))
    }

    pub(crate) fn transport(message: impl Into<String>) -> Self {
        Self::Transport(bounded(&message.into()))
    }

    /// The address guard refused the destination.
    pub fn is_refused(&self) -> bool {
        matches!(self, Self::Refused { .. })
    }

    /// The input or configuration is wrong (retrying cannot help).
    pub fn is_invalid(&self) -> bool {
        matches!(self, Self::Invalid(_))
    }

    /// A network failure (retrying may help).
    pub fn is_transport(&self) -> bool {
        matches!(self, Self::Transport(_))
    }

    /// Whether trying again later may succeed: network failures and retryable statuses.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport(_) => true,
            Self::Status { retry, .. } => *retry,
            _ => false,
        }
    }

    /// The receiver's HTTP status, if it answered one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// `text` cut to at most [`MAX_ERROR_LEN`] bytes, with control characters replaced by
/// spaces so that a receiver's body cannot forge log lines.
pub fn bounded(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_ERROR_LEN));
    for c in text.chars() {
        let c = if c.is_control() { ' ' } else { c };
        if out.len() + c.len_utf8() > MAX_ERROR_LEN - 3 {
            out.push_str("...");
            break;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_cuts_and_strips_control_characters() {
        assert_eq!(bounded("a\r\nb"), "a  b");
        let long = "é".repeat(1000);
        let b = bounded(&long);
        assert!(b.len() <= MAX_ERROR_LEN);
        assert!(b.ends_with("..."));
    }
}
