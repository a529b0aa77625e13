//! Wall-clock time per stage of `cargo xtask test`, printed at the end so a slow CI run
//! shows where its minutes went.

use std::time::{Duration, Instant};

/// Laps of named stages since the clock started.
pub struct StageClock {
    started: Instant,
    last: Instant,
    laps: Vec<(String, Duration)>,
}

impl StageClock {
    /// Starts the clock now.
    pub fn start() -> Self {
        let now = Instant::now();
        Self {
            started: now,
            last: now,
            laps: Vec::new(),
        }
    }

    /// Ends the current stage under `name` and starts the next one.
    pub fn lap(&mut self, name: &str) {
        let now = Instant::now();
        self.laps.push((name.to_owned(), now - self.last));
        self.last = now;
    }

    /// One line per finished stage and the total, in seconds.
    pub fn report(&self) -> String {
        let mut lines = vec!["==> stage times".to_owned()];
        for (name, took) in &self.laps {
            lines.push(format!("{:>7.0} s  {name}", took.as_secs_f64()));
        }
        lines.push(format!(
            "{:>7.0} s  total",
            self.started.elapsed().as_secs_f64()
        ));
        lines.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::StageClock;

    #[test]
    fn the_report_names_every_lap_and_a_total() {
        let mut clock = StageClock::start();
        clock.lap("first");
        clock.lap("second");
        let report = clock.report();
        let lines: Vec<&str> = report.lines().collect();
        assert_eq!(lines.len(), 4, "{report}");
        assert!(lines[1].ends_with("s  first"), "{report}");
        assert!(lines[2].ends_with("s  second"), "{report}");
        assert!(lines[3].ends_with("s  total"), "{report}");
    }
}
