//! Size limits: how big an envelope and each kind of item may be.
//!
//! The defaults follow Relay's (`max_envelope_size` 200 MiB, events 1 MiB, attachments
//! 200 MiB each and in total, at most 30 attachments, ...) so SDK users see the same
//! behaviour as with Sentry. [`Limits::check`] reports every violation **per item**
//! (which item, its type, its size, the limit that applies and why) so the server can
//! drop only that item and record an outcome with a named reason, and separately the
//! violations that concern the envelope as a whole.

use std::fmt;

use crate::Error;
use crate::envelope::{Envelope, Item, ItemType};

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;

/// The configured limits. [`Default`] gives Relay's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The whole envelope after decompression (`max_envelope_size`).
    pub max_envelope_size: usize,
    /// One event, transaction, feedback, user report or security report item; also the
    /// body limit of `/store/` (`max_event_size`).
    pub max_event_size: usize,
    /// One attachment (`max_attachment_size`).
    pub max_attachment_size: usize,
    /// All attachments of one envelope together (`max_attachments_size`).
    pub max_attachments_size: usize,
    /// Attachments per envelope (`max_attachment_count`).
    pub max_attachment_count: usize,
    /// `session` and `sessions` items per envelope (`max_session_count`).
    pub max_session_count: usize,
    /// One `session`/`sessions` item (`max_sessions_size`).
    pub max_sessions_size: usize,
    /// One client report (`max_client_reports_size`).
    pub max_client_reports_size: usize,
    /// Client reports per envelope.
    pub max_client_report_count: usize,
    /// One check-in (`max_check_in_size`).
    pub max_check_in_size: usize,
    /// One profile or profile chunk (`max_profile_size`).
    pub max_profile_size: usize,
    /// One replay recording or video as sent (`max_replay_compressed_size`).
    pub max_replay_compressed_size: usize,
    /// One replay recording once uncompressed (`max_replay_uncompressed_size`); for the
    /// code that inflates recordings, not checked here.
    pub max_replay_uncompressed_size: usize,
    /// One log item that is not a container (`max_log_size`).
    pub max_log_size: usize,
    /// One span item that is not a container (`max_span_size`).
    pub max_span_size: usize,
    /// One trace metric item that is not a container (`max_trace_metric_size`).
    pub max_trace_metric_size: usize,
    /// One item container of logs, spans or trace metrics (`max_container_size`).
    pub max_container_size: usize,
    /// One `statsd` or `metric_buckets` item (`max_statsd_size`).
    pub max_statsd_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_envelope_size: 200 * MIB,
            max_event_size: MIB,
            max_attachment_size: 200 * MIB,
            max_attachments_size: 200 * MIB,
            max_attachment_count: 30,
            max_session_count: 100,
            max_sessions_size: 10 * MIB,
            max_client_reports_size: 100 * KIB,
            max_client_report_count: 100,
            max_check_in_size: 100 * KIB,
            max_profile_size: 50 * MIB,
            max_replay_compressed_size: 10 * MIB,
            max_replay_uncompressed_size: 100 * MIB,
            max_log_size: 2 * MIB,
            max_span_size: 10 * MIB,
            max_trace_metric_size: MIB,
            max_container_size: 12 * MIB,
            max_statsd_size: MIB,
        }
    }
}

/// Which rule an item broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitKind {
    /// The item alone is over the size limit for its type.
    ItemSize,
    /// The item pushes the envelope's attachments over their combined size limit.
    TotalAttachmentsSize,
    /// The envelope already has the allowed number of items of this kind.
    Count,
}

impl LimitKind {
    /// A short machine-friendly reason, for outcomes and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ItemSize => "item_too_large",
            Self::TotalAttachmentsSize => "attachments_too_large",
            Self::Count => "too_many_items",
        }
    }
}

/// One item that broke a limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemViolation {
    /// The item's index in [`Envelope::items`].
    pub index: usize,
    /// The item's type.
    pub item_type: ItemType,
    /// The item's payload size in bytes.
    pub size: usize,
    /// The limit that applied: bytes for the size kinds, a count for [`LimitKind::Count`].
    pub limit: usize,
    /// Which rule was broken.
    pub kind: LimitKind,
    /// The name of the limit in [`Limits`] (e.g. `max_event_size`).
    pub limit_name: &'static str,
}

