//! Envelopes: the container every SDK request body is, split into typed items.
//!
//! An envelope is a JSON header line followed by items, each a JSON header line and a
//! payload that is either exactly `length` bytes or, without `length`, the rest of the
//! line. This module owns that grammar ([`Envelope::parse`]), the envelope and item
//! headers, the catalogue of item types ([`ItemType`]) with the rate-limit category each
//! counts against ([`DataCategory`]), and item containers (`{"items":[...]}` payloads).
//!
//! Parsing is zero-copy: the body is one [`Bytes`] and every payload is a slice of it, so
//! an event item costs a reference count, not a copy. Unknown item types and unknown
//! header keys are kept, as the protocol demands. Malformed input is an
//! [`Error::InvalidEnvelope`] naming the item and the byte offset, never a panic; the
//! number of items is bounded so a small body cannot allocate a huge item list.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use bytes::Bytes;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::Error;

/// The default cap on items in one envelope (see [`Envelope::parse_with_max_items`]).
/// Real SDK envelopes carry a handful; Relay's own per-type caps (30 attachments, 100
/// sessions, 100 client reports) stay well below it.
pub const DEFAULT_MAX_ITEMS: usize = 1000;

fn invalid(detail: impl Into<String>) -> Error {
    Error::InvalidEnvelope(detail.into())
}

// ---------------------------------------------------------------------------------------
// Event ids
// ---------------------------------------------------------------------------------------

/// An event id: a UUID, read with or without dashes, always written as 32 lowercase hex
/// characters (the form Sentry stores and answers with).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(pub Uuid);

impl EventId {
    /// A fresh random id, for events that arrive without one.
    pub fn new_random() -> Self {
        Self(Uuid::new_v4())
    }

    /// The nil id (all zeros).
    pub fn is_nil(&self) -> bool {
        self.0.is_nil()
    }
}

impl FromStr for EventId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        // Only the simple (32) and hyphenated (36) forms: no braces, no urn.
        if !matches!(s.len(), 32 | 36) {
            return Err(invalid(format!(
                "invalid event_id {s:?}: expected 32 hex digits, with or without dashes"
            )));
        }
        Uuid::try_parse(s)
            .map(Self)
            .map_err(|e| invalid(format!("invalid event_id {s:?}: {e}")))
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.simple(), f)
    }
}

impl Serialize for EventId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EventId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Key(s) = Key::deserialize(d)?;
        s.parse().map_err(de::Error::custom)
    }
}

// ---------------------------------------------------------------------------------------
// Item types, content types, attachment types, data categories
// ---------------------------------------------------------------------------------------

macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $($s:literal)|+, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version does not know, kept verbatim.
            Unknown(String),
        }

        impl $name {
            /// Reads a wire name; unknown names become `Unknown`.
            pub fn from_name(s: &str) -> Self {
                match s {
                    $( $($s)|+ => Self::$variant, )*
                    other => Self::Unknown(other.to_owned()),
                }
            }

            /// The wire name.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => string_enum!(@first $($s),+), )*
                    Self::Unknown(s) => s,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let Key(s) = Key::deserialize(d)?;
                Ok(Self::from_name(&s))
            }
        }
    };
    (@first $first:literal $(, $rest:literal)*) => { $first };
}

string_enum! {
    /// The `type` of an envelope item.
    pub enum ItemType {
        /// An error or message event.
        Event = "event",
        /// A transaction (performance) event.
        Transaction = "transaction",
        /// A file attached to the envelope's event.
        Attachment = "attachment",
        /// One release-health session update.
        Session = "session",
        /// Pre-aggregated release-health sessions.
        Sessions = "sessions",
        /// The SDK's report of what it dropped.
        ClientReport = "client_report",
        /// A cron monitor check-in.
        CheckIn = "check_in",
        /// Deprecated user feedback attached to an event id.
        UserReport = "user_report",
        /// User feedback as an event.
        Feedback = "feedback",
        /// Logs (usually an item container).
        Log = "log",
        /// Spans (usually an item container).
        Span = "span",
        /// Trace metrics (an item container).
        TraceMetric = "trace_metric",
        /// A transaction profile.
        Profile = "profile",
        /// A continuous-profiling chunk.
        ProfileChunk = "profile_chunk",
        /// Session replay metadata.
        ReplayEvent = "replay_event",
        /// Session replay recording.
        ReplayRecording = "replay_recording",
        /// Session replay video (mobile).
        ReplayVideo = "replay_video",
        /// A normalized security report (CSP, HPKP, Expect-CT...).
        Security = "security",
        /// A raw browser security report.
        RawSecurity = "raw_security",
        /// A Network Error Logging report.
        Nel = "nel",
        /// Form fields of a multipart crash upload.
        FormData = "form_data",
        /// An Unreal Engine crash report.
        UnrealReport = "unreal_report",
        /// Metrics in statsd text format (deprecated).
        Statsd = "statsd",
        /// Metric buckets (internal).
        MetricBuckets = "metric_buckets",
        /// An OpenTelemetry log.
        OtelLog = "otel_log",
        /// An OpenTelemetry span.
        OtelSpan = "otel_span",
        /// OTLP trace data.
        OtelTracesData = "otel_traces_data",
        /// Internal to Relay; Relay rejects envelopes that carry it.
        Integration = "integration",
    }
}

impl ItemType {
    /// Event-like items whose payload becomes an event (at most one per envelope).
    pub fn is_event_like(&self) -> bool {
        matches!(
            self,
            Self::Event
                | Self::Transaction
                | Self::Feedback
                | Self::Security
                | Self::RawSecurity
                | Self::Nel
                | Self::FormData
                | Self::UnrealReport
        )
    }
}

string_enum! {
    /// The `attachment_type` of an attachment item (`event.attachment` when absent).
    pub enum AttachmentType {
        /// A plain attachment.
        Attachment = "event.attachment",
        /// A minidump.
        Minidump = "event.minidump",
        /// An Apple crash report.
        AppleCrashReport = "event.applecrashreport",
        /// A msgpack event payload.
        EventPayload = "event.payload",
        /// Msgpack breadcrumbs.
        Breadcrumbs = "event.breadcrumbs",
        /// A view hierarchy (JSON).
        ViewHierarchy = "event.view_hierarchy",
        /// Unreal context.
        UnrealContext = "unreal.context",
        /// Unreal logs.
        UnrealLogs = "unreal.logs",
        /// A `PlayStation` crash dump.
        ProsperoDump = "playstation.prosperodump",
        /// A Nintendo Switch dying message.
        DyingMessage = "nswitch.dying_message",
    }
}

