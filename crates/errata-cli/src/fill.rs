//! `errata bench fill --issues N --events M [--projects P]`: fills a data dir (the server
//! stopped) with realistic error events, to try the UI and measure it on a big database.
//!
//! Events are shaped like the official SDKs' (Python with a Flask request and context
//! lines, JavaScript from a browser), with environments, releases that advance over time,
//! a pool of users, tags, levels and browser/OS contexts. Each of the `N` issues has its
//! own in-app code path, so grouping (not a fingerprint) makes exactly `N` issues;
//! events per issue follow a Zipf-like law (a few busy issues, a long tail of rare ones,
//! every issue at least one), spread evenly over the last `--days` days in time order.
//!
//! Every event goes the way ingest takes it: an envelope, parsed, then
//! [`errata_server::ingest::process::process`] (normalize, group, compress into a
//! `NewEvent`), committed by [`errata_store::Store::ingest`] in batches. Worker threads
//! build and process; the calling thread commits the batches in time order.

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use errata_protocol::envelope::Envelope;
use errata_server::Config;
use errata_server::ingest::process::{RequestInfo, process};
use errata_server::outcome::Outcomes;
use errata_store::{NewEvent, NewProject, PayloadCodec, ProjectId, Store};
use serde_json::{Value, json};

#[derive(Debug, clap::Args)]
pub(crate) struct FillArgs {
    /// Distinct issues to make.
    #[arg(long, default_value_t = 1_000)]
    issues: usize,
    /// Events in all (at least one per issue).
    #[arg(long, default_value_t = 100_000)]
    events: usize,
    /// Projects to spread the issues over (the first is the data dir's default project;
    /// the others are created as `fill-2`, `fill-3`... when missing).
    #[arg(long, default_value_t = 1)]
    projects: usize,
    /// The events' timestamps cover this many days up to now.
    #[arg(long, default_value_t = 14)]
    days: u32,
    /// Events per `Store::ingest` call.
    #[arg(long, default_value_t = 500)]
    batch: usize,
    /// Seed of the generator: the same seed makes the same data (event ids aside from it).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Worker threads that build and process events [default: the CPUs].
    #[arg(long)]
    threads: Option<usize>,
}

/// A splitmix64 generator: the shape of the data, not cryptography.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const AREAS: &[&str] = &[
    "checkout",
    "cart",
    "billing",
    "auth",
    "search",
    "catalog",
    "orders",
    "shipping",
    "accounts",
    "reports",
    "inventory",
    "notifications",
    "payments",
    "admin",
    "api",
    "images",
];
const VERBS: &[&str] = &[
    "load", "save", "parse", "render", "charge", "refund", "validate", "fetch", "sync", "resolve",
    "compute", "send", "apply", "build", "lookup", "export",
];
const NOUNS: &[&str] = &[
    "order", "invoice", "user", "session", "token", "price", "coupon", "address", "report", "item",
    "image", "webhook", "quota", "profile", "receipt", "shipment",
];
const PY_ERRORS: &[(&str, &str)] = &[
    ("KeyError", "'{id}'"),
    (
        "ValueError",
        "invalid literal for int() with base 10: '{id}'",
    ),
    (
        "TypeError",
        "unsupported operand type(s) for +: 'int' and 'NoneType'",
    ),
    (
        "AttributeError",
        "'NoneType' object has no attribute '{noun}'",
    ),
    ("ZeroDivisionError", "division by zero"),
    ("IndexError", "list index out of range"),
    (
        "ConnectionError",
        "Connection refused while talking to {noun}-service",
    ),
    ("TimeoutError", "{noun} lookup timed out after 30s"),
    ("PermissionError", "user {id} may not {verb} this {noun}"),
    (
        "IntegrityError",
        "duplicate key value violates unique constraint \"{noun}_pkey\"",
    ),
];
const JS_ERRORS: &[(&str, &str)] = &[
    (
        "TypeError",
        "Cannot read properties of undefined (reading '{noun}')",
    ),
    ("TypeError", "{noun}.map is not a function"),
    ("ReferenceError", "{noun} is not defined"),
    ("RangeError", "Maximum call stack size exceeded"),
    ("SyntaxError", "Unexpected token '<' in JSON at position 0"),
    (
        "Error",
        "Request failed with status code 500 ({verb} {noun})",
    ),
    ("ChunkLoadError", "Loading chunk {id} failed."),
];
const BROWSERS: &[(&str, &str)] = &[
    ("Chrome", "126.0.6478"),
    ("Firefox", "127.0"),
    ("Safari", "17.5"),
    ("Edge", "126.0.2592"),
    ("Mobile Safari", "17.4"),
    ("Samsung Internet", "25.0"),
];
const OSES: &[(&str, &str)] = &[
    ("Windows", "10"),
    ("Mac OS X", "14.5"),
    ("Linux", "6.1"),
    ("iOS", "17.5"),
    ("Android", "14"),
];
const REGIONS: &[&str] = &[
    "eu-west-1",
    "eu-central-1",
    "us-east-1",
    "us-west-2",
    "ap-south-1",
];
const TIERS: &[&str] = &["free", "free", "free", "pro", "pro", "enterprise"];
const HOSTS: &[&str] = &["web-1", "web-2", "web-3", "worker-1", "worker-2"];

