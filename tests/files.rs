//! FILE ingestion of the shared fixtures: per-file rows derived from the data itself (ffprobe, pdfinfo, the
//! chunking rule), playable standalone segments covering each video, thumbnails, and bad files in the report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use lakefeed::arrow::array::{Array, AsArray, RecordBatch};
use lakefeed::arrow::datatypes::Int64Type;
use lakefeed::{Client, IngestData, IngestOptions, IngestResult};
use lakefeed_formats::files::text::{Chunker, decode};
use serde_json::json;

use crate::common::{fixtures, tmp};

fn ingest(client: &Client, table: &str, paths: &[PathBuf]) -> IngestResult {
    let paths: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let data = IngestData::Format {
        name: "files".into(),
        options: json!({ "paths": paths }),
    };
    client
        .ingest(table, data, &IngestOptions::default())
        .expect("files ingest")
}

fn all_rows(client: &Client, table: &str) -> Vec<RecordBatch> {
    client
        .open_table(table)
        .unwrap()
        .batches(1024)
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
}

fn ffprobe(args: &[&str], file: &Path) -> String {
    let out = Command::new("ffprobe")
        .args(["-v", "error"])
        .args(args)
        .arg(file)
        .output()
        .expect("ffprobe (run scripts/setup.sh)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Segments the cut rule gives: a new segment at the first keyframe at or after the next multiple of 10 s.
fn expected_segments(file: &Path) -> usize {
    let duration: Option<f64> = ffprobe(
        &["-show_entries", "format=duration", "-of", "csv=p=0"],
        file,
    )
    .trim()
    .parse()
    .ok();
    if duration.is_none_or(|d| d <= 0.0) {
        return 1;
    }
    let packets = ffprobe(
        &[
            "-select_streams",
            "v:0",
            "-show_entries",
            "packet=pts_time,dts_time,flags",
            "-of",
            "csv=p=0",
        ],
        file,
    );
    let mut origin = None;
    let (mut segments, mut start) = (0, 0.0f64);
    for line in packets.lines() {
        let f: Vec<&str> = line.split(',').collect();
        let Some(t) = f[0].parse::<f64>().ok().or_else(|| f[1].parse().ok()) else {
            continue;
        };
        let origin = *origin.get_or_insert(t);
        let rel = t - origin;
        let boundary = ((start / 10.0).floor() + 1.0) * 10.0;
        if segments == 0 || (f[2].starts_with('K') && rel >= boundary) {
            segments += 1;
            start = rel;
        }
    }
    segments
}

fn pdf_pages(file: &Path) -> usize {
    let out = Command::new("pdfinfo")
        .arg(file)
        .output()
        .expect("pdfinfo (run scripts/setup.sh)");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("page count")
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

#[test]
fn fixture_files_give_the_rows_their_kind_implies() {
    let d = tmp();
    let client = Client::local(d.path()).unwrap();
    let root = fixtures().join("files");
    let r = ingest(&client, "files", std::slice::from_ref(&root));

    // Expected rows per file name, from the data itself.
    let mut expected: BTreeMap<String, usize> = BTreeMap::new();
    let chunker = Chunker::new(1000, 200).unwrap();
    for f in files_under(&root.join("video")) {
        expected.insert(name(&f), expected_segments(&f));
    }
    for f in files_under(&root.join("pdf")) {
        expected.insert(name(&f), pdf_pages(&f));
    }
    for f in files_under(&root.join("image")) {
        expected.insert(name(&f), 1);
    }
    for f in files_under(&root.join("text")) {
        let text = decode(&std::fs::read(&f).unwrap());
        let chunks = chunker.chunks(&text);
        for c in &chunks {
            assert!(c.chars().count() <= 1000);
        }
        // Every non-blank character of the file is in some chunk.
        let covered: usize = text
            .split_whitespace()
            .filter(|w| chunks.iter().any(|c| c.contains(w)))
            .count();
        assert_eq!(covered, text.split_whitespace().count(), "{}", f.display());
        expected.insert(name(&f), chunks.len());
    }
    expected.insert(
        "README.txt".into(),
        chunker
            .chunks(&decode(&std::fs::read(root.join("README.txt")).unwrap()))
            .len(),
    );

    let skipped: Vec<String> = r.report.skipped.iter().map(|s| name(&s.path)).collect();
    for neg in files_under(&root.join("negative")) {
        assert!(
            skipped.contains(&name(&neg)),
            "{} not reported as skipped: {:?}",
            neg.display(),
            r.report.skipped
        );
    }
    assert_eq!(
        skipped.len(),
        3,
        "only the negative files are skipped: {:?}",
        r.report.skipped
    );
    for s in &r.report.skipped {
        assert!(!s.reason.is_empty());
    }

    // Rows per file, grouped by file_id and matched to names through the filename/texts.
    let got = client
        .query(
            "SELECT file_id, count(*) AS n FROM files GROUP BY file_id",
            &[],
        )
        .unwrap()
        .rows()
        .unwrap();
    let total: usize = expected.values().sum();
    assert_eq!(
        r.row_count as usize, total,
        "rows {} vs expected {total}: {expected:?}",
        r.row_count
    );
    assert_eq!(got.len(), expected.len(), "one file_id per ingested file");
    let mut counts: Vec<usize> = got
        .iter()
        .map(|row| row[1].as_u64().unwrap() as usize)
        .collect();
    let mut want: Vec<usize> = expected.values().copied().collect();
    counts.sort();
    want.sort();
    assert_eq!(counts, want);

    // Ids: deterministic, "{file_id}_{n}", and the same on a second ingest into another table.
    let again = ingest(&client, "files2", std::slice::from_ref(&root));
    assert_eq!(again.row_count, r.row_count);
    let ids = |t: &str| {
        client
            .query(&format!("SELECT id FROM {t} ORDER BY id"), &[])
            .unwrap()
            .rows()
            .unwrap()
    };
    assert_eq!(ids("files"), ids("files2"));
}

fn name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn video_segments_play_alone_and_cover_the_video() {
    let d = tmp();
    let client = Client::local(d.path()).unwrap();
    let mut videos = files_under(&fixtures().join("files/video"));
    videos.push(crate::common::repo().join("examples/files/testsrc.mp4"));
    for (i, video) in videos.iter().enumerate() {
        let table = format!("v{i}");
        ingest(&client, &table, std::slice::from_ref(video));
        let duration: f64 = ffprobe(
            &["-show_entries", "format=duration", "-of", "csv=p=0"],
            video,
        )
        .trim()
        .parse()
        .unwrap_or(0.0);
        let mut prev_end: Option<f64> = None;
        let mut n = 0;
        for b in all_rows(&client, &table) {
            let idx = b
                .column_by_name("chunk_index")
                .unwrap()
                .as_primitive::<Int64Type>();
            let start = b
                .column_by_name("start_time")
                .unwrap()
                .as_primitive::<lakefeed::arrow::datatypes::Float64Type>();
            let end = b
                .column_by_name("end_time")
                .unwrap()
                .as_primitive::<lakefeed::arrow::datatypes::Float64Type>();
            let data = b.column_by_name("video_data").unwrap().as_binary::<i32>();
            let thumb = b.column_by_name("thumbnail").unwrap().as_binary::<i32>();
            let text = b.column_by_name("text").unwrap().as_string::<i32>();
            for r in 0..b.num_rows() {
                assert_eq!(idx.value(r), n as i64);
                let seg = d.path().join(format!("seg-{i}-{n}.bin"));
                std::fs::write(&seg, data.value(r)).unwrap();
                let probe = Command::new("ffprobe")
                    .args([
                        "-v",
                        "error",
                        "-show_entries",
                        "stream=codec_type",
                        "-of",
                        "csv=p=0",
                    ])
                    .arg(&seg)
                    .output()
                    .unwrap();
                assert!(
                    probe.status.success()
                        && String::from_utf8_lossy(&probe.stdout).contains("video"),
                    "{} segment {n} does not probe",
                    video.display()
                );
                let decode = Command::new("ffmpeg")
                    .args(["-v", "error", "-i"])
                    .arg(&seg)
                    .args(["-f", "null", "-"])
                    .output()
                    .unwrap();
                assert!(
                    decode.status.success() && decode.stderr.is_empty(),
                    "{} segment {n} does not decode: {}",
                    video.display(),
                    String::from_utf8_lossy(&decode.stderr)
                );
                if duration > 0.0 {
                    let (s, e) = (start.value(r), end.value(r));
                    match prev_end {
                        None => assert_eq!(s, 0.0, "{}", video.display()),
                        Some(pe) => assert!(
                            (s - pe).abs() < 1e-6,
                            "{}: gap between segments {pe} → {s}",
                            video.display()
                        ),
                    }
                    assert!(e > s, "{}: empty segment", video.display());
                    assert_eq!(
                        text.value(r),
                        format!("Video segment {n}: {s:.1}s - {e:.1}s")
                    );
                    prev_end = Some(e);
                }
                if !thumb.is_null(r) {
                    let t = image::load_from_memory(thumb.value(r)).expect("thumbnail is a JPEG");
                    assert!(
                        t.width() <= 320 && t.height() <= 180,
                        "{}x{}",
                        t.width(),
                        t.height()
                    );
                }
                n += 1;
            }
        }
        assert!(n >= 1, "{}: no rows", video.display());
        if let Some(end) = prev_end {
            assert!(
                (end - duration).abs() < 0.6,
                "{}: segments end at {end}, the video lasts {duration}",
                video.display()
            );
        }
    }
}

#[test]
fn large_text_files_stream_into_the_same_chunks() {
    // Several MB of UTF-16 and of UTF-8 with multi-byte characters, so reads split characters and chunks.
    let d = tmp();
    let fixture = decode(&std::fs::read(fixtures().join("files/README.txt")).unwrap());
    let body: String = (0..4000)
        .map(|i| {
            format!(
                "Ünïcode № {i}: {}\n\n",
                fixture.lines().nth(i % 5).unwrap_or("")
            )
        })
        .collect::<String>()
        .repeat(3);
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(body.encode_utf16().flat_map(u16::to_le_bytes));
    let files = [
        ("wide.txt", utf16),
        ("narrow.md", body.clone().into_bytes()),
    ];
    let mut paths = Vec::new();
    for (n, bytes) in &files {
        paths.push(d.path().join(n));
        std::fs::write(d.path().join(n), bytes).unwrap();
    }
    let client = Client::local(d.path().join("store")).unwrap();
    ingest(&client, "big", &paths);
    let expected = Chunker::new(1000, 200).unwrap().chunks(&body);
    assert!(expected.len() > 100);
    let mut got: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
    for b in all_rows(&client, "big") {
        let (ids, idx, text) = (
            b.column_by_name("id").unwrap().as_string::<i32>(),
            b.column_by_name("chunk_index")
                .unwrap()
                .as_primitive::<Int64Type>(),
            b.column_by_name("text").unwrap().as_string::<i32>(),
        );
        for r in 0..b.num_rows() {
            let file_id = ids.value(r).rsplit_once('_').unwrap().0.to_string();
            got.entry(file_id)
                .or_default()
                .push((idx.value(r), text.value(r).to_string()));
        }
    }
    assert_eq!(got.len(), 2);
    for rows in got.values() {
        assert_eq!(rows.len(), expected.len());
        for (i, ((n, t), e)) in rows.iter().zip(&expected).enumerate() {
            assert_eq!((*n, t.as_str()), (i as i64, *e));
        }
    }
}

#[test]
fn kinds_appended_one_after_another_evolve_the_table() {
    let d = tmp();
    let client = Client::local(d.path()).unwrap();
    let root = fixtures().join("files");
    let opts = IngestOptions {
        thumbnails: false,
        ..Default::default()
    };
    let mut rows = 0;
    for kind in ["image", "pdf", "text"] {
        let dir = root.join(kind);
        let r = client
            .ingest("media", IngestData::files([dir.to_str().unwrap()]), &opts)
            .unwrap_or_else(|e| panic!("{kind}: {}", e.chain()));
        assert!(r.row_count > 0, "{kind}");
        rows += r.row_count;
    }
    let t = client.open_table("media").unwrap();
    assert_eq!(t.count().unwrap(), rows);
    let schema = client.store().table_schema("media").unwrap().unwrap();
    for col in ["image", "page_index", "chunk_index", "text"] {
        assert!(
            schema.field_with_name(col).is_ok(),
            "{col} missing: {schema}"
        );
    }
    // The image rows, written before the PDF and text columns existed, read null in them.
    let r = client
        .query(
            "SELECT count(*) AS n FROM media WHERE image IS NOT NULL AND page_index IS NULL AND chunk_index IS NULL",
            &[],
        )
        .unwrap();
    assert_eq!(r.rows().unwrap()[0][0], serde_json::json!(5));
    // A real clash is still refused, with nothing written.
    let clash = IngestData::Columns(vec![("page_index".into(), vec![serde_json::json!("x")])]);
    let e = client.ingest("media", clash, &opts).unwrap_err();
    assert_eq!(e.class(), lakefeed::ErrorClass::Table, "{}", e.chain());
    assert_eq!(t.count().unwrap(), rows);
}
