//! Running each subcommand.

use std::io::Write;

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};

use crate::backend::{StorageOptions, Target, store_location};
use crate::blocking::Store;
use crate::manifest::{self, Plan};
use crate::shard::{self, Shard};
use crate::store::Location;
use crate::{
    Client, IngestData, IngestJob, IngestOptions, WriteMode, find_format, find_group,
    format_groups, formats, schema,
};

use super::args::{Cli, Command, IngestArgs, Mode, QueryArgs, ServeArgs};
use super::{output, progress};
use crate::server::{self, ServeConfig, Verifier};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let store = cli.store.as_deref();
    let (api_url, workspace) = (cli.api_url.as_deref(), cli.workspace.as_str());
    let options = storage_options(&cli.storage_options)?;
    let target = |from_manifest: Option<String>| {
        Target::choose(store, api_url, workspace, from_manifest)
            .with_storage_options(options.clone())
    };
    let client = || Client::open(&target(None));
    match cli.command {
        Command::Serve(_) | Command::View { .. } if api_url.is_some() => {
            bail!("serve and view work on a store; drop --api-url (and DEEPLAKE_API_URL)")
        }
        Command::Formats { name } => list_formats(name.as_deref()),
        Command::Serve(args) => serve(
            Location::new(&store_location(store, None), options.clone())?,
            args,
        ),
        Command::View { listen } => {
            let store = Location::new(&store_location(store, None), options.clone())?;
            server::view(store, listen, |addr| {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "viewer on http://{addr}/view/");
                let _ = out.flush();
            })?;
            Ok(())
        }
        Command::Token(args) => {
            let token =
                server::auth::sign(&args.jwt_secret, &args.org, &args.workspaces, args.hours)?;
            writeln!(std::io::stdout().lock(), "{token}")?;
            Ok(())
        }
        Command::ManifestSchema => {
            writeln!(
                std::io::stdout().lock(),
                "{}",
                serde_json::to_string_pretty(&manifest::json_schema())?
            )?;
            Ok(())
        }
        Command::Validate { manifest } => {
            let plan = Plan::load(&manifest)?;
            let tables = plan.build_all()?;
            writeln!(
                std::io::stdout().lock(),
                "{}: ok ({} tables)",
                manifest.display(),
                tables.len()
            )?;
            Ok(())
        }
        Command::Run {
            manifest,
            shard,
            run_id,
            ..
        } if shard.is_some() || (run_id.is_none() && Shard::from_env()?.is_some()) => {
            let shard = match shard {
                Some(s) => Shard::parse(&s)?,
                None => Shard::from_env()?.context("no shard")?,
            };
            let plan = Plan::load(&manifest)?;
            let target = target(plan.store_location());
            let (store, loc) = (Store::open(&target)?, lance_location(&target)?);
            let run = shard::run_id(&plan, shard.count, run_id.as_deref())?;
            let rec = shard::stage(&plan, &store, &loc, shard, &run)?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", rec.report)?;
            writeln!(
                out,
                "staged shard {shard} of run {run}; when every shard has run: lakefeed commit {} --shards {}",
                manifest.display(),
                shard.count
            )?;
            Ok(())
        }
        Command::Commit {
            manifest,
            shards,
            run_id,
            allow_missing,
        } => {
            let plan = Plan::load(&manifest)?;
            let target = target(plan.store_location());
            let (store, loc) = (Store::open(&target)?, lance_location(&target)?);
            let run = shard::run_id(&plan, shards, run_id.as_deref())?;
            let report = shard::commit(&plan, &store, &loc, &run, shards, allow_missing)?;
            writeln!(std::io::stdout().lock(), "{report}committed run {run}")?;
            Ok(())
        }
        Command::Run {
            manifest,
            only,
            fail_fast,
            ..
        } => {
            let plan = Plan::load(&manifest)?;
            let store = Store::open(&target(plan.store_location()))?;
            let bar = progress::bar(None);
            let outcome = plan.run(
                &store,
                bar.as_ref().map(progress::callback),
                &only,
                fail_fast,
            );
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            let outcome = outcome?;
            writeln!(std::io::stdout().lock(), "{}", outcome.report)?;
            let mut err = std::io::stderr().lock();
            for (_, e) in &outcome.failed {
                // The error's context names the manifest line and the table.
                writeln!(err, "error: {}: {}", e.class().name(), e.chain())?;
            }
            if !outcome.failed.is_empty() {
                bail!(
                    "{} table(s) failed: {}",
                    outcome.failed.len(),
                    outcome
                        .failed
                        .iter()
                        .map(|(t, _)| t.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            Ok(())
        }
        Command::Ingest(args) => ingest(&client()?, args),
        Command::Query(args) => query(&client()?, args),
        Command::Tables => {
            let tables = client()?.list_tables()?;
            let mut out = std::io::stdout().lock();
            for t in tables {
                writeln!(out, "{t}")?;
            }
            Ok(())
        }
        Command::Drop { table, if_exists } => Ok(client()?.drop_table(&table, if_exists)?),
        Command::Index { table, column } => Ok(client()?.create_index(&table, &column)?),
        Command::Optimize { table } => Ok(client()?.optimize(&table)?),
    }
}

fn list_formats(name: Option<&str>) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match name {
        None => {
            for d in formats() {
                writeln!(out, "{:<16} {}", d.name, d.description)?;
            }
            for g in format_groups() {
                writeln!(
                    out,
                    "{:<16} (group, with --prefix) {}",
                    g.name, g.description
                )?;
            }
        }
        Some(name) if find_group(name).is_some() => {
            let g = find_group(name).context("group")?;
            writeln!(
                out,
                "{}: {}

tables:",
                g.name, g.description
            )?;
            for (suffix, format) in g.members {
                writeln!(out, "  {{prefix}}_{suffix:<10} format {format}")?;
            }
        }
        Some(name) => {
            let d = find_format(name)?;
            writeln!(
                out,
                "{}: {}\n\nexample options: {}\n\noptions schema:",
                d.name, d.description, d.example
            )?;
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&(d.options_schema)())?
            )?;
        }
    }
    Ok(())
}

