//! Screenshots of every main page in the light and dark themes (the `errata_theme`
//! cookie) at a desktop and a phone width, as `target/ui-shots/<page>-<theme>-<width>.png`
//! for people to look at: full-page shots (the window grown to the page's height, up to
//! [`MAX_SHOT_HEIGHT`]) of a project holding a rich event from the official Python SDK (a
//! Flask request failing in app code under framework frames, with breadcrumbs, request,
//! user, tags and contexts). The test checks only that each page is the one asked for
//! (not the login page) and carries the theme on `<html data-theme>`.

use crate::harness::ServerProcess;
use crate::webdriver::Browser;
use std::path::Path;
use std::process::Command;

use crate::{DESKTOP, NARROW, browser, harness, login, path_of, shots_dir, ui_missing};

/// The tallest screenshot, in CSS pixels.
const MAX_SHOT_HEIGHT: u64 = 4000;

/// A small Flask shop whose checkout fails in app code (`parse_line`) below Flask's own
/// frames, reported by the official SDK with its Flask integration: three events of one
/// issue (exception, request, user, tags, a context, breadcrumbs, local variables), the
/// logging integration's error events, messages, and a few more errors for the list.
/// `python SCRIPT DSN`.
const SHOP: &str = r#"import json
import logging
import sys

import sentry_sdk
from flask import Flask, request
from sentry_sdk.integrations.flask import FlaskIntegration

sentry_sdk.init(
    dsn=sys.argv[1],
    integrations=[FlaskIntegration()],
    environment="production",
    release="shop@1.4.2",
    server_name="web-3",
    send_default_pii=True,
    include_local_variables=True,
)

app = Flask("shop")
log = logging.getLogger("shop.checkout")


def parse_line(line):
    if "price" not in line:
        raise KeyError("price")
    return line["sku"], line["qty"] * line["price"]


def order_total(payload):
    lines = json.loads(payload)["lines"]
    total = 0
    for line in lines:
        sku, cost = parse_line(line)
        total += cost
    return total


@app.route("/checkout/<int:cart_id>", methods=["POST"])
def checkout(cart_id):
    sentry_sdk.set_user({"id": "u-1042", "email": "ada@example.com", "username": "ada"})
    sentry_sdk.set_tag("customer.plan", "business")
    sentry_sdk.set_tag("payment.provider", "stripe")
    sentry_sdk.set_context("cart", {"id": cart_id, "items": 2, "currency": "EUR"})
    sentry_sdk.add_breadcrumb(category="auth", message="session restored for u-1042")
    sentry_sdk.add_breadcrumb(
        type="http",
        category="httplib",
        data={"method": "GET", "url": "https://inventory.internal/sku/A-17", "status_code": 200},
    )
    log.warning("cart %s: line without a price", cart_id)
    sentry_sdk.add_breadcrumb(
        category="query", message="SELECT * FROM cart_lines WHERE cart_id = %s", level="debug"
    )
    return {"total": order_total(request.get_data(as_text=True))}


client = app.test_client()
for _ in range(3):
    client.post(
        "/checkout/7?coupon=SPRING",
        data=json.dumps({"lines": [{"sku": "A-17", "qty": 2, "price": 9.5}, {"sku": "B-3", "qty": 1}]}),
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        },
    )
sentry_sdk.capture_message("Payment provider latency above 2s", level="warning")
sentry_sdk.capture_message("Nightly export finished with 3 skipped rows", level="info")


def average_basket(baskets):
    return sum(baskets) / len(baskets)


def reserve_stock(sku):
    raise TimeoutError(f"inventory service timed out reserving {sku}")


for job in (lambda: average_basket([]), lambda: reserve_stock("A-17"), lambda: int("7 items")):
    try:
        job()
    except Exception as error:
        sentry_sdk.capture_exception(error)
sentry_sdk.flush()
"#;

