//! The daily workflow: log in, see a real Python SDK error in the list, read its stack
//! trace, resolve it, see it regress, ignore it until two more events, and see it come
//! back. A visitor without a session is sent to the login page.

use crate::harness::ServerProcess;
use crate::webdriver::{Browser, Element};
use crate::{RAISING_LINE, browser, login, path_of, send_python_error, ui_missing};

/// `#issue-status`'s text.
fn status(browser: &Browser) -> String {
    match browser.try_find("#issue-status") {
        Some(status) => browser.text(&status).trim().to_owned(),
        None => panic!("{}", ui_missing(browser, "no #issue-status on the detail")),
    }
}

/// Clicks the detail's action button `value` (in `form#actions` or a `form.ignore`).
fn act(browser: &Browser, value: &str) {
    let css = format!("button[name=action][value={value}]");
    let button = browser
        .try_find(&format!("form#actions {css}"))
        .or_else(|| browser.try_find(&format!("form.ignore {css}")))
        .unwrap_or_else(|| panic!("{}", ui_missing(browser, &format!("no {css}"))));
    browser.activate(&button);
}

/// Ignores until `count` more events: the count in `input[name=ignore_count]`, then the
/// ignore button of that input's own form.
fn ignore_until(browser: &Browser, count: &str) {
    let input = browser
        .try_find("input[name=ignore_count]")
        .unwrap_or_else(|| panic!("{}", ui_missing(browser, "no input[name=ignore_count]")));
    browser.set_value(&input, count);
    let button = browser
        .execute_element(
            "const f = arguments[0].form; \
             return f ? f.querySelector('button[name=action][value=ignore]') : null;",
            &[input.to_json()],
        )
        .unwrap_or_else(|| {
            panic!(
                "{}",
                ui_missing(
                    browser,
                    "no ignore button in the form of input[name=ignore_count]"
                )
            )
        });
    browser.activate(&button);
}

/// The list's row of the issue titled with `text`, after loading `/issues/`.
fn issue_row(browser: &Browser, server: &ServerProcess, text: &str) -> Element {
    browser.goto(&server.url("/issues/"));
    assert!(
        browser.try_find("table#issues").is_some(),
        "{}",
        ui_missing(browser, "no table#issues on /issues/")
    );
    browser
        .find_all("table#issues tr.issue[data-issue-id]")
        .into_iter()
        .find(|row| {
            browser
                .find_in(row, "a.issue-title")
                .is_some_and(|a| browser.text(&a).contains(text))
        })
        .unwrap_or_else(|| {
            panic!(
                "{}",
                ui_missing(browser, &format!("no row titled {text:?}"))
            )
        })
}

#[test]
fn workflow() {
    let Some(browser) = browser() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());

    // Logged out: the list sends the visitor to the login page.
    browser.goto(&server.url("/issues/"));
    assert_eq!(
        path_of(&browser.current_url()),
        "/login",
        "{}",
        ui_missing(
            &browser,
            "GET /issues/ without a session must land on /login"
        )
    );

    login(&browser, &server);
    send_python_error(&server, dir.path());

    // The list shows the issue; its title links to the detail.
    let row = issue_row(&browser, &server, "ValueError");
    let issue_id = browser
        .attribute(&row, "data-issue-id")
        .expect("data-issue-id");
    let title = browser.find_in(&row, "a.issue-title").unwrap();
    browser.activate(&title);
    assert_eq!(
        path_of(&browser.current_url()),
        format!("/issues/{issue_id}/")
    );
    let heading = browser.find("h1#issue-title");
    assert!(browser.text(&heading).contains("ValueError"));

    // The stack trace: the in-app frame and its failing line.
    let functions: Vec<String> = browser
        .find_all(".frame.in-app .frame-function")
        .iter()
        .map(|f| browser.text(f))
        .collect();
    assert!(
        functions.iter().any(|f| f.contains("charge_card")),
        "in-app frames {functions:?}; {}",
        ui_missing(&browser, "no .frame.in-app .frame-function charge_card")
    );
    let current: Vec<String> = browser
        .find_all("ol.context li.current")
        .iter()
        .map(|li| browser.text(li))
        .collect();
    assert!(
        current.iter().any(|line| line.contains(RAISING_LINE)),
        "failing lines {current:?}"
    );
    assert_eq!(status(&browser), "Unresolved");

    // Resolve; the same error again regresses it.
    act(&browser, "resolve");
    assert_eq!(status(&browser), "Resolved");
    send_python_error(&server, dir.path());
    browser.goto(&server.url(&format!("/issues/{issue_id}/")));
    assert!(
        browser.try_find(".badge-regressed").is_some(),
        "{}",
        ui_missing(&browser, "a regressed issue shows .badge-regressed")
    );
    assert_eq!(status(&browser), "Unresolved");

    // Ignore until 2 more events: one keeps it ignored, the second brings it back.
    ignore_until(&browser, "2");
    assert_eq!(status(&browser), "Ignored");
    let activity_before = browser.find_all("#activity li").len();
    send_python_error(&server, dir.path());
    browser.refresh();
    assert_eq!(status(&browser), "Ignored", "after 1 of 2 events");
    send_python_error(&server, dir.path());
    browser.refresh();
    assert_eq!(status(&browser), "Unresolved", "after 2 of 2 events");
    let activity: Vec<String> = browser
        .find_all("#activity li")
        .iter()
        .map(|li| browser.text(li))
        .collect();
    assert!(
        activity.len() > activity_before,
        "#activity did not record the issue coming back: {activity:?}"
    );
    assert!(
        activity
            .iter()
            .any(|a| a.to_lowercase().contains("unresolved")
                || a.to_lowercase().contains("unignored")),
        "#activity does not mention the issue coming back: {activity:?}"
    );
    assert_eq!(browser.alert_text(), None);
}
