//! The format registry: every linked format is listed, named well, and its documented example builds.

use std::collections::HashSet;

use lakefeed::{FormatEnv, formats};

use crate::common::{fixtures, repo};

#[test]
fn registry_names_are_unique_lower_case_and_examples_build() {
    lakefeed::link_builtin_formats();
    let all = formats();
    let names: Vec<&str> = all.iter().map(|d| d.name).collect();
    for expected in [
        "rows",
        "ndjson-stats",
        "files",
        "coco",
        "coco-panoptic",
        "lerobot-tasks",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    let unique: HashSet<&str> = names.iter().copied().collect();
    assert_eq!(unique.len(), names.len(), "duplicate names in {names:?}");
    // Examples name paths relative to the repository (bundled examples) or to a dataset root (the fixtures).
    let bases = [FormatEnv::new(repo()), FormatEnv::new(fixtures())];
    let env = &bases[0];
    for d in all {
        assert!(
            d.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !d.name.is_empty(),
            "bad name {:?}",
            d.name
        );
        assert!(
            !d.description.is_empty() && !d.description.contains('\n'),
            "{}: one-line description",
            d.name
        );
        let schema = (d.options_schema)();
        assert!(
            schema.get("properties").is_some() || schema.get("type").is_some(),
            "{}: options schema {schema}",
            d.name
        );
        let example: serde_json::Value =
            serde_json::from_str(d.example).unwrap_or_else(|e| panic!("{}: example: {e}", d.name));
        let built: Vec<String> = bases
            .iter()
            .filter_map(|b| (d.build)(example.clone(), b).err().map(|e| e.to_string()))
            .collect();
        assert!(
            built.len() < bases.len(),
            "{}: documented example options do not build: {built:?}",
            d.name
        );
        let mut bad = serde_json::from_str::<serde_json::Value>(d.example).unwrap();
        bad["no_such_option"] = serde_json::json!(1);
        let err = (d.build)(bad, env)
            .err()
            .unwrap_or_else(|| panic!("{}: unknown option accepted", d.name));
        assert!(
            err.to_string().contains("no_such_option"),
            "{}: {err}",
            d.name
        );
    }
}
