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
