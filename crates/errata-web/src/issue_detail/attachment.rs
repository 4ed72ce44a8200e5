//! The shown event's attachments: name, size in words and the download link.

/// One attachment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attachment {
    /// The file name the SDK sent (shown as text).
    pub name: String,
    /// Such as `12.4 KB`.
    pub size: String,
    /// `/issues/{id}/attachments/{attachment_id}`; `None` for an id that cannot be in
    /// a URL.
    pub href: Option<String>,
}

impl Attachment {
    /// An attachment of issue `issue_id` stored under `attachment_id`, `size_bytes`
    /// long.
    pub fn new(issue_id: i64, attachment_id: &str, name: &str, size_bytes: u64) -> Self {
        let id_ok = !attachment_id.is_empty()
            && attachment_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        Self {
            name: name.to_owned(),
            size: human_size(size_bytes),
            href: id_ok.then(|| format!("/issues/{issue_id}/attachments/{attachment_id}")),
        }
    }
}

/// `512 B`, `12.4 KB`, `3.0 MB` (powers of 1024, as file managers show).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KB", "MB", "GB", "TB", "PB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut size = bytes as f64 / 1024.0;
    let mut unit = 0;
    while size >= 1024.0 && unit + 1 < UNITS.len() {
        size /= 1024.0;
        unit += 1;
    }
    format!("{size:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_links() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(12_700), "12.4 KB");
        assert_eq!(human_size(3 * 1024 * 1024), "3.0 MB");
        assert!(human_size(u64::MAX).ends_with("PB"));
        let a = Attachment::new(3, "17", "log.txt", 10);
        assert_eq!(a.href.as_deref(), Some("/issues/3/attachments/17"));
        assert_eq!(Attachment::new(3, "../x", "n", 1).href, None);
    }
}