/// The media type of an item container holding logs.
pub const LOG_CONTAINER: &str = "application/vnd.sentry.items.log+json";
/// The media type of an item container holding v2 spans.
pub const SPAN_CONTAINER: &str = "application/vnd.sentry.items.span.v2+json";
/// The media type of an item container holding trace metrics.
pub const TRACE_METRIC_CONTAINER: &str = "application/vnd.sentry.items.trace-metric+json";

string_enum! {
    /// The `content_type` of an item. Matching ignores parameters (`; charset=...`) and
    /// case only for known types; anything else is kept verbatim.
    pub enum ContentType {
        /// `application/json`.
        Json = "application/json",
        /// `text/plain`.
        Text = "text/plain",
        /// `application/octet-stream`.
        OctetStream = "application/octet-stream",
        /// `application/x-msgpack`.
        MsgPack = "application/x-msgpack",
        /// `application/x-sentry-envelope` (an envelope inside an item).
        Envelope = "application/x-sentry-envelope",
        /// A log container.
        LogContainer = "application/vnd.sentry.items.log+json",
        /// A v2 span container.
        SpanContainer = "application/vnd.sentry.items.span.v2+json",
        /// A trace metric container.
        TraceMetricContainer = "application/vnd.sentry.items.trace-metric+json",
    }
}

impl ContentType {
    /// Parses a media type, ignoring parameters and case for the known types.
    pub fn parse(s: &str) -> Self {
        let essence = s.split(';').next().unwrap_or_default().trim();
        match Self::from_name(essence) {
            Self::Unknown(_) => {
                let lower = essence.to_ascii_lowercase();
                match Self::from_name(&lower) {
                    Self::Unknown(_) => Self::Unknown(s.to_owned()),
                    known => known,
                }
            }
            known => known,
        }
    }

    /// Whether this is an item container media type (`{"items":[...]}` payloads).
    pub fn is_container(&self) -> bool {
        matches!(
            self,
            Self::LogContainer | Self::SpanContainer | Self::TraceMetricContainer
        )
    }
}

/// The rate-limit and outcome category an item counts against (Relay's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DataCategory {
    /// Events without an exception (messages) once normalized.
    Default,
    /// Error events.
    Error,
    /// Transactions.
    Transaction,
    /// Security reports (CSP, NEL...).
    Security,
    /// Attachment bytes.
    Attachment,
    /// Attachment count.
    AttachmentItem,
    /// Release-health sessions.
    Session,
    /// Transaction profiles.
    Profile,
    /// Continuous-profiling chunks.
    ProfileChunk,
    /// UI continuous-profiling chunks.
    ProfileChunkUi,
    /// Session replays.
    Replay,
    /// Cron check-ins.
    Monitor,
    /// Spans.
    Span,
    /// Log count.
    LogItem,
    /// Log bytes.
    LogByte,
    /// User feedback.
    Feedback,
    /// Trace metric count.
    TraceMetric,
    /// Trace metric bytes.
    TraceMetricByte,
    /// Metric buckets.
    MetricBucket,
    /// Internal data.
    Internal,
}

impl DataCategory {
    /// The name used in `X-Sentry-Rate-Limits` and client reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Error => "error",
            Self::Transaction => "transaction",
            Self::Security => "security",
            Self::Attachment => "attachment",
            Self::AttachmentItem => "attachment_item",
            Self::Session => "session",
            Self::Profile => "profile",
            Self::ProfileChunk => "profile_chunk",
            Self::ProfileChunkUi => "profile_chunk_ui",
            Self::Replay => "replay",
            Self::Monitor => "monitor",
            Self::Span => "span",
            Self::LogItem => "log_item",
            Self::LogByte => "log_byte",
            Self::Feedback => "feedback",
            Self::TraceMetric => "trace_metric",
            Self::TraceMetricByte => "trace_metric_byte",
            Self::MetricBucket => "metric_bucket",
            Self::Internal => "internal",
        }
    }

    /// Every category.
    pub const ALL: [Self; 20] = [
        Self::Default,
        Self::Error,
        Self::Transaction,
        Self::Security,
        Self::Attachment,
        Self::AttachmentItem,
        Self::Session,
        Self::Profile,
        Self::ProfileChunk,
        Self::ProfileChunkUi,
        Self::Replay,
        Self::Monitor,
        Self::Span,
        Self::LogItem,
        Self::LogByte,
        Self::Feedback,
        Self::TraceMetric,
        Self::TraceMetricByte,
        Self::MetricBucket,
        Self::Internal,
    ];

    /// The category of a name SDKs send (client reports), or `None` for a name that is
    /// not a category. `user_report_v2` is the older name of `feedback`.
    pub fn from_name(name: &str) -> Option<Self> {
        if name == "user_report_v2" {
            return Some(Self::Feedback);
        }
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// The category of an event of the given payload `type` (`"error"`, `"default"`,
    /// `"transaction"`, `"csp"`...), once the normalizer knows it.
    pub fn from_event_type(event_type: &str) -> Self {
        match event_type {
            "default" => Self::Default,
            "transaction" => Self::Transaction,
            "csp" | "hpkp" | "expectct" | "expectstaple" | "nel" => Self::Security,
            "feedback" | "user_report_v2" => Self::Feedback,
            _ => Self::Error,
        }
    }
}

impl fmt::Display for DataCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// ---------------------------------------------------------------------------------------
// Headers
// ---------------------------------------------------------------------------------------

/// A map key that borrows from the input when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

fn set_once<T, E: de::Error>(slot: &mut Option<T>, value: T, name: &'static str) -> Result<(), E> {
    if slot.is_some() {
        return Err(E::duplicate_field(name));
    }
    *slot = Some(value);
    Ok(())
}

/// The header line of an envelope.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnvelopeHeaders {
    /// The event id, normalized (dashed or not on the wire).
    pub event_id: Option<EventId>,
    /// The DSN the SDK was configured with (tunnels use it for auth).
    pub dsn: Option<String>,
    /// The SDK's `{name, version, ...}`.
    pub sdk: Option<Value>,
    /// When the SDK sent the envelope, for clock-drift correction.
    pub sent_at: Option<OffsetDateTime>,
    /// The dynamic sampling context (`trace_id`, `public_key`, `release`...).
    pub trace: Option<Value>,
    /// Every other key, kept as sent.
    pub other: Map<String, Value>,
}

impl EnvelopeHeaders {
    /// The SDK name from `sdk.name`, if any.
    pub fn sdk_name(&self) -> Option<&str> {
        self.sdk.as_ref()?.get("name")?.as_str()
    }

    /// `sent_at` as Unix seconds (for clock-drift correction in normalization).
    pub fn sent_at_secs(&self) -> Option<f64> {
        self.sent_at.map(crate::value::unix_seconds)
    }
}

