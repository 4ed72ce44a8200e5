//! Alert deliveries by channel kind and result, counted by the dispatcher after each
//! attempt is recorded.

use std::fmt;

use errata_store::{AttemptResult, ChannelKind};
use prometheus_client::encoding::{EncodeLabelSet, LabelSetEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

/// `{channel, result}`: the channel's kind (`unknown` when the delivery could not be
/// prepared) and the attempt's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeliveryLabels {
    /// `slack`, `webhook`, `email`, `github`, `gitlab` or `unknown`.
    pub channel: &'static str,
    /// `delivered`, `retry`, `failed` or `skipped`.
    pub result: &'static str,
}

impl EncodeLabelSet for DeliveryLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder) -> Result<(), fmt::Error> {
        [("channel", self.channel), ("result", self.result)].encode(encoder)
    }
}

/// The alerting metrics.
#[derive(Debug, Clone)]
pub struct AlertMetrics {
    /// `errata_alert_deliveries_total{channel, result}`.
    pub deliveries: Family<DeliveryLabels, Counter>,
}

impl AlertMetrics {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            deliveries: Family::default(),
        };
        registry.register(
            "alert_deliveries",
            "Alert delivery attempts, by channel kind and result",
            metrics.deliveries.clone(),
        );
        metrics
    }

    /// Counts one attempt through a channel of `kind` (`None`: not known).
    pub fn count(&self, kind: Option<ChannelKind>, result: &AttemptResult) {
        self.deliveries
            .get_or_create(&DeliveryLabels {
                channel: kind.map_or("unknown", ChannelKind::as_str),
                result: result.as_str(),
            })
            .inc();
    }
}
