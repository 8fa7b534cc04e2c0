//! The thumbnail stage: four sizes per IMAGE row with the aspect kept, EXIF orientation applied.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use lakefeed::{Client, IngestData, IngestOptions};
use serde_json::json;

use crate::common::{bytea, fixtures, tmp};

/// A JPEG of `img` with an EXIF APP1 segment carrying `orientation`.
fn jpeg_with_orientation(img: &RgbImage, orientation: u16) -> Vec<u8> {
    let mut plain = Vec::new();
    DynamicImage::ImageRgb8(img.clone())
        .write_to(&mut Cursor::new(&mut plain), ImageFormat::Jpeg)
        .unwrap();
    let mut tiff = b"II*\0".to_vec();
    tiff.extend_from_slice(&8u32.to_le_bytes());
    tiff.extend_from_slice(&1u16.to_le_bytes()); // one IFD entry
    tiff.extend_from_slice(&0x0112u16.to_le_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_le_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&plain[2..]);
    out
}

#[test]
fn every_image_row_gets_four_thumbnails_with_aspect_kept() {
    let d = tmp();
    let client = Client::local(d.path().join("s")).unwrap();
    // 400×200: left half red, right half blue. Orientation 6 = shown rotated 90° clockwise → 200×400, red on top.
    let img = RgbImage::from_fn(400, 200, |x, _| {
        if x < 200 {
            Rgb([220, 20, 20])
        } else {
            Rgb([20, 20, 220])
        }
    });
    let rotated = jpeg_with_orientation(&img, 6);
    std::fs::write(d.path().join("rotated.jpg"), &rotated).unwrap();
    let paths = vec![
        fixtures().join("files/image").display().to_string(),
        fixtures()
            .join("files/pdf/hf-datasets_test_pdf.pdf")
            .display()
            .to_string(),
        d.path().join("rotated.jpg").display().to_string(),
    ];
    let r = client
        .ingest(
            "imgs",
            IngestData::Format {
                name: "files".into(),
                options: json!({"paths": paths}),
            },
            &IngestOptions::default(),
        )
        .unwrap();
    assert!(r.report.warnings.is_empty(), "{:?}", r.report.warnings);
    let images = client.query("SELECT id, image FROM imgs", &[]).unwrap();
    assert_eq!(images.row_count(), 7);
    assert_eq!(r.report.rows_in("thumbnails"), 7 * 4);

    let thumbs = client.query("SELECT file_id, dimension, content FROM thumbnails WHERE table_name = 'imgs' AND column_name = 'image'", &[]).unwrap();
    let mut by_id: std::collections::HashMap<String, Vec<(String, DynamicImage)>> =
        Default::default();
    for row in thumbs.rows().unwrap() {
        let bytes = bytea(&row[2]);
        by_id
            .entry(row[0].as_str().unwrap().into())
            .or_default()
            .push((
                row[1].as_str().unwrap().into(),
                image::load_from_memory(&bytes).unwrap(),
            ));
    }
    for row in images.rows().unwrap() {
        let id = row[0].as_str().unwrap();
        let bytes = bytea(&row[1]);
        let src = image::load_from_memory(&bytes).unwrap();
        let (mut w, mut h) = (src.width() as f64, src.height() as f64);
        let is_rotated = bytes == rotated;
        if is_rotated {
            std::mem::swap(&mut w, &mut h);
        }
        let mut got = by_id
            .remove(id)
            .unwrap_or_else(|| panic!("no thumbnails for {id}"));
        got.sort_by_key(|(dim, _)| dim.split('x').next().unwrap().parse::<u32>().unwrap());
        let dims: Vec<&str> = got.iter().map(|(d, _)| d.as_str()).collect();
        assert_eq!(dims, ["32x32", "64x64", "128x128", "256x256"]);
        for (dim, t) in &got {
            let bx: f64 = dim.split('x').next().unwrap().parse().unwrap();
            assert!(
                t.width() as f64 <= bx && t.height() as f64 <= bx,
                "{id} {dim}: {}x{}",
                t.width(),
                t.height()
            );
            assert!(
                t.width() as f64 == bx.min(w) || t.height() as f64 == bx.min(h),
                "{id} {dim}: {}x{} does not fill the box",
                t.width(),
                t.height()
            );
            let aspect = (t.width() as f64 / t.height() as f64) / (w / h);
            let tolerance = 1.0 / t.width().min(t.height()) as f64 + 0.01;
            assert!(
                (aspect - 1.0).abs() <= tolerance * 2.0,
                "{id} {dim}: aspect {}x{} vs {w}x{h}",
                t.width(),
                t.height()
            );
        }
        if is_rotated {
            let big = got[3].1.to_rgb8();
            assert_eq!(
                (big.width(), big.height()),
                (128, 256),
                "EXIF rotation not applied"
            );
            let top = big.get_pixel(64, 20).0;
            let bottom = big.get_pixel(64, 236).0;
            assert!(top[0] > 150 && top[2] < 100, "top should be red: {top:?}");
            assert!(
                bottom[2] > 150 && bottom[0] < 100,
                "bottom should be blue: {bottom:?}"
            );
        }
    }
}

