//! Where a benchmark run's CPU time went, read from Linux's `/proc`: the machine's busy time
//! (`/proc/stat`), the server's own time (`/proc/<pid>/stat`) and the load generator's (the
//! time of this process's finished children, `/proc/self/stat`). Whatever is busy but neither
//! the server nor the load generator is the database and the rest of the machine (its backends,
//! the kernel's network work done outside a process, background services).

use anyhow::{Context, Result};
use std::process::Command;
use std::sync::OnceLock;

/// CPU time per operation of one run, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct CpuPerOperation {
    /// The AME server process (0 for a pgbench run).
    pub(crate) server_us: f64,
    /// The load generator (wrk or pgbench).
    pub(crate) load_us: f64,
    /// Everything else that was busy: the database, kernel work outside a process, others.
    pub(crate) rest_us: f64,
    /// Share of the machine's CPU left idle during the run, 0–1.
    pub(crate) idle_share: f64,
}

impl CpuPerOperation {
    /// All three parts together.
    pub(crate) fn total_us(&self) -> f64 {
        self.server_us + self.load_us + self.rest_us
    }
}

/// Counters read at one instant, in clock ticks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CpuSnapshot {
    busy: u64,
    idle: u64,
    children: u64,
    server: u64,
}

impl CpuSnapshot {
    /// Reads the counters now; `server` is the AME process, if one is measured.
    pub(crate) fn take(server: Option<u32>) -> Result<Self> {
        let (busy, idle) = machine_ticks()?;
        let own = process_fields("/proc/self/stat")?;
        let server = match server {
            Some(pid) => {
                let fields = process_fields(&format!("/proc/{pid}/stat"))?;
                field(&fields, 14)? + field(&fields, 15)?
            }
            None => 0,
        };
        Ok(Self {
            busy,
            idle,
            children: field(&own, 16)? + field(&own, 17)?,
            server,
        })
    }

    /// The CPU per operation between `self` and `later`, over `operations` operations.
    pub(crate) fn per_operation(&self, later: &Self, operations: f64) -> CpuPerOperation {
        let to_us =
            |ticks: u64| ticks as f64 * 1e6 / clock_ticks_per_second() / operations.max(1.0);
        let busy = later.busy.saturating_sub(self.busy);
        let idle = later.idle.saturating_sub(self.idle);
        let server = later.server.saturating_sub(self.server);
        let load = later.children.saturating_sub(self.children);
        CpuPerOperation {
            server_us: to_us(server),
            load_us: to_us(load),
            rest_us: to_us(busy.saturating_sub(server + load)),
            idle_share: idle as f64 / (busy + idle).max(1) as f64,
        }
    }
}

/// Busy and idle ticks of all CPUs (`/proc/stat`'s `cpu` line; iowait counts as idle).
fn machine_ticks() -> Result<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").context("reading /proc/stat")?;
    let line = stat.lines().next().context("empty /proc/stat")?;
    parse_machine_line(line)
}

fn parse_machine_line(line: &str) -> Result<(u64, u64)> {
    let values: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .context("reading the cpu line of /proc/stat")?;
    anyhow::ensure!(values.len() >= 8, "short cpu line in /proc/stat: {line}");
    // user nice system idle iowait irq softirq steal
    let busy = values[0] + values[1] + values[2] + values[5] + values[6] + values[7];
    let idle = values[3] + values[4];
    Ok((busy, idle))
}

/// The fields of a `/proc/<pid>/stat` file after the command name, numbered as in `proc(5)`.
fn process_fields(path: &str) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    parse_process_stat(&text).with_context(|| format!("reading {path}"))
}

fn parse_process_stat(text: &str) -> Result<Vec<String>> {
    // The command name (field 2) is in parentheses and may hold spaces; fields 3… follow it.
    // Index 0 is unused, so that index n holds field n.
    let after_name = text.rfind(')').context("no command name")?;
    let mut fields = vec![String::new(); 3];
    fields.extend(text[after_name + 1..].split_whitespace().map(str::to_owned));
    Ok(fields)
}

fn field(fields: &[String], number: usize) -> Result<u64> {
    fields
        .get(number)
        .with_context(|| format!("no field {number}"))?
        .parse()
        .with_context(|| format!("field {number} is not a number"))
}

/// `getconf CLK_TCK`: the unit of the `/proc` counters (100 on every common Linux).
fn clock_ticks_per_second() -> f64 {
    static TICKS: OnceLock<f64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_line_splits_busy_from_idle() {
        let (busy, idle) =
            parse_machine_line("cpu  100 5 50 1000 20 3 7 2 0 0").expect("a valid line");
        assert_eq!(busy, 100 + 5 + 50 + 3 + 7 + 2);
        assert_eq!(idle, 1000 + 20);
        assert!(parse_machine_line("cpu 1 2").is_err());
    }

    #[test]
    fn process_fields_survive_spaces_in_the_name() {
        let fields = parse_process_stat("42 (ame serve) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15")
            .expect("a valid stat line");
        assert_eq!(fields[3], "S");
        assert_eq!(field(&fields, 14).unwrap(), 11);
        assert_eq!(field(&fields, 17).unwrap(), 14);
        assert!(field(&fields, 40).is_err());
    }

    #[test]
    fn per_operation_splits_the_busy_time() {
        let before = CpuSnapshot {
            busy: 1_000,
            idle: 500,
            children: 10,
            server: 20,
        };
        let after = CpuSnapshot {
            busy: 1_000 + 180,
            idle: 500 + 20,
            children: 10 + 10,
            server: 20 + 50,
        };
        let cpu = before.per_operation(&after, 1_000.0);
        let tick_us = 1e6 / clock_ticks_per_second() / 1_000.0;
        assert!((cpu.server_us - 50.0 * tick_us).abs() < 1e-9);
        assert!((cpu.load_us - 10.0 * tick_us).abs() < 1e-9);
        assert!((cpu.rest_us - 120.0 * tick_us).abs() < 1e-9);
        assert!((cpu.idle_share - 0.1).abs() < 1e-9);
        assert!((cpu.total_us() - 180.0 * tick_us).abs() < 1e-9);
    }
}
