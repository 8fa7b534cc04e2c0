//! COCO and COCO-panoptic: masks equal pycocotools' pixel for pixel, panoptic segments check out, bad input is
//! reported clearly, and the CLI reaches both formats.

use std::path::Path;
use std::process::Command;

use lakefeed::arrow::array::AsArray;
use lakefeed::arrow::datatypes::Int64Type;
use lakefeed::{Client, ErrorClass, IngestData, IngestOptions};
use serde_json::{Value, json};

use crate::common::{bytea, fixtures, lakefeed, ok, python, repo, tmp};

fn ingest(
    client: &Client,
    table: &str,
    format: &str,
    options: Value,
) -> lakefeed::Result<lakefeed::IngestResult> {
    client.ingest(
        table,
        IngestData::Format {
            name: format.into(),
            options,
        },
        &IngestOptions::default(),
    )
}

/// Compares every row's mask with pycocotools' reference for the same instances file.
fn assert_masks_match(client: &Client, table: &str, instances: &Path, scratch: &Path) -> usize {
    let refs = scratch.join(format!("ref-{table}"));
    let out = Command::new(python())
        .arg(repo().join("tests/helpers/coco_reference.py"))
        .arg(instances)
        .arg(&refs)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pycocotools helper failed (run scripts/setup.sh): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut images = 0;
    for b in client
        .open_table(table)
        .unwrap()
        .select(["coco_image_id", "mask", "width", "height"])
        .batches(16)
        .unwrap()
    {
        let b = b.unwrap();
        let ids = b.column(0).as_primitive::<Int64Type>();
        let masks = b.column(1).as_binary::<i32>();
        for r in 0..b.num_rows() {
            let reference = std::fs::read(refs.join(format!("{}.bin", ids.value(r)))).unwrap();
            let want: Vec<u16> = reference
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            let got: Vec<u16> = match image::load_from_memory(masks.value(r)).unwrap() {
                image::DynamicImage::ImageLuma8(m) => {
                    m.into_raw().into_iter().map(u16::from).collect()
                }
                image::DynamicImage::ImageLuma16(m) => m.into_raw(),
                other => panic!("mask is {:?}, not greyscale", other.color()),
            };
            assert_eq!(got.len(), want.len(), "image {}: mask size", ids.value(r));
            let differing = got.iter().zip(&want).filter(|(a, b)| a != b).count();
            assert_eq!(
                differing,
                0,
                "image {}: {differing} pixels differ from pycocotools",
                ids.value(r)
            );
            images += 1;
        }
    }
    images
}

#[test]
fn coco_masks_match_pycocotools_on_every_fixture_image() {
    let d = tmp();
    let client = Client::local(d.path().join("s")).unwrap();
    let root = fixtures().join("coco");
    let r = ingest(
        &client,
        "coco",
        "coco",
        json!({"images_dir": root.join("val2017")}),
    )
    .unwrap();
    assert_eq!(r.row_count, 79);
    assert!(
        r.report.skipped.is_empty() && r.report.warnings.is_empty(),
        "{:?}",
        r.report
    );
    assert_eq!(
        assert_masks_match(
            &client,
            "coco",
            &root.join("annotations/instances_val2017.json"),
            d.path()
        ),
        79
    );

    let row = client.query("SELECT captions, annotations, categories, num_objects, width, height, filename FROM coco WHERE coco_image_id = 139", &[]).unwrap().records().unwrap();
    let row = &row[0];
    assert_eq!(
        serde_json::from_str::<Vec<String>>(row["captions"].as_str().unwrap())
            .unwrap()
            .len(),
        5
    );
    let anns: Vec<Value> = serde_json::from_str(row["annotations"].as_str().unwrap()).unwrap();
    assert_eq!(anns.len() as i64, row["num_objects"].as_i64().unwrap());
    assert!(
        anns.iter()
            .all(|a| a.get("bbox").is_some() && a.get("iscrowd").is_some())
    );
    assert_eq!(
        serde_json::from_str::<Vec<Value>>(row["categories"].as_str().unwrap())
            .unwrap()
            .len(),
        80
    );
    assert_eq!(
        (row["width"].as_i64(), row["height"].as_i64()),
        (Some(640), Some(426))
    );
    assert_eq!(row["filename"], "000000000139.jpg");
    // Images are IMAGE columns: the thumbnail stage made 4 per image.
    assert_eq!(r.report.rows_in("thumbnails"), 79 * 4);
}

