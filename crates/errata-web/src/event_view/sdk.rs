//! The SDK that sent the event: name, version, integrations and packages.

use serde_json::Value;

use super::value::{field, scalar};

/// The sending SDK.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SdkView {
    /// Such as `sentry.python.flask`.
    pub name: String,
    /// Such as `2.75.0`.
    pub version: Option<String>,
    /// Enabled integrations.
    pub integrations: Vec<String>,
    /// Packages as `name version`.
    pub packages: Vec<String>,
}

impl SdkView {
    /// Reads `sdk`; `None` when absent or nameless.
    pub(crate) fn read(sdk: Option<&Value>) -> Option<Self> {
        let sdk = sdk?;
        let list = |key: &str| -> Vec<&Value> {
            sdk.get(key)
                .and_then(Value::as_array)
                .map(|a| a.iter().collect())
                .unwrap_or_default()
        };
        Some(Self {
            name: field(sdk, "name")?,
            version: field(sdk, "version"),
            integrations: list("integrations")
                .into_iter()
                .filter_map(scalar)
                .collect(),
            packages: list("packages")
                .into_iter()
                .filter_map(|p| {
                    let name = field(p, "name")?;
                    Some(match field(p, "version") {
                        Some(v) => format!("{name} {v}"),
                        None => name,
                    })
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sdk_is_read() {
        let sdk = SdkView::read(Some(&json!({"name": "sentry.python", "version": "2.75.0",
            "integrations": ["flask", 3, {}], "packages": [{"name": "pypi:sentry-sdk", "version": "2.75.0"}, 1]})))
        .unwrap();
        assert_eq!(sdk.integrations, ["flask", "3"]);
        assert_eq!(sdk.packages, ["pypi:sentry-sdk 2.75.0"]);
        assert!(SdkView::read(Some(&json!({"version": "1"}))).is_none());
    }
}
