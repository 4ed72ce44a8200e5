//! The free space of the filesystem the database lives on (`statvfs`), for `/readyz`'s
//! "disk not full" check and the `errata_disk_*` gauges. Only a local database has a disk
//! this node can see: see [`crate::Config::local_database_dir`].

use std::path::Path;

/// A filesystem's size and the bytes an unprivileged process may still write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskSpace {
    /// Bytes available to unprivileged writers (`f_bavail`).
    pub free_bytes: u64,
    /// The filesystem's size.
    pub total_bytes: u64,
}

/// The space of the filesystem holding `path` (a blocking system call: call it off the
/// async runtime, a network filesystem may be slow to answer).
#[cfg(unix)]
pub fn space(path: &Path) -> std::io::Result<DiskSpace> {
    let stat = rustix::fs::statvfs(path)?;
    Ok(DiskSpace {
        free_bytes: stat.f_bavail.saturating_mul(stat.f_frsize),
        total_bytes: stat.f_blocks.saturating_mul(stat.f_frsize),
    })
}

/// Not measured on this platform.
#[cfg(not(unix))]
pub fn space(_path: &Path) -> std::io::Result<DiskSpace> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "free disk space is measured on Unix only",
    ))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_real_directory_has_a_size_and_some_room() {
        let dir = tempfile::tempdir().unwrap();
        let measured = space(dir.path()).unwrap();
        assert!(measured.total_bytes > 0);
        assert!(measured.free_bytes <= measured.total_bytes, "{measured:?}");
        assert!(space(&dir.path().join("missing")).is_err());
    }
}
