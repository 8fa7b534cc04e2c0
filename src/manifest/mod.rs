//! YAML manifests: a target store, defaults, and the tables to build. Parsed in two stages: the raw
//! document (unknown keys rejected with line and column), then a plan checked against the registry, with
//! `${ENV}` interpolation and paths relative to the manifest's folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::{DefaultMessageFormatter, MessageFormatter, Spanned};

use lakefeed_core::format::unknown_format;
use lakefeed_core::schema::parse_hints;
use lakefeed_core::{
    Error, FormatEnv, Result, ResultExt, RunReport, did_you_mean, find_format, validate_table_name,
};

mod check;
mod schema;

pub use schema::json_schema;

use crate::blocking::Store;
use crate::job::{IngestData, IngestJob};
use crate::options::{IngestOptions, ProgressFn, WriteMode};

/// A manifest document.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Manifest format version; must be 1.
    pub version: u32,
    /// The store: a directory (relative to the manifest) or an object-store URI (`s3://bucket/prefix`);
    /// `--store` and `LAKEFEED_STORE` win.
    #[serde(default)]
    pub store: Option<String>,
    /// Settings every table inherits.
    #[serde(default)]
    pub defaults: Defaults,
    /// The tables to build, in order.
    pub tables: Vec<TableSpec>,
}

/// Settings tables inherit unless they set their own.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// `append` (default), `overwrite` or `upsert`.
    #[serde(default)]
    pub mode: Option<WriteMode>,
    /// Make thumbnails of IMAGE columns (default true).
    #[serde(default)]
    pub thumbnails: Option<bool>,
}

/// One table to build.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// Table name.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// A registered format (`lakefeed formats` lists them).
    #[schemars(with = "String")]
    pub format: Spanned<String>,
    /// The format's own options (see `lakefeed formats NAME`), each with where it is written.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub options: BTreeMap<String, Spanned<serde_json::Value>>,
    /// Column type hints, e.g. `embedding: EMBEDDING(384)`.
    #[serde(default)]
    pub schema: BTreeMap<String, String>,
    /// Columns to index after writing.
    #[serde(default)]
    pub index: Vec<String>,
    /// `append`, `overwrite` or `upsert` (default from `defaults`).
    #[serde(default)]
    pub mode: Option<WriteMode>,
    /// Columns identifying a row: rows whose key is present are not written again (`upsert`: replaced).
    /// Formats with row ids are keyed by `id` without it.
    #[serde(default)]
    pub key: Option<Vec<String>>,
    /// Make thumbnails of IMAGE columns.
    #[serde(default)]
    pub thumbnails: Option<bool>,
}

/// A manifest read from a file, ready to run.
#[derive(Debug)]
pub struct Plan {
    /// The manifest file.
    pub path: PathBuf,
    /// The parsed document.
    pub manifest: Manifest,
}

/// Replaces `${NAME}` with the environment variable's value (`$${` stays a literal `${`). A variable that is
/// not set is an error naming the line.
pub fn interpolate(text: &str, file: &Path) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let mut rest = line;
        while let Some(i) = rest.find("${") {
            if rest[..i].ends_with('$') {
                out.push_str(&rest[..i - 1]);
                out.push_str("${");
                rest = &rest[i + 2..];
                continue;
            }
            out.push_str(&rest[..i]);
            let Some(end) = rest[i..].find('}') else {
                return Err(Error::Ingest(format!(
                    "{}:{}:{}: unclosed ${{ (line {})",
                    file.display(),
                    n + 1,
                    line.len() - rest.len() + i + 1,
                    n + 1
                )));
            };
            let name = &rest[i + 2..i + end];
            let column = line.len() - rest.len() + i + 1;
            let value = std::env::var(name).map_err(|_| {
                Error::Ingest(format!(
                    "{}:{}:{column}: environment variable {name} is not set (line {})",
                    file.display(),
                    n + 1,
                    n + 1
                ))
            })?;
            out.push_str(&value);
            rest = &rest[i + end + 1..];
        }
        out.push_str(rest);
    }
    Ok(out)
}

