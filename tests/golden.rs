//! The SQL dialect as golden files (`tests/sql/*.test`), each run twice, on a local store and through
//! `lakefeed serve`, with the same answers expected of both. `LAKEFEED_UPDATE_GOLDEN=1` rewrites the expected
//! output from the local run (the run through the server must then agree with it).
//!
//! A file is records separated by blank lines. A record is a header line, the SQL (one or more lines),
//! `----`, and the expected answer: the column names joined by ` | ` then one JSON array per row, `ok` for a
//! statement that answers no columns, or `error: <Class>` for one that fails. Headers: `query`, optionally followed by the parameters as a
//! JSON array; `query columns` answers with the column names and the row count only (for plans whose text
//! names paths). Lines starting with `#` outside a record are comments. Every file starts from `docs`: the
//! twelve rows of `examples/rows.jsonl` with an 8-d `embedding`.

use std::path::{Path, PathBuf};

use lakefeed::{Client, IngestData, IngestOptions, WritePath, schema::parse_hints};
use serde_json::Value;

use crate::common::serve::{Server, token};
use crate::common::{repo, tmp};

/// One statement and what it should answer; `text` is the record up to and including `----` (comments kept).
#[derive(Debug)]
struct Record {
    text: String,
    header: String,
    sql: String,
    expected: Vec<String>,
}

/// A file's blocks: records, and blocks of comments only (kept as they are).
fn parse(text: &str) -> Vec<Result<Record, String>> {
    let mut blocks = Vec::new();
    for block in text.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let lines: Vec<&str> = block.trim_matches('\n').lines().collect();
        let Some(start) = lines.iter().position(|l| !l.starts_with('#')) else {
            blocks.push(Err(block.trim_matches('\n').to_string()));
            continue;
        };
        let sep = lines
            .iter()
            .position(|l| *l == "----")
            .unwrap_or_else(|| panic!("no ---- in the record: {block}"));
        blocks.push(Ok(Record {
            text: lines[..=sep].join("\n"),
            header: lines[start].to_string(),
            sql: lines[start + 1..sep].join("\n"),
            expected: lines[sep + 1..].iter().map(|l| l.to_string()).collect(),
        }));
    }
    blocks
}

/// The file with each record's answer in place of what it expected.
fn render(blocks: &[Result<Record, String>], answers: &[Vec<String>]) -> String {
    let mut answers = answers.iter();
    let mut out: Vec<String> = Vec::new();
    for b in blocks {
        match b {
            Ok(r) => out.push(format!(
                "{}\n{}",
                r.text,
                answers.next().unwrap().join("\n")
            )),
            Err(comment) => out.push(comment.clone()),
        }
    }
    out.join("\n\n") + "\n"
}

/// The record's parameters and whether only the columns and row count are compared.
fn header(h: &str) -> (Vec<Value>, bool) {
    let rest = h
        .strip_prefix("query")
        .unwrap_or_else(|| panic!("unknown header: {h}"))
        .trim();
    let (columns_only, rest) = match rest.strip_prefix("columns") {
        Some(r) => (true, r.trim()),
        None => (false, rest),
    };
    let params = if rest.is_empty() {
        Vec::new()
    } else {
        serde_json::from_str(rest).unwrap_or_else(|e| panic!("bad parameters in '{h}': {e}"))
    };
    (params, columns_only)
}

/// What `client` answers to `r`.
fn answer(client: &Client, r: &Record) -> Vec<String> {
    let (params, columns_only) = header(&r.header);
    match client.query(&r.sql, &params) {
        Err(e) => {
            assert!(
                !e.to_string().is_empty(),
                "{}: an error says what is wrong",
                r.sql
            );
            vec![format!("error: {}", e.class().name())]
        }
        Ok(result) if result.columns().is_empty() => vec!["ok".into()],
        Ok(result) => {
            let mut out = vec![result.columns().join(" | ")];
            if columns_only {
                out.push(format!("{} rows", result.row_count()));
            } else {
                for row in result.rows().unwrap() {
                    out.push(serde_json::to_string(&row).unwrap());
                }
            }
            out
        }
    }
}

/// The table every file starts from.
fn setup(client: &Client) {
    let opts = IngestOptions {
        schema: parse_hints([("embedding", "EMBEDDING(8)")]).unwrap(),
        ..Default::default()
    };
    client
        .ingest(
            "docs",
            IngestData::rows_file(repo().join("examples/rows.jsonl")),
            &opts,
        )
        .unwrap();
}

fn files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join("tests/sql"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "test"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    files
}

fn run_file(path: &Path, server: &Server) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let blocks = parse(&text);
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    let d = tmp();
    let local = Client::local(d.path()).unwrap();
    let remote = Client::managed_with(
        &token("golden", serde_json::json!({})),
        &name,
        Some(&server.url),
        WritePath::Arrow,
    )
    .unwrap();
    setup(&local);
    setup(&remote);
    let mut failures = Vec::new();
    let mut answers = Vec::new();
    for r in blocks.iter().filter_map(|b| b.as_ref().ok()) {
        let here = answer(&local, r);
        let there = answer(&remote, r);
        if here != there {
            failures.push(format!(
                "{name}: `{}` answers differently through the server:\nlocal:  {here:?}\nserver: {there:?}",
                r.sql
            ));
        }
        if here != r.expected && std::env::var_os("LAKEFEED_UPDATE_GOLDEN").is_none() {
            failures.push(format!(
                "{name}: `{}`\nexpected: {:?}\ngot:      {here:?}",
                r.sql, r.expected
            ));
        }
        answers.push(here);
    }
    if std::env::var_os("LAKEFEED_UPDATE_GOLDEN").is_some() {
        std::fs::write(path, render(&blocks, &answers)).unwrap();
    }
    failures
}

#[test]
fn the_dialect_answers_as_the_golden_files_say_locally_and_through_serve() {
    let root = tmp();
    let server = Server::start(root.path(), &[]);
    let failures: Vec<String> = files().iter().flat_map(|f| run_file(f, &server)).collect();
    assert!(
        failures.is_empty(),
        "{}\n(after a deliberate change: LAKEFEED_UPDATE_GOLDEN=1 cargo test golden)",
        failures.join("\n\n")
    );
}