/// Runs [`SHOP`] against the server.
fn send_shop_events(server: &harness::ServerProcess, dir: &Path) {
    let script = dir.join("shop.py");
    std::fs::write(&script, SHOP).expect("writing the Flask script");
    let output = Command::new(harness::python())
        .arg(&script)
        .arg(server.dsn())
        .output()
        .expect("running python");
    assert!(
        output.status.success(),
        "the Flask script failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Loads `url` with `theme`, checks it, and saves one PNG per width.
fn shoot(browser: &Browser, url: &str, page: &str, theme: &str, expect_path: &str) -> Vec<String> {
    browser.add_cookie("errata_theme", theme);
    let mut saved = Vec::new();
    for (width, height) in [DESKTOP, NARROW] {
        browser.set_window_size(width, height);
        browser.goto(url);
        assert_eq!(
            path_of(&browser.current_url()),
            expect_path,
            "{}",
            ui_missing(browser, &format!("{page} at {url}"))
        );
        let data_theme = browser.execute(
            "return document.documentElement.getAttribute('data-theme');",
            &[],
        );
        assert_eq!(
            data_theme.as_str(),
            Some(theme),
            "{}",
            ui_missing(browser, &format!("{page}: <html data-theme={theme}>"))
        );
        // Full page: grow the window by what the page overflows the viewport, then restore.
        let sizes = browser.execute(
            "return [document.documentElement.scrollHeight, window.innerHeight];",
            &[],
        );
        let page_height = sizes[0].as_u64().unwrap_or(u64::from(height));
        let viewport = sizes[1].as_u64().unwrap_or(u64::from(height));
        let chrome = u64::from(height).saturating_sub(viewport);
        let tall = page_height.clamp(viewport, MAX_SHOT_HEIGHT) + chrome;
        browser.set_window_size(width, u32::try_from(tall).unwrap_or(height));
        let file = shots_dir().join(format!("{page}-{theme}-{width}.png"));
        browser.screenshot(&file);
        browser.set_window_size(width, height);
        saved.push(file.display().to_string());
    }
    saved
}

#[test]
fn screenshots() {
    let Some(browser) = browser() else { return };
    let dir = tempfile::tempdir().unwrap();
    // A disk budget, so the storage page shows its bar and forecast.
    let server = ServerProcess::start_with(
        &dir.path().join("data"),
        &[("ERRATA_RETENTION_MAX_BYTES", "50MB")],
    );
    // Channels for the alerts pages: Slack at a port nothing listens on (its deliveries
    // wait for a retry, with the error in the log) and a webhook.
    for (kind, target) in [
        ("slack", "http://127.0.0.1:9/services/T0/B0/secret"),
        ("webhook", "http://127.0.0.1:9/errata-hook"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_errata"))
            .arg("--data-dir")
            .arg(&server.data_dir)
            .args(["channel", "add", "default", kind, target])
            .output()
            .expect("running errata channel add");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    send_shop_events(&server, dir.path());
    let issue = server
        .stored()
        .issues()
        .into_iter()
        .find(|issue| issue.title.starts_with("KeyError"))
        .expect("the Flask error made an issue");

    let mut saved = Vec::new();
    browser.goto(&server.url("/login"));
    for theme in ["light", "dark"] {
        saved.extend(shoot(
            &browser,
            &server.url("/login"),
            "login",
            theme,
            "/login",
        ));
    }
    login(&browser, &server);
    let pages = [
        ("issues", "/issues/".to_owned()),
        ("issue", format!("/issues/{}/", issue.id)),
        ("project-settings", "/projects/default/settings/".to_owned()),
        ("project-stats", "/projects/default/stats/".to_owned()),
        ("alerts", "/projects/default/alerts/".to_owned()),
        (
            "alert-deliveries",
            "/projects/default/alerts/deliveries/".to_owned(),
        ),
        ("tokens", "/settings/tokens/".to_owned()),
        ("users", "/settings/users/".to_owned()),
        ("storage", "/settings/storage/".to_owned()),
    ];
    for theme in ["light", "dark"] {
        for (page, path) in &pages {
            saved.extend(shoot(&browser, &server.url(path), page, theme, path));
        }
    }
    assert_eq!(saved.len(), 40);
    #[allow(clippy::print_stderr, reason = "where to look")]
    {
        eprintln!("screenshots in {}", shots_dir().display());
    }
}
