//! One backend for every front: a [`TableStore`] (the data plane) and the [`QueryEngine`] that runs SQL over it,
//! chosen in one place ([`Target`]) from a flag, a manifest, the environment or a service's address. The
//! blocking [`crate::Client`], the CLI, `lakefeed serve` and the language bindings all hold a [`Backend`];
//! async callers (the server) await it directly, blocking ones go through [`crate::Store`] (which holds one).

use std::sync::Arc;

use lakefeed_core::{QueryEngine, QueryResult, Result, TableStore};
use serde_json::Value;

#[cfg(feature = "remote")]
use crate::remote::RemoteStore;
#[cfg(feature = "lance")]
use crate::sql::SqlEngine;
#[cfg(feature = "lance")]
use crate::store::LanceStore;
pub use crate::uri::{StorageOptions, is_uri};
pub use crate::wire::WritePath;

/// Environment variable naming the local store (a directory or an object-store URI).
pub const STORE_ENV: &str = "LAKEFEED_STORE";
/// The local store when neither `--store` nor `LAKEFEED_STORE` is set.
pub const DEFAULT_STORE: &str = "./lakefeed-data";
/// The environment variables naming a service: token, workspace and address (the seed's names).
pub const TOKEN_ENV: &str = "DEEPLAKE_API_KEY";
/// See [`TOKEN_ENV`].
pub const WORKSPACE_ENV: &str = "DEEPLAKE_WORKSPACE";
/// See [`TOKEN_ENV`].
pub const API_URL_ENV: &str = "DEEPLAKE_API_URL";

/// Where a Lance store lives (a directory or an object-store URI): the first of `explicit` (`--store`),
/// `LAKEFEED_STORE`, the manifest's `store`, and `./lakefeed-data`.
pub fn store_location(explicit: Option<&str>, from_manifest: Option<String>) -> String {
    explicit
        .map(str::to_string)
        .or_else(|| std::env::var(STORE_ENV).ok().filter(|s| !s.is_empty()))
        .or(from_manifest)
        .unwrap_or_else(|| DEFAULT_STORE.to_string())
}

/// One workspace of a service (the seed's API, or `lakefeed serve`).
#[derive(Clone, PartialEq, Eq)]
pub struct Service {
    /// The JWT.
    pub token: String,
    /// The workspace.
    pub workspace: String,
    /// The service's address (`None`: the seed's service).
    pub api_url: Option<String>,
    /// How rows are written.
    pub write_path: WritePath,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("workspace", &self.workspace)
            .field("api_url", &self.api_url)
            .field("write_path", &self.write_path)
            .finish_non_exhaustive()
    }
}

/// Where tables live. The one place a store is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A Lance store: a directory or an object-store URI, with its storage options.
    Lance {
        /// The directory or URI.
        location: String,
        /// Storage options for an object store (empty: the environment's).
        options: StorageOptions,
    },
    /// One workspace of a service.
    Service(Service),
}

impl Target {
    /// The command line's choice: the service at `api_url` in `workspace` when one is named (token from
    /// `DEEPLAKE_API_KEY`), else the Lance store named by `store`, `LAKEFEED_STORE`, the manifest, or the
    /// default.
    pub fn choose(
        store: Option<&str>,
        api_url: Option<&str>,
        workspace: &str,
        from_manifest: Option<String>,
    ) -> Self {
        match api_url {
            Some(url) => Self::Service(Service {
                token: std::env::var(TOKEN_ENV).unwrap_or_default(),
                workspace: workspace.to_string(),
                api_url: Some(url.to_string()),
                write_path: WritePath::Auto,
            }),
            None => Self::lance(store_location(store, from_manifest)),
        }
    }

    /// The Lance store at `location` (a directory or an object-store URI), with the environment's credentials.
    pub fn lance(location: impl Into<String>) -> Self {
        Self::Lance {
            location: location.into(),
            options: StorageOptions::new(),
        }
    }

    /// This target with `options` added to a Lance store's storage options (a service ignores them).
    pub fn with_storage_options(mut self, more: StorageOptions) -> Self {
        if let Self::Lance { options, .. } = &mut self {
            options.extend(more);
        }
        self
    }

    /// The environment's choice: a service when `DEEPLAKE_API_KEY` is set (workspace `DEEPLAKE_WORKSPACE`,
    /// default `default`; `DEEPLAKE_API_URL`, default the seed's), else the Lance store named by
    /// `LAKEFEED_STORE` (default `./lakefeed-data`).
    pub fn from_env() -> Self {
        let token = std::env::var(TOKEN_ENV).unwrap_or_default();
        if token.trim().is_empty() {
            return Self::choose(None, None, "", None);
        }
        Self::Service(Service {
            token,
            workspace: std::env::var(WORKSPACE_ENV).unwrap_or_else(|_| "default".into()),
            api_url: std::env::var(API_URL_ENV).ok(),
            write_path: WritePath::Auto,
        })
    }
}

/// A store and the engine that runs SQL over it. Cheap to clone.
#[derive(Clone)]
pub struct Backend {
    store: Arc<dyn TableStore>,
    engine: Arc<dyn QueryEngine>,
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend").finish_non_exhaustive()
    }
}

impl Backend {
    /// A backend from its parts.
    pub fn new(store: Arc<dyn TableStore>, engine: Arc<dyn QueryEngine>) -> Self {
        Self { store, engine }
    }

    /// Opens what `target` names. A kind of store this build leaves out (a cargo feature) is an error saying
    /// which feature it needs.
    pub async fn open(target: &Target) -> Result<Self> {
        match target {
            #[cfg(feature = "lance")]
            Target::Lance { location, options } => Ok(Self::lance(
                LanceStore::open_with(location, options.clone()).await?,
            )),
            #[cfg(feature = "remote")]
            Target::Service(s) => {
                let remote = RemoteStore::connect(&s.token, &s.workspace, s.api_url.as_deref())
                    .await?
                    .with_write_path(s.write_path)?;
                Ok(Self::remote(remote))
            }
            #[allow(unreachable_patterns)]
            other => {
                let (what, feature) = match other {
                    Target::Lance { .. } => ("a Lance store", "lance"),
                    Target::Service(_) => ("a service", "remote"),
                };
                Err(lakefeed_core::Error::Other(format!(
                    "this build of lakefeed cannot open {what}: it needs the `{feature}` feature"
                )))
            }
        }
    }

    /// A Lance store with lakefeed's SQL engine over it.
    #[cfg(feature = "lance")]
    pub fn lance(store: LanceStore) -> Self {
        Self::sql(SqlEngine::new(store))
    }

    /// The SQL engine and the Lance store it runs over (to set the engine's limits first).
    #[cfg(feature = "lance")]
    pub fn sql(engine: SqlEngine) -> Self {
        Self::new(Arc::new(engine.store().clone()), Arc::new(engine))
    }

    /// A service: it stores the rows and runs the SQL.
    #[cfg(feature = "remote")]
    pub fn remote(remote: RemoteStore) -> Self {
        let remote = Arc::new(remote);
        Self::new(remote.clone(), remote)
    }

    /// The data plane.
    pub fn store(&self) -> &Arc<dyn TableStore> {
        &self.store
    }

    /// The SQL engine.
    pub fn engine(&self) -> &Arc<dyn QueryEngine> {
        &self.engine
    }

    /// Runs one statement with `$1..$n` bound.
    pub async fn query(&self, sql: &str, params: &[Value]) -> Result<QueryResult> {
        self.engine.query(sql, params).await
    }
}
