//! Table- and column-name rules shared by every store, format and manifest.

use crate::error::{Error, Result};

/// Table names: 1–128 characters of ASCII letters, digits, `_` and `-`, not starting with `-`.
/// They become directory names, so anything else is refused.
pub fn validate_table_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Error::Table(format!(
            "invalid table name '{name}': use 1-128 ASCII letters, digits, '_' or '-'"
        )))
    }
}

/// A column name usable unquoted in SQL and by every store: ASCII letters, digits and `_`, anything else
/// becoming `_` (`observation.state` → `observation_state`, `shoulder_pan.pos` → `shoulder_pan_pos`).
pub fn column_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn names() {
        assert!(super::validate_table_name("docs_2024-v1").is_ok());
        for bad in ["", "../x", "a b", "-x", "t.lance"] {
            assert!(super::validate_table_name(bad).is_err(), "{bad}");
        }
    }
}
