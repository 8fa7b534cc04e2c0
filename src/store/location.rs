//! Where a Lance store lives: a local directory or an object-store URI (`s3://bucket/prefix`, `gs://…`,
//! `az://…`), with the storage options (endpoint, region, credentials) that every table, commit and record under
//! it is opened with. Options not given fall back to the usual environment (`AWS_ACCESS_KEY_ID`,
//! `AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ALLOW_HTTP`, …), which the object-store clients read themselves.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lakefeed_core::{Error, Result};
use lance::Dataset;
use lance::dataset::builder::DatasetBuilder;
use lance::io::{ObjectStore, ObjectStoreParams, ObjectStoreRegistry, StorageOptionsAccessor};

use super::lance_error::from_lance_core;

pub use crate::uri::StorageOptions;

/// A store's location and how to reach it.
#[derive(Debug, Clone)]
pub struct Location {
    /// An absolute directory, or the URI as written (no trailing `/`).
    uri: String,
    /// The directory, for a local store.
    local: Option<PathBuf>,
    options: StorageOptions,
}

pub use crate::uri::is_uri as is_object_store;

impl Location {
    /// Parses `location`: a directory (created if needed; `file://` may lead) or an object-store URI.
    pub fn new(location: &str, options: StorageOptions) -> Result<Self> {
        if is_object_store(location) {
            return Ok(Self {
                uri: location.trim_end_matches('/').to_string(),
                local: None,
                options,
            });
        }
        let dir = Path::new(location.strip_prefix("file://").unwrap_or(location));
        std::fs::create_dir_all(dir).map_err(|e| {
            Error::store(
                format!("cannot create store directory {}", dir.display()),
                e,
            )
        })?;
        let dir = dir
            .canonicalize()
            .map_err(|e| Error::store(dir.display().to_string(), e))?;
        Ok(Self {
            uri: dir.to_string_lossy().to_string(),
            local: Some(dir),
            options,
        })
    }

    /// The store's URI (an absolute directory for a local store).
    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The store's directory, when it is local.
    pub fn local_dir(&self) -> Option<&Path> {
        self.local.as_deref()
    }

    /// The storage options given.
    pub fn options(&self) -> &StorageOptions {
        &self.options
    }

    /// A location below this one (`{uri}/{name}`), with the same options.
    pub fn join(&self, name: &str) -> Result<Self> {
        match &self.local {
            Some(dir) => Self::new(&dir.join(name).to_string_lossy(), self.options.clone()),
            None => Ok(Self {
                uri: format!("{}/{name}", self.uri),
                local: None,
                options: self.options.clone(),
            }),
        }
    }

    /// The URI of `table`'s dataset.
    pub fn table_uri(&self, table: &str) -> String {
        format!("{}/{table}.lance", self.uri)
    }

    /// The options as the object-store layer takes them.
    pub fn store_params(&self) -> ObjectStoreParams {
        let options: HashMap<String, String> = self.options.clone().into_iter().collect();
        ObjectStoreParams {
            storage_options_accessor: (!options.is_empty())
                .then(|| Arc::new(StorageOptionsAccessor::with_static_options(options))),
            ..Default::default()
        }
    }

    /// The latest version of `table`'s dataset.
    pub async fn dataset(&self, table: &str) -> Result<Dataset> {
        DatasetBuilder::from_uri(self.table_uri(table))
            .with_storage_options(self.options.clone().into_iter().collect())
            .load()
            .await
            .map_err(|e| from_lance_core(table, "open", e))
    }

    /// The object store under this location, and the path of `name` in it (for lakefeed's own records).
    pub async fn object(&self, name: &str) -> Result<(Arc<ObjectStore>, object_store::path::Path)> {
        let registry = Arc::new(ObjectStoreRegistry::default());
        let uri = format!("{}/{name}", self.uri);
        ObjectStore::from_uri_and_params(registry, &uri, &self.store_params())
            .await
            .map_err(|e| Error::store(format!("open {uri}"), e))
    }
}

impl Location {
    /// The names of the folders directly under `name` (none when it does not exist).
    pub async fn list_dirs(&self, name: &str) -> Result<Vec<String>> {
        let (store, path) = self.object(name).await?;
        match store.read_dir(path).await {
            Ok(names) => Ok(names),
            Err(lance_core::Error::NotFound { .. }) => Ok(Vec::new()),
            Err(e) => Err(Error::store(format!("cannot list {}/{name}", self.uri), e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_object_stores_from_directories() {
        assert!(is_object_store("s3://bucket/prefix"));
        assert!(is_object_store("gs://b"));
        assert!(!is_object_store("file:///tmp/x"));
        assert!(!is_object_store("./lakefeed-data"));
        assert!(!is_object_store("C:\\data"));
        let l = Location::new("s3://b/p/", StorageOptions::new()).unwrap();
        assert_eq!(l.uri(), "s3://b/p");
        assert_eq!(l.table_uri("t"), "s3://b/p/t.lance");
        assert_eq!(l.join("org").unwrap().uri(), "s3://b/p/org");
        assert!(l.local_dir().is_none());
    }
}
