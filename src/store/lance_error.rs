//! lancedb's errors as lakefeed's, by kind: a missing table stays not-found, a lost commit race becomes a
//! retryable [`Error::CommitConflict`], everything else a store error with the cause kept.

use lakefeed_core::Error;

/// The lakefeed error for `e`, raised while doing `action` on `table`.
pub(crate) fn from_lance(table: &str, action: &str, e: lancedb::Error) -> Error {
    match e {
        lancedb::Error::TableNotFound { .. } => Error::TableNotFound(table.to_string()),
        lancedb::Error::TableAlreadyExists { name } => Error::TableExists(name),
        lancedb::Error::Lance { source } if is_conflict(&source) => Error::CommitConflict {
            table: table.to_string(),
            source: Box::new(source),
        },
        other => Error::store(format!("{action} '{table}'"), other),
    }
}

/// The lakefeed error for a lance (not lancedb) error, raised while doing `action` on `table`.
pub(crate) fn from_lance_core(table: &str, action: &str, e: lance_core::Error) -> Error {
    match e {
        lance_core::Error::DatasetNotFound { .. } => Error::TableNotFound(table.to_string()),
        e if is_conflict(&e) => Error::CommitConflict {
            table: table.to_string(),
            source: Box::new(e),
        },
        other => Error::store(format!("{action} '{table}'"), other),
    }
}

/// The lakefeed error for a failure not tied to one table (connecting, listing).
pub(crate) fn from_lance_store(action: &str, e: lancedb::Error) -> Error {
    Error::store(action.to_string(), e)
}

fn is_conflict(e: &lance_core::Error) -> bool {
    matches!(
        e,
        lance_core::Error::CommitConflict { .. }
            | lance_core::Error::RetryableCommitConflict { .. }
            // Another writer replaced the table meanwhile: trying again writes onto the new version.
            | lance_core::Error::IncompatibleTransaction { .. }
            | lance_core::Error::TooMuchWriteContention { .. }
    )
}

#[cfg(test)]
mod tests {
    use lakefeed_core::ErrorClass;

    use super::*;

    fn lance(e: lance_core::Error) -> lancedb::Error {
        lancedb::Error::Lance { source: e }
    }

    #[test]
    fn lost_commit_races_are_retryable_and_keep_the_cause() {
        let cause = || lance_core::box_error(std::io::Error::other("version 7 was taken"));
        for e in [
            lance_core::Error::commit_conflict_source(7, cause()),
            lance_core::Error::retryable_commit_conflict_source(7, cause()),
            lance_core::Error::too_much_write_contention("20 retries"),
        ] {
            let e = from_lance("t", "append to", lance(e));
            assert!(matches!(e, Error::CommitConflict { .. }), "{e}");
            assert!(e.is_retryable());
            assert!(std::error::Error::source(&e).is_some());
        }
        let other = from_lance("t", "append to", lance(lance_core::Error::io("disk full")));
        assert!(!other.is_retryable());
        assert_eq!(other.class(), ErrorClass::ManagedService);
        assert!(other.chain().contains("disk full"), "{}", other.chain());
        let missing = lancedb::Error::TableNotFound {
            name: "t".into(),
            source: "gone".into(),
        };
        assert!(from_lance("t", "open", missing).is_not_found());
    }
}
