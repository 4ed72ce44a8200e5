//! Alert channels: where notifications go (a Slack or Mattermost webhook, a signed
//! webhook, an email address, a GitHub or GitLab project), checked the same way by every
//! backend, with secrets kept out of `Debug`; and the links from issues to the tracker
//! issues made from them.

use std::fmt;

use crate::error::{Result, StoreError};
use crate::id::{ChannelId, IssueId, ProjectId};

/// The longest channel name, target or API base accepted.
pub const MAX_CHANNEL_FIELD_LEN: usize = 2048;
/// Where notifications go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelKind {
    /// A Slack (or Mattermost) incoming-webhook URL.
    Slack,
    /// Any HTTP endpoint, signed the Standard Webhooks way.
    Webhook,
    /// An email address (through the server's SMTP relay).
    Email,
    /// A GitHub repository (`owner/repo`): alerts open GitHub issues.
    GitHub,
    /// A GitLab project (id or `group/project`): alerts open GitLab issues.
    GitLab,
}

impl ChannelKind {
    pub const ALL: [Self; 5] = [
        Self::Slack,
        Self::Webhook,
        Self::Email,
        Self::GitHub,
        Self::GitLab,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Slack => "slack",
            Self::Webhook => "webhook",
            Self::Email => "email",
            Self::GitHub => "github",
            Self::GitLab => "gitlab",
        }
    }

    pub fn parse(name: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
            .ok_or_else(|| {
                StoreError::invalid(format!(
                    "unknown channel kind {name:?} (slack, webhook, email, github or gitlab)"
                ))
            })
    }

    /// Slack, webhook and email notify people; GitHub and GitLab file issues, which a rule
    /// does only when it names the channel (never through "all channels").
    pub fn notifies(self) -> bool {
        matches!(self, Self::Slack | Self::Webhook | Self::Email)
    }

    /// An issue tracker (an issue page offers to create an issue there).
    pub fn is_tracker(self) -> bool {
        matches!(self, Self::GitHub | Self::GitLab)
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A channel as stored. `secret` is the webhook signing secret (`whsec_...`) or the
/// tracker's token: the UI and API never show it back, only whether it is set.
#[derive(Clone, PartialEq, Eq)]
pub struct Channel {
    pub id: ChannelId,
    pub project_id: ProjectId,
    pub kind: ChannelKind,
    pub name: String,
    /// The URL (Slack, webhook), the address (email), `owner/repo` (GitHub) or the
    /// project id or path (GitLab).
    pub target: String,
    pub secret: Option<String>,
    /// The tracker's API base (`https://api.github.com`, `https://gitlab.com`) for
    /// Enterprise and self-hosted installations; `None` means the public service.
    pub api_base: Option<String>,
    pub enabled: bool,
    pub created_ms: i64,
}

impl fmt::Debug for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Channel")
            .field("id", &self.id)
            .field("project_id", &self.project_id)
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("target", &self.target)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("api_base", &self.api_base)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

/// A channel to create ([`NewChannel::normalized`] checks it).
#[derive(Clone, PartialEq, Eq)]
pub struct NewChannel {
    pub project_id: ProjectId,
    pub kind: ChannelKind,
    pub name: String,
    pub target: String,
    pub secret: Option<String>,
    pub api_base: Option<String>,
}

impl fmt::Debug for NewChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewChannel")
            .field("project_id", &self.project_id)
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("target", &self.target)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("api_base", &self.api_base)
            .finish()
    }
}

impl NewChannel {
    /// Trims the fields, names the channel after its target when unnamed, and checks
    /// lengths and the shape of the target for its kind. URLs are checked for their scheme
    /// only: whether their address may be reached is the sender's decision, at send time.
    pub fn normalized(&self) -> Result<Self> {
        let target = self.target.trim().to_owned();
        let name = match self.name.trim() {
            "" => default_name(self.kind, &target),
            name => name.to_owned(),
        };
        let secret = self
            .secret
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let api_base = self
            .api_base
            .as_deref()
            .map(|s| s.trim().trim_end_matches('/'))
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        for (field, value) in [("name", Some(&name)), ("target", Some(&target))]
            .into_iter()
            .chain([("secret", secret.as_ref()), ("api base", api_base.as_ref())])
        {
            if value.is_some_and(|v| v.len() > MAX_CHANNEL_FIELD_LEN) {
                return Err(StoreError::invalid(format!(
                    "the channel's {field} is longer than {MAX_CHANNEL_FIELD_LEN} bytes"
                )));
            }
        }
        check_target(self.kind, &target)?;
        if let Some(base) = &api_base {
            if !self.kind.is_tracker() {
                return Err(StoreError::invalid(
                    "only GitHub and GitLab channels take an API base",
                ));
            }
            check_http_url(base, "API base")?;
        }
        if self.kind.is_tracker() && secret.is_none() {
            return Err(StoreError::invalid(format!(
                "a {} channel needs a token",
                if self.kind == ChannelKind::GitHub {
                    "GitHub"
                } else {
                    "GitLab"
                }
            )));
        }
        Ok(Self {
            project_id: self.project_id,
            kind: self.kind,
            name,
            target,
            secret,
            api_base,
        })
    }
}

/// An unnamed channel's name: its target, except that a Slack or webhook URL (a secret in
/// itself: whoever has it can post) is cut to its scheme and host, with `/…` when a path
/// or query was cut (the UI masks targets the same way when it shows them).
fn default_name(kind: ChannelKind, target: &str) -> String {
    match kind {
        ChannelKind::Slack | ChannelKind::Webhook => {
            let (scheme, rest) = target.split_once("://").unwrap_or(("", target));
            let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            let host = rest[..end].rsplit('@').next().unwrap_or_default();
            if end < rest.len() && &rest[end..] != "/" {
                format!("{scheme}://{host}/…")
            } else {
                format!("{scheme}://{host}")
            }
        }
        _ => target.to_owned(),
    }
}