#[test]
fn compressed_rle_detection_json_ingests_through_coco() {
    let d = tmp();
    let client = Client::local(d.path().join("s")).unwrap();
    let root = fixtures().join("coco-panoptic");
    let instances = root.join("panoptic_coco_detection_format.json");
    let r = ingest(&client, "rle", "coco", json!({"images_dir": root.join("input_images"), "instances_json": instances, "captions_json": false})).unwrap();
    assert_eq!(r.row_count, 2);
    assert!(r.report.warnings.is_empty(), "{:?}", r.report.warnings);
    assert_eq!(assert_masks_match(&client, "rle", &instances, d.path()), 2);
}

#[test]
fn panoptic_segments_match_their_pngs() {
    let d = tmp();
    let client = Client::local(d.path().join("s")).unwrap();
    let root = fixtures().join("coco-panoptic");
    let opts = json!({
        "images_dir": root.join("input_images"),
        "masks_dir": root.join("panoptic_examples"),
        "annotations": root.join("panoptic_examples.json"),
        "verify_segments": true,
    });
    let r = ingest(&client, "pan", "coco-panoptic", opts.clone()).unwrap();
    assert_eq!(r.row_count, 2);
    assert!(
        r.report.warnings.is_empty() && r.report.skipped.is_empty(),
        "{:?}",
        r.report
    );
    let rows = client.query("SELECT coco_image_id, mask_filename, segments_info, mask FROM pan ORDER BY coco_image_id", &[]).unwrap().records().unwrap();
    assert_eq!(rows[0]["mask_filename"], "000000142238.png");
    let segs: Vec<Value> =
        serde_json::from_str(rows[0]["segments_info"].as_str().unwrap()).unwrap();
    assert_eq!(segs.len(), 18);
    let png = std::fs::read(root.join("panoptic_examples/000000142238.png")).unwrap();
    assert_eq!(
        rows[0]["mask"].as_str().unwrap(),
        lakefeed::query::hex(&png),
        "the PNG is stored as found"
    );

    // A tampered area is reported for that image.
    let mut doc: Value =
        serde_json::from_slice(&std::fs::read(root.join("panoptic_examples.json")).unwrap())
            .unwrap();
    doc["annotations"][0]["segments_info"][0]["area"] = json!(1);
    let tampered = d.path().join("tampered.json");
    std::fs::write(&tampered, doc.to_string()).unwrap();
    let mut opts2 = opts.clone();
    opts2["annotations"] = json!(tampered);
    let r = ingest(&client, "pan2", "coco-panoptic", opts2).unwrap();
    assert_eq!(r.row_count, 2);
    assert_eq!(r.report.warnings.len(), 1, "{:?}", r.report.warnings);
    assert!(
        r.report.warnings[0].contains("but its area is 1"),
        "{:?}",
        r.report.warnings
    );
}

fn write_json(dir: &Path, name: &str, v: &Value) {
    std::fs::write(dir.join(name), serde_json::to_string_pretty(v).unwrap()).unwrap();
}

