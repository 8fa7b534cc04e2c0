//! What every handler shares: the configuration and the backends of the org/workspace stores opened so far.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use lakefeed_core::{Error, Result, validate_table_name};

use super::{Caller, ServeConfig};
use crate::backend::Backend;
use crate::sql::SqlEngine;
use crate::store::LanceStore;

/// The server's state, shared by every request.
pub(super) struct AppState {
    pub config: ServeConfig,
    /// Open backends (and the store under each) by (org, workspace).
    backends: Mutex<HashMap<(String, String), (Backend, LanceStore)>>,
}

/// The state as handlers hold it.
pub(super) type Shared = Arc<AppState>;

impl AppState {
    pub fn new(config: ServeConfig) -> Self {
        Self {
            config,
            backends: Mutex::new(HashMap::new()),
        }
    }

    /// The backend of `caller`'s org and workspace `ws` (opened, and created, on first use). Its engine stops a
    /// result past the server's row limit.
    pub async fn backend(&self, caller: &Caller, ws: &str) -> Result<Backend> {
        Ok(self.workspace(caller, ws).await?.0)
    }

    /// [`Self::backend`] and the Lance store under it.
    pub async fn workspace(&self, caller: &Caller, ws: &str) -> Result<(Backend, LanceStore)> {
        let key = (caller.org.clone(), ws.to_string());
        if let Some(b) = self.lock().get(&key) {
            return Ok(b.clone());
        }
        validate_table_name(&caller.org).map_err(|_| {
            Error::Auth(format!("the token's org id '{}' is not usable", caller.org))
        })?;
        validate_table_name(ws)
            .map_err(|_| Error::Workspace(format!("invalid workspace name '{ws}'")))?;
        let loc = self.config.root.join(&caller.org)?.join(ws)?;
        let lance = LanceStore::at(loc).await?;
        let backend = Backend::sql(
            SqlEngine::new(lance.clone()).with_max_result_rows(self.config.max_result_rows),
        );
        // Two first requests may both open it: the first one stored wins.
        Ok(self.lock().entry(key).or_insert((backend, lance)).clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), (Backend, LanceStore)>> {
        self.backends.lock().unwrap_or_else(|p| p.into_inner())
    }
}