/// `--storage-option key=value` pairs.
fn storage_options(pairs: &[String]) -> Result<StorageOptions> {
    pairs
        .iter()
        .map(|p| match p.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
            _ => bail!("--storage-option takes KEY=VALUE, got '{p}'"),
        })
        .collect()
}

/// The Lance store a sharded run or commit writes to (a service cannot stage rows).
fn lance_location(target: &Target) -> Result<Location> {
    match target {
        Target::Lance { location, options } => Ok(Location::new(location, options.clone())?),
        Target::Service(_) => bail!(
            "sharded runs write to a Lance store (a directory or an object-store URI), not to a service;              drop --api-url"
        ),
    }
}

/// `serve`: the REST API over the stores under `root`.
fn serve(root: Location, args: ServeArgs) -> Result<()> {
    let verifier = match (&args.jwt_secret, &args.jwt_public_key) {
        (Some(secret), None) => Verifier::secret(secret)?,
        (None, Some(pem)) => Verifier::public_key(pem)?,
        _ => bail!("serve needs --jwt-secret (or LAKEFEED_JWT_SECRET) or --jwt-public-key FILE"),
    };
    let mut config = ServeConfig::new(root, args.listen, verifier);
    config.max_body_bytes = args.max_body_mb << 20;
    config.max_result_rows = args.max_result_rows;
    config.query_timeout = std::time::Duration::from_secs(args.query_timeout_s);
    server::serve(config, |addr| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on http://{addr}");
        let _ = out.flush();
    })?;
    Ok(())
}

/// `--opt key=value` pairs as a JSON object.
fn format_options(opts: &[String]) -> Result<Map<String, Value>> {
    let mut options = Map::new();
    for opt in opts {
        let (k, v) = split_pair(opt, "--opt")?;
        options.insert(k.to_string(), parse_value(v));
    }
    Ok(options)
}