fn check_target(kind: ChannelKind, target: &str) -> Result<()> {
    if target.is_empty() {
        return Err(StoreError::invalid("the channel's target is empty"));
    }
    match kind {
        ChannelKind::Slack | ChannelKind::Webhook => check_http_url(target, "URL"),
        ChannelKind::Email => {
            let ok = target.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.is_empty()
                    && !target.contains(char::is_whitespace)
                    && target.matches('@').count() == 1
            });
            if ok {
                Ok(())
            } else {
                Err(StoreError::invalid(format!(
                    "{target:?} is not an email address"
                )))
            }
        }
        ChannelKind::GitHub => {
            let ok = target.split_once('/').is_some_and(|(owner, repo)| {
                let part = |s: &str| {
                    !s.is_empty()
                        && s.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
                };
                part(owner) && part(repo)
            });
            if ok {
                Ok(())
            } else {
                Err(StoreError::invalid(format!(
                    "{target:?} is not a GitHub repository (owner/repo)"
                )))
            }
        }
        ChannelKind::GitLab => {
            let ok = target.split('/').all(|s| {
                !s.is_empty()
                    && s.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            });
            if ok {
                Ok(())
            } else {
                Err(StoreError::invalid(format!(
                    "{target:?} is not a GitLab project (an id or group/project)"
                )))
            }
        }
    }
}

fn check_http_url(url: &str, what: &str) -> Result<()> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') => Ok(()),
        _ => Err(StoreError::invalid(format!(
            "the {what} {url:?} is not an http(s) URL"
        ))),
    }
}

/// A change to a channel; `None` leaves a field as it is.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ChannelChange {
    pub name: Option<String>,
    pub target: Option<String>,
    /// `Some(None)` removes the secret.
    pub secret: Option<Option<String>>,
    pub enabled: Option<bool>,
}

impl fmt::Debug for ChannelChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelChange")
            .field("name", &self.name)
            .field("target", &self.target)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("enabled", &self.enabled)
            .finish()
    }
}

impl ChannelChange {
    /// The channel with the change applied, checked as a new one is.
    pub fn apply(&self, channel: &Channel) -> Result<Channel> {
        let next = NewChannel {
            project_id: channel.project_id,
            kind: channel.kind,
            name: self.name.clone().unwrap_or_else(|| channel.name.clone()),
            target: self
                .target
                .clone()
                .unwrap_or_else(|| channel.target.clone()),
            secret: self
                .secret
                .clone()
                .unwrap_or_else(|| channel.secret.clone()),
            api_base: channel.api_base.clone(),
        }
        .normalized()?;
        Ok(Channel {
            name: next.name,
            target: next.target,
            secret: next.secret,
            enabled: self.enabled.unwrap_or(channel.enabled),
            ..channel.clone()
        })
    }
}

/// A link from an issue to an issue made from it in a tracker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueLink {
    pub issue_id: IssueId,
    pub kind: ChannelKind,
    /// The tracker issue's web page.
    pub url: String,
    /// How it is shown: `owner/repo#12`, `group/project#3`.
    pub reference: String,
    pub created_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_check_their_target() {
        let new = |kind, target: &str, secret: Option<&str>| NewChannel {
            project_id: ProjectId(1),
            kind,
            name: String::new(),
            target: target.to_owned(),
            secret: secret.map(str::to_owned),
            api_base: None,
        };
        assert!(
            new(ChannelKind::Slack, "https://hooks.slack.com/x", None)
                .normalized()
                .is_ok()
        );
        assert!(
            new(ChannelKind::Webhook, "ftp://x", None)
                .normalized()
                .is_err()
        );
        assert!(new(ChannelKind::Email, "a@b.c", None).normalized().is_ok());
        assert!(new(ChannelKind::Email, "a b@c", None).normalized().is_err());
        assert!(
            new(ChannelKind::GitHub, "octo/repo", None)
                .normalized()
                .is_err()
        );
        assert!(
            new(ChannelKind::GitHub, "octo/repo", Some("t"))
                .normalized()
                .is_ok()
        );
        assert!(
            new(ChannelKind::GitLab, "group/sub/proj", Some("t"))
                .normalized()
                .is_ok()
        );
        let c = new(
            ChannelKind::Slack,
            " https://u:p@h/services/T0/B0/secret ",
            None,
        )
        .normalized()
        .unwrap();
        assert_eq!(c.name, "https://h/…", "a Slack URL is a secret");
        assert_eq!(c.target, "https://u:p@h/services/T0/B0/secret");
        let e = new(ChannelKind::Email, "a@b.c", None).normalized().unwrap();
        assert_eq!(e.name, "a@b.c");
        let w = new(ChannelKind::Webhook, " https://h.example/x?k=1", None);
        assert_eq!(w.normalized().unwrap().name, "https://h.example/…");
        let bare = new(ChannelKind::Webhook, "https://h.example/", None);
        assert_eq!(bare.normalized().unwrap().name, "https://h.example");
        for k in ChannelKind::ALL {
            assert_eq!(ChannelKind::parse(k.as_str()).unwrap(), k);
        }
        for t in crate::Trigger::ALL {
            assert_eq!(crate::Trigger::parse(t.as_str()).unwrap(), t);
        }
    }
}