impl Plan {
    /// Reads and checks a manifest: syntax, known keys, version, known formats, table names, type hints.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let raw = std::fs::read_to_string(&path).map_err(|e| Error::from_io(&path, &e))?;
        let text = interpolate(&raw, &path)?;
        let manifest: Manifest =
            serde_saphyr::from_str(&text).map_err(|e| yaml_error(&path, &e))?;
        let at = |loc: &serde_saphyr::Location| {
            format!("{}:{}:{}", path.display(), loc.line(), loc.column())
        };
        if manifest.version != 1 {
            return Err(Error::Ingest(format!(
                "{}: version {} is not supported; use version: 1",
                path.display(),
                manifest.version
            )));
        }
        let mut seen = std::collections::HashSet::new();
        for t in &manifest.tables {
            let table_at = || format!("{}: table '{}'", at(&t.name.referenced), t.name.value);
            validate_table_name(&t.name.value).context(at(&t.name.referenced))?;
            if !seen.insert(t.name.value.clone()) {
                return Err(Error::Ingest(format!(
                    "{}: table '{}' is listed twice",
                    at(&t.name.referenced),
                    t.name.value
                )));
            }
            if find_format(&t.format.value).is_err() {
                return Err(Error::Ingest(unknown_format(&t.format.value))
                    .context(at(&t.format.referenced)));
            }
            t.hints().with_context(table_at)?;
            check::check_options(
                &path,
                &t.name.value,
                &t.format.value,
                &t.format.referenced,
                &t.options,
            )?;
        }
        Ok(Self { path, manifest })
    }

    /// The folder relative paths are resolved against.
    pub fn base_dir(&self) -> PathBuf {
        self.path
            .parent()
            .map(Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// The store the manifest names: an object-store URI as written, a directory resolved against the
    /// manifest's folder.
    pub fn store_location(&self) -> Option<String> {
        self.manifest.store.as_ref().map(|s| {
            if crate::uri::is_uri(s) {
                s.clone()
            } else {
                FormatEnv::new(self.base_dir())
                    .resolve(s)
                    .to_string_lossy()
                    .into_owned()
            }
        })
    }

    /// Every table as an ingest job, in order (not built yet).
    pub fn jobs(&self) -> Result<Vec<IngestJob>> {
        let defaults = &self.manifest.defaults;
        self.manifest
            .tables
            .iter()
            .map(|t| {
                let options = IngestOptions {
                    schema: t.hints()?,
                    index: t.index.clone(),
                    mode: t.mode.or(defaults.mode).unwrap_or_default(),
                    key: t.key.clone(),
                    thumbnails: t.thumbnails.or(defaults.thumbnails).unwrap_or(true),
                    ..Default::default()
                };
                let format_options: serde_json::Map<String, serde_json::Value> = t
                    .options
                    .iter()
                    .map(|(k, v)| (k.clone(), v.value.clone()))
                    .collect();
                let data = IngestData::Format {
                    name: t.format.value.clone(),
                    options: serde_json::Value::Object(format_options),
                };
                Ok(IngestJob::new(t.name.value.clone(), data)
                    .options(options)
                    .base_dir(self.base_dir())
                    .context(format!(
                        "{}:{}: table '{}'",
                        self.path.display(),
                        t.name.referenced.line(),
                        t.name.value
                    )))
            })
            .collect()
    }

    /// Builds every table's format without running it: checks options, hints and that sources exist.
    pub fn build_all(&self) -> Result<Vec<IngestJob>> {
        let mut jobs = self.jobs()?;
        for job in &mut jobs {
            job.build()?;
        }
        Ok(jobs)
    }

    /// Runs the tables (all, or those named in `only`) in order into `store`, merging their reports. A table
    /// that fails is recorded and the others still run; with `fail_fast` every table is built (checked) before
    /// any is written, and the first failure stops the run.
    pub fn run(
        &self,
        store: &Store,
        progress: Option<ProgressFn>,
        only: &[String],
        fail_fast: bool,
    ) -> Result<RunOutcome> {
        let names: Vec<&str> = self
            .manifest
            .tables
            .iter()
            .map(|t| t.name.value.as_str())
            .collect();
        for o in only {
            if !names.contains(&o.as_str()) {
                return Err(Error::Ingest(format!(
                    "{}: no table '{o}'{}",
                    self.path.display(),
                    did_you_mean(o, names.iter().copied())
                )));
            }
        }
        let mut jobs = self.jobs()?;
        jobs.retain(|j| only.is_empty() || only.iter().any(|o| o == j.table()));
        if fail_fast {
            for job in &mut jobs {
                job.build()?;
            }
        }
        let mut out = RunOutcome::default();
        for mut job in jobs {
            let table = job.table().to_string();
            job.ingest_options_mut().on_progress = progress.clone();
            tracing::info!(table = %table, "ingesting");
            match job.run(store) {
                Ok(r) => out.report.merge(r.report),
                Err(e) => {
                    out.failed.push((table, e));
                    if fail_fast {
                        break;
                    }
                }
            }
        }
        Ok(out)
    }
}

/// What a manifest run did: the tables' merged report, and the tables that failed with why.
#[derive(Debug, Default)]
pub struct RunOutcome {
    /// The merged report of the tables that ran.
    pub report: RunReport,
    /// Each failed table and its error.
    pub failed: Vec<(String, Error)>,
}

impl TableSpec {
    /// The table's `schema:` as hints.
    pub fn hints(&self) -> Result<lakefeed_core::Hints> {
        parse_hints(self.schema.iter().map(|(c, ty)| (c.as_str(), ty.as_str())))
    }
}

/// A YAML or schema error as `file:line:column: message, did you mean 'x'?`, read from the parser's error
/// structure (its message without location, the unknown field and the fields expected), not from its text.
fn yaml_error(path: &Path, e: &serde_saphyr::Error) -> Error {
    let inner = innermost(e);
    let at = e
        .location()
        .map(|l| format!("{}:{}:{}", path.display(), l.line(), l.column()))
        .unwrap_or_else(|| path.display().to_string());
    let message = DefaultMessageFormatter.format_message(inner);
    let hint = match inner {
        serde_saphyr::Error::SerdeUnknownField {
            field, expected, ..
        } => did_you_mean(field, expected.iter().copied()),
        _ => String::new(),
    };
    Error::Ingest(format!("{at}: {message}{hint}"))
}

/// The parser's own error under its snippet and alias wrappers.
fn innermost(e: &serde_saphyr::Error) -> &serde_saphyr::Error {
    match e {
        serde_saphyr::Error::WithSnippet { error, .. }
        | serde_saphyr::Error::AliasError { error, .. } => innermost(error),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolates_env_and_escapes() {
        // SAFETY: tests in this module do not read this variable concurrently.
        unsafe { std::env::set_var("LAKEFEED_TEST_DIR", "/data") };
        let out = interpolate(
            "a: ${LAKEFEED_TEST_DIR}/x\nb: $${literal}\n",
            Path::new("m.yaml"),
        )
        .unwrap();
        assert_eq!(out, "a: /data/x\nb: ${literal}\n");
        let e = interpolate(
            "x: 1\ny: ${LAKEFEED_NOT_SET_ANYWHERE}\n",
            Path::new("m.yaml"),
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("line 2") && e.to_string().contains("LAKEFEED_NOT_SET_ANYWHERE"),
            "{e}"
        );
    }
}
