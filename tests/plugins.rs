//! The example plugins: linked into the `lakefeed_plus` example binary (the stock CLI plus user formats), never
//! into `lakefeed` itself.

use crate::common::{fails, lakefeed, lakefeed_plus, ok, repo, tmp, write};

#[test]
fn the_image_manifest_plugin_ingests_through_its_own_binary() {
    let d = tmp();
    let store = d.path().join("s");
    let list = ok(lakefeed_plus(&store, &["formats"]));
    for name in ["image-manifest ", "ndjson-stats ", "coco ", "huggingface "] {
        assert!(list.lines().any(|l| l.starts_with(name)), "{name}: {list}");
    }
    let manifest = repo().join("examples/image-manifest/labels.csv");
    let out = ok(lakefeed_plus(
        &store,
        &[
            "ingest",
            "labelled",
            "--format",
            "image-manifest",
            "--opt",
            &format!("manifest={}", manifest.display()),
        ],
    ));
    assert!(
        out.contains("labelled: 3 rows") && out.contains("thumbnails: 12 rows"),
        "{out}"
    );
    // Labels, boxes and the precomputed embeddings are queryable, and searchable by vector.
    let json = ok(lakefeed(
        &store,
        &[
            "query",
            "SELECT path, label, label_id, source, embedding <#> $1 AS score FROM labelled ORDER BY score DESC LIMIT 1",
            "--param",
            "[0.1, 0.9, 0.3]",
            "--output",
            "json",
        ],
    ));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(rows[0]["path"], "../files/frame.jpg");
    assert_eq!(
        (rows[0]["label"].as_str(), rows[0]["label_id"].as_i64()),
        (Some("photo"), Some(1))
    );
    assert_eq!(rows[0]["source"], "video frame");
    let client = lakefeed::Client::local(&store).unwrap();
    let schema = client.store().table_schema("labelled").unwrap().unwrap();
    let label_id = schema.field_with_name("label_id").unwrap();
    assert_eq!(label_id.metadata()["class_names"], r#"["pattern","photo"]"#);
    assert_eq!(
        schema.field_with_name("bbox").unwrap().metadata()["lakefeed:type"],
        "BOUNDING_BOX"
    );

    // In a manifest, through the binary that links it; the stock binary does not know it.
    let m = write(
        d.path(),
        "m.yaml",
        &format!(
            "version: 1\ntables:\n  - name: again\n    format: image-manifest\n    options:\n      manifest: {}\n",
            manifest.display()
        ),
    );
    let out = ok(lakefeed_plus(&store, &["run", m.to_str().unwrap()]));
    assert!(out.contains("again: 3 rows"), "{out}");
    let err = fails(lakefeed(&store, &["validate", m.to_str().unwrap()]));
    assert!(err.contains("unknown format 'image-manifest'"), "{err}");
}