/// `null` reads as absent, like a missing key.
fn nullable<'de, T: Deserialize<'de>, A: MapAccess<'de>>(
    map: &mut A,
) -> Result<Option<T>, A::Error> {
    map.next_value::<Option<T>>()
}

impl<'de> Deserialize<'de> for EnvelopeHeaders {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EnvelopeHeaders;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an envelope header object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut h = EnvelopeHeaders::default();
                let mut seen_sent_at = false;
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    match key.as_ref() {
                        "event_id" => {
                            if let Some(id) = nullable::<EventId, _>(&mut map)? {
                                set_once(&mut h.event_id, id, "event_id")?;
                            }
                        }
                        "dsn" => {
                            if let Some(dsn) = nullable::<String, _>(&mut map)? {
                                set_once(&mut h.dsn, dsn, "dsn")?;
                            }
                        }
                        "sdk" => h.sdk = nullable(&mut map)?,
                        "trace" => h.trace = nullable(&mut map)?,
                        "sent_at" => {
                            if seen_sent_at {
                                return Err(de::Error::duplicate_field("sent_at"));
                            }
                            seen_sent_at = true;
                            h.sent_at = match nullable::<Key<'de>, _>(&mut map)? {
                                None => None,
                                Some(Key(s)) => {
                                    Some(OffsetDateTime::parse(&s, &Rfc3339).map_err(|e| {
                                        de::Error::custom(format!("invalid sent_at {s:?}: {e}"))
                                    })?)
                                }
                            };
                        }
                        _ => {
                            let value = map.next_value::<Value>()?;
                            h.other.insert(key.into_owned(), value);
                        }
                    }
                }
                Ok(h)
            }
        }
        d.deserialize_map(V)
    }
}

impl Serialize for EnvelopeHeaders {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        if let Some(id) = &self.event_id {
            map.serialize_entry("event_id", id)?;
        }
        if let Some(dsn) = &self.dsn {
            map.serialize_entry("dsn", dsn)?;
        }
        if let Some(sdk) = &self.sdk {
            map.serialize_entry("sdk", sdk)?;
        }
        if let Some(sent_at) = &self.sent_at {
            let formatted = sent_at
                .format(&Rfc3339)
                .map_err(serde::ser::Error::custom)?;
            map.serialize_entry("sent_at", &formatted)?;
        }
        if let Some(trace) = &self.trace {
            map.serialize_entry("trace", trace)?;
        }
        for (k, v) in &self.other {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// The header line of an item.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemHeaders {
    /// The item type.
    pub ty: ItemType,
    /// The declared payload length; `None` when the payload ran to the end of the line.
    pub length: Option<u64>,
    /// The payload's media type.
    pub content_type: Option<ContentType>,
    /// An attachment's file name.
    pub filename: Option<String>,
    /// An attachment's kind.
    pub attachment_type: Option<AttachmentType>,
    /// The number of items in an item container.
    pub item_count: Option<u64>,
    /// The platform (`profile_chunk` items).
    pub platform: Option<String>,
    /// Every other key, kept as sent.
    pub other: Map<String, Value>,
}

impl ItemHeaders {
    /// Headers of the given type and nothing else.
    pub fn new(ty: ItemType) -> Self {
        Self {
            ty,
            length: None,
            content_type: None,
            filename: None,
            attachment_type: None,
            item_count: None,
            platform: None,
            other: Map::new(),
        }
    }
}

impl<'de> Deserialize<'de> for ItemHeaders {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ItemHeaders;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an item header object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut ty = None;
                let mut h = ItemHeaders::new(ItemType::Event);
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    match key.as_ref() {
                        "type" => set_once(&mut ty, map.next_value::<ItemType>()?, "type")?,
                        "length" => {
                            if let Some(len) = nullable(&mut map)? {
                                set_once(&mut h.length, len, "length")?;
                            }
                        }
                        "content_type" => {
                            if let Some(Key(ct)) = nullable::<Key<'de>, _>(&mut map)? {
                                set_once(
                                    &mut h.content_type,
                                    ContentType::parse(&ct),
                                    "content_type",
                                )?;
                            }
                        }
                        "filename" => h.filename = nullable(&mut map)?,
                        "attachment_type" => h.attachment_type = nullable(&mut map)?,
                        "item_count" => h.item_count = nullable(&mut map)?,
                        "platform" => h.platform = nullable(&mut map)?,
                        _ => {
                            let value = map.next_value::<Value>()?;
                            h.other.insert(key.into_owned(), value);
                        }
                    }
                }
                h.ty = ty.ok_or_else(|| de::Error::missing_field("type"))?;
                Ok(h)
            }
        }
        d.deserialize_map(V)
    }
}

impl Serialize for ItemHeaders {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("type", &self.ty)?;
        if let Some(length) = self.length {
            map.serialize_entry("length", &length)?;
        }
        if let Some(ct) = &self.content_type {
            map.serialize_entry("content_type", ct)?;
        }
        if let Some(filename) = &self.filename {
            map.serialize_entry("filename", filename)?;
        }
        if let Some(at) = &self.attachment_type {
            map.serialize_entry("attachment_type", at)?;
        }
        if let Some(count) = self.item_count {
            map.serialize_entry("item_count", &count)?;
        }
        if let Some(platform) = &self.platform {
            map.serialize_entry("platform", platform)?;
        }
        for (k, v) in &self.other {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

// ---------------------------------------------------------------------------------------
// Items and envelopes
// ---------------------------------------------------------------------------------------

/// One item: its headers and its payload (a slice of the request body).
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    headers: ItemHeaders,
    payload: Bytes,
}

/// The decoded payload of an item container: each element's raw JSON, borrowed.
#[derive(Debug, Deserialize)]
pub struct ContainerItems<'a> {
    /// The elements of `items`.
    #[serde(borrow)]
    pub items: Vec<&'a RawValue>,
}

impl Item {
    /// An item of type `ty` with `payload` (its `length` header is set).
    pub fn new(ty: ItemType, payload: impl Into<Bytes>) -> Self {
        let payload = payload.into();
        let mut headers = ItemHeaders::new(ty);
        headers.length = Some(payload.len() as u64);
        Self { headers, payload }
    }

    /// An item from explicit headers; `length` is set to the payload's.
    pub fn with_headers(mut headers: ItemHeaders, payload: impl Into<Bytes>) -> Self {
        let payload = payload.into();
        headers.length = Some(payload.len() as u64);
        Self { headers, payload }
    }

    /// The item headers.
    pub fn headers(&self) -> &ItemHeaders {
        &self.headers
    }

    /// The item type.
    pub fn ty(&self) -> &ItemType {
        &self.headers.ty
    }

