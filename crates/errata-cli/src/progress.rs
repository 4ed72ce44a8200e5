//! Progress of a long copy on stderr: on a terminal, one line per step redrawn in place
//! with a bar, the rows done of the total, the rate and the time left; elsewhere (a log, a
//! pipe), a plain line every few seconds and one at the end, so logs stay readable.

use std::io::{IsTerminal as _, Write as _};
use std::time::{Duration, Instant};

/// How often a terminal line is redrawn, and how often a plain line is written.
const REDRAW: Duration = Duration::from_millis(100);
const PLAIN: Duration = Duration::from_secs(2);
/// The bar's width in characters.
const WIDTH: usize = 30;

/// The progress of one step (one table) of `steps`.
pub(crate) struct Progress {
    label: String,
    total: u64,
    done: u64,
    started: Instant,
    shown: Option<Instant>,
    terminal: bool,
}

impl Progress {
    /// Starts step `step` (1-based) of `steps`: `what`, `total` rows.
    pub(crate) fn start(step: usize, steps: usize, what: &str, total: u64) -> Self {
        let terminal = std::io::stderr().is_terminal();
        let started = Instant::now();
        Self {
            label: format!("[{step}/{steps}] {what}"),
            total,
            done: 0,
            started,
            // A terminal shows the step at once; a log only if it lasts.
            shown: (!terminal).then_some(started),
            terminal,
        }
    }

    /// `n` more rows are done.
    pub(crate) fn advance(&mut self, n: u64) {
        self.done = self.done.saturating_add(n);
        let every = if self.terminal { REDRAW } else { PLAIN };
        if self.shown.is_none_or(|at| at.elapsed() >= every) {
            self.show(false);
        }
    }

    /// The step is done: its last line, kept.
    pub(crate) fn finish(mut self) {
        self.show(true);
    }

    #[allow(clippy::print_stderr, reason = "progress for the operator")]
    fn show(&mut self, last: bool) {
        self.shown = Some(Instant::now());
        let line = self.line();
        if self.terminal {
            // \r and "erase to the end of the line": redrawn in place.
            eprint!("\r{line}\x1b[K{}", if last { "\n" } else { "" });
            let _ = std::io::stderr().flush();
        } else {
            eprintln!("{line}");
        }
    }

    fn line(&self) -> String {
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        #[allow(clippy::cast_precision_loss, reason = "a displayed rate")]
        let rate = self.done as f64 / secs;
        let fraction = if self.total == 0 {
            1.0
        } else {
            #[allow(clippy::cast_precision_loss, reason = "a displayed fraction")]
            let f = self.done as f64 / self.total as f64;
            f.min(1.0)
        };
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "0..=WIDTH"
        )]
        let filled = (fraction * WIDTH as f64).round() as usize;
        let left = if rate > 0.0 && self.done < self.total {
            #[allow(clippy::cast_precision_loss, reason = "a displayed estimate")]
            let s = (self.total - self.done) as f64 / rate;
            format!(", {s:.0} s left")
        } else {
            String::new()
        };
        format!(
            "{:<32} [{}{}] {:>3.0}% {}/{} rows, {:.0} rows/s{left}",
            self.label,
            "#".repeat(filled),
            ".".repeat(WIDTH - filled),
            fraction * 100.0,
            self.done,
            self.total,
            rate,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_shows_the_bar_counts_and_percentage() {
        let mut p = Progress::start(3, 25, "events", 200);
        p.terminal = false;
        p.done = 50;
        let line = p.line();
        assert!(line.starts_with("[3/25] events"), "{line}");
        assert!(
            line.contains(&format!("[{}{}]", "#".repeat(8), ".".repeat(22))),
            "{line}"
        );
        assert!(line.contains(" 25% 50/200 rows"), "{line}");
        // An empty table is complete.
        let empty = Progress::start(1, 1, "nodes", 0);
        assert!(
            empty
                .line()
                .contains(&format!("[{}] 100% 0/0", "#".repeat(30)))
        );
    }
}
