//! Bad files are skipped with a reason in the report while the other files of the same run land; never a panic.

use lakefeed::{Client, IngestData, IngestOptions};
use serde_json::json;

use crate::common::{fixtures, tmp};

#[test]
fn bad_files_are_skipped_with_reasons_and_the_rest_lands() {
    let d = tmp();
    let dir = d.path().join("in");
    std::fs::create_dir_all(&dir).unwrap();
    let good_png =
        std::fs::read(fixtures().join("files/image/hf-datasets_test_image_rgba.png")).unwrap();
    let good_jpg =
        std::fs::read(fixtures().join("files/image/hf-datasets_test_image_rgb.jpg")).unwrap();
    std::fs::write(dir.join("empty.jpg"), b"").unwrap();
    std::fs::write(dir.join("empty.mp4"), b"").unwrap();
    std::fs::write(dir.join("truncated.png"), &good_png[..good_png.len() / 2]).unwrap();
    std::fs::write(dir.join("truncated.jpg"), &good_jpg[..good_jpg.len() / 2]).unwrap();
    std::fs::write(
        dir.join("really_text.jpg"),
        b"this is not an image at all\n",
    )
    .unwrap();
    std::fs::write(dir.join("fine.png"), &good_png).unwrap();
    std::fs::write(dir.join("notes.txt"), "Some words that land fine.").unwrap();
    for neg in [
        "file-type_fixture-isom_no_moov.mp4",
        "py-pdf-sample-files_libreoffice-writer-password_encrypted.pdf",
        "file-type_fixture2_truncated.mkv",
    ] {
        std::fs::copy(fixtures().join("files/negative").join(neg), dir.join(neg)).unwrap();
    }
    let client = Client::local(d.path().join("s")).unwrap();
    let r = client
        .ingest(
            "t",
            IngestData::Format {
                name: "files".into(),
                options: json!({"paths": [dir]}),
            },
            &IngestOptions::default(),
        )
        .unwrap();
    let reasons: std::collections::BTreeMap<String, String> = r
        .report
        .skipped
        .iter()
        .map(|s| {
            (
                s.path.file_name().unwrap().to_string_lossy().into_owned(),
                s.reason.clone(),
            )
        })
        .collect();
    let expect = [
        ("empty.jpg", "empty"),
        ("empty.mp4", "cannot open video"),
        ("truncated.png", "truncated"),
        ("truncated.jpg", "truncated"),
        ("really_text.jpg", "not an image"),
        ("file-type_fixture-isom_no_moov.mp4", "cannot open video"),
        (
            "py-pdf-sample-files_libreoffice-writer-password_encrypted.pdf",
            "password",
        ),
        ("file-type_fixture2_truncated.mkv", "truncated"),
    ];
    for (file, why) in expect {
        let reason = reasons
            .get(file)
            .unwrap_or_else(|| panic!("{file} not skipped: {reasons:?}"));
        assert!(reason.contains(why), "{file}: {reason}");
    }
    assert_eq!(reasons.len(), expect.len(), "{reasons:?}");
    assert_eq!(r.row_count, 2, "fine.png and notes.txt land");
    let rows = client
        .query("SELECT text FROM t ORDER BY text", &[])
        .unwrap()
        .rows()
        .unwrap();
    assert_eq!(
        rows,
        vec![
            vec![json!("Image: fine.png")],
            vec![json!("Some words that land fine.")]
        ]
    );
    // A missing named path is an error before any row.
    let e = client
        .ingest(
            "u",
            IngestData::Format {
                name: "files".into(),
                options: json!({"paths": ["/no/such/dir"]}),
            },
            &IngestOptions::default(),
        )
        .unwrap_err();
    assert!(
        e.to_string().contains("File not found: /no/such/dir"),
        "{e}"
    );
    assert!(!client.list_tables().unwrap().contains(&"u".to_string()));
}

/// The CRC-32 PNG chunks carry (over chunk type and data).
fn png_crc(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A small, well-formed PNG whose header declares `w`×`h` pixels (a decompression bomb's shape).
fn png_declaring(w: u32, h: u32) -> Vec<u8> {
    let mut png = Vec::new();
    image_crate_png(&mut png);
    // IHDR: length (8..12), "IHDR" (12..16), width (16..20), height (20..24), …, CRC (29..33).
    png[16..20].copy_from_slice(&w.to_be_bytes());
    png[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = png_crc(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

fn image_crate_png(out: &mut Vec<u8>) {
    image::RgbImage::new(8, 8)
        .write_to(&mut std::io::Cursor::new(out), image::ImageFormat::Png)
        .unwrap();
}

#[test]
fn an_image_declaring_too_many_pixels_lands_without_being_decoded() {
    let d = tmp();
    let dir = d.path().join("in");
    std::fs::create_dir_all(&dir).unwrap();
    let bomb = png_declaring(40_000, 40_000);
    std::fs::write(dir.join("bomb.png"), &bomb).unwrap();
    let client = Client::local(d.path().join("s")).unwrap();
    let r = client
        .ingest(
            "t",
            IngestData::files([dir.to_str().unwrap()]),
            &IngestOptions::default(),
        )
        .unwrap();
    assert_eq!(r.row_count, 1, "the row lands with its bytes");
    assert!(r.report.skipped.is_empty(), "{:?}", r.report.skipped);
    assert_eq!(r.report.rows_in("thumbnails"), 0);
    assert_eq!(r.report.warnings.len(), 1, "{:?}", r.report.warnings);
    assert!(
        r.report.warnings[0].contains("40000x40000")
            && r.report.warnings[0].contains("not decoded"),
        "{:?}",
        r.report.warnings
    );
    let got = client
        .query("SELECT image FROM t", &[])
        .unwrap()
        .rows()
        .unwrap();
    assert_eq!(crate::common::bytea(&got[0][0]), bomb);
    let e = lakefeed::lakefeed_formats::media::thumbnails(&bomb).unwrap_err();
    assert!(e.contains("over the limit"), "{e}");
}
