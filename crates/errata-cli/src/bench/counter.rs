//! Counting processed events: the sum of the project's issue counts, through the Web API
//! (with a token) or read from the server's store (`--database-url` or `--data-dir`), so
//! that "processed" means stored and visible, not merely answered 200.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use errata_protocol::dsn::Dsn;
use errata_store::{IssueFilter, IssueQuery, ProjectId, Store};
use serde_json::Value;

/// Where processed events are counted: the Web API, or the server's store read directly.
pub(crate) enum Counter {
    Api {
        agent: ureq::Agent,
        base: String,
        token: String,
        /// `/api/0/projects/{org}/{project}`.
        project_path: String,
    },
    Store(Arc<dyn Store>, ProjectId),
}

impl Counter {
    /// Finds the DSN's project through the API.
    pub(crate) fn api(dsn: &Dsn, token: &str) -> anyhow::Result<Self> {
        let agent = ureq::Agent::new_with_config(
            ureq::config::Config::builder()
                .timeout_global(Some(Duration::from_secs(30)))
                .build(),
        );
        let base = format!(
            "{}://{}:{}",
            dsn.scheme().as_str(),
            dsn.host(),
            dsn.effective_port()
        );
        let mut counter = Counter::Api {
            agent,
            base,
            token: token.to_owned(),
            project_path: String::new(),
        };
        let organizations = counter.get("/api/0/organizations/")?.0;
        for org in organizations.as_array().into_iter().flatten() {
            let slug = org["slug"].as_str().unwrap_or_default();
            let projects = counter
                .get(&format!("/api/0/organizations/{slug}/projects/"))?
                .0;
            let wanted = dsn.project_id().to_string();
            let found = projects.as_array().into_iter().flatten().find(|p| {
                p["id"].as_str() == Some(wanted.as_str())
                    || p["id"].as_u64() == Some(dsn.project_id())
            });
            if let Some(project) = found {
                let path = format!(
                    "/api/0/projects/{slug}/{}",
                    project["slug"].as_str().unwrap_or_default()
                );
                if let Counter::Api { project_path, .. } = &mut counter {
                    *project_path = path;
                }
                return Ok(counter);
            }
        }
        bail!(
            "project {} is not visible through the API",
            dsn.project_id()
        )
    }

    /// GETs an API path: the JSON body and the next page's cursor.
    fn get(&self, path: &str) -> anyhow::Result<(Value, Option<String>)> {
        let Counter::Api {
            agent, base, token, ..
        } = self
        else {
            bail!("not an API counter");
        };
        let url = format!("{base}{path}");
        let response = agent
            .get(&url)
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .with_context(|| format!("GET {url}"))?;
        let next = response
            .headers()
            .get("link")
            .and_then(|v| v.to_str().ok())
            .and_then(|link| {
                let next = link.split(", <").find(|p| p.contains("rel=\"next\""))?;
                next.contains("results=\"true\"")
                    .then(|| next.split("cursor=\"").nth(1)?.split('"').next())?
                    .map(str::to_owned)
            });
        let body = serde_json::from_slice(&response.into_body().read_to_vec()?)?;
        Ok((body, next))
    }

    /// Events stored for the project: the sum of its issues' counts.
    pub(crate) fn count(&self) -> anyhow::Result<u64> {
        match self {
            Counter::Store(store, project) => stored_events(&**store, *project),
            Counter::Api { project_path, .. } => {
                let mut total = 0;
                let mut cursor: Option<String> = None;
                loop {
                    let path = match &cursor {
                        Some(c) => format!("{project_path}/issues/?query=&limit=100&cursor={c}"),
                        None => format!("{project_path}/issues/?query=&limit=100"),
                    };
                    let (issues, next) = self.get(&path)?;
                    total += issues
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|i| {
                            i["count"]
                                .as_str()
                                .and_then(|c| c.parse::<u64>().ok())
                                .or_else(|| i["count"].as_u64())
                                .unwrap_or(0)
                        })
                        .sum::<u64>();
                    match next {
                        Some(next) => cursor = Some(next),
                        None => return Ok(total),
                    }
                }
            }
        }
    }

    pub(crate) fn describe(&self) -> &'static str {
        match self {
            Counter::Api { .. } => "visible through the API",
            Counter::Store(..) => "stored (read from the database)",
        }
    }
}

/// Events stored for the project (the sum of its issues' counters), read from the store.
fn stored_events(store: &dyn Store, project: ProjectId) -> anyhow::Result<u64> {
    let mut total = 0;
    let mut cursor = None;
    loop {
        let page = store.issues(&IssueQuery {
            project_id: Some(project),
            sort: errata_store::IssueSort::LastSeen,
            filter: IssueFilter::default(),
            cursor: cursor.take(),
            limit: errata_store::MAX_PAGE,
        })?;
        total += page.items.iter().map(|i| i.times_seen).sum::<u64>();
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(total),
        }
    }
}
