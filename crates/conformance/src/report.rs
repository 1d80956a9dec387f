//! What a conformance run found: one record per check (passed, failed with the reason, or
//! skipped with why), the notes a check left (a weaker form it fell back to), and how long
//! each took; printed as a readable report by `junction connector check`.

use std::fmt;
use std::time::Duration;

/// A check that found the connector breaking the contract. The message starts with
/// `[<component>] <check>:` and says what was expected and what came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure(pub String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a check that did not fail ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    Passed,
    /// The check could not run, and why (e.g. the subject cannot change records upstream).
    Skipped(String),
}

/// What a check returns.
pub type CheckResult = Result<Done, Failure>;

/// How one check ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed(String),
    Skipped(String),
}

/// One check of a run.
#[derive(Debug, Clone)]
pub struct CheckRecord {
    pub name: &'static str,
    pub outcome: Outcome,
    /// What the check noticed without failing, e.g. that it checked a weaker property.
    pub notes: Vec<String>,
    pub elapsed: Duration,
}

/// Every check of one run, in the order they ran.
#[derive(Debug, Clone)]
pub struct Report {
    pub component: String,
    pub checks: Vec<CheckRecord>,
}

impl Report {
    /// No check failed (skipped ones do not count against it).
    pub fn passed(&self) -> bool {
        self.failures().next().is_none()
    }

    /// The messages of the failed checks.
    pub fn failures(&self) -> impl Iterator<Item = &str> {
        self.checks.iter().filter_map(|c| match &c.outcome {
            Outcome::Failed(message) => Some(message.as_str()),
            _ => None,
        })
    }

    pub(crate) fn record(
        &mut self,
        name: &'static str,
        result: CheckResult,
        notes: Vec<String>,
        elapsed: Duration,
    ) {
        let outcome = match result {
            Ok(Done::Passed) => Outcome::Passed,
            Ok(Done::Skipped(why)) => Outcome::Skipped(why),
            Err(Failure(message)) => Outcome::Failed(message),
        };
        self.checks.push(CheckRecord {
            name,
            outcome,
            notes,
            elapsed,
        });
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "conformance of {}:", self.component)?;
        for check in &self.checks {
            let (mark, detail) = match &check.outcome {
                Outcome::Passed => ("pass", None),
                Outcome::Failed(message) => ("FAIL", Some(message.as_str())),
                Outcome::Skipped(why) => ("skip", Some(why.as_str())),
            };
            writeln!(f, "  {mark}  {:<24} {:>7.1?}", check.name, check.elapsed)?;
            if let Some(detail) = detail {
                writeln!(f, "        {detail}")?;
            }
            for note in &check.notes {
                writeln!(f, "        note: {note}")?;
            }
        }
        let failed = self.failures().count();
        let skipped = self
            .checks
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Skipped(_)))
            .count();
        let passed = self.checks.len() - failed - skipped;
        write!(f, "{passed} passed, {failed} failed, {skipped} skipped")
    }
}

/// Fail the check with a message unless `cond` holds.
macro_rules! ensure {
    ($cond:expr, $($arg:tt)+) => {
        if !$cond {
            return Err($crate::report::Failure(format!($($arg)+)));
        }
    };
}

/// Fail the check unless both sides are equal; the message gets both values.
macro_rules! ensure_eq {
    ($left:expr, $right:expr, $($arg:tt)+) => {{
        let (left, right) = (&$left, &$right);
        if left != right {
            return Err($crate::report::Failure(format!(
                "{}: got {:?}, wanted {:?}",
                format!($($arg)+),
                left,
                right
            )));
        }
    }};
}

/// A failure with a message, as a value (for `map_err` and `ok_or_else`).
macro_rules! failure {
    ($($arg:tt)+) => {
        $crate::report::Failure(format!($($arg)+))
    };
}

pub(crate) use {ensure, ensure_eq, failure};