/// `n` rows of (id, IMAGE) with ids `{prefix}{i}`, each a small JPEG of its own colour.
fn image_rows(prefix: &str, n: u8) -> lakefeed::arrow::array::RecordBatch {
    use lakefeed::arrow::array::{BinaryArray, StringArray};
    use lakefeed::arrow::datatypes::{DataType, Schema};
    let jpeg = |i: u8| {
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(RgbImage::from_pixel(40, 30, Rgb([i * 40, 90, 200])))
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Jpeg)
            .unwrap();
        out
    };
    let images: Vec<Vec<u8>> = (0..n).map(jpeg).collect();
    let schema = std::sync::Arc::new(Schema::new(vec![
        lakefeed::LogicalType::Text.field("id", DataType::Utf8),
        lakefeed::LogicalType::Image.field("image", DataType::Binary),
    ]));
    lakefeed::arrow::array::RecordBatch::try_new(
        schema,
        vec![
            std::sync::Arc::new(StringArray::from_iter_values(
                (0..n).map(|i| format!("{prefix}{i}")),
            )),
            std::sync::Arc::new(BinaryArray::from_iter_values(images.iter())),
        ],
    )
    .unwrap()
}

/// A source that yields one batch, then breaks (as a truncated file does part-way through a run).
struct BreaksAfter(lakefeed::arrow::array::RecordBatch);

impl lakefeed::Format for BreaksAfter {
    fn normalize(
        self: Box<Self>,
        _ctx: &lakefeed::IngestContext,
    ) -> lakefeed::Result<lakefeed::Batches> {
        let broken = lakefeed::Error::bad_source("broken.bin", "truncated part-way");
        Ok(Box::new([Ok(self.0), Err(broken)].into_iter()))
    }
}

/// The thumbnails' file ids of table `t`, sorted, and how many rows they are.
fn thumbnail_ids(client: &Client, t: &str) -> (Vec<String>, usize) {
    let r = client
        .query(
            "SELECT DISTINCT file_id FROM thumbnails WHERE table_name = $1 ORDER BY file_id",
            &[json!(t)],
        )
        .unwrap();
    let ids = r
        .rows()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap().to_string())
        .collect();
    let n = client
        .query(
            "SELECT count(*) FROM thumbnails WHERE table_name = $1",
            &[json!(t)],
        )
        .unwrap()
        .rows()
        .unwrap()[0][0]
        .as_u64()
        .unwrap() as usize;
    (ids, n)
}

/// An overwrite that fails part-way keeps the old rows and their thumbnails (its side rows were staged, not
/// written over the old ones); one that succeeds leaves exactly the new rows' thumbnails, and no staging table.
#[test]
fn a_failed_overwrite_keeps_the_old_thumbnails() {
    let d = tmp();
    let store = d.path().join("s");
    let client = Client::local(&store).unwrap();
    let overwrite = IngestOptions {
        mode: lakefeed::WriteMode::Overwrite,
        rows_per_commit: 1,
        ..Default::default()
    };
    client
        .ingest(
            "imgs",
            IngestData::Batches(vec![image_rows("old", 3)]),
            &IngestOptions::default(),
        )
        .unwrap();
    let old = (vec!["old0".to_string(), "old1".into(), "old2".into()], 12);
    assert_eq!(thumbnail_ids(&client, "imgs"), old);

    let failing = IngestData::Built(Box::new(BreaksAfter(image_rows("new", 2))));
    let e = client.ingest("imgs", failing, &overwrite).unwrap_err();
    assert!(e.to_string().contains("broken.bin"), "{}", e.chain());
    assert_eq!(
        client.open_table("imgs").unwrap().count().unwrap(),
        3,
        "old rows kept"
    );
    assert_eq!(thumbnail_ids(&client, "imgs"), old, "old thumbnails kept");

    client
        .ingest(
            "imgs",
            IngestData::Batches(vec![image_rows("new", 2)]),
            &overwrite,
        )
        .unwrap();
    assert_eq!(
        thumbnail_ids(&client, "imgs"),
        (vec!["new0".to_string(), "new1".into()], 8)
    );
    let staged: Vec<String> = std::fs::read_dir(&store)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("_lakefeed_stage"))
        .collect();
    assert!(staged.is_empty(), "{staged:?}");
}
