//! Who may do what: a member (made with `errata user create` beside the running server)
//! gets 403 on the admin pages, and a form posted with a forged CSRF token is refused
//! with a clear message and changes nothing.

use std::process::Command;

use serde_json::Value;

use crate::harness::{self, ServerProcess};
use crate::{browser, login_as, path_of, send_python_error, ui_missing};

/// A member account: `(email, password)`.
fn create_member(server: &ServerProcess) -> (String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_errata"))
        .arg("--data-dir")
        .arg(&server.data_dir)
        .args([
            "user",
            "create",
            "member@example.com",
            "--name",
            "Member",
            "--json",
        ])
        .output()
        .expect("running errata user create");
    assert!(
        output.status.success(),
        "errata user create: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let created: Value = serde_json::from_slice(&output.stdout).expect("user JSON");
    assert_eq!(created["role"], "member");
    (
        created["email"].as_str().unwrap().to_owned(),
        created["password"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn access() {
    let Some(browser) = browser() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(dir.path());
    send_python_error(&server, dir.path());
    let issue = server
        .stored()
        .issues()
        .into_iter()
        .next()
        .expect("an issue");
    let (email, password) = create_member(&server);

    login_as(&browser, &server, &email, &password);
    let cookies = crate::cookie_header(&browser);
    // The users page is for admins only.
    {
        let path = "/settings/users/";
        let reply = harness::get_with(&server.url(path), &[("Cookie", &cookies)]);
        assert_eq!(
            reply.status,
            403,
            "a member opened the admin page {path}: {}",
            crate::webdriver::cut(&reply.body, 400)
        );
        browser.goto(&server.url(path));
        assert_ne!(
            path_of(&browser.current_url()),
            "/login",
            "{path}: logged out?"
        );
    }
    let reply = harness::post(
        &server.url("/projects/default/delete"),
        &[
            ("Cookie", &cookies),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        b"csrf=whatever",
    );
    assert!(
        matches!(reply.status, 400 | 403),
        "a member's project delete: {}",
        reply.status
    );

    // A forged CSRF token on the issue's resolve form.
    browser.goto(&server.url(&format!("/issues/{}/", issue.id)));
    let Some(form) = browser.try_find("form#actions") else {
        panic!("{}", ui_missing(&browser, "no form#actions on the detail"));
    };
    let forged = browser.execute(
        "const c = arguments[0].querySelector('input[name=csrf]'); if (!c) return false; c.value = 'forged-' + c.value.slice(7); return true;",
        &[form.to_json()],
    );
    assert_eq!(
        forged,
        Value::Bool(true),
        "form#actions has no input[name=csrf]"
    );
    let resolve = browser
        .find_in(&form, "button[name=action][value=resolve]")
        .unwrap_or_else(|| panic!("{}", ui_missing(&browser, "no resolve button")));
    browser.activate(&resolve);
    let text = browser.page_text().to_lowercase();
    assert!(
        text.contains("csrf") || text.contains("security token") || text.contains("expired"),
        "a forged CSRF token got no clear message: {:?}",
        crate::webdriver::cut(&text, 600)
    );
    let after = server.stored().issue(&issue.id);
    assert_eq!(
        after.status, "unresolved",
        "the forged form changed the issue"
    );
}