/// What makes an issue: its code path and error.
#[derive(Debug, Clone)]
struct IssueShape {
    project: usize,
    javascript: bool,
    area: &'static str,
    verb: &'static str,
    noun: &'static str,
    /// Disambiguates code paths once the word combinations run out.
    variant: usize,
    error: (&'static str, &'static str),
    level: &'static str,
    handled: bool,
}

impl IssueShape {
    fn new(index: usize, projects: usize, rng: &mut Rng) -> Self {
        let combos = AREAS.len() * VERBS.len() * NOUNS.len();
        let at = index % combos;
        let javascript = index % 3 == 2;
        let errors = if javascript { JS_ERRORS } else { PY_ERRORS };
        Self {
            project: index % projects,
            javascript,
            area: AREAS[at % AREAS.len()],
            verb: VERBS[(at / AREAS.len()) % VERBS.len()],
            noun: NOUNS[(at / AREAS.len() / VERBS.len()) % NOUNS.len()],
            variant: index / combos,
            error: *rng.pick(errors),
            level: *rng.pick(&["error", "error", "error", "error", "warning", "fatal"]),
            handled: rng.chance(60),
        }
    }

    fn module(&self) -> String {
        if self.variant == 0 {
            format!("shop.{}.{}", self.area, self.noun)
        } else {
            format!("shop.{}.{}_v{}", self.area, self.noun, self.variant)
        }
    }

    fn function(&self) -> String {
        format!("{}_{}", self.verb, self.noun)
    }

    fn value(&self, rng: &mut Rng) -> String {
        let id = format!("{}-{}", self.noun.to_uppercase(), rng.below(100_000));
        self.error
            .1
            .replace("{id}", &id)
            .replace("{noun}", self.noun)
            .replace("{verb}", self.verb)
    }
}

