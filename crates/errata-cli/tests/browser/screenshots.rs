//! Screenshots of every main page in the light and dark themes (the `errata_theme`
//! cookie) at a desktop and a phone width, as `target/ui-shots/<page>-<theme>-<width>.png`
//! for people to look at. The test checks only that each page is the one asked for
//! (not the login page) and carries the theme on `<html data-theme>`.

use crate::harness::ServerProcess;
use crate::webdriver::Browser;
use crate::{DESKTOP, NARROW, browser, login, path_of, send_python_error, shots_dir, ui_missing};

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
        let file = shots_dir().join(format!("{page}-{theme}-{width}.png"));
        browser.screenshot(&file);
        saved.push(file.display().to_string());
    }
    saved
}

#[test]
fn screenshots() {
    let Some(browser) = browser() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    send_python_error(&server, dir.path());
    let issue = server
        .stored()
        .issues()
        .into_iter()
        .next()
        .expect("the Python error made an issue");

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
        ("tokens", "/settings/tokens/".to_owned()),
        ("users", "/settings/users/".to_owned()),
    ];
    for theme in ["light", "dark"] {
        for (page, path) in &pages {
            saved.extend(shoot(&browser, &server.url(path), page, theme, path));
        }
    }
    assert_eq!(saved.len(), 24);
    #[allow(clippy::print_stderr, reason = "where to look")]
    {
        eprintln!("screenshots in {}", shots_dir().display());
    }
}
