//! Deterministic row ids: derived from content or stable names, never random, so a re-run of the same input
//! gives the same ids (what keyed writes and resumes rely on).

use uuid::Uuid;

/// A namespace for [`stable_id`]: each kind of id gets its own, so equal keys of different kinds never collide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdSpace(Uuid);

impl IdSpace {
    /// lakefeed's file ids (`file_id` of the files format).
    pub const FILES: Self = Self(Uuid::from_u128(0x6c61_6b65_6665_6564_8000_0000_0000_0001));
    /// Ids of rows that have no id column of their own (keyed by their bytes).
    pub const ROW_BYTES: Self = Self(Uuid::NAMESPACE_OID);

    /// A namespace of a format's own, named by a string (e.g. its format name).
    pub fn named(name: &str) -> Self {
        Self(Uuid::new_v5(&Self::FILES.0, name.as_bytes()))
    }
}

/// The UUIDv5 of `key` in `space`, as text.
pub fn stable_id(space: IdSpace, key: &[u8]) -> String {
    Uuid::new_v5(&space.0, key).to_string()
}

/// The id of the `n`-th row of a source: `"{file_id}_{n}"`.
pub fn row_id(file_id: &str, n: usize) -> String {
    format!("{file_id}_{n}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_spaced() {
        let a = stable_id(IdSpace::FILES, b"key");
        assert_eq!(a, stable_id(IdSpace::FILES, b"key"));
        assert_ne!(a, stable_id(IdSpace::named("coco"), b"key"));
        assert_eq!(row_id("f", 3), "f_3");
    }
}