/// The Python frames of an issue: framework frames, then its own two in-app frames.
fn python_frames(shape: &IssueShape, rng: &mut Rng) -> Value {
    let module = shape.module();
    let file = module.replace('.', "/") + ".py";
    let function = shape.function();
    let line = 20 + rng.below(200);
    json!([
        {
            "filename": "flask/app.py",
            "abs_path": "/opt/venv/lib/python3.11/site-packages/flask/app.py",
            "function": "full_dispatch_request", "module": "flask.app", "lineno": 917,
            "pre_context": ["        try:", "            request_started.send(self)"],
            "context_line": "                rv = self.dispatch_request()",
            "post_context": ["        except Exception as e:", "            rv = self.handle_user_exception(e)"],
            "in_app": false,
        },
        {
            "filename": format!("shop/views/{}.py", shape.area),
            "abs_path": format!("/srv/shop/views/{}.py", shape.area),
            "function": format!("{}_view", shape.area), "module": format!("shop.views.{}", shape.area),
            "lineno": 40 + rng.below(40),
            "pre_context": ["@login_required", format!("def {}_view(request, pk):", shape.area)],
            "context_line": format!("    return {function}(request.user, pk)"),
            "post_context": ["", ""],
            "vars": { "pk": format!("'{}'", rng.below(100_000)), "request": "<Request 'GET'>" },
            "in_app": true,
        },
        {
            "filename": file,
            "abs_path": format!("/srv/{file}"),
            "function": function, "module": module, "lineno": line,
            "pre_context": [
                format!("def {function}(user, pk):"),
                format!("    {} = repository.get(pk)", shape.noun),
                "    total = compute_total(items)",
            ],
            "context_line": format!("    raise {}(\"{} failed\")", shape.error.0, shape.verb),
            "post_context": ["", format!("def other_{}(user):", shape.noun)],
            "vars": { "user": format!("<User {}>", rng.below(5_000)), "pk": format!("'{}'", rng.below(100_000)) },
            "in_app": true,
        },
    ])
}

/// The JavaScript frames of an issue: a vendor frame, then two in-app ones.
fn javascript_frames(shape: &IssueShape, rng: &mut Rng) -> Value {
    let file = format!("app:///static/js/{}.chunk.js", shape.area);
    json!([
        {
            "filename": "app:///static/js/vendor.react-dom.js",
            "function": "commitRoot", "lineno": 1, "colno": 123_456 + rng.below(1000),
            "in_app": false,
        },
        {
            "filename": file.clone(),
            "function": format!("{}Page", shape.area), "module": format!("{}/page", shape.area),
            "lineno": 12, "colno": 30, "in_app": true,
        },
        {
            "filename": file,
            "function": format!("{}.{}", shape.module(), shape.function()),
            "module": shape.module(),
            "lineno": 40 + rng.below(20), "colno": 8 + rng.below(60),
            "context_line": format!("  const {} = data.{}.map(toRow);", shape.noun, shape.noun),
            "in_app": true,
        },
    ])
}

/// One event of `shape` at `when` (Unix seconds), with its release `release`.
fn event(shape: &IssueShape, rng: &mut Rng, id: &str, when: f64, release: &str) -> Value {
    let user = {
        // Zipf-ish users: a few power users, many occasional ones.
        let bucket = rng.below(5_000);
        (bucket * bucket) / 5_000
    };
    let (browser, browser_version) = *rng.pick(BROWSERS);
    let (os, os_version) = *rng.pick(OSES);
    let environment = match rng.below(10) {
        0..=6 => "production",
        7 | 8 => "staging",
        _ => "development",
    };
    let path = format!("/{}/{}/{}", shape.area, shape.noun, rng.below(10_000));
    let frames = if shape.javascript {
        javascript_frames(shape, rng)
    } else {
        python_frames(shape, rng)
    };
    let (platform, sdk, runtime) = if shape.javascript {
        (
            "javascript",
            json!({"name": "sentry.javascript.browser", "version": "8.13.0"}),
            json!(null),
        )
    } else {
        (
            "python",
            json!({"name": "sentry.python.flask", "version": "2.75.0"}),
            json!({"type": "runtime", "name": "CPython", "version": "3.11.9"}),
        )
    };
    let mut contexts = json!({
        "browser": {"type": "browser", "name": browser, "version": browser_version},
        "os": {"type": "os", "name": os, "version": os_version},
        "trace": {"trace_id": format!("{:032x}", u128::from(rng.next()) << 64 | u128::from(rng.next())),
                  "span_id": format!("{:016x}", rng.next()), "op": "http.server"},
    });
    if !runtime.is_null() {
        contexts["runtime"] = runtime;
    }
    let crumbs: Vec<Value> = (0..2 + rng.below(4))
        .map(|n| {
            json!({
                "timestamp": when - 5.0 + n as f64,
                "category": *rng.pick(&["http", "query", "navigation", "ui.click", "console"]),
                "message": format!("{} {}", rng.pick(VERBS), rng.pick(NOUNS)),
                "level": "info",
                "data": {"duration_ms": rng.below(900)},
            })
        })
        .collect();
    json!({
        "event_id": id,
        "timestamp": when,
        "platform": platform,
        "level": shape.level,
        "logger": if shape.javascript { "console".to_owned() } else { shape.module() },
        "server_name": *rng.pick(HOSTS),
        "release": release,
        "environment": environment,
        "transaction": format!("/{}/{}/<id>", shape.area, shape.noun),
        "exception": {"values": [{
            "type": shape.error.0,
            "value": shape.value(rng),
            "module": if shape.javascript { Value::Null } else { json!(shape.module()) },
            "mechanism": {"type": if shape.javascript { "onerror" } else { "flask" }, "handled": shape.handled},
            "stacktrace": {"frames": frames},
        }]},
        "breadcrumbs": {"values": crumbs},
        "request": {
            "url": format!("https://shop.example.com{path}"),
            "method": *rng.pick(&["GET", "GET", "GET", "POST", "PUT"]),
            "query_string": "expand=items",
            "headers": {"User-Agent": format!("Mozilla/5.0 ({os}) {browser}/{browser_version}"),
                        "Accept": "text/html", "Host": "shop.example.com"},
        },
        "user": {
            "id": format!("{user}"),
            "email": format!("user{user}@example.com"),
            "username": format!("user{user}"),
            "ip_address": format!("10.{}.{}.{}", user % 256, (user / 256) % 256, 1 + rng.below(250)),
        },
        "tags": {
            "region": *rng.pick(REGIONS),
            "customer.tier": *rng.pick(TIERS),
            "feature.flag": if rng.chance(30) { "new-checkout" } else { "control" },
        },
        "contexts": contexts,
        "extra": {"attempt": 1 + rng.below(3), "queue_depth": rng.below(50)},
        "sdk": sdk,
    })
}

