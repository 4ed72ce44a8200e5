//! A small W3C `WebDriver` client: Debian's `chromedriver` on a free loopback port driving a
//! headless `chromium`, spoken to over HTTP with `ureq` and `serde_json` (what the
//! workspace already builds). [`Browser`] owns both processes: dropping it ends the
//! session and kills the driver. Commands that fail panic with the driver's error, except
//! the `try_` ones, which return it (a pending alert, for one, makes every command fail
//! with `unexpected alert open`).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

/// Debian's Chromium.
pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";
/// Debian's chromedriver (package `chromium-driver`).
pub(crate) const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The key W3C `WebDriver` names element references with.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long the driver may take to start, and a page or command to finish.
const DEADLINE: Duration = Duration::from_secs(60);

/// True when both Chromium and chromedriver are installed.
pub(crate) fn available() -> bool {
    Path::new(CHROMIUM).is_file() && Path::new(CHROMEDRIVER).is_file()
}

/// A `WebDriver` error answer: `error` is the W3C code (`no such element`,
/// `unexpected alert open`...).
#[derive(Debug, Clone)]
pub(crate) struct DriverError {
    pub(crate) error: String,
    pub(crate) message: String,
}

impl std::fmt::Display for DriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.message)
    }
}

/// A reference to an element of the current page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Element(String);

impl Element {
    fn from_value(value: &Value) -> Self {
        Self(
            value[ELEMENT_KEY]
                .as_str()
                .unwrap_or_else(|| panic!("not an element reference: {value}"))
                .to_owned(),
        )
    }

    /// The JSON form scripts receive as an argument (a DOM node).
    pub(crate) fn to_json(&self) -> Value {
        json!({ ELEMENT_KEY: self.0 })
    }
}

/// A headless Chromium session through chromedriver; both end when dropped.
#[derive(Debug)]
pub(crate) struct Browser {
    driver: Child,
    agent: ureq::Agent,
    /// `http://127.0.0.1:PORT/session/ID`.
    session: String,
}

/// A free loopback port (bound then released; chromedriver takes it right after).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::config::Config::builder()
            .http_status_as_error(false)
            .timeout_send_request(Some(DEADLINE))
            .timeout_send_body(Some(DEADLINE))
            .timeout_recv_response(Some(DEADLINE))
            .timeout_recv_body(Some(DEADLINE))
            .build(),
    )
}

