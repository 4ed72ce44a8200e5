//! The web UI in a real browser: each test starts the real `errata serve` (the shared
//! harness of `tests/it`) and drives Debian's headless Chromium through chromedriver
//! ([`webdriver`], W3C `WebDriver` over HTTP), selecting elements by the DOM hooks of the
//! UI contract. Events come from the official Python SDK or from raw envelopes.
//!
//! Without `/usr/bin/chromium` and `/usr/bin/chromedriver` a test fails when `CI` is set
//! (CI installs them: `scripts/test`) and otherwise prints `skipped: chromium not
//! installed` and passes. Browser tests run one at a time (two cores; one Chromium each).
//! Screenshots go to `target/ui-shots/` (under `CARGO_TARGET_DIR` when set).

#[allow(
    dead_code,
    reason = "the harness is shared with tests/it, which uses all of it"
)]
#[path = "../it/harness.rs"]
mod harness;

#[allow(
    dead_code,
    reason = "shared with tests/it: the harness picks the backend, tests/it uses the rest"
)]
#[path = "../it/backend.rs"]
mod backend;

#[allow(
    dead_code,
    reason = "a client library: not every test uses every command"
)]
mod webdriver;

mod access;
mod client;
mod screenshots;
mod workflow;
mod xss;

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use harness::ServerProcess;
use webdriver::Browser;

/// Desktop window size.
pub(crate) const DESKTOP: (u32, u32) = (1366, 900);
/// A phone's window size.
pub(crate) const NARROW: (u32, u32) = (390, 844);

/// One browser test at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// What a browser test holds: the serial lock and the browser.
pub(crate) struct Session {
    pub(crate) browser: Browser,
    _serial: MutexGuard<'static, ()>,
}

impl std::ops::Deref for Session {
    type Target = Browser;
    fn deref(&self) -> &Browser {
        &self.browser
    }
}

/// A desktop-sized browser, or `None` (after saying so) when Chromium is not installed
/// and `CI` is not set; with `CI` set, a missing Chromium fails the test.
pub(crate) fn browser() -> Option<Session> {
    if !webdriver::available() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but {} or {} is missing: scripts/test installs them (apt-get install \
             chromium chromium-driver)",
            webdriver::CHROMIUM,
            webdriver::CHROMEDRIVER
        );
        #[allow(clippy::print_stderr, reason = "tells the developer why nothing ran")]
        {
            eprintln!("skipped: chromium not installed");
        }
        return None;
    }
    let serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Some(Session {
        browser: Browser::start(DESKTOP.0, DESKTOP.1),
        _serial: serial,
    })
}

/// The path part of a URL (`http://host:port/issues/?x` -> `/issues/`).
pub(crate) fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.find('/').map_or("/", |i| &rest[i..]);
    path.split(['?', '#']).next().unwrap_or("/").to_owned()
}

/// A clear failure for a page the UI does not serve yet (the UI lands from other
/// branches; until then these tests fail here, naming the contract's hook).
pub(crate) fn ui_missing(browser: &Browser, what: &str) -> String {
    format!(
        "the web UI is not there yet (or broke the contract): {what}; at {} (title {:?}), \
         page text: {:?}",
        browser.current_url(),
        browser.title(),
        webdriver::cut(&browser.page_text(), 600)
    )
}

/// Logs in through `form#login` as `email` / `password` and waits for the next page.
pub(crate) fn login_as(browser: &Browser, server: &ServerProcess, email: &str, password: &str) {
    browser.goto(&server.url("/login"));
    let Some(form) = browser.try_find("form#login") else {
        panic!("{}", ui_missing(browser, "GET /login has no form#login"));
    };
    browser.fill("form#login input[name=email]", email);
    browser.fill("form#login input[name=password]", password);
    let submit = browser
        .find_in(&form, "button[type=submit]")
        .unwrap_or_else(|| panic!("{}", ui_missing(browser, "form#login has no submit button")));
    browser.activate(&submit);
    assert_ne!(
        path_of(&browser.current_url()),
        "/login",
        "logging in as {email} failed: {:?}; {}",
        browser.try_find(".form-error").map(|e| browser.text(&e)),
        ui_missing(browser, "the page after logging in")
    );
}

