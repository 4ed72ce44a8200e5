//! What retention did and what projects store: events and bytes deleted per reason, bytes
//! given back to the filesystem, the live and disk bytes against the budget, and each
//! project's stored events and bytes. Set by the retention task after every pass (every
//! `retention.period_secs`), from the usage counters: no scan at scrape time.

use std::fmt;

use errata_store::ProjectUsage;
use prometheus_client::encoding::{EncodeLabelSet, LabelSetEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

use super::gauge_value;
use crate::retention::{DeleteReason, PassReport};

/// `{reason}`: why retention deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReasonLabels {
    pub reason: DeleteReason,
}

impl EncodeLabelSet for ReasonLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder) -> Result<(), fmt::Error> {
        [("reason", self.reason.as_str())].encode(encoder)
    }
}

/// `{project_id}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProjectLabels {
    pub project_id: i64,
}

impl EncodeLabelSet for ProjectLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder) -> Result<(), fmt::Error> {
        [("project_id", self.project_id.to_string())].encode(encoder)
    }
}

/// The retention and per-project storage metrics.
#[derive(Debug, Clone, Default)]
pub struct RetentionMetrics {
    /// `errata_retention_deleted_events_total{reason}`.
    pub deleted_events: Family<ReasonLabels, Counter>,
    /// `errata_retention_deleted_bytes_total{reason}`: stored bytes of those events.
    pub deleted_bytes: Family<ReasonLabels, Counter>,
    /// `errata_retention_reclaimed_bytes_total`: given back to the filesystem.
    pub reclaimed_bytes: Counter,
    /// `errata_storage_live_bytes`: what the disk budget is checked against.
    pub live_bytes: Gauge,
    /// `errata_storage_disk_bytes`: what the database's files take.
    pub disk_bytes: Gauge,
    /// `errata_storage_budget_bytes`: `retention.max_bytes` (0: none).
    pub budget_bytes: Gauge,
    /// `errata_project_events{project_id}`: events stored.
    pub project_events: Family<ProjectLabels, Gauge>,
    /// `errata_project_stored_bytes{project_id}`: compressed payload and attachment bytes.
    pub project_bytes: Family<ProjectLabels, Gauge>,
}

impl RetentionMetrics {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        registry.register(
            "retention_deleted_events",
            "Events deleted by retention, by reason (age, project_limit, disk_budget)",
            m.deleted_events.clone(),
        );
        registry.register_with_unit(
            "retention_deleted",
            "Stored bytes of the events retention deleted, by reason",
            Unit::Bytes,
            m.deleted_bytes.clone(),
        );
        registry.register_with_unit(
            "retention_reclaimed",
            "Bytes of free space given back to the filesystem",
            Unit::Bytes,
            m.reclaimed_bytes.clone(),
        );
        for (name, help, gauge) in [
            (
                "storage_live",
                "What the store's data takes: what the disk budget is checked against",
                &m.live_bytes,
            ),
            (
                "storage_disk",
                "What the database's files take on disk (SQLite: with the WAL)",
                &m.disk_bytes,
            ),
            (
                "storage_budget",
                "The disk budget, retention.max_bytes (0: none)",
                &m.budget_bytes,
            ),
        ] {
            registry.register_with_unit(name, help, Unit::Bytes, gauge.clone());
        }
        registry.register(
            "project_events",
            "Events a project stores",
            m.project_events.clone(),
        );
        registry.register_with_unit(
            "project_stored",
            "Compressed payload and attachment bytes a project stores",
            Unit::Bytes,
            m.project_bytes.clone(),
        );
        m
    }

    /// Records a pass and the usage after it.
    pub fn record(&self, report: &PassReport, usage: &[ProjectUsage], budget: Option<u64>) {
        for (reason, deleted) in &report.deleted {
            let labels = ReasonLabels { reason: *reason };
            self.deleted_events
                .get_or_create(&labels)
                .inc_by(deleted.events);
            self.deleted_bytes
                .get_or_create(&labels)
                .inc_by(deleted.stored_bytes);
        }
        self.reclaimed_bytes.inc_by(report.reclaimed_bytes);
        self.live_bytes
            .set(gauge_value(report.footprint.live_bytes));
        self.disk_bytes
            .set(gauge_value(report.footprint.disk_bytes));
        self.budget_bytes.set(gauge_value(budget.unwrap_or(0)));
        for u in usage {
            let labels = ProjectLabels {
                project_id: u.project_id.0,
            };
            self.project_events
                .get_or_create(&labels)
                .set(gauge_value(u.events));
            self.project_bytes
                .get_or_create(&labels)
                .set(gauge_value(u.stored_bytes));
        }
    }
}
