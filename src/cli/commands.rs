//! Running each subcommand.

use std::io::Write;

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};

use crate::manifest::{self, Plan};
use crate::store::{Store, store_dir};
use crate::{
    Client, IngestData, IngestJob, IngestOptions, WriteMode, find_format, formats, schema,
};

use super::args::{Cli, Command, IngestArgs, Mode, QueryArgs};
use super::{output, progress};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let store = cli.store.as_deref();
    match cli.command {
        Command::Formats { name } => list_formats(name.as_deref()),
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
        Command::Run { manifest } => {
            let plan = Plan::load(&manifest)?;
            let store = Store::local(store_dir(store, plan.store_dir()))?;
            let bar = progress::bar(None);
            let report = plan.run(&store, bar.as_ref().map(progress::callback));
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            writeln!(std::io::stdout().lock(), "{}", report?)?;
            Ok(())
        }
        Command::Ingest(args) => ingest(&client(store)?, args),
        Command::Query(args) => query(&client(store)?, args),
        Command::Tables => {
            let mut out = std::io::stdout().lock();
            for t in client(store)?.list_tables()? {
                writeln!(out, "{t}")?;
            }
            Ok(())
        }
        Command::Drop { table, if_exists } => Ok(client(store)?.drop_table(&table, if_exists)?),
        Command::Index { table, column } => Ok(client(store)?.create_index(&table, &column)?),
        Command::Optimize { table } => Ok(client(store)?.optimize(&table)?),
    }
}

/// A client over the store `--store`/`LAKEFEED_STORE` names, else the default.
fn client(store: Option<&std::path::Path>) -> Result<Client> {
    Ok(Client::local(store_dir(store, None))?)
}

fn list_formats(name: Option<&str>) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match name {
        None => {
            for d in formats() {
                writeln!(out, "{:<16} {}", d.name, d.description)?;
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

fn ingest(client: &Client, args: IngestArgs) -> Result<()> {
    let hints = schema::parse_hints(
        args.schema
            .iter()
            .map(|s| split_pair(s, "--schema"))
            .collect::<Result<Vec<_>>>()?,
    )?;
    let data = if let Some(path) = &args.rows {
        IngestData::rows_file(path)
    } else if let Some(name) = &args.format {
        let mut options = Map::new();
        for opt in &args.opts {
            let (k, v) = split_pair(opt, "--opt")?;
            options.insert(k.to_string(), parse_value(v));
        }
        IngestData::Format {
            name: name.clone(),
            options: Value::Object(options),
        }
    } else if !args.paths.is_empty() {
        IngestData::files(&args.paths)
    } else {
        bail!("nothing to ingest: give PATH…, --rows FILE or --format NAME");
    };
    let mut job = IngestJob::new(&args.table, data).options(IngestOptions {
        schema: hints,
        index: args.index,
        mode: match args.mode {
            Mode::Append => WriteMode::Append,
            Mode::Overwrite => WriteMode::Overwrite,
            Mode::Upsert => WriteMode::Upsert,
        },
        key: (!args.key.is_empty()).then_some(args.key),
        ..Default::default()
    });
    job.build()?;
    let bar = progress::bar(job.estimated_rows());
    job.ingest_options_mut().on_progress = bar.as_ref().map(progress::callback);
    let result = client.run(job);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let result = result?;
    writeln!(std::io::stdout().lock(), "{}", result.report)?;
    Ok(())
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