impl fmt::Display for ItemViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            index,
            item_type,
            size,
            limit,
            limit_name,
            ..
        } = self;
        match self.kind {
            LimitKind::ItemSize => write!(
                f,
                "item {index} ({item_type}) is {size} bytes, over {limit_name} of {limit} bytes"
            ),
            LimitKind::TotalAttachmentsSize => write!(
                f,
                "item {index} ({item_type}, {size} bytes) takes the attachments over \
                 {limit_name} of {limit} bytes"
            ),
            LimitKind::Count => write!(
                f,
                "item {index} ({item_type}) is over {limit_name}: at most {limit} per envelope"
            ),
        }
    }
}

impl ItemViolation {
    /// The violation as an error (for callers that reject rather than drop).
    pub fn to_error(&self) -> Error {
        Error::TooLarge {
            what: format!("{} item {}", self.item_type, self.index),
            limit: self.limit,
        }
    }
}

/// The envelope as a whole is over a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvelopeViolation {
    /// The envelope's payload size (the sum of its items' payloads) in bytes.
    pub size: usize,
    /// `max_envelope_size`.
    pub limit: usize,
}

impl fmt::Display for EnvelopeViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "envelope items total {} bytes, over max_envelope_size of {} bytes",
            self.size, self.limit
        )
    }
}

/// Everything [`Limits::check`] found. Empty when the envelope is within limits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LimitReport {
    /// The whole envelope is over `max_envelope_size`: reject the request (413).
    pub envelope: Option<EnvelopeViolation>,
    /// Items over a limit, in item order: drop just these.
    pub items: Vec<ItemViolation>,
}

impl LimitReport {
    /// No violation at all.
    pub fn is_ok(&self) -> bool {
        self.envelope.is_none() && self.items.is_empty()
    }

    /// The violation of item `index`, if it broke a limit.
    pub fn item(&self, index: usize) -> Option<&ItemViolation> {
        self.items.iter().find(|v| v.index == index)
    }

    /// The whole-envelope violation as an error, for a 413.
    pub fn envelope_error(&self) -> Option<Error> {
        self.envelope.map(|v| Error::TooLarge {
            what: "envelope".to_owned(),
            limit: v.limit,
        })
    }
}

impl Limits {
    /// Checks a body size before parsing (the body limit of the envelope route).
    pub fn check_envelope_size(&self, size: usize) -> Result<(), Error> {
        if size > self.max_envelope_size {
            return Err(Error::TooLarge {
                what: "envelope".to_owned(),
                limit: self.max_envelope_size,
            });
        }
        Ok(())
    }

    /// The per-item size limit for `item` and its name, or `None` when only the envelope
    /// limit applies (unknown types).
    pub fn item_size_limit(&self, item: &Item) -> Option<(usize, &'static str)> {
        let container = item.is_container();
        Some(match item.ty() {
            ItemType::Event
            | ItemType::Transaction
            | ItemType::Feedback
            | ItemType::UserReport
            | ItemType::Security
            | ItemType::RawSecurity
            | ItemType::Nel
            | ItemType::FormData
            | ItemType::ReplayEvent => (self.max_event_size, "max_event_size"),
            ItemType::Attachment | ItemType::UnrealReport => {
                (self.max_attachment_size, "max_attachment_size")
            }
            ItemType::Session | ItemType::Sessions => (self.max_sessions_size, "max_sessions_size"),
            ItemType::ClientReport => (self.max_client_reports_size, "max_client_reports_size"),
            ItemType::CheckIn => (self.max_check_in_size, "max_check_in_size"),
            ItemType::Profile | ItemType::ProfileChunk => {
                (self.max_profile_size, "max_profile_size")
            }
            ItemType::ReplayRecording | ItemType::ReplayVideo => (
                self.max_replay_compressed_size,
                "max_replay_compressed_size",
            ),
            ItemType::Log | ItemType::Span | ItemType::TraceMetric if container => {
                (self.max_container_size, "max_container_size")
            }
            ItemType::Log | ItemType::OtelLog => (self.max_log_size, "max_log_size"),
            ItemType::Span | ItemType::OtelSpan | ItemType::OtelTracesData => {
                (self.max_span_size, "max_span_size")
            }
            ItemType::TraceMetric => (self.max_trace_metric_size, "max_trace_metric_size"),
            ItemType::Statsd | ItemType::MetricBuckets => (self.max_statsd_size, "max_statsd_size"),
            ItemType::Integration | ItemType::Unknown(_) => return None,
        })
    }

