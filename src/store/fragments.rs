//! Reading a table fragment by fragment at one version: one reader per fragment for distributed readers (Ray
//! Data read tasks), all seeing the same snapshot.

use futures::StreamExt;
use lakefeed_core::{BatchStream, Error, Result};

use super::lance::LanceStore;
use super::lance_error::from_lance_core;

/// A table's fragments at one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragments {
    /// The version they belong to.
    pub version: u64,
    /// Each fragment's id and row count.
    pub fragments: Vec<(u64, u64)>,
}

impl LanceStore {
    /// The fragments of `table`'s latest version.
    pub async fn fragments(&self, table: &str) -> Result<Fragments> {
        let ds = self.store_location().dataset(table).await?;
        let fragments = ds
            .get_fragments()
            .iter()
            .map(|f| {
                let rows = f.metadata().num_rows().unwrap_or_default() as u64;
                (f.id() as u64, rows)
            })
            .collect();
        Ok(Fragments {
            version: ds.version().version,
            fragments,
        })
    }

    /// Streams fragment `id` of `table` at `version`, with only `columns` when given.
    pub async fn scan_fragment(
        &self,
        table: &str,
        version: u64,
        id: u64,
        columns: Option<Vec<String>>,
    ) -> Result<BatchStream> {
        let ds = self.store_location().dataset(table).await?;
        let ds = ds
            .checkout_version(version)
            .await
            .map_err(|e| from_lance_core(table, "read", e))?;
        let fragment = ds.get_fragment(id as usize).ok_or_else(|| {
            Error::Table(format!(
                "'{table}' has no fragment {id} at version {version}"
            ))
        })?;
        let mut scan = fragment.scan();
        if let Some(cols) = &columns {
            scan.project(cols)
                .map_err(|e| from_lance_core(table, "read", e))?;
        }
        let stream = scan
            .try_into_stream()
            .await
            .map_err(|e| from_lance_core(table, "read", e))?;
        let table = table.to_string();
        Ok(Box::pin(stream.map(move |r| {
            r.map_err(|e| from_lance_core(&table, "read", e))
        })))
    }
}
