//! Which shard this process is: `--shard I/N`, or the environment a scheduler sets.

use lakefeed_core::{Error, Result};

/// Shard `index` (0-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, 0-based.
    pub index: u32,
    /// How many shards the run has.
    pub count: u32,
}

/// The environment variable giving the shard count where the scheduler sets none (a Kubernetes Indexed Job).
pub const COUNT_ENV: &str = "LAKEFEED_SHARDS";

impl Shard {
    /// A checked shard: `count` ≥ 1 and `index` < `count`.
    pub fn new(index: u32, count: u32) -> Result<Self> {
        if count == 0 || index >= count {
            return Err(Error::Ingest(format!(
                "shard {index}/{count} does not exist: the index runs from 0 to the count - 1"
            )));
        }
        Ok(Self { index, count })
    }

    /// Parses `I/N` (`--shard 3/8`).
    pub fn parse(text: &str) -> Result<Self> {
        let bad = || {
            Error::Ingest(format!(
                "--shard takes INDEX/COUNT (e.g. 0/4), got '{text}'"
            ))
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        Self::new(
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        )
    }

    /// The shard a scheduler's environment names, read through `var`: Slurm job arrays
    /// (`SLURM_ARRAY_TASK_ID` − `SLURM_ARRAY_TASK_MIN` of `SLURM_ARRAY_TASK_COUNT`), Kubernetes Indexed Jobs
    /// (`JOB_COMPLETION_INDEX` of [`COUNT_ENV`], which the Job sets itself), and torch-style launchers
    /// (`RANK` of `WORLD_SIZE`). `None` when none is set.
    pub fn from_env_with(var: impl Fn(&str) -> Option<String>) -> Result<Option<Self>> {
        let num = |name: &str| -> Result<Option<u32>> {
            match var(name).filter(|v| !v.trim().is_empty()) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| Error::Ingest(format!("{name}={v} is not a shard number"))),
            }
        };
        if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
            let count = num("SLURM_ARRAY_TASK_COUNT")?.ok_or_else(|| {
                Error::Ingest("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not".into())
            })?;
            let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let step = num("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
            return Self::new(id.saturating_sub(min) / step, count).map(Some);
        }
        if let Some(index) = num("JOB_COMPLETION_INDEX")? {
            let count = num(COUNT_ENV)?.ok_or_else(|| {
                Error::Ingest(format!(
                    "JOB_COMPLETION_INDEX is set but the shard count is not: set {COUNT_ENV} to the Job's \
                     completions (or pass --shard I/N)"
                ))
            })?;
            return Self::new(index, count).map(Some);
        }
        if let (Some(rank), Some(size)) = (num("RANK")?, num("WORLD_SIZE")?) {
            return Self::new(rank, size).map(Some);
        }
        Ok(None)
    }

    /// [`Shard::from_env_with`] over the process environment.
    pub fn from_env() -> Result<Option<Self>> {
        Self::from_env_with(|k| std::env::var(k).ok())
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn parses_flags_and_scheduler_environments() {
        assert_eq!(Shard::parse("3/8").unwrap(), Shard { index: 3, count: 8 });
        assert!(Shard::parse("8/8").is_err());
        assert!(Shard::parse("x").is_err());
        let slurm = env(&[
            ("SLURM_ARRAY_TASK_ID", "12"),
            ("SLURM_ARRAY_TASK_MIN", "10"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ]);
        assert_eq!(
            Shard::from_env_with(slurm).unwrap(),
            Some(Shard { index: 2, count: 4 })
        );
        let k8s = env(&[("JOB_COMPLETION_INDEX", "1"), (COUNT_ENV, "4")]);
        assert_eq!(
            Shard::from_env_with(k8s).unwrap(),
            Some(Shard { index: 1, count: 4 })
        );
        let e = Shard::from_env_with(env(&[("JOB_COMPLETION_INDEX", "1")])).unwrap_err();
        assert!(e.to_string().contains(COUNT_ENV), "{e}");
        let torch = env(&[("RANK", "0"), ("WORLD_SIZE", "2")]);
        assert_eq!(
            Shard::from_env_with(torch).unwrap(),
            Some(Shard { index: 0, count: 2 })
        );
        assert_eq!(Shard::from_env_with(env(&[])).unwrap(), None);
    }
}