    /// The payload bytes (a cheap clone of the slice with [`Bytes::clone`]).
    pub fn payload(&self) -> &Bytes {
        &self.payload
    }

    /// The payload size in bytes.
    pub fn len(&self) -> usize {
        self.payload.len()
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.payload.is_empty()
    }

    /// The payload's media type, if declared.
    pub fn content_type(&self) -> Option<&ContentType> {
        self.headers.content_type.as_ref()
    }

    /// An attachment's file name.
    pub fn filename(&self) -> Option<&str> {
        self.headers.filename.as_deref()
    }

    /// An attachment's kind (`event.attachment` when the header is absent).
    pub fn attachment_type(&self) -> Option<&AttachmentType> {
        match self.headers.ty {
            ItemType::Attachment => Some(
                self.headers
                    .attachment_type
                    .as_ref()
                    .unwrap_or(&AttachmentType::Attachment),
            ),
            _ => self.headers.attachment_type.as_ref(),
        }
    }

    /// Whether the item is an item container (`{"items":[...]}` of logs, spans or trace
    /// metrics), by its content type.
    pub fn is_container(&self) -> bool {
        self.content_type().is_some_and(ContentType::is_container)
    }

    /// The declared number of elements of a container.
    pub fn item_count(&self) -> Option<u64> {
        self.headers.item_count
    }

    /// Decodes a container payload into its elements (raw JSON, borrowed from the
    /// payload). Checks the declared `item_count` when present.
    pub fn container_items(&self) -> Result<Vec<&RawValue>, Error> {
        if !self.is_container() {
            return Err(invalid(format!(
                "{} item is not an item container",
                self.ty()
            )));
        }
        let parsed: ContainerItems<'_> = serde_json::from_slice(&self.payload)
            .map_err(|e| invalid(format!("invalid {} container: {e}", self.ty())))?;
        match self.headers.item_count {
            Some(n) if n != parsed.items.len() as u64 => Err(invalid(format!(
                "{} container declares item_count {n} but holds {}",
                self.ty(),
                parsed.items.len()
            ))),
            _ => Ok(parsed.items),
        }
    }

    /// The number of elements this item stands for: `item_count` for containers, else 1.
    pub fn quantity(&self) -> u64 {
        if self.is_container() {
            self.headers.item_count.unwrap_or(1)
        } else {
            1
        }
    }

    /// The main rate-limit category of this item, or `None` for items that are never
    /// rate limited (client reports) or unknown. An `event` counts as
    /// [`DataCategory::Error`] until its payload is read (see
    /// [`DataCategory::from_event_type`]).
    pub fn data_category(&self) -> Option<DataCategory> {
        Some(match &self.headers.ty {
            ItemType::Event | ItemType::FormData | ItemType::UnrealReport => DataCategory::Error,
            ItemType::Transaction => DataCategory::Transaction,
            ItemType::Security | ItemType::RawSecurity | ItemType::Nel => DataCategory::Security,
            ItemType::Attachment => DataCategory::Attachment,
            ItemType::Session | ItemType::Sessions => DataCategory::Session,
            ItemType::UserReport | ItemType::Feedback => DataCategory::Feedback,
            ItemType::CheckIn => DataCategory::Monitor,
            ItemType::Log | ItemType::OtelLog => DataCategory::LogItem,
            ItemType::Span | ItemType::OtelSpan | ItemType::OtelTracesData => DataCategory::Span,
            ItemType::TraceMetric => DataCategory::TraceMetric,
            ItemType::Profile => DataCategory::Profile,
            ItemType::ProfileChunk => match self.headers.platform.as_deref() {
                Some("javascript" | "android" | "cocoa") => DataCategory::ProfileChunkUi,
                _ => DataCategory::ProfileChunk,
            },
            ItemType::ReplayEvent | ItemType::ReplayRecording | ItemType::ReplayVideo => {
                DataCategory::Replay
            }
            ItemType::Statsd | ItemType::MetricBuckets => DataCategory::MetricBucket,
            ItemType::Integration => DataCategory::Internal,
            ItemType::ClientReport | ItemType::Unknown(_) => return None,
        })
    }

    /// Every `(category, quantity)` this item counts as in outcomes: its main category
    /// with [`quantity`](Self::quantity), plus byte categories (attachment bytes count as
    /// [`DataCategory::Attachment`] with one [`DataCategory::AttachmentItem`]; logs and
    /// trace metrics also count their bytes).
    pub fn quantities(&self) -> impl Iterator<Item = (DataCategory, u64)> + use<> {
        let bytes = self.payload.len() as u64;
        let (first, second) = match self.data_category() {
            None => (None, None),
            Some(DataCategory::Attachment) => (
                Some((DataCategory::Attachment, bytes)),
                Some((DataCategory::AttachmentItem, 1)),
            ),
            Some(DataCategory::LogItem) => (
                Some((DataCategory::LogItem, self.quantity())),
                Some((DataCategory::LogByte, bytes)),
            ),
            Some(DataCategory::TraceMetric) => (
                Some((DataCategory::TraceMetric, self.quantity())),
                Some((DataCategory::TraceMetricByte, bytes)),
            ),
            Some(category) => (Some((category, self.quantity())), None),
        };
        first.into_iter().chain(second)
    }
}

/// A parsed envelope: headers and items, the items' payloads pointing into the body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Envelope {
    headers: EnvelopeHeaders,
    items: Vec<Item>,
}

/// The part of `line` after one JSON value must be blank (a `\r` of a CRLF, spaces).
fn parse_line<'a, T: Deserialize<'a>>(
    line: &'a [u8],
    what: &dyn Fn() -> String,
) -> Result<T, Error> {
    let mut stream = serde_json::Deserializer::from_slice(line).into_iter::<T>();
    let value = match stream.next() {
        Some(Ok(value)) => value,
        Some(Err(e)) => return Err(invalid(format!("{} is not valid: {e}", what()))),
        None => return Err(invalid(format!("{} is missing", what()))),
    };
    let end = stream.byte_offset();
    let rest = line.get(end..).unwrap_or_default();
    if !rest.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid(format!(
            "{} must be followed by a newline, found more data at column {}",
            what(),
            end + 1
        )));
    }
    Ok(value)
}

/// Finds the end of the line starting at `start`: `(end_of_line, start_of_next_line)`.
fn line_end(body: &[u8], start: usize) -> (usize, usize) {
    let rest = body.get(start..).unwrap_or_default();
    match memchr::memchr(b'\n', rest) {
        Some(i) => (start + i, start + i + 1),
        None => (body.len(), body.len()),
    }
}

impl Envelope {
    /// An envelope with the given headers and no items.
    pub fn new(headers: EnvelopeHeaders) -> Self {
        Self {
            headers,
            items: Vec::new(),
        }
    }

