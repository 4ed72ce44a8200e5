//! HTTP requests by route class and status class, and their latency by route class,
//! counted by [`HttpMetricsLayer`] around the router. The route class is read from the
//! path with a few prefix and suffix checks (no allocation): SDK ingest (`.../api/{id}/
//! envelope/` or `/store/`, prefixed or not), the Web API (`/api/0/...`), the web UI's
//! pages, and everything else (health, metrics, Slack's callbacks, 404s).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use axum::http::{Request, Response, StatusCode};
use pin_project_lite::pin_project;
use prometheus_client::encoding::{EncodeLabelSet, LabelSetEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use tower_layer::Layer;
use tower_service::Service;

/// Which part of the server a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteClass {
    /// SDK ingest (envelope and store endpoints).
    Ingest,
    /// The Web API (`/api/0/`).
    Api,
    /// The web UI's pages and static files.
    Ui,
    /// Health, metrics, integrations, unknown paths.
    Other,
}

/// The first path segments of the web UI (see `ui::router`).
const UI_PREFIXES: [&str; 6] = [
    "/login",
    "/logout",
    "/issues",
    "/projects",
    "/settings",
    "/static",
];

impl RouteClass {
    /// The class of a request path.
    pub fn of(path: &str) -> Self {
        if path.starts_with("/api/0/") || path == "/api/0" {
            return Self::Api;
        }
        let trimmed = path.trim_end_matches('/');
        if (trimmed.ends_with("/envelope") || trimmed.ends_with("/store")) && path.contains("/api/")
        {
            return Self::Ingest;
        }
        if path == "/"
            || UI_PREFIXES.iter().any(|prefix| {
                path.strip_prefix(prefix)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
        {
            return Self::Ui;
        }
        Self::Other
    }

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ingest => "ingest",
            Self::Api => "api",
            Self::Ui => "ui",
            Self::Other => "other",
        }
    }
}

/// `1xx` to `5xx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusClass(u8);

impl StatusClass {
    /// The class of `status`.
    pub fn of(status: StatusCode) -> Self {
        Self((status.as_u16() / 100).clamp(1, 5) as u8)
    }

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self.0 {
            1 => "1xx",
            2 => "2xx",
            3 => "3xx",
            4 => "4xx",
            _ => "5xx",
        }
    }
}

/// `{route, status}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HttpLabels {
    /// The route class.
    pub route: RouteClass,
    /// The status class.
    pub status: StatusClass,
}

impl EncodeLabelSet for HttpLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder) -> Result<(), fmt::Error> {
        [
            ("route", self.route.as_str()),
            ("status", self.status.as_str()),
        ]
        .encode(encoder)
    }
}

/// `{route}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RouteLabels {
    /// The route class.
    pub route: RouteClass,
}

impl EncodeLabelSet for RouteLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder) -> Result<(), fmt::Error> {
        [("route", self.route.as_str())].encode(encoder)
    }
}

/// Seconds from 1 ms to ~33 s, doubling.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// The HTTP metrics.
#[derive(Debug, Clone)]
pub struct HttpMetrics {
    /// `errata_http_requests_total{route, status}`.
    pub requests: Family<HttpLabels, Counter>,
    /// `errata_http_request_duration_seconds{route}`: until the response's head.
    pub duration: Family<RouteLabels, Histogram, fn() -> Histogram>,
}

impl HttpMetrics {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            requests: Family::default(),
            duration: Family::new_with_constructor(latency_histogram),
        };
        registry.register(
            "http_requests",
            "HTTP requests answered, by route class (ingest, api, ui, other) and status class",
            metrics.requests.clone(),
        );
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer an HTTP request (to the response head), by route class",
            Unit::Seconds,
            metrics.duration.clone(),
        );
        metrics
    }

    /// The layer that counts requests (installed in [`crate::router`]).
    pub fn layer(&self) -> HttpMetricsLayer {
        HttpMetricsLayer {
            metrics: self.clone(),
        }
    }

    fn observe(&self, route: RouteClass, status: StatusCode, started: Instant) {
        self.requests
            .get_or_create(&HttpLabels {
                route,
                status: StatusClass::of(status),
            })
            .inc();
        self.duration
            .get_or_create(&RouteLabels { route })
            .observe(started.elapsed().as_secs_f64());
    }
}

/// Counts every request it wraps in [`HttpMetrics`].
#[derive(Debug, Clone)]
pub struct HttpMetricsLayer {
    metrics: HttpMetrics,
}

impl<S> Layer<S> for HttpMetricsLayer {
    type Service = HttpMetricsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        HttpMetricsService {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// See [`HttpMetricsLayer`].
#[derive(Debug, Clone)]
pub struct HttpMetricsService<S> {
    inner: S,
    metrics: HttpMetrics,
}

impl<S, B, ResBody> Service<Request<B>> for HttpMetricsService<S>
where
    S: Service<Request<B>, Response = Response<ResBody>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = HttpMetricsFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let route = RouteClass::of(request.uri().path());
        HttpMetricsFuture {
            inner: self.inner.call(request),
            done: Some((self.metrics.clone(), route, Instant::now())),
        }
    }
}

pin_project! {
    /// The handler's future; counts its answer.
    #[derive(Debug)]
    pub struct HttpMetricsFuture<F> {
        #[pin]
        inner: F,
        done: Option<(HttpMetrics, RouteClass, Instant)>,
    }
}

impl<F, ResBody, E> Future for HttpMetricsFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        if let (Ok(response), Some((metrics, route, started))) = (&result, this.done.take()) {
            metrics.observe(route, response.status(), started);
        }
        Poll::Ready(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fall_in_their_route_class() {
        for (path, class) in [
            ("/api/1/envelope/", RouteClass::Ingest),
            ("/api/12/store/", RouteClass::Ingest),
            ("/api/12/store", RouteClass::Ingest),
            ("/sentry/api/3/envelope/", RouteClass::Ingest),
            ("/api/0/projects/errata/default/issues/", RouteClass::Api),
            ("/api/0/", RouteClass::Api),
            ("/", RouteClass::Ui),
            ("/issues/42/", RouteClass::Ui),
            ("/login", RouteClass::Ui),
            ("/static/app.css", RouteClass::Ui),
            ("/metrics", RouteClass::Other),
            ("/healthz", RouteClass::Other),
            ("/loginx", RouteClass::Other),
            ("/integrations/slack/interactive", RouteClass::Other),
            ("/nothing/here", RouteClass::Other),
        ] {
            assert_eq!(RouteClass::of(path), class, "{path}");
        }
    }

    #[test]
    fn statuses_fall_in_their_class() {
        assert_eq!(StatusClass::of(StatusCode::OK).as_str(), "2xx");
        assert_eq!(StatusClass::of(StatusCode::SEE_OTHER).as_str(), "3xx");
        assert_eq!(
            StatusClass::of(StatusCode::TOO_MANY_REQUESTS).as_str(),
            "4xx"
        );
        assert_eq!(
            StatusClass::of(StatusCode::SERVICE_UNAVAILABLE).as_str(),
            "5xx"
        );
        assert_eq!(StatusClass::of(StatusCode::CONTINUE).as_str(), "1xx");
    }
}
