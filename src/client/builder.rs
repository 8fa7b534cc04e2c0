//! The fluent query builder: `table(t).select(..).where_(cond, params).order_by(..).limit(n).offset(n)`.

use std::fmt::Write as _;

use lakefeed_core::query::quote_ident;
use lakefeed_core::{Error, Result};
use serde_json::Value;

/// A query built step by step: `table(t).select(..).where_(cond, params).order_by(..).limit(n).offset(n)`.
///
/// `where_` conditions use `$1, $2…` numbered across all calls, as the seed's builder numbers them
/// (`.where_("a = $1", [x]).where_("b > $2", [y])`); a condition whose placeholders start at or below the count of
/// earlier parameters is renumbered after them instead, so each condition can also be written starting at `$1`. Values are bound, never
/// interpolated; the table name is quoted.
#[derive(Debug, Clone, Default)]
pub struct QueryBuilder {
    table: String,
    columns: Vec<String>,
    conditions: Vec<String>,
    params: Vec<Value>,
    order: Vec<String>,
    limit: Option<u64>,
    offset: Option<u64>,
}

impl QueryBuilder {
    /// A `SELECT * FROM "table"` to refine.
    pub fn new(table: impl Into<String>) -> Self {
        Self {
            table: table.into(),
            ..Default::default()
        }
    }

    /// Columns or expressions to select (default `*`).
    pub fn select<S: AsRef<str>>(mut self, columns: impl IntoIterator<Item = S>) -> Self {
        self.columns
            .extend(columns.into_iter().map(|c| c.as_ref().to_string()));
        self
    }

    /// Adds a condition (ANDed with earlier ones) and its parameters: numbered after the earlier ones (`$2` for
    /// the second parameter overall), or from `$1` for this call's own first.
    pub fn where_(mut self, cond: &str, params: impl IntoIterator<Item = Value>) -> Self {
        let base = self.params.len();
        let already_global = lowest_placeholder(cond).is_none_or(|n| n > base);
        self.conditions.push(if already_global {
            cond.to_string()
        } else {
            renumber(cond, base)
        });
        self.params.extend(params);
        self
    }

    /// Adds an ORDER BY term, e.g. `"start_time DESC"`.
    pub fn order_by(mut self, term: &str) -> Self {
        self.order.push(term.to_string());
        self
    }

    /// LIMIT n.
    pub fn limit(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }

    /// OFFSET n.
    pub fn offset(mut self, n: u64) -> Self {
        self.offset = Some(n);
        self
    }

    /// The SQL text and its parameters.
    pub fn build(&self) -> Result<(String, Vec<Value>)> {
        if self.table.is_empty() {
            return Err(Error::query("no table given"));
        }
        let cols = if self.columns.is_empty() {
            "*".to_string()
        } else {
            self.columns.join(", ")
        };
        let mut sql = format!("SELECT {cols} FROM {}", quote_ident(&self.table));
        if !self.conditions.is_empty() {
            let conds: Vec<String> = self.conditions.iter().map(|c| format!("({c})")).collect();
            let _ = write!(sql, " WHERE {}", conds.join(" AND "));
        }
        if !self.order.is_empty() {
            let _ = write!(sql, " ORDER BY {}", self.order.join(", "));
        }
        if let Some(n) = self.limit {
            let _ = write!(sql, " LIMIT {n}");
        }
        if let Some(n) = self.offset {
            let _ = write!(sql, " OFFSET {n}");
        }
        Ok((sql, self.params.clone()))
    }
}

/// Shifts every `$k` outside quotes in `cond` by `base`.
/// The smallest `$n` outside quotes in `cond`.
fn lowest_placeholder(cond: &str) -> Option<usize> {
    let mut lowest = None;
    map_placeholders(cond, |n| {
        lowest = Some(lowest.map_or(n, |l: usize| l.min(n)));
        n
    });
    lowest
}

fn renumber(cond: &str, base: usize) -> String {
    map_placeholders(cond, |k| k + base)
}

/// `cond` with each `$n` outside quotes replaced by `$f(n)`.
fn map_placeholders(cond: &str, mut f: impl FnMut(usize) -> usize) -> String {
    let mut out = String::with_capacity(cond.len() + 4);
    let mut chars = cond.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, '$') if chars.peek().is_some_and(char::is_ascii_digit) => {
                let mut n = String::new();
                while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                    n.push(d);
                    chars.next();
                }
                let k: usize = n.parse().unwrap_or(0);
                let _ = write!(out, "${}", f(k));
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builder_numbers_params_across_calls_and_quotes_table() {
        let (sql, params) = QueryBuilder::new("my \"t\"")
            .select(["id", "text"])
            .where_("start_time > $1", [json!(5.0)])
            .where_("text = '$1' OR file_id = $1", [json!("f")])
            .order_by("start_time DESC")
            .limit(10)
            .offset(20)
            .build()
            .unwrap();
        assert_eq!(
            sql,
            "SELECT id, text FROM \"my \"\"t\"\"\" WHERE (start_time > $1) AND (text = '$1' OR file_id = $2) \
             ORDER BY start_time DESC LIMIT 10 OFFSET 20"
        );
        assert_eq!(params, vec![json!(5.0), json!("f")]);
    }

    #[test]
    fn builder_keeps_the_seeds_global_numbering() {
        let (sql, params) = QueryBuilder::new("videos")
            .where_("file_id = $1", [json!("abc123")])
            .where_("start_time > $2", [json!(60)])
            .build()
            .unwrap();
        assert_eq!(
            sql,
            "SELECT * FROM \"videos\" WHERE (file_id = $1) AND (start_time > $2)"
        );
        assert_eq!(params, vec![json!("abc123"), json!(60)]);
    }
}
