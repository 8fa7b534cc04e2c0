//! What a run did: rows per table, skipped inputs with reasons, warnings, thumbnails, time.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// An input that was left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skip {
    /// The file (or entry) skipped.
    pub path: PathBuf,
    /// Why it was skipped.
    pub reason: String,
}

/// Collects skips and warnings from every stage of a run; shared across threads.
#[derive(Debug, Default)]
pub struct Recorder {
    inner: Mutex<Recorded>,
}

#[derive(Debug, Default)]
struct Recorded {
    skips: Vec<Skip>,
    warnings: Vec<String>,
}

impl Recorder {
    /// Records a skipped input and logs it.
    pub fn skip(&self, path: PathBuf, reason: String) {
        tracing::warn!(path = %path.display(), %reason, "skipped");
        self.lock().skips.push(Skip { path, reason });
    }

    /// Records a warning and logs it.
    pub fn warn(&self, message: String) {
        tracing::warn!("{message}");
        self.lock().warnings.push(message);
    }

    /// Everything skipped so far.
    pub fn skips(&self) -> Vec<Skip> {
        self.lock().skips.clone()
    }

    /// Every warning so far.
    pub fn warnings(&self) -> Vec<String> {
        self.lock().warnings.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Recorded> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The report a run ends with.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunReport {
    /// Rows written, by table name: the source table and every side stage's table (`thumbnails`…).
    pub rows: BTreeMap<String, u64>,
    /// Inputs left out because a run before this one committed all their rows (not decoded again).
    pub already_present: u64,
    /// Rows not written because their key was already in the table.
    pub rows_present: u64,
    /// Inputs skipped, with reasons.
    pub skipped: Vec<Skip>,
    /// Warnings that did not skip an input (failed thumbnails, index failures).
    pub warnings: Vec<String>,
    /// Wall time of the run.
    #[serde(serialize_with = "secs", deserialize_with = "from_secs")]
    pub elapsed: Duration,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

fn from_secs<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let s = f64::deserialize(d)?;
    Ok(Duration::from_secs_f64(s.max(0.0)))
}

impl RunReport {
    /// Rows written to `table` (0 when none were).
    pub fn rows_in(&self, table: &str) -> u64 {
        self.rows.get(table).copied().unwrap_or(0)
    }

    /// Folds another report (another table of the same manifest) into this one.
    pub fn merge(&mut self, other: RunReport) {
        for (t, n) in other.rows {
            *self.rows.entry(t).or_default() += n;
        }
        self.already_present += other.already_present;
        self.rows_present += other.rows_present;
        self.skipped.extend(other.skipped);
        self.warnings.extend(other.warnings);
        self.elapsed += other.elapsed;
    }
}

impl fmt::Display for RunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (t, n) in &self.rows {
            writeln!(f, "{t}: {n} rows")?;
        }
        if self.already_present > 0 {
            writeln!(
                f,
                "already present: {} inputs (not read again)",
                self.already_present
            )?;
        }
        if self.rows_present > 0 {
            writeln!(
                f,
                "already present: {} rows (not written again)",
                self.rows_present
            )?;
        }
        for s in &self.skipped {
            writeln!(f, "skipped {}: {}", s.path.display(), s.reason)?;
        }
        for w in &self.warnings {
            writeln!(f, "warning: {w}")?;
        }
        write!(f, "elapsed: {:.2}s", self.elapsed.as_secs_f64())
    }
}
