//! The static assets (one stylesheet, assembled from `assets/css/`, and one script), embedded in the binary and served under
//! content-hashed names such as `app.3f2a9c1b.css`, so that browsers may cache them forever:
//! a changed file gets a new name. The hash (the first 8 hex digits of the SHA-256 of the
//! bytes) is computed once, on first use.

use std::sync::LazyLock;

use sha2::{Digest, Sha256};

/// The `Cache-Control` value for every asset: the names change with the content.
pub const ASSET_CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// Which embedded asset the layout links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssetKind {
    /// `app.css`, the one stylesheet.
    Stylesheet,
    /// `app.js`, the one script (loaded with `defer`).
    Script,
}

/// One embedded asset, ready to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asset {
    /// The file's bytes.
    pub bytes: &'static [u8],
    /// The `Content-Type` to send with them.
    pub content_type: &'static str,
}

struct Embedded {
    kind: AssetKind,
    /// The hashed file name (`app.3f2a9c1b.css`).
    name: String,
    /// `/static/` followed by the name.
    path: String,
    asset: Asset,
}

/// The stylesheet, written as one file per concern under `assets/css/` and served as one.
const STYLESHEET: &[u8] = concat!(
    include_str!("../assets/css/theme.css"),
    include_str!("../assets/css/base.css"),
    include_str!("../assets/css/controls.css"),
    include_str!("../assets/css/content.css"),
    include_str!("../assets/css/issue-list.css"),
    include_str!("../assets/css/issue-detail.css"),
    include_str!("../assets/css/storage.css"),
    include_str!("../assets/css/stats.css"),
    include_str!("../assets/css/narrow.css"),
)
.as_bytes();
const SCRIPT: &[u8] = include_bytes!("../assets/app.js");

static EMBEDDED: LazyLock<[Embedded; 2]> = LazyLock::new(|| {
    [
        embed(
            AssetKind::Stylesheet,
            "app",
            "css",
            STYLESHEET,
            "text/css; charset=utf-8",
        ),
        embed(
            AssetKind::Script,
            "app",
            "js",
            SCRIPT,
            "text/javascript; charset=utf-8",
        ),
    ]
});

fn embed(
    kind: AssetKind,
    stem: &str,
    extension: &str,
    bytes: &'static [u8],
    content_type: &'static str,
) -> Embedded {
    let digest = Sha256::digest(bytes);
    let name = format!("{stem}.{}.{extension}", hex::encode(&digest[..4]));
    Embedded {
        kind,
        path: format!("/static/{name}"),
        name,
        asset: Asset {
            bytes,
            content_type,
        },
    }
}

/// The asset served under `name` (the part of the URL after `/static/`), if any. Only the
/// current hashed names are known; anything else is a 404.
pub fn asset(name: &str) -> Option<Asset> {
    EMBEDDED
        .iter()
        .find(|embedded| embedded.name == name)
        .map(|embedded| embedded.asset)
}

/// The URL path (`/static/app.3f2a9c1b.css`) the layout links for an asset.
pub fn asset_path(kind: AssetKind) -> &'static str {
    EMBEDDED
        .iter()
        .find(|embedded| embedded.kind == kind)
        .map_or("/static/missing", |embedded| embedded.path.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_carry_the_content_hash_and_resolve() {
        for (kind, ext, bytes) in [
            (AssetKind::Stylesheet, "css", STYLESHEET),
            (AssetKind::Script, "js", SCRIPT),
        ] {
            let path = asset_path(kind);
            let name = path.strip_prefix("/static/").unwrap();
            let hash = hex::encode(&Sha256::digest(bytes)[..4]);
            assert_eq!(name, format!("app.{hash}.{ext}"));
            let served = asset(name).unwrap();
            assert_eq!(served.bytes, bytes);
            assert!(served.content_type.starts_with(if ext == "css" {
                "text/css"
            } else {
                "text/javascript"
            }));
        }
    }

    #[test]
    fn unhashed_and_unknown_names_are_not_served() {
        assert!(asset("app.css").is_none());
        assert!(asset("app.00000000.css").is_none());
        assert!(asset("../Cargo.toml").is_none());
        assert!(asset("").is_none());
    }
}
