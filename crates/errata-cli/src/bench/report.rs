//! What `errata bench ingest` prints at the end of a run (requests, accepted and processed
//! events/s, latency percentiles, each node's memory and CPU, where the machine's CPU
//! went, bytes stored per event with the events table's share), and the same figures as
//! one JSON object for scripts that compare setups.

use std::collections::BTreeMap;
use std::time::Duration;

use errata_store::StorageUsage;
use serde_json::{Value, json};

use super::cpu::{CpuSplit, CpuUse, ProcessSample};
use super::load::{WorkerStats, percentile};

/// Everything one run measured.
pub(crate) struct Report<'a> {
    pub(crate) rate: Option<f64>,
    pub(crate) nodes: usize,
    pub(crate) stats: &'a [WorkerStats],
    /// How long the load ran.
    pub(crate) sent: Duration,
    /// Events counted as stored, and when the count reached the accepted ones.
    pub(crate) processed: Option<(u64, Duration)>,
    /// How processed events were counted.
    pub(crate) counted: Option<&'static str>,
    pub(crate) pids: &'a [u32],
    pub(crate) idle: &'a [Option<ProcessSample>],
    pub(crate) after: &'a [Option<ProcessSample>],
    pub(crate) peak_rss_kib: &'a [u64],
    pub(crate) cpu: CpuSplit,
    /// How much the store grew over the run.
    pub(crate) storage: Option<StorageUsage>,
    pub(crate) slow_ms: Option<u64>,
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

