//! Integration tests of `errata-errors`: Hertz `errors` package parity, case by case, through the
//! public API only (the cases mirror Hertz's `errors_test.go` and its documented behaviour).

use errata_errors::{
    BacktraceMode, Error, ErrorChain, ErrorType, backtrace_mode, errorf, private_errorf,
    public_errorf,
};
use serde_json::json;

#[test]
fn hertz_flag_values() {
    assert_eq!(ErrorType::BIND.bits(), 1);
    assert_eq!(ErrorType::RENDER.bits(), 2);
    assert_eq!(ErrorType::PRIVATE.bits(), 4);
    assert_eq!(ErrorType::PUBLIC.bits(), 8);
    assert_eq!(ErrorType::ANY.bits(), 16);
}

#[test]
fn hertz_error_string_and_json() {
    // Hertz TestError: err := &Error{Err: errors.New("test error"), Type: ErrorTypePrivate}
    let mut err = Error::message("test error", ErrorType::PRIVATE, None);
    assert_eq!(err.to_string(), "test error");
    assert_eq!(err.to_json(), json!({"error": "test error"}));

    err.set_meta_mut("some data");
    assert_eq!(
        err.to_json(),
        json!({"error": "test error", "meta": "some data"})
    );

    err.set_meta_mut(json!({"status": "200", "data": "some data"}));
    assert_eq!(
        err.to_json(),
        json!({"error": "test error", "status": "200", "data": "some data"})
    );

    err.set_meta_mut(json!({"error": "custom error", "status": "200", "data": "some data"}));
    assert_eq!(
        err.to_json(),
        json!({"error": "custom error", "status": "200", "data": "some data"})
    );
}

#[test]
fn hertz_error_chain() {
    // Hertz TestErrorSlice
    let errs: ErrorChain = [
        Error::message("first", ErrorType::PUBLIC, None),
        Error::message("second", ErrorType::PRIVATE, Some(json!("some data"))),
        Error::message("third", ErrorType::PUBLIC, Some(json!({"status": "400"}))),
    ]
    .into_iter()
    .collect();

    assert_eq!(errs.last().unwrap().to_string(), "third");
    assert_eq!(errs.errors(), vec!["first", "second", "third"]);
    assert_eq!(
        errs.by_type(ErrorType::PUBLIC).errors(),
        vec!["first", "third"]
    );
    assert_eq!(errs.by_type(ErrorType::PRIVATE).errors(), vec!["second"]);
    assert_eq!(
        errs.by_type(ErrorType::PUBLIC | ErrorType::PRIVATE)
            .errors(),
        vec!["first", "second", "third"]
    );
    assert_eq!(errs.by_type(ErrorType::ANY).len(), 3);
    assert!(errs.by_type(ErrorType::BIND).is_empty());
    assert_eq!(
        errs.to_string(),
        "Error #01: first\nError #02: second\n     Meta: some data\nError #03: third\n     Meta: map[status:400]\n"
    );
    assert_eq!(
        errs.to_json(),
        json!([
            {"error": "first"},
            {"error": "second", "meta": "some data"},
            {"error": "third", "status": "400"},
        ])
    );

    let one: ErrorChain = [Error::message("first", ErrorType::PUBLIC, None)]
        .into_iter()
        .collect();
    assert_eq!(one.to_json(), json!({"error": "first"}));
}

#[test]
fn is_type_any_needs_the_any_bit_but_by_type_any_returns_all() {
    let private: ErrorChain = [Error::private("p")].into_iter().collect();
    assert!(!private.last().unwrap().is_type(ErrorType::ANY));
    assert_eq!(private.by_type(ErrorType::ANY).len(), 1);
}

#[test]
fn macros_are_newf_newpublicf_newprivatef_and_record_the_callers_line() {
    let line = line!() + 1;
    let e = errorf!(ErrorType::RENDER, None, "render {}", "failed");
    assert!(e.is_type(ErrorType::RENDER));
    assert_eq!(e.location().line(), line);
    assert_eq!(e.location().file(), file!());
    assert_eq!(public_errorf!("{}+{}", 1, 2).to_string(), "1+2");
    assert!(private_errorf!("x").is_private());
    assert_eq!(
        Error::public("p").error_type(),
        ErrorType::PUBLIC,
        "NewPublic"
    );
}

#[test]
fn plain_std_errors_convert_to_private() {
    let e: Error = std::io::Error::other("io").into();
    assert_eq!(e.error_type(), ErrorType::PRIVATE);
    let mut chain = ErrorChain::new();
    chain.push(std::fmt::Error);
    assert!(chain.last().unwrap().is_private());
}

#[test]
fn alternate_format_shows_cause_chain_location_and_stack() {
    #[derive(Debug)]
    struct Fetch(std::io::Error);
    impl std::fmt::Display for Fetch {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("fetch prices")
        }
    }
    impl std::error::Error for Fetch {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }
    assert_eq!(backtrace_mode(), BacktraceMode::Capture);
    let e: Error = Fetch(std::io::Error::other("connection refused")).into();
    let s = format!("{e:#}");
    assert!(s.starts_with("1. fetch prices\n    at "), "{s}");
    assert!(s.ends_with("\n2. connection refused"), "{s}");
    assert!(s.contains(&format!("at {}:", file!())), "{s}");
    assert!(
        s.contains("alternate_format_shows_cause_chain_location_and_stack"),
        "{s}"
    );
    assert_eq!(e.chain().count(), 2);
    assert_eq!(format!("{e:?}"), s);
}
