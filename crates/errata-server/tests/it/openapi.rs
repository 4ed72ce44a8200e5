//! `docs/openapi.json` documents the API the router serves: every route and method of
//! the Web API (with its 401), the ingest endpoints, no path that does not exist, and
//! no `$ref` that points nowhere.

use std::collections::HashSet;

use serde_json::Value;

fn document() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not JSON: {e}"))
}

/// Every `$ref` in `value`.
fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(target)) => out.push(target),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn every_route_is_documented_and_every_documented_path_exists() {
    let doc = document();
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1"))
    );
    let paths = doc["paths"].as_object().expect("paths");
    let routes = errata_server::api::routes();
    for (path, method) in &routes {
        let operation = &paths
            .get(*path)
            .unwrap_or_else(|| panic!("{path} is not documented"))[*method];
        assert!(operation.is_object(), "{method} {path} is not documented");
        assert!(
            operation["responses"].get("401").is_some(),
            "{method} {path} does not document its 401"
        );
    }
    for ingest in ["/api/{project_id}/envelope/", "/api/{project_id}/store/"] {
        assert!(paths[ingest]["post"].is_object(), "{ingest}");
    }
    let served: HashSet<&str> = routes.iter().map(|(p, _)| *p).collect();
    for (path, operations) in paths {
        if path.starts_with("/api/0/") {
            assert!(
                served.contains(path.as_str()),
                "{path} is documented but not served"
            );
            for method in operations.as_object().expect("operations").keys() {
                assert!(
                    routes.contains(&(path.as_str(), method.as_str())),
                    "{method} {path} is documented but not served"
                );
            }
        }
    }
}

#[test]
fn every_reference_resolves() {
    let doc = document();
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    for target in found {
        let pointer = target
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("external reference {target}"));
        assert!(doc.pointer(pointer).is_some(), "{target} points nowhere");
    }
}
