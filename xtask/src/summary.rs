//! Counting test results per backend from `cargo test` output.

/// Passed and failed tests of one group.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Tests that passed.
    pub passed: usize,
    /// Tests that failed.
    pub failed: usize,
}

/// Test results, grouped by the backend module they ran in.
#[derive(Debug, Default)]
pub struct Counts {
    /// Tests under a `sqlite::` module.
    pub sqlite: Tally,
    /// Tests under a `postgres::` module.
    pub postgres: Tally,
    /// Every other test (pure logic, no database).
    pub other: Tally,
    /// Failed tests in all groups.
    pub failed: usize,
}

impl Counts {
    /// Records one line of `cargo test` output if it reports a test result.
    pub fn record(&mut self, line: &str) {
        let Some(rest) = line.strip_prefix("test ") else {
            return;
        };
        let Some((name, outcome)) = rest.rsplit_once(" ... ") else {
            return;
        };
        let passed = match outcome.trim() {
            "ok" => true,
            "FAILED" => false,
            _ => return,
        };
        let group = if name.starts_with("sqlite::") || name.contains("::sqlite::") {
            &mut self.sqlite
        } else if name.starts_with("postgres::") || name.contains("::postgres::") {
            &mut self.postgres
        } else {
            &mut self.other
        };
        if passed {
            group.passed += 1;
        } else {
            group.failed += 1;
            self.failed += 1;
        }
    }

    /// The one-line summary printed at the end of `cargo xtask test`.
    pub fn summary_line(&self, postgres_address: &str, success: bool) -> String {
        let passed = self.sqlite.passed + self.postgres.passed + self.other.passed;
        format!(
            "xtask test {}: {passed} passed, {} failed — SQLite {} passed, PostgreSQL ({postgres_address}) {} passed, backend-independent {} passed",
            if success && self.failed == 0 {
                "OK"
            } else {
                "FAILED"
            },
            self.failed,
            self.sqlite.passed,
            self.postgres.passed,
            self.other.passed,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_backend_module() {
        let mut counts = Counts::default();
        for line in [
            "test sqlite::deletes_cascade ... ok",
            "test postgres::deletes_cascade ... ok",
            "test postgres::pagination ... FAILED",
            "test lifecycle::tests::every_pair_follows_the_table ... ok",
            "test result: ok. 3 passed; 0 failed",
            "test campaign::tests::something ... ignored",
            "running 4 tests",
        ] {
            counts.record(line);
        }
        assert_eq!(
            counts.sqlite,
            Tally {
                passed: 1,
                failed: 0
            }
        );
        assert_eq!(
            counts.postgres,
            Tally {
                passed: 1,
                failed: 1
            }
        );
        assert_eq!(
            counts.other,
            Tally {
                passed: 1,
                failed: 0
            }
        );
        assert_eq!(counts.failed, 1);
        let line = counts.summary_line("127.0.0.1:5432", true);
        assert!(
            line.starts_with("xtask test FAILED: 3 passed, 1 failed"),
            "{line}"
        );
        assert!(
            line.contains("SQLite 1 passed")
                && line.contains("PostgreSQL (127.0.0.1:5432) 1 passed")
        );
    }
}