fn write_mode(mode: Mode) -> WriteMode {
    match mode {
        Mode::Append => WriteMode::Append,
        Mode::Overwrite => WriteMode::Overwrite,
        Mode::Upsert => WriteMode::Upsert,
    }
}

/// Runs a built job with a progress bar and prints its report.
fn run_job(client: &Client, mut job: IngestJob) -> Result<()> {
    job.build()?;
    let bar = progress::bar(job.estimated_rows());
    job.ingest_options_mut().on_progress = bar.as_ref().map(progress::callback);
    let result = client.run(job);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    writeln!(std::io::stdout().lock(), "{}", result?.report)?;
    Ok(())
}

/// `ingest --format GROUP SOURCE --prefix P`: each of the group's tables in turn; one failing does not stop the
/// others, and the command fails if any did.
fn ingest_group(client: &Client, args: IngestArgs, prefix: &str) -> Result<()> {
    let name = args.format.as_deref().context("--prefix needs --format")?;
    let Some(group) = find_group(name) else {
        bail!(
            "--prefix needs a format group ({}); '{name}' is a single format: give its TABLE without --prefix",
            format_groups()
                .iter()
                .map(|g| g.name)
                .collect::<Vec<_>>()
                .join(", ")
        );
    };
    let tables = group.expand(prefix, &args.table, &format_options(&args.opts)?)?;
    let mut failed = Vec::new();
    for t in tables {
        let data = IngestData::Format {
            name: t.format.to_string(),
            options: t.options,
        };
        let job = IngestJob::new(&t.table, data).options(IngestOptions {
            mode: write_mode(args.mode),
            ..Default::default()
        });
        if let Err(e) = run_job(client, job) {
            writeln!(std::io::stderr().lock(), "{}: failed: {e:#}", t.table)?;
            failed.push(t.table);
        }
    }
    if !failed.is_empty() {
        bail!(
            "{} of {} failed: {}",
            failed.len(),
            group.members.len(),
            failed.join(", ")
        );
    }
    Ok(())
}

fn ingest(client: &Client, args: IngestArgs) -> Result<()> {
    if let Some(prefix) = args.prefix.clone() {
        return ingest_group(client, args, &prefix);
    }
    let hints = schema::parse_hints(
        args.schema
            .iter()
            .map(|s| split_pair(s, "--schema"))
            .collect::<Result<Vec<_>>>()?,
    )?;
    let data = if let Some(path) = &args.rows {
        IngestData::rows_file(path)
    } else if let Some(name) = &args.format {
        IngestData::Format {
            name: name.clone(),
            options: Value::Object(format_options(&args.opts)?),
        }
    } else if !args.paths.is_empty() {
        IngestData::files(&args.paths)
    } else {
        bail!("nothing to ingest: give PATH…, --rows FILE or --format NAME");
    };
    let job = IngestJob::new(&args.table, data).options(IngestOptions {
        schema: hints,
        index: args.index,
        mode: write_mode(args.mode),
        key: (!args.key.is_empty()).then_some(args.key),
        ..Default::default()
    });
    run_job(client, job)
}

fn query(client: &Client, args: QueryArgs) -> Result<()> {
    let params: Vec<Value> = args.params.iter().map(|p| parse_value(p)).collect();
    let result = client.query(&args.sql, &params)?;
    output::print(&result, args.output).context("writing the result")
}

/// `key=value` → (key, value).
fn split_pair<'a>(s: &'a str, flag: &str) -> Result<(&'a str, &'a str)> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim(), v.trim())),
        _ => bail!("{flag} takes KEY=VALUE, got '{s}'"),
    }
}

/// A command-line value: JSON when it parses (numbers, vectors, quoted strings, booleans), else plain text.
pub fn parse_value(s: &str) -> Value {
    serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_string()))
}
