//! [`Report`]: an [`Error`] printed `GoFrame`'s `%+v` way (also what `{:#}` and `{:?}` print).
//!
//! Newest layer first, numbered from 1; each layer with its message, `at file:line:col` and its
//! own stack (user frames only, newest first); then the plain causes under the innermost layer
//! (a wrapped `std::error::Error` and its `source()` chain), numbered on, with no location since
//! they have none. Symbols are resolved here, on first format, never at creation.

use std::fmt;

use crate::Error;

/// The multi-line report of an [`Error`] and every layer it wraps. See [`Error::report`].
pub struct Report<'a>(&'a Error);

impl Error {
    /// The `GoFrame` `%+v` style report: every layer newest first with message, location and
    /// frames, then the plain causes.
    ///
    /// ```
    /// use errata_errors::Error;
    /// let e = Error::wrap(std::io::Error::other("disk gone"), "saving").context("upload");
    /// let r = e.report().to_string();
    /// assert!(r.starts_with("1. upload\n    at "), "{r}");
    /// assert!(r.contains("\n2. saving\n    at "), "{r}");
    /// assert!(r.ends_with("\n3. disk gone"), "{r}");
    /// ```
    pub fn report(&self) -> Report<'_> {
        Report(self)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut n = 0;
        let mut innermost = self.0;
        for layer in self.0.layers() {
            n += 1;
            if n > 1 {
                f.write_str("\n")?;
            }
            write!(f, "{n}. {layer}\n    at {}", layer.location())?;
            if let Some(bt) = &layer.backtrace {
                bt.write_frames(f, "    ")?;
            }
            innermost = layer;
        }
        for cause in innermost.plain_causes() {
            n += 1;
            write!(f, "\n{n}. {cause}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
