//! Reading the manifest: one record per CSV row or JSONL line, with its line number for error messages.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;

use lakefeed_core::serde_json::{self, Value};
use lakefeed_core::{Error, Result};

/// One manifest record: its line and its fields (CSV cells as strings, JSON values as they are).
#[derive(Debug, Clone)]
pub struct Record {
    /// 1-based line in the manifest.
    pub line: usize,
    /// Field → value.
    pub fields: BTreeMap<String, Value>,
}

impl Record {
    /// The field `name` as text (numbers and lists as JSON), if present and not empty.
    pub fn text(&self, name: &str) -> Option<String> {
        match self.fields.get(name)? {
            Value::Null => None,
            Value::String(s) if s.trim().is_empty() => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }

    /// The field `name` as numbers: a JSON list, or a string of numbers separated by spaces, commas or `;`
    /// (a JSON list written into a CSV cell works too).
    pub fn numbers(&self, name: &str, manifest: &Path) -> Result<Option<Vec<f32>>> {
        let bad =
            |why: String| Error::bad_source(manifest, format!("line {}: {name}: {why}", self.line));
        let values: Vec<Value> = match self.fields.get(name) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Array(a)) => a.clone(),
            Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
            Some(Value::String(s)) => {
                let t = s.trim().trim_start_matches('[').trim_end_matches(']');
                t.split([' ', ',', ';'])
                    .filter(|p| !p.is_empty())
                    .map(|p| {
                        p.parse::<f64>()
                            .map(Value::from)
                            .map_err(|_| bad(format!("'{p}' is not a number")))
                    })
                    .collect::<Result<_>>()?
            }
            Some(other) => return Err(bad(format!("expected numbers, got {other}"))),
        };
        values
            .iter()
            .map(|v| {
                v.as_f64()
                    .map(|f| f as f32)
                    .ok_or_else(|| bad(format!("{v} is not a number")))
            })
            .collect::<Result<Vec<f32>>>()
            .map(Some)
    }
}

/// Every record of a `.csv` (with a header row) or `.jsonl`/`.ndjson` manifest.
pub fn read(manifest: &Path) -> Result<Vec<Record>> {
    let is_csv = manifest
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if is_csv {
        read_csv(manifest)
    } else {
        read_jsonl(manifest)
    }
}

fn read_csv(manifest: &Path) -> Result<Vec<Record>> {
    let mut reader =
        csv::Reader::from_path(manifest).map_err(|e| Error::bad_source(manifest, e.to_string()))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| Error::bad_source(manifest, e.to_string()))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut out = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| Error::bad_source(manifest, e.to_string()))?;
        let line = row.position().map_or(0, |p| p.line() as usize);
        let fields = header
            .iter()
            .cloned()
            .zip(row.iter().map(|c| Value::String(c.to_string())))
            .collect();
        out.push(Record { line, fields });
    }
    Ok(out)
}

fn read_jsonl(manifest: &Path) -> Result<Vec<Record>> {
    let file = std::fs::File::open(manifest).map_err(|e| Error::from_io(manifest, &e))?;
    let mut out = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| Error::from_io(manifest, &e))?;
        if line.trim().is_empty() {
            continue;
        }
        let value: Value = serde_json::from_str(&line)
            .map_err(|e| Error::bad_source(manifest, format!("line {}: not JSON: {e}", i + 1)))?;
        let Value::Object(map) = value else {
            return Err(Error::bad_source(
                manifest,
                format!("line {}: not a JSON object", i + 1),
            ));
        };
        out.push(Record {
            line: i + 1,
            fields: map.into_iter().collect(),
        });
    }
    Ok(out)
}