/// Reads a `WebDriver` answer: `value` on success, the error otherwise.
fn answer(
    result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Value, DriverError> {
    let transport = |e: &dyn std::fmt::Display| DriverError {
        error: "transport".into(),
        message: e.to_string(),
    };
    let response = result.map_err(|e| transport(&e))?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .with_config()
        .limit(256 << 20)
        .read_to_vec()
        .map_err(|e| transport(&e))?;
    let json: Value = serde_json::from_slice(&body).map_err(|e| DriverError {
        error: "bad answer".into(),
        message: format!("{e} (HTTP {status}): {}", String::from_utf8_lossy(&body)),
    })?;
    let value = json.get("value").cloned().unwrap_or(Value::Null);
    if status == 200 {
        return Ok(value);
    }
    Err(DriverError {
        error: value["error"].as_str().unwrap_or("unknown").to_owned(),
        message: value["message"].as_str().unwrap_or_default().to_owned(),
    })
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a `width` x `height` window.
    pub(crate) fn start(width: u32, height: u32) -> Self {
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {CHROMEDRIVER}: {e}"));
        let agent = agent();
        let base = format!("http://127.0.0.1:{port}");
        let mut browser = Self {
            driver,
            agent,
            session: String::new(),
        };
        let start = Instant::now();
        loop {
            let ready = answer(browser.agent.get(&format!("{base}/status")).call())
                .is_ok_and(|v| v["ready"] == true);
            if ready {
                break;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "chromedriver did not answer /status within {DEADLINE:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let capabilities = json!({
            "capabilities": { "alwaysMatch": {
                "browserName": "chrome",
                "pageLoadStrategy": "normal",
                // Dialogs stay open so a test sees them (`alert_text`).
                "unhandledPromptBehavior": "ignore",
                "goog:loggingPrefs": { "browser": "ALL" },
                "goog:chromeOptions": {
                    "binary": CHROMIUM,
                    "args": [
                        "--headless=new",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-dev-shm-usage",
                        "--no-first-run",
                        "--no-default-browser-check",
                        "--disable-extensions",
                        "--hide-scrollbars",
                        format!("--window-size={width},{height}"),
                    ],
                },
            }},
        });
        let created = answer(
            browser
                .agent
                .post(&format!("{base}/session"))
                .header("Content-Type", "application/json")
                .send(capabilities.to_string().as_bytes()),
        )
        .unwrap_or_else(|e| panic!("creating a Chromium session: {e}"));
        let id = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no sessionId in {created}"));
        browser.session = format!("{base}/session/{id}");
        browser
    }

    /// POSTs `body` to the session's `path`.
    pub(crate) fn try_post(&self, path: &str, body: &Value) -> Result<Value, DriverError> {
        answer(
            self.agent
                .post(&format!("{}{path}", self.session))
                .header("Content-Type", "application/json")
                .send(body.to_string().as_bytes()),
        )
    }

    /// GETs the session's `path`.
    pub(crate) fn try_get(&self, path: &str) -> Result<Value, DriverError> {
        answer(self.agent.get(&format!("{}{path}", self.session)).call())
    }

    fn post(&self, path: &str, body: &Value) -> Value {
        self.try_post(path, body)
            .unwrap_or_else(|e| panic!("WebDriver POST {path} {body}: {e}"))
    }

    fn get(&self, path: &str) -> Value {
        self.try_get(path)
            .unwrap_or_else(|e| panic!("WebDriver GET {path}: {e}"))
    }

    /// Loads `url` and waits for it (the page's `load` event).
    pub(crate) fn goto(&self, url: &str) {
        self.post("/url", &json!({ "url": url }));
    }

    /// Loads `url`; the error (such as `unexpected alert open`) is returned.
    pub(crate) fn try_goto(&self, url: &str) -> Result<(), DriverError> {
        self.try_post("/url", &json!({ "url": url })).map(|_| ())
    }

    /// Reloads the page.
    pub(crate) fn refresh(&self) {
        self.post("/refresh", &json!({}));
    }

    /// The address of the current page.
    pub(crate) fn current_url(&self) -> String {
        self.get("/url").as_str().unwrap_or_default().to_owned()
    }

    /// The current page's title.
    pub(crate) fn title(&self) -> String {
        self.get("/title").as_str().unwrap_or_default().to_owned()
    }

    /// The current DOM serialized.
    pub(crate) fn source(&self) -> String {
        self.get("/source").as_str().unwrap_or_default().to_owned()
    }

    /// The visible text of the whole page (`body.innerText`).
    pub(crate) fn page_text(&self) -> String {
        self.execute("return document.body ? document.body.innerText : '';", &[])
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The elements matching a CSS selector (none is an empty list).
    pub(crate) fn find_all(&self, css: &str) -> Vec<Element> {
        self.post(
            "/elements",
            &json!({ "using": "css selector", "value": css }),
        )
        .as_array()
        .map(|list| list.iter().map(Element::from_value).collect())
        .unwrap_or_default()
    }

    /// The first element matching `css`, if any.
    pub(crate) fn try_find(&self, css: &str) -> Option<Element> {
        match self.try_post(
            "/element",
            &json!({ "using": "css selector", "value": css }),
        ) {
            Ok(value) => Some(Element::from_value(&value)),
            Err(e) if e.error == "no such element" => None,
            Err(e) => panic!("finding {css:?}: {e}"),
        }
    }

    /// The first element matching `css`; panics naming the page when there is none.
    pub(crate) fn find(&self, css: &str) -> Element {
        self.try_find(css).unwrap_or_else(|| {
            panic!(
                "no element matches {css:?} on {} (title {:?}); page text:\n{}",
                self.current_url(),
                self.title(),
                cut(&self.page_text(), 2000)
            )
        })
    }

    /// Waits (up to the deadline) for an element matching `css`.
    pub(crate) fn wait_for(&self, css: &str) -> Element {
        let start = Instant::now();
        loop {
            if let Some(element) = self.try_find(css) {
                return element;
            }
            if start.elapsed() > Duration::from_secs(10) {
                return self.find(css);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The first element matching `css` whose visible text contains `text`.
    pub(crate) fn find_with_text(&self, css: &str, text: &str) -> Option<Element> {
        self.find_all(css)
            .into_iter()
            .find(|e| self.text(e).contains(text))
    }

    /// The elements matching `css` whose attribute `name` equals `value`.
    pub(crate) fn find_with_attribute(&self, css: &str, name: &str, value: &str) -> Vec<Element> {
        self.find_all(css)
            .into_iter()
            .filter(|e| self.attribute(e, name).as_deref() == Some(value))
            .collect()
    }

    /// An element of `parent` matching `css`.
    pub(crate) fn find_in(&self, parent: &Element, css: &str) -> Option<Element> {
        match self.try_post(
            &format!("/element/{}/element", parent.0),
            &json!({ "using": "css selector", "value": css }),
        ) {
            Ok(value) => Some(Element::from_value(&value)),
            Err(e) if e.error == "no such element" => None,
            Err(e) => panic!("finding {css:?} in an element: {e}"),
        }
    }

    /// An element's rendered text.
    pub(crate) fn text(&self, element: &Element) -> String {
        self.get(&format!("/element/{}/text", element.0))
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// An element's attribute (`None` when absent).
    pub(crate) fn attribute(&self, element: &Element, name: &str) -> Option<String> {
        self.get(&format!("/element/{}/attribute/{name}", element.0))
            .as_str()
            .map(str::to_owned)
    }

    /// Clicks an element (scrolled into view first by the driver).
    pub(crate) fn click(&self, element: &Element) {
        self.post(&format!("/element/{}/click", element.0), &json!({}));
    }

    /// Clicks an element; the error is returned.
    pub(crate) fn try_click(&self, element: &Element) -> Result<(), DriverError> {
        self.try_post(&format!("/element/{}/click", element.0), &json!({}))
            .map(|_| ())
    }

    /// Clicks like a person when the element is interactable, else through the DOM
    /// (`element.click()`: a button in a closed `<details>`, say); waits for the page.
    pub(crate) fn activate(&self, element: &Element) {
        // Mark the document, and note when it starts to unload: a click that submits a form
        // leaves the old page "complete" until the answer arrives, so waiting on
        // `readyState` alone could read the old page.
        let _ = self.try_execute(
            "window.__erratadoc = 1; window.__erratagoing = false; \
             window.addEventListener('beforeunload', () => { window.__erratagoing = true; });",
            &[],
        );
        match self.try_click(element) {
            Ok(()) => {}
            Err(e)
                if e.error == "element not interactable"
                    || e.error == "element click intercepted" =>
            {
                self.execute("arguments[0].click();", &[element.to_json()]);
            }
            Err(e) => panic!("clicking: {e}"),
        }
        self.wait_navigated();
        self.wait_loaded();
    }

    /// After a click: if it started a navigation (within half a second), waits until the
    /// new document replaced the marked one; otherwise returns.
    fn wait_navigated(&self) {
        let start = Instant::now();
        let mut going = false;
        while start.elapsed() < DEADLINE {
            match self.try_execute(
                "return [window.__erratadoc === 1, window.__erratagoing === true];",
                &[],
            ) {
                Ok(v) if v[0] == Value::Bool(false) => return,
                Ok(v) if v[1] == Value::Bool(true) => going = true,
                Ok(_) if !going && start.elapsed() > Duration::from_millis(500) => return,
                Err(e) if e.error == "unexpected alert open" => return,
                _ => {}
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Sets an input's or select's value through the DOM (and fires `input`/`change`),
    /// for fields typing cannot reach (hidden in a closed `<details>`, a `<select>`).
    pub(crate) fn set_value(&self, element: &Element, value: &str) {
        self.execute(
            "const e = arguments[0]; e.value = arguments[1]; \
             e.dispatchEvent(new Event('input', {bubbles: true})); \
             e.dispatchEvent(new Event('change', {bubbles: true}));",
            &[element.to_json(), Value::String(value.to_owned())],
        );
    }

    /// Runs `script` and returns the element it returns (`None` for `null`).
    pub(crate) fn execute_element(&self, script: &str, args: &[Value]) -> Option<Element> {
        let value = self.execute(script, args);
        (!value.is_null()).then(|| Element::from_value(&value))
    }

    /// Empties an input.
    pub(crate) fn clear(&self, element: &Element) {
        self.post(&format!("/element/{}/clear", element.0), &json!({}));
    }

    /// Types `text` into an element.
    pub(crate) fn send_keys(&self, element: &Element, text: &str) {
        self.post(
            &format!("/element/{}/value", element.0),
            &json!({ "text": text }),
        );
    }

    /// Replaces an input's value by typing.
    pub(crate) fn fill(&self, css: &str, text: &str) {
        let input = self.find(css);
        self.clear(&input);
        self.send_keys(&input, text);
    }

    /// Submits a form as its first submit button would (`requestSubmit`: validation and
    /// the `submit` event run, like a click), and waits for the next page.
    pub(crate) fn submit(&self, form: &Element) {
        self.execute(
            "const f = arguments[0]; if (f.requestSubmit) { f.requestSubmit(); } else { f.submit(); }",
            &[form.to_json()],
        );
        self.wait_loaded();
    }

    /// Waits until the document is loaded (after a click that navigates).
    pub(crate) fn wait_loaded(&self) {
        let start = Instant::now();
        while start.elapsed() < DEADLINE {
            match self.try_execute("return document.readyState;", &[]) {
                Ok(state) if state == "complete" => return,
                Err(e) if e.error == "unexpected alert open" => return,
                _ => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its value.
    pub(crate) fn try_execute(&self, script: &str, args: &[Value]) -> Result<Value, DriverError> {
        self.try_post("/execute/sync", &json!({ "script": script, "args": args }))
    }

    /// Runs `script` synchronously; panics on a script error.
    pub(crate) fn execute(&self, script: &str, args: &[Value]) -> Value {
        self.try_execute(script, args)
            .unwrap_or_else(|e| panic!("script {script:?}: {e}"))
    }

    /// The text of the open alert, confirm or prompt dialog, if one is open.
    pub(crate) fn alert_text(&self) -> Option<String> {
        match self.try_get("/alert/text") {
            Ok(text) => Some(text.as_str().unwrap_or_default().to_owned()),
            Err(e) if e.error == "no such alert" => None,
            Err(e) => panic!("reading the alert: {e}"),
        }
    }

    /// Dismisses the open dialog (if any).
    pub(crate) fn dismiss_alert(&self) {
        let _ = self.try_post("/alert/dismiss", &json!({}));
    }

    /// Resizes the window (outer size).
    pub(crate) fn set_window_size(&self, width: u32, height: u32) {
        self.post("/window/rect", &json!({ "width": width, "height": height }));
    }

    /// A PNG of the viewport, written to `path` (parent directories created).
    pub(crate) fn screenshot(&self, path: &Path) -> PathBuf {
        let encoded = self.get("/screenshot");
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().unwrap_or_default())
            .expect("the screenshot is base64");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        }
        std::fs::write(path, png).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        path.to_owned()
    }

    /// Sets a cookie for the current page's origin (load a page of the origin first).
    pub(crate) fn add_cookie(&self, name: &str, value: &str) {
        self.post(
            "/cookie",
            &json!({ "cookie": { "name": name, "value": value, "path": "/" } }),
        );
    }

    /// A cookie of the current page by name.
    pub(crate) fn cookie(&self, name: &str) -> Option<String> {
        self.try_get(&format!("/cookie/{name}"))
            .ok()
            .and_then(|c| c["value"].as_str().map(str::to_owned))
    }

    /// Removes every cookie of the current origin.
    pub(crate) fn delete_cookies(&self) {
        let _ = answer(
            self.agent
                .delete(&format!("{}/cookie", self.session))
                .call(),
        );
    }

    /// The browser console's messages so far (chromedriver's legacy log endpoint; empty
    /// when the driver does not offer it).
    pub(crate) fn console_log(&self) -> Vec<String> {
        self.try_post("/se/log", &json!({ "type": "browser" }))
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .map(|entry| {
                format!(
                    "{} {}",
                    entry["level"].as_str().unwrap_or_default(),
                    entry["message"].as_str().unwrap_or_default()
                )
            })
            .collect()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.agent.delete(&self.session).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// At most `max` bytes of `text`, cut at a character boundary.
pub(crate) fn cut(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