    /// Checks every item of `envelope` and the envelope as a whole.
    ///
    /// Each item is reported at most once, with the first rule it breaks, in this order:
    /// its own size, then the per-envelope count of its kind (attachments, sessions,
    /// client reports: items past the count are reported, earlier ones kept), then the
    /// combined attachment size (attachments that push the running total over it).
    /// Items already reported do not count towards the counts and totals.
    pub fn check(&self, envelope: &Envelope) -> LimitReport {
        let mut report = LimitReport::default();
        let mut attachments = 0usize;
        let mut attachments_size = 0usize;
        let mut sessions = 0usize;
        let mut client_reports = 0usize;
        let mut total = 0usize;

        for (index, item) in envelope.items().iter().enumerate() {
            let size = item.len();
            total = total.saturating_add(size);
            let violation =
                |limit: usize, kind: LimitKind, limit_name: &'static str| ItemViolation {
                    index,
                    item_type: item.ty().clone(),
                    size,
                    limit,
                    kind,
                    limit_name,
                };
            if let Some((limit, name)) = self.item_size_limit(item)
                && size > limit
            {
                report
                    .items
                    .push(violation(limit, LimitKind::ItemSize, name));
                continue;
            }
            let counter = match item.ty() {
                ItemType::Attachment | ItemType::UnrealReport => Some((
                    &mut attachments,
                    self.max_attachment_count,
                    "max_attachment_count",
                )),
                ItemType::Session | ItemType::Sessions => {
                    Some((&mut sessions, self.max_session_count, "max_session_count"))
                }
                ItemType::ClientReport => Some((
                    &mut client_reports,
                    self.max_client_report_count,
                    "max_client_report_count",
                )),
                _ => None,
            };
            if let Some((count, limit, name)) = counter {
                if *count >= limit {
                    report.items.push(violation(limit, LimitKind::Count, name));
                    continue;
                }
                let is_attachment =
                    matches!(item.ty(), ItemType::Attachment | ItemType::UnrealReport);
                let new_total = attachments_size.saturating_add(size);
                if is_attachment && new_total > self.max_attachments_size {
                    report.items.push(violation(
                        self.max_attachments_size,
                        LimitKind::TotalAttachmentsSize,
                        "max_attachments_size",
                    ));
                    continue;
                }
                if is_attachment {
                    attachments_size = new_total;
                }
                *count = count.saturating_add(1);
            }
        }
        if total > self.max_envelope_size {
            report.envelope = Some(EnvelopeViolation {
                size: total,
                limit: self.max_envelope_size,
            });
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::envelope::{ContentType, EnvelopeHeaders, ItemHeaders};

    fn item(ty: &str, size: usize) -> Item {
        Item::new(ItemType::from_name(ty), Bytes::from(vec![b'x'; size]))
    }

    fn envelope(items: impl IntoIterator<Item = Item>) -> Envelope {
        let mut env = Envelope::new(EnvelopeHeaders::default());
        for i in items {
            env.add_item(i);
        }
        env
    }

    #[test]
    fn defaults_match_relay() {
        let l = Limits::default();
        assert_eq!(l.max_envelope_size, 200 * MIB);
        assert_eq!(l.max_event_size, MIB);
        assert_eq!(l.max_attachment_size, 200 * MIB);
        assert_eq!(l.max_attachments_size, 200 * MIB);
        assert_eq!(l.max_attachment_count, 30);
        assert_eq!(l.max_session_count, 100);
        assert_eq!(l.max_client_reports_size, 100 * KIB);
        assert_eq!(l.max_check_in_size, 100 * KIB);
        assert_eq!(l.max_profile_size, 50 * MIB);
        assert_eq!(l.max_log_size, 2 * MIB);
        assert_eq!(l.max_span_size, 10 * MIB);
        assert_eq!(l.max_container_size, 12 * MIB);
    }

    #[test]
    fn within_limits_is_ok() {
        let env = envelope([
            item("event", 1000),
            item("attachment", 10),
            item("client_report", 10),
        ]);
        let report = Limits::default().check(&env);
        assert!(report.is_ok(), "{report:?}");
    }

    #[test]
    fn oversized_event_is_reported_alone() {
        let limits = Limits::default();
        let env = envelope([
            item("event", MIB + 1),
            item("attachment", 10),
            item("check_in", 100 * KIB + 1),
        ]);
        let report = limits.check(&env);
        assert!(report.envelope.is_none());
        assert_eq!(report.items.len(), 2);
        let v = report.item(0).expect("event violation");
        assert_eq!(
            (v.item_type.clone(), v.size, v.limit, v.kind),
            (ItemType::Event, MIB + 1, MIB, LimitKind::ItemSize)
        );
        assert_eq!(
            v.to_string(),
            format!(
                "item 0 (event) is {} bytes, over max_event_size of {MIB} bytes",
                MIB + 1
            )
        );
        assert!(report.item(1).is_none());
        assert_eq!(
            report.item(2).map(|v| v.limit_name),
            Some("max_check_in_size")
        );
        assert!(v.to_error().is_too_large());
        // Exactly at the limit is fine.
        assert!(limits.check(&envelope([item("event", MIB)])).is_ok());
    }

    #[test]
    fn attachment_count_and_total() {
        let limits = Limits {
            max_attachments_size: 100,
            ..Limits::default()
        };
        let env = envelope((0..32).map(|_| item("attachment", 1)));
        let report = limits.check(&env);
        assert_eq!(
            report.items.iter().map(|v| v.index).collect::<Vec<_>>(),
            [30, 31]
        );
        assert!(
            report
                .items
                .iter()
                .all(|v| v.kind == LimitKind::Count && v.limit == 30)
        );

        let env = envelope([
            item("attachment", 60),
            item("attachment", 50),
            item("attachment", 40),
        ]);
        let report = limits.check(&env);
        assert_eq!(report.items.len(), 1);
        let v = report.item(1).expect("second attachment over the total");
        assert_eq!(v.kind, LimitKind::TotalAttachmentsSize);
        assert_eq!(v.limit_name, "max_attachments_size");
    }

    #[test]
    fn session_and_client_report_counts() {
        let limits = Limits::default();
        let env = envelope(
            (0..101)
                .map(|_| item("session", 1))
                .chain((0..101).map(|_| item("client_report", 1))),
        );
        let report = limits.check(&env);
        assert_eq!(
            report.items.iter().map(|v| v.index).collect::<Vec<_>>(),
            [100, 201]
        );
        assert_eq!(report.items[0].limit_name, "max_session_count");
        assert_eq!(report.items[1].limit_name, "max_client_report_count");
    }

    #[test]
    fn containers_use_the_container_limit() {
        let limits = Limits::default();
        let mut headers = ItemHeaders::new(ItemType::Log);
        headers.content_type = Some(ContentType::LogContainer);
        headers.item_count = Some(1);
        let container = Item::with_headers(headers, Bytes::from(vec![b'x'; 3 * MIB]));
        let report = limits.check(&envelope([container, item("log", 3 * MIB)]));
        assert_eq!(report.items.len(), 1);
        assert_eq!(report.items[0].index, 1);
        assert_eq!(report.items[0].limit_name, "max_log_size");
    }

    #[test]
    fn unknown_items_only_count_towards_the_envelope() {
        let limits = Limits {
            max_envelope_size: 100,
            ..Limits::default()
        };
        let report = limits.check(&envelope([item("mystery", 60), item("mystery", 60)]));
        assert!(report.items.is_empty());
        assert_eq!(
            report.envelope,
            Some(EnvelopeViolation {
                size: 120,
                limit: 100
            })
        );
        assert!(report.envelope_error().is_some_and(|e| e.is_too_large()));
        assert!(limits.check_envelope_size(101).is_err());
        assert!(limits.check_envelope_size(100).is_ok());
    }
}
