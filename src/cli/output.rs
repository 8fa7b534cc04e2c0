//! Printing query results as a table, JSON or CSV.

use std::io::Write;

use anyhow::Result;
use arrow::array::{Array, ArrayRef};
use arrow::datatypes::DataType;
use lakefeed_core::QueryResult;
use lakefeed_core::query::json_value;
use serde_json::Value;

use super::args::Output;

/// Widest cell shown in table output; longer values are cut with "…".
const MAX_CELL: usize = 60;

/// Writes `result` to stdout in the chosen format.
pub fn print(result: &QueryResult, format: Output) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        Output::Json => {
            serde_json::to_writer_pretty(&mut out, &result.records()?)?;
            writeln!(out)?;
        }
        Output::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record(result.columns())?;
            for row in result.rows()? {
                w.write_record(row.iter().map(plain))?;
            }
            w.flush()?;
        }
        Output::Table => write_table(&mut out, result)?,
    }
    Ok(())
}

fn plain(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn cell(col: &ArrayRef, row: usize) -> Result<String> {
    if col.is_null(row) {
        return Ok("NULL".into());
    }
    Ok(match col.data_type() {
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => {
            let size = json_value(col, row)?
                .as_str()
                .map_or(0, |s| s.len().saturating_sub(2) / 2);
            format!("<{size} bytes>")
        }
        _ => {
            // One line per row: line breaks inside a value are shown as spaces.
            let s = plain(&json_value(col, row)?).replace(['\n', '\r'], " ");
            if s.chars().count() > MAX_CELL {
                format!("{}…", s.chars().take(MAX_CELL - 1).collect::<String>())
            } else {
                s
            }
        }
    })
}

fn write_table(out: &mut impl Write, result: &QueryResult) -> Result<()> {
    let header = result.columns();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for b in result.batches() {
        for r in 0..b.num_rows() {
            rows.push(
                b.columns()
                    .iter()
                    .map(|c| cell(c, r))
                    .collect::<Result<_>>()?,
            );
        }
    }
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| -> String {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join(" | ")
            .trim_end()
            .to_string()
    };
    writeln!(out, "{}", line(&header))?;
    writeln!(
        out,
        "{}",
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("-+-")
    )?;
    for row in &rows {
        writeln!(out, "{}", line(row))?;
    }
    writeln!(
        out,
        "({} row{})",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    )?;
    Ok(())
}
