//! Running each subcommand.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use lakefeed_core::manifest::{self, Plan};
use lakefeed_core::rows::RowsFile;
use lakefeed_core::{
    Client, Format, FormatEnv, IngestOptions, WriteMode, build_format, find_format, formats, schema,
};
use serde_json::{Map, Value};

use super::args::{Cli, Command, IngestArgs, Mode, QueryArgs};
use super::{output, progress};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let default_store = || {
        cli.store
            .clone()
            .unwrap_or_else(|| PathBuf::from(lakefeed_core::client::DEFAULT_STORE))
    };
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
            let store = cli
                .store
                .clone()
                .or_else(|| plan.store_dir())
                .unwrap_or_else(default_store);
            let client = Client::local(&store)?;
            let bar = progress::bar(None);
            let report = plan.run(&client, bar.as_ref().map(progress::callback));
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            writeln!(std::io::stdout().lock(), "{}", report?)?;
            Ok(())
        }
        command => {
            let client = Client::local(default_store())?;
            match command {
                Command::Ingest(args) => ingest(&client, args),
                Command::Query(args) => query(&client, args),
                Command::Tables => {
                    let mut out = std::io::stdout().lock();
                    for t in client.list_tables()? {
                        writeln!(out, "{t}")?;
                    }
                    Ok(())
                }
                Command::Drop { table, if_exists } => Ok(client.drop_table(&table, if_exists)?),
                Command::Index { table, column } => Ok(client.create_index(&table, &column)?),
                Command::Formats { .. }
                | Command::ManifestSchema
                | Command::Validate { .. }
                | Command::Run { .. } => {
                    unreachable!("handled above")
                }
            }
        }
    }
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
    let env = FormatEnv::default();
    let format: Box<dyn Format> = if let Some(path) = &args.rows {
        Box::new(RowsFile::open(path, &hints)?)
    } else if let Some(name) = &args.format {
        let mut options = Map::new();
        for opt in &args.opts {
            let (k, v) = split_pair(opt, "--opt")?;
            options.insert(k.to_string(), parse_value(v));
        }
        build_format(name, Value::Object(options), &env)?
    } else if !args.paths.is_empty() {
        build_format("files", serde_json::json!({ "paths": args.paths }), &env)?
    } else {
        bail!("nothing to ingest: give PATH…, --rows FILE or --format NAME");
    };
    let bar = progress::bar(format.estimated_rows());
    let opts = IngestOptions {
        schema: hints,
        index: args.index,
        mode: match args.mode {
            Mode::Append => WriteMode::Append,
            Mode::Overwrite => WriteMode::Overwrite,
        },
        on_progress: bar.as_ref().map(progress::callback),
        ..Default::default()
    };
    let result = client.ingest_format(&args.table, format, &opts);
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
