//! Python's lancedb reads what lakefeed wrote: same rows, same values, domain types in the field metadata.

use std::process::Command;

use lakefeed::{Client, IngestData, IngestOptions, schema::parse_hints};
use serde_json::json;

use crate::common::{python, tmp};

const READER: &str = r#"
import json, sys
import lancedb
db = lancedb.connect(sys.argv[1])
t = db.open_table(sys.argv[2])
tbl = t.to_arrow()
meta = {f.name: {k.decode(): v.decode() for k, v in (f.metadata or {}).items()} for f in tbl.schema}
rows = tbl.to_pylist()
for r in rows:
    for k, v in r.items():
        if isinstance(v, bytes):
            r[k] = v.hex()
print(json.dumps({"tables": sorted(db.table_names()), "rows": rows, "meta": meta}))
"#;

#[test]
fn python_lancedb_reads_rows_and_metadata() {
    let d = tmp();
    let client = Client::local(d.path()).unwrap();
    let data = IngestData::Columns(vec![
        ("id".into(), vec![json!("a_0"), json!("a_1"), json!("b_0")]),
        (
            "text".into(),
            vec![json!("héllo"), json!(null), json!("third")],
        ),
        (
            "embedding".into(),
            vec![json!([0.5, 1.0]), json!([0.25, -1.0]), json!(null)],
        ),
        (
            "image".into(),
            vec![json!("\\xffd8ff"), json!(null), json!("\\x00")],
        ),
        ("n".into(), vec![json!(1), json!(2), json!(3)]),
    ]);
    let opts = IngestOptions {
        schema: parse_hints([("image", "IMAGE")]).unwrap(),
        ..Default::default()
    };
    client.ingest("py", data, &opts).unwrap();

    let py = python();
    let out = Command::new(&py)
        .arg("-c")
        .arg(READER)
        .arg(d.path())
        .arg("py")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} (run scripts/setup.sh): {e}", py.display()));
    assert!(
        out.status.success(),
        "python failed (run scripts/setup.sh for lancedb):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["tables"].as_array().unwrap().contains(&json!("py")),
        "{}",
        v["tables"]
    );
    assert_eq!(
        v["rows"],
        json!([
            {"id": "a_0", "text": "héllo", "embedding": [0.5, 1.0], "image": "ffd8ff", "n": 1},
            {"id": "a_1", "text": null, "embedding": [0.25, -1.0], "image": null, "n": 2},
            {"id": "b_0", "text": "third", "embedding": null, "image": "00", "n": 3},
        ])
    );
    assert_eq!(v["meta"]["image"]["lakefeed:type"], "IMAGE");
    assert_eq!(v["meta"]["embedding"]["lakefeed:type"], "EMBEDDING(2)");
    assert_eq!(v["meta"]["n"]["lakefeed:type"], "INT64");
}