/// An envelope holding `event` as its one item.
fn envelope(id: &str, event: &Value) -> Vec<u8> {
    let payload = serde_json::to_vec(event).unwrap_or_default();
    let mut body = format!(
        "{{\"event_id\":\"{id}\"}}\n{{\"type\":\"event\",\"length\":{}}}\n",
        payload.len()
    )
    .into_bytes();
    body.extend_from_slice(&payload);
    body.push(b'\n');
    body
}

/// Events per issue: Zipf-like (`1 / rank^1.1`), every issue at least one, `total` in all.
fn events_per_issue(issues: usize, total: usize) -> Vec<usize> {
    let weights: Vec<f64> = (1..=issues).map(|r| 1.0 / (r as f64).powf(1.1)).collect();
    let sum: f64 = weights.iter().sum();
    let spare = (total - issues) as f64;
    #[allow(clippy::cast_sign_loss, reason = "weights are positive")]
    let mut counts: Vec<usize> = weights
        .iter()
        .map(|w| 1 + (spare * w / sum).floor() as usize)
        .collect();
    let mut left = total - counts.iter().sum::<usize>();
    let mut i = 0;
    while left > 0 {
        counts[i % issues] += 1;
        left -= 1;
        i += 1;
    }
    counts
}

/// The projects to fill: the first of the organization, then `fill-N` (made if missing).
fn projects(store: &dyn Store, count: usize) -> anyhow::Result<Vec<ProjectId>> {
    let organization = store
        .organizations()?
        .into_iter()
        .next()
        .context("the data dir has no organization")?;
    let existing = store.projects(organization.id)?;
    let mut ids = vec![existing.first().context("no project")?.id];
    for n in 2..=count {
        let slug = format!("fill-{n}");
        let id = match existing.iter().find(|p| p.slug == slug) {
            Some(project) => project.id,
            None => {
                store
                    .create_project(&NewProject {
                        organization_id: organization.id,
                        slug: slug.clone(),
                        name: format!("Fill {n}"),
                        platform: Some(if n % 2 == 0 { "javascript" } else { "python" }.into()),
                    })?
                    .0
                    .id
            }
        };
        ids.push(id);
    }
    Ok(ids)
}