impl Report<'_> {
    fn accepted(&self) -> u64 {
        self.stats.iter().map(|s| s.accepted).sum()
    }

    fn json_bytes(&self) -> u64 {
        self.stats.iter().map(|s| s.accepted_json_bytes).sum()
    }

    fn statuses(&self) -> BTreeMap<u16, u64> {
        let mut statuses = BTreeMap::new();
        for s in self.stats {
            for (status, n) in &s.statuses {
                *statuses.entry(*status).or_insert(0u64) += n;
            }
        }
        statuses
    }

    fn transport_errors(&self) -> u64 {
        self.stats.iter().map(|s| s.transport_errors).sum()
    }

    fn latencies(&self) -> Vec<u32> {
        let mut latencies: Vec<u32> = self
            .stats
            .iter()
            .flat_map(|s| s.latencies_us.iter().copied())
            .collect();
        latencies.sort_unstable();
        latencies
    }

    fn accepted_per_second(&self) -> f64 {
        self.accepted() as f64 / self.sent.as_secs_f64()
    }

    fn processed_per_second(&self) -> Option<f64> {
        self.processed
            .map(|(n, at)| n as f64 / at.as_secs_f64().max(1e-6))
    }

    /// A storage figure divided by the accepted events.
    fn per_event(&self, bytes: u64) -> Option<f64> {
        let accepted = self.accepted();
        (accepted > 0).then(|| bytes as f64 / accepted as f64)
    }

    #[allow(clippy::print_stdout, reason = "the command's output")]
    pub(crate) fn print(&self) {
        let secs = self.sent.as_secs_f64();
        let statuses = self.statuses();
        let total: u64 = statuses.values().sum();
        let accepted = self.accepted();
        println!(
            "requests:     {total} answered, statuses {statuses:?}, {} transport errors",
            self.transport_errors()
        );
        if let Some(e) = self.stats.iter().find_map(|s| s.last_error.as_ref()) {
            println!("last error:   {e}");
        }
        println!(
            "accepted:     {accepted} events in {secs:.2} s = {:.0} events/s",
            self.accepted_per_second()
        );
        if let Some(slow_ms) = self.slow_ms {
            self.print_slow(slow_ms);
        }
        match (self.processed, self.processed_per_second()) {
            (Some((n, at)), Some(rate)) => println!(
                "processed:    {n} events {} {:.2} s after the start = {rate:.0} events/s",
                self.counted.unwrap_or_default(),
                at.as_secs_f64(),
            ),
            _ => println!("processed:    n/a (pass --token, --database-url or --data-dir)"),
        }
        let latencies = self.latencies();
        println!(
            "latency:      p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({})",
            percentile(&latencies, 50.0),
            percentile(&latencies, 90.0),
            percentile(&latencies, 99.0),
            percentile(&latencies, 100.0),
            if self.rate.is_some() {
                "from the scheduled send time"
            } else {
                "closed loop"
            }
        );
        self.print_nodes();
        self.print_cpu();
        self.print_storage();
    }

    #[allow(clippy::print_stdout, reason = "the command's output")]
    fn print_slow(&self, slow_ms: u64) {
        let mut windows: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
        for (at, millis) in self.stats.iter().flat_map(|s| s.slow.iter()) {
            let window = windows.entry(at / 500).or_default();
            window.0 += 1;
            window.1 = window.1.max(*millis);
        }
        println!("slow (> {slow_ms} ms) answers by when they were sent:");
        for (window, (count, max)) in windows.iter().take(60) {
            println!("  {:6.1} s: {count:6} (max {max} ms)", *window as f64 / 2.0);
        }
    }

    #[allow(clippy::print_stdout, reason = "the command's output")]
    fn print_nodes(&self) {
        if self.pids.is_empty() {
            println!("server:       n/a (pass --pid)");
            return;
        }
        for (i, pid) in self.pids.iter().enumerate() {
            let cpu = self.cpu.nodes.get(i).copied().flatten();
            match (
                self.idle.get(i).copied().flatten(),
                self.after.get(i).copied().flatten(),
                cpu,
            ) {
                (Some(idle), Some(after), Some(cpu)) => println!(
                    "server {pid}: RSS {:.1} MiB before, peak sampled {:.1} MiB, VmHWM {:.1} MiB (since start), {:.1} MiB after; CPU {:.1} s = {:.2} cores",
                    mib(idle.rss_kib),
                    mib(self.peak_rss_kib.get(i).copied().unwrap_or_default()),
                    mib(after.hwm_kib),
                    mib(after.rss_kib),
                    cpu.cores * self.cpu.seconds,
                    cpu.cores,
                ),
                _ => println!("server {pid}: n/a (not readable in /proc)"),
            }
        }
    }

    #[allow(clippy::print_stdout, reason = "the command's output")]
    fn print_cpu(&self) {
        let cpu = &self.cpu;
        if !cpu.measured {
            println!("cpu:          n/a (no /proc/stat)");
            return;
        }
        let part = |name: &str, u: CpuUse| {
            format!("{name} {:.2} cores ({:.0}%)", u.cores, 100.0 * u.share)
        };
        println!(
            "cpu:          of {:.1} CPUs over {:.2} s: {}, {} in {} processes, {}, {}",
            cpu.cpus,
            cpu.seconds,
            part("Errata", cpu.errata),
            part("PostgreSQL", cpu.postgres),
            cpu.postgres_processes,
            part("load generator", cpu.load_generator),
            part("other programs", cpu.other),
        );
    }

    #[allow(clippy::print_stdout, reason = "the command's output")]
    fn print_storage(&self) {
        let accepted = self.accepted();
        let Some(grown) = self.storage.filter(|_| accepted > 0) else {
            println!("disk:         n/a (pass --database-url or --data-dir)");
            return;
        };
        let json_bytes = self.json_bytes();
        let per = |bytes: u64| self.per_event(bytes).unwrap_or_default();
        println!(
            "disk:         {:.0} B per event on disk vs {:.0} B of raw event JSON = {:.1}%",
            per(grown.total_bytes),
            per(json_bytes),
            100.0 * grown.total_bytes as f64 / json_bytes.max(1) as f64
        );
        println!(
            "events table: {:.0} B per event (of which {:.0} B out of line), its indexes {:.0} B per event, the rest {:.0} B",
            per(grown.events_bytes),
            per(grown.events_out_of_line_bytes),
            per(grown.events_index_bytes),
            per(grown
                .total_bytes
                .saturating_sub(grown.events_bytes + grown.events_index_bytes)),
        );
    }

    /// The figures as one JSON object (absent figures are `null`).
    pub(crate) fn summary(&self) -> Value {
        let latencies = self.latencies();
        let statuses = self.statuses();
        let cpu = &self.cpu;
        let share = |u: CpuUse| cpu.measured.then_some(u.share);
        let cores = |u: CpuUse| cpu.measured.then_some(u.cores);
        let storage = self.storage.map(|g| {
            json!({
                "total_bytes": g.total_bytes,
                "bytes_per_event": self.per_event(g.total_bytes),
                "events_bytes_per_event": self.per_event(g.events_bytes),
                "events_out_of_line_bytes_per_event": self.per_event(g.events_out_of_line_bytes),
                "events_index_bytes_per_event": self.per_event(g.events_index_bytes),
            })
        });
        json!({
            "nodes": self.nodes,
            "seconds": self.sent.as_secs_f64(),
            "answered": statuses.values().sum::<u64>(),
            "not_accepted": statuses.iter().filter(|(s, _)| **s != 200).map(|(_, n)| n).sum::<u64>(),
            "transport_errors": self.transport_errors(),
            "accepted": self.accepted(),
            "accepted_per_second": self.accepted_per_second(),
            "processed": self.processed.map(|(n, _)| n),
            "processed_per_second": self.processed_per_second(),
            "raw_json_bytes_per_event": self.per_event(self.json_bytes()),
            "p50_ms": percentile(&latencies, 50.0),
            "p90_ms": percentile(&latencies, 90.0),
            "p99_ms": percentile(&latencies, 99.0),
            "max_ms": percentile(&latencies, 100.0),
            "cpu_seconds": cpu.seconds,
            "cpus": cpu.measured.then_some(cpu.cpus),
            "errata_cpu_share": share(cpu.errata),
            "errata_cores": cores(cpu.errata),
            "postgres_cpu_share": share(cpu.postgres),
            "postgres_cores": cores(cpu.postgres),
            "load_generator_cpu_share": share(cpu.load_generator),
            "other_cpu_share": share(cpu.other),
            "peak_rss_kib": self.peak_rss_kib,
            "storage": storage,
        })
    }
}
