//! Where the machine's CPU went during a run, from Linux `/proc`: the Errata nodes named by
//! `--pid` (with their memory), every process whose command is `postgres` (the database
//! server and its backends), the load generator itself, and the rest (whatever else runs
//! on the machine), each as a share of all the machine's CPU time over the run (from
//! `/proc/stat`: 100% means every core busy the whole time). Elsewhere the figures are
//! simply absent.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One process at one moment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProcessSample {
    /// `VmRSS` in KiB.
    pub(crate) rss_kib: u64,
    /// `VmHWM` (peak RSS since the process started) in KiB.
    pub(crate) hwm_kib: u64,
    /// User plus system CPU time, in clock ticks.
    pub(crate) cpu_ticks: u64,
}

/// Linux reports CPU time in `USER_HZ`, 100 on every mainstream configuration.
pub(crate) const TICKS_PER_SECOND: f64 = 100.0;

/// User plus system ticks from the text of `/proc/PID/stat`.
fn stat_ticks(stat: &str) -> Option<u64> {
    // Fields after the command name (which may hold spaces) start at field 3.
    let rest = stat.rsplit_once(')')?.1;
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// `VmRSS`, `VmHWM` and CPU time of a process, or `None` when it is gone (or not Linux).
pub(crate) fn process(pid: u32) -> Option<ProcessSample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    Some(ProcessSample {
        rss_kib: field("VmRSS:")?,
        hwm_kib: field("VmHWM:")?,
        cpu_ticks: stat_ticks(&stat)?,
    })
}

/// CPU ticks of every process whose command is `name`, with how many there are.
fn processes_named(name: &str) -> (u64, usize) {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return (0, 0);
    };
    let mut ticks = 0;
    let mut count = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        let is_pid = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
        if !is_pid {
            continue;
        }
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if comm.trim_end() != name {
            continue;
        }
        if let Some(t) = std::fs::read_to_string(path.join("stat"))
            .ok()
            .as_deref()
            .and_then(stat_ticks)
        {
            ticks += t;
            count += 1;
        }
    }
    (ticks, count)
}

/// The machine's ticks: `(all, idle)` summed over every CPU (`idle` includes I/O wait).
fn machine_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let values: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user already).
    let all = values.iter().take(8).sum();
    let idle = values.get(3)? + values.get(4).copied().unwrap_or(0);
    Some((all, idle))
}

/// Everything measured at one moment.
#[derive(Debug, Clone)]
pub(crate) struct CpuSnapshot {
    at: Instant,
    machine: Option<(u64, u64)>,
    /// One per `--pid`, in order.
    pub(crate) nodes: Vec<Option<ProcessSample>>,
    postgres: (u64, usize),
    own: Option<u64>,
}

impl CpuSnapshot {
    pub(crate) fn take(pids: &[u32]) -> Self {
        Self {
            at: Instant::now(),
            machine: machine_ticks(),
            nodes: pids.iter().map(|&pid| process(pid)).collect(),
            postgres: processes_named("postgres"),
            own: std::fs::read_to_string("/proc/self/stat")
                .ok()
                .as_deref()
                .and_then(stat_ticks),
        }
    }
}

/// CPU used between two snapshots, in cores (1.0 = one core busy the whole time) and as a
/// share of the whole machine.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CpuUse {
    pub(crate) cores: f64,
    pub(crate) share: f64,
}

/// Where the CPU went between two snapshots.
#[derive(Debug, Clone, Default)]
pub(crate) struct CpuSplit {
    pub(crate) seconds: f64,
    /// CPUs of the machine (from the ticks it counted over the run).
    pub(crate) cpus: f64,
    /// Each `--pid` (`None`: gone or not readable).
    pub(crate) nodes: Vec<Option<CpuUse>>,
    /// The nodes together.
    pub(crate) errata: CpuUse,
    pub(crate) postgres: CpuUse,
    /// How many `postgres` processes there were at the end.
    pub(crate) postgres_processes: usize,
    pub(crate) load_generator: CpuUse,
    /// Busy time of the machine not accounted to the above (other programs).
    pub(crate) other: CpuUse,
    /// Whether `/proc/stat` was readable: without it no share means anything.
    pub(crate) measured: bool,
}