/// Builds and processes events `range` of the plan into one batch.
fn build_batch(
    plan: &Plan,
    range: std::ops::Range<usize>,
    outcomes: &Outcomes,
) -> anyhow::Result<Vec<NewEvent>> {
    let mut rng = Rng(plan.seed ^ (range.start as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let mut out = Vec::with_capacity(range.len());
    for k in range {
        let shape = &plan.shapes[plan.order[k] as usize];
        let when = plan.start + plan.span * (k as f64 + 0.5) / plan.order.len() as f64;
        // Releases advance every two days; a third of the events still run the previous one.
        #[allow(clippy::cast_sign_loss, reason = "when >= start")]
        let era = ((when - plan.start) / (2.0 * 86_400.0)) as usize;
        let release_minor = if rng.chance(30) {
            era.saturating_sub(1)
        } else {
            era
        };
        let release = if shape.javascript {
            format!("web@2.{release_minor}.0")
        } else {
            format!("shop@1.{release_minor}.0")
        };
        let id = uuid::Builder::from_random_bytes(
            (u128::from(rng.next()) << 64 | u128::from(rng.next())).to_le_bytes(),
        )
        .into_uuid()
        .simple()
        .to_string();
        let value = event(shape, &mut rng, &id, when, &release);
        let body = envelope(&id, &value);
        let parsed = Envelope::parse(body).context("parsing a generated envelope")?;
        let info = RequestInfo {
            project_id: plan.projects[shape.project],
            received_ms: (when * 1000.0) as i64 + 150,
            client_ip: Some("10.0.0.1".into()),
            client: Some(
                if shape.javascript {
                    "sentry.javascript.browser/8.13.0"
                } else {
                    "sentry.python.flask/2.75.0"
                }
                .into(),
            ),
            scrub: None,
            max_attachment_bytes: 0,
            codec: plan.codec.clone(),
        };
        let processed = process(&parsed, &info, outcomes)
            .map_err(|e| anyhow::anyhow!("processing a generated event: {e}"))?;
        out.extend(processed.event);
    }
    Ok(out)
}

/// What to generate.
#[derive(Debug)]
struct Plan {
    shapes: Vec<IssueShape>,
    /// The issue of each event, in time order.
    order: Vec<u32>,
    projects: Vec<ProjectId>,
    start: f64,
    span: f64,
    seed: u64,
    /// The store's payload compression (its dictionary, when it has one).
    codec: std::sync::Arc<PayloadCodec>,
}

/// Fills the data dir of `config`.
#[allow(clippy::too_many_lines, reason = "one linear run with its report")]
pub(crate) fn run(config: &Config, args: &FillArgs) -> anyhow::Result<()> {
    if args.issues == 0 || args.events < args.issues || args.projects == 0 || args.batch == 0 {
        bail!("need --issues > 0, --events >= --issues, --projects > 0 and --batch > 0");
    }
    if u32::try_from(args.issues).is_err() {
        bail!("--issues is too large");
    }
    let store = crate::database::open_store(config)?;
    let welcome = errata_server::bootstrap(config, &*store).context("initializing the database")?;
    let projects = projects(&*store, args.projects)?;

    let mut rng = Rng(args.seed);
    let shapes: Vec<IssueShape> = (0..args.issues)
        .map(|i| IssueShape::new(i, args.projects, &mut rng))
        .collect();
    let mut order: Vec<u32> = Vec::with_capacity(args.events);
    for (issue, count) in events_per_issue(args.issues, args.events)
        .into_iter()
        .enumerate()
    {
        order.extend(std::iter::repeat_n(issue as u32, count));
    }
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i + 1));
    }
    let now = errata_server::now_ms() as f64 / 1000.0;
    let span = f64::from(args.days) * 86_400.0;
    let plan = Plan {
        shapes,
        order,
        projects,
        start: now - span,
        span,
        seed: args.seed,
        codec: store.payload_codec().clone(),
    };

    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from))
        .max(1);
    let batches = args.events.div_ceil(args.batch);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let outcomes = Outcomes::default();
    let started = Instant::now();
    let mut stored = 0usize;
    let mut created_issues = 0usize;
    let (tx, rx) = mpsc::sync_channel::<(usize, anyhow::Result<Vec<NewEvent>>)>(threads * 2);
    std::thread::scope(|scope| -> anyhow::Result<()> {
        for _ in 0..threads {
            let tx = tx.clone();
            let (plan, next, outcomes) = (&plan, &next, &outcomes);
            scope.spawn(move || {
                loop {
                    let b = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if b >= batches {
                        return;
                    }
                    let range = b * args.batch..((b + 1) * args.batch).min(args.events);
                    if tx.send((b, build_batch(plan, range, outcomes))).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        // Commit in time order: batches finished early wait for the ones before them.
        let mut waiting = BTreeMap::new();
        let mut due = 0;
        let mut last_report = Instant::now();
        let result = (|| -> anyhow::Result<()> {
            for (b, batch) in &rx {
                waiting.insert(b, batch?);
                while let Some(batch) = waiting.remove(&due) {
                    let results = store.ingest(&batch).context("committing a batch")?;
                    created_issues += results
                        .iter()
                        .filter(|r| r.kind == errata_store::IngestKind::NewIssue)
                        .count();
                    stored += batch.len();
                    due += 1;
                    if last_report.elapsed() >= Duration::from_secs(1) || due == batches {
                        last_report = Instant::now();
                        let secs = started.elapsed().as_secs_f64();
                        let rate = stored as f64 / secs.max(1e-9);
                        let left = (args.events - stored) as f64 / rate.max(1e-9);
                        #[allow(clippy::print_stderr, reason = "progress for the operator")]
                        {
                            eprintln!(
                                "fill: {stored}/{} events ({:.1}%), {rate:.0} events/s, {secs:.0} s elapsed, ~{left:.0} s left",
                                args.events,
                                100.0 * stored as f64 / args.events as f64
                            );
                        }
                    }
                }
            }
            Ok(())
        })();
        // On an error, drain so the workers stop.
        for _ in &rx {}
        result
    })?;
    let secs = started.elapsed().as_secs_f64();
    let bytes: u64 = std::fs::read_dir(&config.data_dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(std::fs::Metadata::is_file)
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or_default();
    #[allow(clippy::print_stdout, reason = "the command's report")]
    {
        println!(
            "filled {}: {stored} events in {} issues ({} new) over {} project(s) and {} days",
            config.data_dir.display(),
            args.issues,
            created_issues,
            args.projects,
            args.days
        );
        println!(
            "  time:       {secs:.1} s, {:.0} events/s ({threads} worker threads, batches of {})",
            stored as f64 / secs.max(1e-9),
            args.batch
        );
        println!(
            "  on disk:    {:.1} MiB ({:.0} B per event)",
            bytes as f64 / (1024.0 * 1024.0),
            bytes as f64 / (stored.max(1) as f64)
        );
        match &welcome.generated_password {
            Some(password) => println!(
                "  login:      {} / {password}  (generated: shown only this once)",
                welcome.admin_email
            ),
            None => println!("  login:      {}", welcome.admin_email),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zipf_counts_add_up_and_leave_no_issue_empty() {
        let counts = events_per_issue(50, 2_000);
        assert_eq!(counts.iter().sum::<usize>(), 2_000);
        assert!(counts.iter().all(|&c| c >= 1));
        assert!(counts[0] > counts[49] * 10, "{counts:?}");
    }

    #[test]
    fn every_issue_has_its_own_code_path() {
        let mut rng = Rng(1);
        let combos = AREAS.len() * VERBS.len() * NOUNS.len();
        let paths: std::collections::HashSet<(String, String)> = (0..combos + 10)
            .map(|i| {
                let shape = IssueShape::new(i, 1, &mut rng);
                (shape.module(), shape.function())
            })
            .collect();
        assert_eq!(paths.len(), combos + 10);
    }
}
