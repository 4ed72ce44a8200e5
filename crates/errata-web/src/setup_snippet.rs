//! The setup snippets on a project's settings page: how to install and initialise the
//! Sentry SDK for Python, browser JavaScript, Node, Go and Rust (with the `errata-tower`
//! layer on axum), each built from the project's DSN. Plain text: the template escapes it.

/// One language's snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupSnippet {
    /// A DOM id fragment (`python`, `javascript`...), also the copy button's target.
    pub id: &'static str,
    /// The heading ("Python").
    pub language: &'static str,
    /// The install command.
    pub install: String,
    /// The initialisation code.
    pub code: String,
}

impl SetupSnippet {
    /// The `id` of the code element (what the copy button names).
    pub fn code_id(&self) -> String {
        format!("snippet-{}", self.id)
    }
}

/// Shown in place of a DSN when the project has no enabled key.
pub const DSN_PLACEHOLDER: &str = "https://<public key>@<host>/<project id>";

/// The snippets for `dsn`, in the order the page shows them.
pub fn setup_snippets(dsn: &str) -> Vec<SetupSnippet> {
    vec![
        SetupSnippet {
            id: "python",
            language: "Python",
            install: "pip install --upgrade sentry-sdk".to_owned(),
            code: format!(
                "import sentry_sdk\n\nsentry_sdk.init(\n    dsn=\"{dsn}\",\n    \
                 # True sends headers, cookies and IP addresses (Errata can scrub them).\n    \
                 send_default_pii=False,\n)\n"
            ),
        },
        SetupSnippet {
            id: "javascript",
            language: "JavaScript (browser)",
            install: "npm install --save @sentry/browser".to_owned(),
            code: format!(
                "import * as Sentry from \"@sentry/browser\";\n\nSentry.init({{\n  \
                 dsn: \"{dsn}\",\n}});\n"
            ),
        },
        SetupSnippet {
            id: "node",
            language: "Node.js",
            install: "npm install --save @sentry/node".to_owned(),
            code: format!(
                "// instrument.js: require it before anything else.\n\
                 const Sentry = require(\"@sentry/node\");\n\nSentry.init({{\n  \
                 dsn: \"{dsn}\",\n}});\n"
            ),
        },
        SetupSnippet {
            id: "go",
            language: "Go",
            install: "go get github.com/getsentry/sentry-go".to_owned(),
            code: format!(
                "import (\n\t\"log\"\n\t\"time\"\n\n\t\"github.com/getsentry/sentry-go\"\n)\n\n\
                 func main() {{\n\terr := sentry.Init(sentry.ClientOptions{{\n\t\t\
                 Dsn: \"{dsn}\",\n\t}})\n\tif err != nil {{\n\t\t\
                 log.Fatalf(\"sentry.Init: %s\", err)\n\t}}\n\t\
                 defer sentry.Flush(2 * time.Second)\n}}\n"
            ),
        },
        SetupSnippet {
            id: "rust",
            language: "Rust (axum with errata-tower)",
            install: "cargo add sentry@0.49\n\
                      # errata-tower comes with Errata's sources (crates/errata-tower)"
                .to_owned(),
            code: format!(
                "// Initialise sentry first; prepare_client_options guards against\n\
                 // double panic reports.\n\
                 let _guard = sentry::init((\n    \"{dsn}\",\n    \
                 errata_tower::prepare_client_options(sentry::ClientOptions::new()),\n));\n\
                 let app = axum::Router::new()\n    \
                 .route(\"/\", axum::routing::get(handler))\n    \
                 .layer(errata_tower::ErrataLayer::new(\n        \
                 errata_tower::Options::new().send_request(true),\n    ));\n"
            ),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_snippet_carries_the_dsn() {
        let dsn = "https://abc@errata.example/7";
        let snippets = setup_snippets(dsn);
        let ids: Vec<_> = snippets.iter().map(|snippet| snippet.id).collect();
        assert_eq!(ids, ["python", "javascript", "node", "go", "rust"]);
        for snippet in &snippets {
            assert!(snippet.code.contains(dsn), "{snippet:?}");
        }
        let rust = &snippets[4];
        assert!(
            rust.code.contains("errata_tower::ErrataLayer::new("),
            "{}",
            rust.code
        );
        assert!(rust.code.contains("sentry::init(("), "{}", rust.code);
        assert_eq!(
            snippets[3].code.matches('{').count(),
            snippets[3].code.matches('}').count()
        );
    }
}