impl CpuSplit {
    pub(crate) fn between(before: &CpuSnapshot, after: &CpuSnapshot) -> Self {
        let seconds = (after.at - before.at).as_secs_f64().max(1e-6);
        let (Some((all0, idle0)), Some((all1, idle1))) = (before.machine, after.machine) else {
            return Self {
                seconds,
                ..Self::default()
            };
        };
        let all = all1.saturating_sub(all0).max(1) as f64;
        let busy = all - idle1.saturating_sub(idle0) as f64;
        let cpus = all / TICKS_PER_SECOND / seconds;
        let use_of = |ticks: f64| CpuUse {
            cores: ticks / TICKS_PER_SECOND / seconds,
            share: ticks / all,
        };
        let nodes: Vec<Option<CpuUse>> = before
            .nodes
            .iter()
            .zip(&after.nodes)
            .map(|(b, a)| {
                Some(use_of(
                    a.as_ref()?.cpu_ticks.saturating_sub(b.as_ref()?.cpu_ticks) as f64,
                ))
            })
            .collect();
        let errata_ticks: f64 = nodes.iter().flatten().map(|u| u.share * all).sum();
        // Processes that started during the run count from zero; ones that ended are lost.
        let postgres_ticks = after.postgres.0.saturating_sub(before.postgres.0) as f64;
        let own_ticks = match (before.own, after.own) {
            (Some(b), Some(a)) => a.saturating_sub(b) as f64,
            _ => 0.0,
        };
        let other = (busy - errata_ticks - postgres_ticks - own_ticks).max(0.0);
        Self {
            seconds,
            cpus,
            nodes,
            errata: use_of(errata_ticks),
            postgres: use_of(postgres_ticks),
            postgres_processes: after.postgres.1,
            load_generator: use_of(own_ticks),
            other: use_of(other),
            measured: true,
        }
    }
}

/// Samples the RSS of the nodes every 50 ms while the load runs (`VmHWM` covers a
/// process's whole life, this covers the run).
pub(crate) struct PeakRss {
    running: Arc<AtomicBool>,
    peaks: Arc<Vec<AtomicU64>>,
    thread: Option<JoinHandle<()>>,
}

impl PeakRss {
    pub(crate) fn start(pids: &[u32]) -> Self {
        let running = Arc::new(AtomicBool::new(true));
        let peaks: Arc<Vec<AtomicU64>> = Arc::new(pids.iter().map(|_| AtomicU64::new(0)).collect());
        let thread = (!pids.is_empty()).then(|| {
            let (running, peaks, pids) = (running.clone(), peaks.clone(), pids.to_vec());
            std::thread::spawn(move || {
                while running.load(Ordering::Relaxed) {
                    for (pid, peak) in pids.iter().zip(peaks.iter()) {
                        if let Some(sample) = process(*pid) {
                            peak.fetch_max(sample.rss_kib, Ordering::Relaxed);
                        }
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            })
        });
        Self {
            running,
            peaks,
            thread,
        }
    }

    /// Stops sampling: the peak RSS of each node, in KiB.
    pub(crate) fn stop(mut self) -> Vec<u64> {
        self.running.store(false, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.peaks
            .iter()
            .map(|p| p.load(Ordering::Relaxed))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_ticks_reads_utime_and_stime_after_a_command_with_spaces() {
        let stat = "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0";
        assert_eq!(stat_ticks(stat), Some(300));
        assert_eq!(stat_ticks("42 (short"), None);
    }

    #[test]
    fn this_process_and_the_machine_are_measured_on_linux() {
        if !cfg!(target_os = "linux") {
            return;
        }
        let before = CpuSnapshot::take(&[std::process::id()]);
        let spin = Instant::now();
        let mut x = 0u64;
        while spin.elapsed() < Duration::from_millis(200) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let after = CpuSnapshot::take(&[std::process::id()]);
        let split = CpuSplit::between(&before, &after);
        assert!(split.measured);
        assert!(split.cpus >= 0.5, "{split:?}");
        let node = split.nodes[0].expect("this process is readable");
        assert!(node.share > 0.0 && node.share <= 1.0, "{split:?}");
        assert!(after.nodes[0].is_some_and(|s| s.rss_kib > 0));
    }
}