    /// An envelope holding one `event` item with `payload`, as a legacy `/store/` body
    /// becomes.
    pub fn from_event_payload(payload: impl Into<Bytes>) -> Self {
        Self {
            headers: EnvelopeHeaders::default(),
            items: vec![Item::new(ItemType::Event, payload)],
        }
    }

    /// Parses an envelope with at most [`DEFAULT_MAX_ITEMS`] items.
    ///
    /// Pass the decoded body as [`Bytes`] (or a `Vec<u8>`, a `&'static [u8]`...): item
    /// payloads are slices of it, not copies.
    pub fn parse(body: impl Into<Bytes>) -> Result<Self, Error> {
        Self::parse_with_max_items(body, DEFAULT_MAX_ITEMS)
    }

    /// Parses an envelope, failing with [`Error::TooLarge`] past `max_items` items.
    pub fn parse_with_max_items(body: impl Into<Bytes>, max_items: usize) -> Result<Self, Error> {
        let body: Bytes = body.into();
        let (end, mut pos) = line_end(&body, 0);
        let header_line = body.get(..end).unwrap_or_default();
        let headers: EnvelopeHeaders =
            parse_line(header_line, &|| "the envelope header".to_owned())?;
        let mut items = Vec::new();
        loop {
            // Blank lines between items and at the end are tolerated.
            let rest = body.get(pos..).unwrap_or_default();
            let Some(skip) = rest.iter().position(|b| !b.is_ascii_whitespace()) else {
                break;
            };
            pos += skip;
            let index = items.len();
            if index >= max_items {
                return Err(Error::TooLarge {
                    what: "envelope item count".to_owned(),
                    limit: max_items,
                });
            }
            let header_start = pos;
            let (end, next) = line_end(&body, pos);
            let what = || format!("the header of item {index} (at byte {header_start})");
            let line = body.get(pos..end).unwrap_or_default();
            let item_headers: ItemHeaders = parse_line(line, &what)?;
            pos = next;
            let at_eof = end == body.len();

            let payload = match item_headers.length {
                Some(length) => {
                    let remaining = body.len() - pos;
                    let length = usize::try_from(length)
                        .ok()
                        .filter(|&l| l <= remaining)
                        .ok_or_else(|| {
                            invalid(format!(
                                "item {index} ({}) declares length {length} but only {remaining} \
                                 bytes follow its header",
                                item_headers.ty
                            ))
                        })?;
                    if at_eof && length > 0 {
                        return Err(invalid(format!(
                            "item {index} ({}) header is not followed by a newline",
                            item_headers.ty
                        )));
                    }
                    let payload = body.slice(pos..pos + length);
                    pos += length;
                    match body.get(pos..).unwrap_or_default() {
                        [] => {}
                        [b'\n', ..] => pos += 1,
                        [b'\r', b'\n', ..] => pos += 2,
                        _ => {
                            return Err(invalid(format!(
                                "item {index} ({}) payload of {length} bytes is not followed by a \
                                 newline (byte {pos})",
                                item_headers.ty
                            )));
                        }
                    }
                    payload
                }
                None if at_eof => Bytes::new(),
                None => {
                    let (end, next) = line_end(&body, pos);
                    let payload = body.slice(pos..end);
                    pos = next;
                    payload
                }
            };
            items.push(Item {
                headers: item_headers,
                payload,
            });
        }
        Ok(Self { headers, items })
    }

    /// Parses only the header line (for auth from the `dsn` before the whole body is read).
    pub fn parse_headers(body: &[u8]) -> Result<EnvelopeHeaders, Error> {
        let (end, _) = line_end(body, 0);
        parse_line(body.get(..end).unwrap_or_default(), &|| {
            "the envelope header".to_owned()
        })
    }

    /// The envelope headers.
    pub fn headers(&self) -> &EnvelopeHeaders {
        &self.headers
    }

    /// The envelope headers, mutably (e.g. to assign a generated `event_id`).
    pub fn headers_mut(&mut self) -> &mut EnvelopeHeaders {
        &mut self.headers
    }

    /// The normalized event id of the header.
    pub fn event_id(&self) -> Option<EventId> {
        self.headers.event_id
    }

    /// The header's `dsn`.
    pub fn dsn(&self) -> Option<&str> {
        self.headers.dsn.as_deref()
    }

    /// The items in order.
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// Takes the items out.
    pub fn into_items(self) -> Vec<Item> {
        self.items
    }

    /// Appends an item.
    pub fn add_item(&mut self, item: Item) {
        self.items.push(item);
    }

    /// Keeps only the items for which `keep` is true (e.g. to drop items over a limit).
    pub fn retain_items(&mut self, keep: impl FnMut(&Item) -> bool) {
        self.items.retain(keep);
    }