#[test]
fn bad_coco_input_is_reported_clearly() {
    let d = tmp();
    let images = d.path().join("val");
    let anns = d.path().join("annotations");
    std::fs::create_dir_all(&images).unwrap();
    std::fs::create_dir_all(&anns).unwrap();
    image::RgbImage::new(20, 10)
        .save(images.join("a.png"))
        .unwrap();
    let doc = json!({
        "images": [
            {"id": 1, "file_name": "a.png", "width": 20, "height": 10},
            {"id": 2, "file_name": "missing.png", "width": 20, "height": 10}
        ],
        "annotations": [
            {"id": 10, "image_id": 1, "category_id": 300, "segmentation": [[1, 1, 8, 1, 8, 8, 1, 8]], "bbox": [1, 1, 7, 7], "area": 49, "iscrowd": 0},
            {"id": 11, "image_id": 1, "category_id": 2, "segmentation": [[1, 1, 5, 5]], "bbox": [], "area": 0, "iscrowd": 0},
            {"id": 12, "image_id": 1, "category_id": 3, "segmentation": {"counts": [5, 10], "size": [10, 20]}, "area": 10, "iscrowd": 1},
            {"id": 13, "image_id": 99, "category_id": 1, "segmentation": [[0, 0, 1, 0, 1, 1]], "area": 1, "iscrowd": 0}
        ],
        "categories": [{"id": 300, "name": "big id"}]
    });
    write_json(&anns, "instances_val.json", &doc);
    let client = Client::local(d.path().join("s")).unwrap();
    let r = ingest(&client, "c", "coco", json!({"images_dir": images})).unwrap();
    assert_eq!(r.row_count, 1);
    assert_eq!(r.report.skipped.len(), 1);
    assert!(
        r.report.skipped[0].path.ends_with("missing.png"),
        "{:?}",
        r.report.skipped
    );
    let w = r.report.warnings.join("\n");
    assert!(
        w.contains("annotation 11") && w.contains("at least 3 points"),
        "{w}"
    );
    assert!(
        w.contains("annotation 12") && w.contains("sum to 15"),
        "{w}"
    );
    assert!(
        w.contains("1 annotations point at image ids not in the images list"),
        "{w}"
    );
    // Category 300 needs a 16-bit mask.
    let mask = client
        .query("SELECT mask FROM c", &[])
        .unwrap()
        .rows()
        .unwrap();
    let bytes = bytea(&mask[0][0]);
    match image::load_from_memory(&bytes).unwrap() {
        image::DynamicImage::ImageLuma16(m) => assert_eq!(m.get_pixel(4, 4).0[0], 300),
        other => panic!("expected a 16-bit mask, got {:?}", other.color()),
    }

    // JSON syntax error: file, line and column; no table written.
    std::fs::write(
        anns.join("instances_val.json"),
        "{\n  \"images\": [\n    {\"id\": 1,,}\n  ]\n}\n",
    )
    .unwrap();
    let e = ingest(&client, "c2", "coco", json!({"images_dir": images})).unwrap_err();
    assert_eq!(e.class(), ErrorClass::Ingest);
    assert!(
        e.to_string().contains("instances_val.json") && e.to_string().contains("line 3, column"),
        "{e}"
    );
    // Missing annotations file or directory: errors before any row.
    std::fs::remove_file(anns.join("instances_val.json")).unwrap();
    let e = ingest(&client, "c3", "coco", json!({"images_dir": images})).unwrap_err();
    assert!(e.is_not_found(), "{e}");
    let e = ingest(
        &client,
        "c4",
        "coco",
        json!({"images_dir": d.path().join("nope")}),
    )
    .unwrap_err();
    assert!(e.is_not_found(), "{e}");
    let e = ingest(
        &client,
        "c5",
        "coco-panoptic",
        json!({"images_dir": images, "masks_dir": d.path().join("nope"), "annotations": "x.json"}),
    )
    .unwrap_err();
    assert!(e.is_not_found(), "{e}");
    let tables = client.list_tables().unwrap();
    assert!(
        !tables.iter().any(|t| t.starts_with("c") && t != "c"),
        "{tables:?}"
    );
}

#[test]
fn cli_reaches_coco_and_panoptic() {
    let d = tmp();
    let store = d.path().join("s");
    let coco = fixtures().join("coco");
    let out = ok(lakefeed(
        &store,
        &[
            "ingest",
            "coco",
            "--format",
            "coco",
            "--opt",
            &format!("images_dir={}", coco.join("val2017").display()),
            "--opt",
            &format!("annotations_dir={}", coco.join("annotations").display()),
            "--opt",
            "max_images=5",
        ],
    ));
    assert!(out.contains("coco: 5 rows"), "{out}");
    let pan = fixtures().join("coco-panoptic");
    let out = ok(lakefeed(
        &store,
        &[
            "ingest",
            "pan",
            "--format",
            "coco-panoptic",
            "--opt",
            &format!("images_dir={}", pan.join("input_images").display()),
            "--opt",
            &format!("masks_dir={}", pan.join("panoptic_examples").display()),
            "--opt",
            &format!(
                "annotations={}",
                pan.join("panoptic_examples.json").display()
            ),
        ],
    ));
    assert!(out.contains("pan: 2 rows"), "{out}");
    let n = ok(lakefeed(
        &store,
        &[
            "query",
            "SELECT sum(num_objects) AS n FROM coco WHERE num_objects > $1",
            "--param",
            "0",
            "--output",
            "json",
        ],
    ));
    assert!(
        serde_json::from_str::<Value>(&n).unwrap()[0]["n"]
            .as_i64()
            .unwrap()
            > 0
    );
}
