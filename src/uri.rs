//! Where a store lives, as the user names it: a directory or an object-store URI, and the storage options that
//! reach an object store. Shared by the backend (choosing a store) and the Lance store (opening it).

use std::collections::BTreeMap;

/// Storage options of an object store: `key=value` settings (`aws_endpoint`, `aws_region`, `allow_http`, …;
/// case-insensitive, `aws_` prefix optional) that win over the environment's `AWS_*` variables.
pub type StorageOptions = BTreeMap<String, String>;

/// Whether `location` names an object store (a URI with a scheme other than `file`, such as `s3://bucket/prefix`)
/// rather than a directory.
pub fn is_uri(location: &str) -> bool {
    location
        .split_once("://")
        .is_some_and(|(scheme, _)| scheme != "file" && !scheme.contains(['/', '\\']))
}