    /// Whether the envelope has no items.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The items of one type.
    pub fn items_of<'a>(&'a self, ty: &'a ItemType) -> impl Iterator<Item = &'a Item> + 'a {
        self.items.iter().filter(move |item| item.ty() == ty)
    }

    /// The first event-like item (event, transaction, feedback, security report...).
    pub fn event_item(&self) -> Option<&Item> {
        self.items.iter().find(|item| item.ty().is_event_like())
    }

    /// The total size of all payloads.
    pub fn payload_size(&self) -> usize {
        self.items.iter().map(Item::len).sum()
    }

    /// Checks the rules on item combinations that Relay rejects a whole envelope for:
    /// at most one `event`, one `transaction` and one `check_in`; never an `event` or a
    /// `feedback` together with a `transaction`; no internal `integration` items.
    ///
    /// Parsing does not enforce these, so the server can choose between rejecting (400)
    /// and dropping.
    pub fn validate(&self) -> Result<(), Error> {
        let count = |ty: &ItemType| self.items.iter().filter(|i| i.ty() == ty).count();
        for ty in [ItemType::Event, ItemType::Transaction, ItemType::CheckIn] {
            let n = count(&ty);
            if n > 1 {
                return Err(invalid(format!("{n} {ty} items; at most one is allowed")));
            }
        }
        if count(&ItemType::Transaction) > 0 {
            for ty in [ItemType::Event, ItemType::Feedback] {
                if count(&ty) > 0 {
                    return Err(invalid(format!(
                        "a {ty} item and a transaction item in one envelope"
                    )));
                }
            }
        }
        if count(&ItemType::Integration) > 0 {
            return Err(invalid("integration items are internal and not accepted"));
        }
        Ok(())
    }

    /// Writes the envelope in wire format, every item with an explicit `length`.
    pub fn to_vec(&self) -> Result<Vec<u8>, Error> {
        let ser = |e: serde_json::Error| invalid(format!("cannot serialize envelope: {e}"));
        let mut out = Vec::with_capacity(self.payload_size() + 64 * (self.items.len() + 1));
        serde_json::to_writer(&mut out, &self.headers).map_err(ser)?;
        out.push(b'\n');
        for item in &self.items {
            let mut headers = item.headers.clone();
            headers.length = Some(item.payload.len() as u64);
            serde_json::to_writer(&mut out, &headers).map_err(ser)?;
            out.push(b'\n');
            out.extend_from_slice(&item.payload);
            out.push(b'\n');
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &'static str) -> Envelope {
        Envelope::parse(s.as_bytes()).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    fn parse_err(s: &'static str) -> String {
        match Envelope::parse(s.as_bytes()) {
            Err(Error::InvalidEnvelope(detail)) => detail,
            other => panic!("{s:?}: expected InvalidEnvelope, got {other:?}"),
        }
    }

    fn payloads(env: &Envelope) -> Vec<&[u8]> {
        env.items().iter().map(|i| i.payload().as_ref()).collect()
    }

    #[test]
    fn empty_envelopes() {
        for s in ["{}", "{}\n", "{}\r\n", "{}\n\n", "{}\n\r\n\n", " {} \n"] {
            let env = parse(s);
            assert!(env.is_empty(), "{s:?}");
            assert_eq!(env.event_id(), None);
        }
        let env = parse("{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}");
        assert_eq!(
            env.event_id().map(|e| e.to_string()).as_deref(),
            Some("9ec79c33ec9942ab8353589fcb2e04dc")
        );
    }

    #[test]
    fn header_must_be_a_json_object_on_its_own_line() {
        assert!(parse_err("").contains("envelope header"));
        assert!(parse_err("\n").contains("envelope header"));
        assert!(parse_err("[]\n").contains("envelope header"));
        assert!(parse_err("{\"a\":1\n}").contains("envelope header"));
        let e = parse_err("{}{\"type\":\"event\"}\n{}");
        assert!(e.contains("must be followed by a newline"), "{e}");
        let e = parse_err("{}\n{\"type\":\"event\"} x\n{}");
        assert!(e.contains("item 0") && e.contains("newline"), "{e}");
    }

    #[test]
    fn explicit_lengths() {
        let env = parse(
            "{}\n{\"type\":\"event\",\"length\":2}\n{}\n{\"type\":\"attachment\",\"length\":5}\na\nb\nc\n",
        );
        assert_eq!(payloads(&env), [b"{}".as_slice(), b"a\nb\nc"]);
        assert_eq!(env.items()[1].headers().length, Some(5));
        // Binary payloads with a length may contain anything.
        let env = parse("{}\n{\"type\":\"attachment\",\"length\":3}\n\r\n\0");
        assert_eq!(payloads(&env), [b"\r\n\0".as_slice()]);
    }

    #[test]
    fn implicit_lengths() {
        // @sentry/node omits lengths.
        let env = parse(
            "{}\n{\"type\":\"event\"}\n{\"message\":\"hi\"}\n{\"type\":\"session\"}\n{\"sid\":1}\n",
        );
        assert_eq!(
            payloads(&env),
            [br#"{"message":"hi"}"#.as_slice(), br#"{"sid":1}"#]
        );
        assert_eq!(env.items()[0].headers().length, None);
        // Implicit length at end of file without a trailing newline.
        let env = parse("{}\n{\"type\":\"event\"}\n{\"a\":1}");
        assert_eq!(payloads(&env), [br#"{"a":1}"#.as_slice()]);
        // A \r before the \n stays in the payload.
        let env = parse("{}\r\n{\"type\":\"event\"}\r\n{\"a\":1}\r\n");
        assert_eq!(payloads(&env), [b"{\"a\":1}\r".as_slice()]);
    }

    #[test]
    fn mixed_lengths() {
        let env = parse(
            "{}\n{\"type\":\"event\",\"length\":7}\n{\"a\":1}\n{\"type\":\"client_report\"}\n{\"b\":2}\n{\"type\":\"attachment\",\"length\":0}\n\n",
        );
        assert_eq!(env.items().len(), 3);
        assert_eq!(
            payloads(&env),
            [br#"{"a":1}"#.as_slice(), br#"{"b":2}"#, b""]
        );
    }

    #[test]
    fn empty_items() {
        // An item header at EOF with no payload.
        let env = parse("{}\n{\"type\":\"attachment\"}");
        assert_eq!(payloads(&env), [b"".as_slice()]);
        let env = parse("{}\n{\"type\":\"attachment\",\"length\":0}");
        assert_eq!(payloads(&env), [b"".as_slice()]);
        // An empty line as an implicit payload.
        let env = parse("{}\n{\"type\":\"attachment\"}\n\n{\"type\":\"event\"}\n{}\n");
        assert_eq!(payloads(&env), [b"".as_slice(), b"{}"]);
    }

    #[test]
    fn crlf_after_a_length_payload() {
        let env = parse(
            "{}\r\n{\"type\":\"event\",\"length\":2}\r\n{}\r\n{\"type\":\"event\",\"length\":2}\r\n{}",
        );
        assert_eq!(payloads(&env), [b"{}".as_slice(), b"{}"]);
    }

    #[test]
    fn length_errors() {
        let e = parse_err("{}\n{\"type\":\"event\",\"length\":10}\n{}\n");
        assert!(e.contains("declares length 10 but only 3 bytes"), "{e}");
        let e = parse_err("{}\n{\"type\":\"event\",\"length\":18446744073709551615}\n{}");
        assert!(e.contains("declares length"), "{e}");
        let e = parse_err("{}\n{\"type\":\"event\",\"length\":1}\n{}\n");
        assert!(e.contains("not followed by a newline"), "{e}");
        // A lone \r after a length payload is not a line end.
        let e = parse_err("{}\n{\"type\":\"event\",\"length\":2}\n{}\r{\"type\":\"event\"}\n{}");
        assert!(e.contains("not followed by a newline"), "{e}");
        let e = parse_err("{}\n{\"type\":\"event\",\"length\":2}");
        assert!(e.contains("declares length 2 but only 0"), "{e}");
        assert!(parse_err("{}\n{\"type\":\"event\",\"length\":-1}\n").contains("item 0"));
        assert!(parse_err("{}\n{\"type\":\"event\",\"length\":\"2\"}\n{}").contains("item 0"));
        assert!(parse_err("{}\n{\"type\":\"event\",\"length\":1.5}\n{}").contains("item 0"));
    }

    #[test]
    fn item_header_errors() {
        assert!(parse_err("{}\n{}\n{}").contains("missing field `type`"));
        assert!(parse_err("{}\n{\"type\":7}\n{}").contains("item 0"));
        assert!(parse_err("{}\n{\"type\":\"event\",\"type\":\"event\"}\n{}").contains("duplicate"));
        assert!(parse_err("{}\nnot json\n").contains("item 0"));
        let e = parse_err("{}\n{\"type\":\"event\"}\n{}\n{\"type\":");
        assert!(e.contains("item 1"), "{e}");
    }

    #[test]
    fn envelope_header_fields() {
        let env = parse(
            r#"{"event_id":"2C046E02-C2D8-48C6-9AC5-36C18085E8FF","dsn":"https://k@h/1","sdk":{"name":"sentry.rust","version":"0.49.5"},"sent_at":"2026-11-21T19:15:24.524677Z","trace":{"trace_id":"b44d","public_key":"k"},"custom":[1,2]}"#,
        );
        let h = env.headers();
        assert_eq!(
            h.event_id.map(|e| e.to_string()).as_deref(),
            Some("2c046e02c2d848c69ac536c18085e8ff")
        );
        assert_eq!(env.dsn(), Some("https://k@h/1"));
        assert_eq!(h.sdk_name(), Some("sentry.rust"));
        let sent_at = h.sent_at.expect("sent_at");
        assert_eq!(sent_at.unix_timestamp(), 1_795_288_524);
        assert_eq!(
            h.trace.as_ref().and_then(|t| t.get("trace_id")),
            Some(&Value::from("b44d"))
        );
        assert_eq!(h.other.get("custom"), Some(&serde_json::json!([1, 2])));
        // Null means absent.
        let env = parse(r#"{"event_id":null,"sent_at":null,"dsn":null}"#);
        assert_eq!(env.headers(), &EnvelopeHeaders::default());
    }

    #[test]
    fn envelope_header_errors() {
        let e = parse_err(r#"{"event_id":"not-a-uuid"}"#);
        assert!(e.contains("invalid event_id"), "{e}");
        let e = parse_err(r#"{"event_id":"9ec79c33ec9942ab8353589fcb2e04dz"}"#);
        assert!(e.contains("invalid event_id"), "{e}");
        let e = parse_err(r#"{"event_id":"{9ec79c33-ec99-42ab-8353-589fcb2e04dc}"}"#);
        assert!(e.contains("invalid event_id"), "{e}");
        assert!(parse_err(r#"{"event_id":42}"#).contains("envelope header"));
        let e = parse_err(r#"{"sent_at":"yesterday"}"#);
        assert!(e.contains("invalid sent_at"), "{e}");
        let e = parse_err(r#"{"sent_at":"2026-11-21T19:15:24Z","sent_at":"2026-11-21T19:15:24Z"}"#);
        assert!(e.contains("duplicate field `sent_at`"), "{e}");
    }

    #[test]
    fn deep_json_does_not_overflow_the_stack() {
        let deep: &'static str = Box::leak(
            format!(
                "{{\"x\":{}1{}}}\n",
                "[".repeat(100_000),
                "]".repeat(100_000)
            )
            .into_boxed_str(),
        );
        assert!(parse_err(deep).contains("recursion limit"));
        let deep_item: &'static str = Box::leak(
            format!(
                "{{}}\n{{\"type\":\"event\",\"x\":{}}}\n{{}}",
                "{\"a\":".repeat(50_000)
            )
            .into_boxed_str(),
        );
        assert!(parse_err(deep_item).contains("item 0"));
    }

    #[test]
    fn unknown_types_and_headers_are_kept() {
        let env = parse("{}\n{\"type\":\"future_thing\",\"length\":3,\"flavour\":\"x\"}\nabc\n");
        let item = &env.items()[0];
        assert_eq!(item.ty(), &ItemType::Unknown("future_thing".to_owned()));
        assert_eq!(item.ty().as_str(), "future_thing");
        assert_eq!(item.payload().as_ref(), b"abc");
        assert_eq!(item.headers().other.get("flavour"), Some(&Value::from("x")));
        assert_eq!(item.data_category(), None);
        assert_eq!(item.quantities().count(), 0);
    }

    #[test]
    fn every_known_type_round_trips_its_name() {
        let names = [
            "event",
            "transaction",
            "attachment",
            "session",
            "sessions",
            "client_report",
            "check_in",
            "user_report",
            "feedback",
            "log",
            "span",
            "trace_metric",
            "profile",
            "profile_chunk",
            "replay_event",
            "replay_recording",
            "replay_video",
            "security",
            "raw_security",
            "nel",
            "form_data",
            "unreal_report",
            "statsd",
            "metric_buckets",
            "otel_log",
            "otel_span",
            "otel_traces_data",
            "integration",
        ];
        for name in names {
            let ty = ItemType::from_name(name);
            assert!(!matches!(ty, ItemType::Unknown(_)), "{name}");
            assert_eq!(ty.as_str(), name);
        }
    }

    #[test]
    fn attachment_headers() {
        let env = parse(
            "{}\n{\"type\":\"attachment\",\"length\":4,\"filename\":\"a.dmp\",\"attachment_type\":\"event.minidump\",\"content_type\":\"application/octet-stream\"}\nMDMP\n{\"type\":\"attachment\",\"length\":1,\"filename\":\"b.txt\"}\nx",
        );
        let [a, b] = env.items() else {
            panic!("two items")
        };
        assert_eq!(a.filename(), Some("a.dmp"));
        assert_eq!(a.attachment_type(), Some(&AttachmentType::Minidump));
        assert_eq!(a.content_type(), Some(&ContentType::OctetStream));
        assert_eq!(b.attachment_type(), Some(&AttachmentType::Attachment));
        assert_eq!(
            a.quantities().collect::<Vec<_>>(),
            [
                (DataCategory::Attachment, 4),
                (DataCategory::AttachmentItem, 1)
            ]
        );
    }

    #[test]
    fn containers() {
        let env = parse(
            "{}\n{\"type\":\"log\",\"item_count\":2,\"content_type\":\"application/vnd.sentry.items.log+json\"}\n{\"items\":[{\"body\":\"a\"},{\"body\":\"b\"}]}\n{\"type\":\"span\",\"item_count\":3,\"content_type\":\"application/vnd.sentry.items.span.v2+json\"}\n{\"items\":[{},{}]}\n{\"type\":\"trace_metric\",\"item_count\":1,\"content_type\":\"APPLICATION/vnd.sentry.items.trace-metric+json; charset=utf-8\"}\n{\"items\":[1]}",
        );
        let [log, span, metric] = env.items() else {
            panic!("three items")
        };
        assert!(log.is_container() && span.is_container() && metric.is_container());
        assert_eq!(
            metric.content_type(),
            Some(&ContentType::TraceMetricContainer)
        );
        let items = log.container_items().expect("log container");
        assert_eq!(
            items.iter().map(|r| r.get()).collect::<Vec<_>>(),
            [r#"{"body":"a"}"#, r#"{"body":"b"}"#]
        );
        assert!(
            span.container_items()
                .is_err_and(|e| e.to_string().contains("item_count 3 but holds 2"))
        );
        assert_eq!(
            log.quantities().collect::<Vec<_>>(),
            [
                (DataCategory::LogItem, 2),
                (DataCategory::LogByte, log.len() as u64)
            ]
        );
        assert_eq!(
            span.quantities().collect::<Vec<_>>(),
            [(DataCategory::Span, 3)]
        );
        assert_eq!(metric.quantity(), 1);
        // Not a container.
        let env = parse("{}\n{\"type\":\"event\"}\n{}");
        assert!(env.items()[0].container_items().is_err());
        let env = parse(
            "{}\n{\"type\":\"log\",\"content_type\":\"application/vnd.sentry.items.log+json\"}\n[1]",
        );
        assert!(env.items()[0].container_items().is_err());
    }

    #[test]
    fn categories() {
        let cat = |ty: &str| Item::new(ItemType::from_name(ty), Bytes::new()).data_category();
        assert_eq!(cat("event"), Some(DataCategory::Error));
        assert_eq!(cat("transaction"), Some(DataCategory::Transaction));
        assert_eq!(cat("session"), Some(DataCategory::Session));
        assert_eq!(cat("sessions"), Some(DataCategory::Session));
        assert_eq!(cat("check_in"), Some(DataCategory::Monitor));
        assert_eq!(cat("feedback"), Some(DataCategory::Feedback));
        assert_eq!(cat("user_report"), Some(DataCategory::Feedback));
        assert_eq!(cat("replay_video"), Some(DataCategory::Replay));
        assert_eq!(cat("profile_chunk"), Some(DataCategory::ProfileChunk));
        assert_eq!(cat("client_report"), None);
        assert_eq!(cat("nel"), Some(DataCategory::Security));
        assert_eq!(
            DataCategory::from_event_type("default"),
            DataCategory::Default
        );
        assert_eq!(DataCategory::from_event_type("error"), DataCategory::Error);
        assert_eq!(DataCategory::LogByte.as_str(), "log_byte");
    }

    #[test]
    fn payloads_are_zero_copy() {
        let body = Bytes::from(b"{}\n{\"type\":\"event\",\"length\":2}\n{}\n".to_vec());
        let env = Envelope::parse(body.clone()).expect("parse");
        let payload = env.items()[0].payload();
        let offset = payload.as_ptr() as usize - body.as_ptr() as usize;
        assert_eq!(offset, 31);
    }

    #[test]
    fn item_count_is_bounded() {
        let body: String = std::iter::once("{}\n".to_owned())
            .chain((0..20).map(|_| "{\"type\":\"x\"}\n\n".to_owned()))
            .collect();
        assert_eq!(
            Envelope::parse(body.clone().into_bytes())
                .expect("20 items")
                .items()
                .len(),
            20
        );
        let r = Envelope::parse_with_max_items(body.into_bytes(), 19);
        assert!(matches!(r, Err(Error::TooLarge { limit: 19, .. })), "{r:?}");
    }

    #[test]
    fn serialization_round_trips() {
        let src = "{\"event_id\":\"2c046e02-c2d8-48c6-9ac5-36c18085e8ff\",\"sent_at\":\"2026-11-21T19:15:24.524677Z\",\"x\":1}\n{\"type\":\"event\"}\n{\"a\":1}\n{\"type\":\"attachment\",\"length\":3,\"filename\":\"f\",\"extra\":true}\na\nb\n";
        let env = parse(src);
        let bytes = env.to_vec().expect("serialize");
        let text = String::from_utf8(bytes.clone()).expect("utf8");
        assert!(
            text.starts_with("{\"event_id\":\"2c046e02c2d848c69ac536c18085e8ff\""),
            "{text}"
        );
        let again = Envelope::parse(bytes).expect("reparse");
        assert_eq!(again.headers(), env.headers());
        assert_eq!(payloads(&again), payloads(&env));
        assert_eq!(
            again.items()[1].headers().other,
            env.items()[1].headers().other
        );
        assert_eq!(again.items()[0].headers().length, Some(7));
    }

    #[test]
    fn item_combination_rules() {
        assert!(
            parse("{}\n{\"type\":\"event\"}\n{}\n{\"type\":\"attachment\"}\nx")
                .validate()
                .is_ok()
        );
        assert!(parse("{}").validate().is_ok());
        let err = |s: &'static str| match parse(s).validate() {
            Err(Error::InvalidEnvelope(d)) => d,
            other => panic!("{s:?}: {other:?}"),
        };
        assert!(
            err("{}\n{\"type\":\"event\"}\n{}\n{\"type\":\"event\"}\n{}").contains("2 event items")
        );
        assert!(
            err("{}\n{\"type\":\"check_in\"}\n{}\n{\"type\":\"check_in\"}\n{}")
                .contains("check_in")
        );
        assert!(
            err("{}\n{\"type\":\"event\"}\n{}\n{\"type\":\"transaction\"}\n{}")
                .contains("event item and a transaction")
        );
        assert!(
            err("{}\n{\"type\":\"transaction\"}\n{}\n{\"type\":\"feedback\"}\n{}")
                .contains("feedback item and a transaction")
        );
        assert!(err("{}\n{\"type\":\"integration\"}\n{}").contains("internal"));
    }

    #[test]
    fn parse_headers_only() {
        let h = Envelope::parse_headers(
            b"{\"dsn\":\"https://k@h/1\"}\n{\"type\":\"event\",\"length\":99}\n",
        )
        .expect("headers");
        assert_eq!(h.dsn.as_deref(), Some("https://k@h/1"));
    }

    #[test]
    fn garbage_never_panics() {
        let inputs: [&[u8]; 9] = [
            b"\xff\xfe",
            b"{}\n\xff",
            b"{}\n{\"type\":\"event\",\"length\":0}\n\xff",
            b"{}\n\n\n{",
            b"{\"event_id\":\"\"}",
            b"{}\n{\"type\":\"\"}\n",
            b"\0",
            b"{}\n{\"type\":\"event\",\"length\":0}",
            b"{}\n \n\t\n",
        ];
        for input in inputs {
            let _ = Envelope::parse(Bytes::copy_from_slice(input));
        }
        // Every prefix of a valid envelope either parses or errors.
        let full = b"{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}\n{\"type\":\"event\",\"length\":7}\n{\"a\":1}\n{\"type\":\"log\"}\nxyz\n";
        for cut in 0..=full.len() {
            let _ = Envelope::parse(Bytes::copy_from_slice(&full[..cut]));
        }
    }
}
