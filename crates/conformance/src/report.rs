//! What a run found: one outcome per case, and the side-by-side table of two runs.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::time::Duration;

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The case's name.
    pub case: String,
    /// Why it failed (the whole error chain), or `None` when it passed.
    pub error: Option<String>,
    /// How long it took, clean-up included.
    pub elapsed: Duration,
}

/// Every outcome of one run against one target.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The target's name.
    pub target: String,
    /// In the order the cases ran.
    pub outcomes: Vec<Outcome>,
    /// The cases not run because the target lacks a service they need (Neutron).
    pub skipped: Vec<String>,
}

impl Report {
    /// Whether every case passed.
    pub fn passed(&self) -> bool {
        self.outcomes.iter().all(|o| o.error.is_none())
    }

    /// The failed cases, one paragraph each (empty when all passed).
    pub fn failures(&self) -> String {
        let mut out = String::new();
        for outcome in &self.outcomes {
            if let Some(error) = &outcome.error {
                let _ = writeln!(out, "{} on {}: {error}\n", outcome.case, self.target);
            }
        }
        out
    }

    /// How long the whole run took.
    pub fn elapsed(&self) -> Duration {
        self.outcomes.iter().map(|o| o.elapsed).sum()
    }

    fn outcome(&self, case: &str) -> Option<&Outcome> {
        self.outcomes.iter().find(|o| o.case == case)
    }
}

/// A markdown table `case | <first> | <second> | ...`, one row per case in the order of the
/// first report, with `ok` or `FAIL` and the time taken (`skipped` where the target lacks a
/// service the case needs).
pub fn table(reports: &[&Report]) -> String {
    let mut out = String::from("| case |");
    for report in reports {
        let _ = write!(out, " {} |", report.target);
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(reports.len()));
    out.push('\n');
    let mut seen = BTreeSet::new();
    let names = reports
        .iter()
        .flat_map(|r| {
            r.outcomes
                .iter()
                .map(|o| o.case.as_str())
                .chain(r.skipped.iter().map(String::as_str))
        })
        .filter(|name| seen.insert(*name));
    for name in names {
        let _ = write!(out, "| {name} |");
        for report in reports {
            let cell = match report.outcome(name) {
                Some(o) if o.error.is_none() => format!("ok ({:.2} s)", o.elapsed.as_secs_f64()),
                Some(o) => format!("FAIL ({:.2} s)", o.elapsed.as_secs_f64()),
                None if report.skipped.iter().any(|s| s == name) => "skipped".to_owned(),
                None => "not run".to_owned(),
            };
            let _ = write!(out, " {cell} |");
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(target: &str, outcomes: &[(&str, Option<&str>)]) -> Report {
        Report {
            target: target.into(),
            outcomes: outcomes
                .iter()
                .map(|(case, error)| Outcome {
                    case: (*case).into(),
                    error: error.map(str::to_owned),
                    elapsed: Duration::from_millis(250),
                })
                .collect(),
            skipped: Vec::new(),
        }
    }

    #[test]
    fn the_table_puts_targets_side_by_side() {
        let real = report("real", &[("a", None), ("b", Some("boom"))]);
        let mut mock = report("mock", &[("a", None), ("c", None)]);
        let mut real = real;
        real.skipped.push("c".into());
        mock.skipped.push("d".into());
        assert_eq!(
            table(&[&real, &mock]),
            "| case | real | mock |\n|---|---|---|\n\
             | a | ok (0.25 s) | ok (0.25 s) |\n\
             | b | FAIL (0.25 s) | not run |\n\
             | c | skipped | ok (0.25 s) |\n\
             | d | not run | skipped |\n"
        );
        assert!(!real.passed());
        assert!(mock.passed());
        assert_eq!(real.failures(), "b on real: boom\n\n");
    }
}
