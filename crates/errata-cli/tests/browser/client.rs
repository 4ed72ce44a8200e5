//! The `WebDriver` client itself, on pages that exist without the UI: the server's
//! `/healthz` and a local static page with a form, a dialog and a script. Passing here
//! means a failure in the other tests is the UI's, not the harness's.

use std::collections::BTreeMap;

use serde_json::json;

use crate::harness::ServerProcess;
use crate::{StaticSite, browser, path_of, shots_dir};

const PAGE: &str = r#"<!doctype html>
<html><head><title>fixture</title></head><body>
<h1 id="title">Fixture</h1>
<ul><li class="item" data-kind="a">first</li><li class="item" data-kind="b">second item</li></ul>
<form id="search" action="/done" method="get">
  <input name="q" value="old">
  <button type="submit">Go</button>
</form>
<button id="dialog" onclick="alert('hello from the page')">dialog</button>
<details><summary>more</summary><input id="hidden" name="h">
<button id="inner" type="button" onclick="document.title = 'inner'">inner</button></details>
<script>window.fixtureLoaded = 42;</script>
</body></html>"#;

#[test]
fn webdriver_client_drives_chromium() {
    let Some(browser) = browser() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());

    // A page the server serves today: JSON shown as text.
    browser.goto(&server.url("/healthz"));
    assert!(
        browser.page_text().contains("\"status\":\"ok\""),
        "healthz in Chromium: {:?}",
        browser.page_text()
    );

    let site = StaticSite::start(BTreeMap::from([
        ("/", ("text/html; charset=utf-8", PAGE.to_owned())),
        (
            "/done",
            (
                "text/html",
                "<title>done</title><p id=ok>done</p>".to_owned(),
            ),
        ),
    ]));
    browser.goto(&site.url("/"));
    assert_eq!(browser.title(), "fixture");
    assert_eq!(browser.text(&browser.find("h1#title")), "Fixture");
    assert_eq!(browser.find_all("li.item").len(), 2);
    assert!(browser.try_find("table#nothing").is_none());
    let second = browser
        .find_with_text("li.item", "second")
        .expect("by text");
    assert_eq!(
        browser.attribute(&second, "data-kind").as_deref(),
        Some("b")
    );
    assert_eq!(
        browser
            .find_with_attribute("li.item", "data-kind", "a")
            .len(),
        1
    );
    assert_eq!(
        browser.execute("return window.fixtureLoaded;", &[]),
        json!(42)
    );
    assert_eq!(
        browser.execute("return arguments[0].textContent;", &[second.to_json()]),
        json!("second item")
    );
    assert!(browser.source().contains("fixtureLoaded"));

    // Fields and buttons out of reach of a pointer (in a closed <details>).
    browser.activate(&browser.find("button#inner"));
    assert_eq!(browser.title(), "inner");
    let hidden = browser.find("input#hidden");
    browser.set_value(&hidden, "set");
    assert_eq!(
        browser.execute("return arguments[0].value;", &[hidden.to_json()]),
        json!("set")
    );
    let found = browser.execute_element("return document.querySelector('#inner');", &[]);
    assert_eq!(
        found.as_ref().map(|e| browser.attribute(e, "id")),
        Some(Some("inner".into()))
    );
    assert!(browser.execute_element("return null;", &[]).is_none());

    // Cookies for the current origin.
    browser.add_cookie("errata_theme", "dark");
    assert_eq!(browser.cookie("errata_theme").as_deref(), Some("dark"));
    browser.delete_cookies();
    assert_eq!(browser.cookie("errata_theme"), None);

    // A dialog blocks commands until dismissed.
    assert_eq!(browser.alert_text(), None);
    browser.click(&browser.find("button#dialog"));
    assert_eq!(browser.alert_text().as_deref(), Some("hello from the page"));
    let blocked = browser.try_execute("return 1;", &[]).unwrap_err();
    assert_eq!(blocked.error, "unexpected alert open", "{blocked}");
    browser.dismiss_alert();
    assert_eq!(browser.alert_text(), None);

    // Typing and submitting a form navigates.
    browser.fill("form#search input[name=q]", "hello world");
    browser.submit(&browser.find("form#search"));
    assert_eq!(path_of(&browser.current_url()), "/done");
    assert!(browser.current_url().ends_with("?q=hello+world"));
    assert!(browser.try_find("p#ok").is_some());
    browser.refresh();
    assert!(browser.try_find("p#ok").is_some());

    // Window size and screenshots.
    browser.set_window_size(crate::NARROW.0, crate::NARROW.1);
    let width = browser.execute("return window.innerWidth;", &[]);
    assert!(
        width
            .as_u64()
            .is_some_and(|w| w <= u64::from(crate::NARROW.0)),
        "inner width {width}"
    );
    let shot = browser.screenshot(&shots_dir().join("webdriver-selftest.png"));
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let _ = browser.console_log();
}