/// Logs in as the admin `serve` printed.
pub(crate) fn login(browser: &Browser, server: &ServerProcess) {
    let (email, password) = server.login.clone();
    login_as(browser, server, &email, &password);
}

/// The `Cookie` header of the browser's cookies for the current origin.
pub(crate) fn cookie_header(browser: &Browser) -> String {
    browser
        .try_get("/cookie")
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .map(|c| {
            format!(
                "{}={}",
                c["name"].as_str().unwrap_or_default(),
                c["value"].as_str().unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The Python script that raises in a small function of a real file (so the SDK sends a
/// context line) and reports it: `python SCRIPT DSN`.
const PYTHON_ERROR: &str = r#"import sys
import sentry_sdk

sentry_sdk.init(dsn=sys.argv[1], default_integrations=False, environment="production",
                release="shop@1.4.2")


def charge_card(order):
    amount = order["amount"]
    limit = 100
    if amount > limit:
        raise ValueError("card declined: amount over limit")
    return amount


try:
    charge_card({"id": 7, "amount": 250})
except ValueError as error:
    sentry_sdk.capture_exception(error)
sentry_sdk.flush()
"#;

/// The statement that raises in [`PYTHON_ERROR`].
pub(crate) const RAISING_LINE: &str = "raise ValueError(\"card declined: amount over limit\")";

/// Sends the same `ValueError` from the official Python SDK (one issue however often).
pub(crate) fn send_python_error(server: &ServerProcess, dir: &Path) {
    let script = dir.join("charge.py");
    if !script.exists() {
        std::fs::write(&script, PYTHON_ERROR).expect("writing the Python script");
    }
    let output = Command::new(harness::python())
        .arg(&script)
        .arg(server.dsn())
        .output()
        .expect("running python");
    assert!(
        output.status.success(),
        "the Python SDK script failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A loopback listener that counts every connection (for `<img src>` leaks) and answers
/// an empty 204.
pub(crate) struct LeakListener {
    pub(crate) port: u16,
    hits: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl LeakListener {
    pub(crate) fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the leak listener");
        let port = listener.local_addr().expect("its address").port();
        let hits = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (count, seen) = (hits.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                count.fetch_add(1, Ordering::SeqCst);
                let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(1)));
                let mut head = [0u8; 512];
                let n = stream.read(&mut head).unwrap_or(0);
                let line = String::from_utf8_lossy(&head[..n])
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                seen.lock().unwrap().push(line);
                let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
            }
        });
        Self {
            port,
            hits,
            requests,
        }
    }

    /// Connections so far, with the request lines.
    pub(crate) fn hits(&self) -> (usize, Vec<String>) {
        (
            self.hits.load(Ordering::SeqCst),
            self.requests.lock().unwrap().clone(),
        )
    }
}

/// A tiny HTTP server for fixed pages (`path -> (content type, body)`), for checking the
/// `WebDriver` client without the UI.
pub(crate) struct StaticSite {
    pub(crate) port: u16,
}

impl StaticSite {
    pub(crate) fn start(pages: BTreeMap<&'static str, (&'static str, String)>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding the static site");
        let port = listener.local_addr().expect("its address").port();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(2)));
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let text = String::from_utf8_lossy(&request);
                let target = text.split_whitespace().nth(1).unwrap_or("/");
                let path = target.split('?').next().unwrap_or("/");
                let (status, (ty, body)) = match pages.get(path) {
                    Some(page) => ("200 OK", page.clone()),
                    None => ("404 Not Found", ("text/plain", "not found".to_owned())),
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: {ty}\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Self { port }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

/// Where screenshots go: `$CARGO_TARGET_DIR/ui-shots`, else the workspace's `target/`.
pub(crate) fn shots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    target.join("ui-shots")
}
