//! The JSON bodies and query parameters of every endpoint ([`super::routes`]), as both sides read and write
//! them. Readers are lenient where the seed's service may say less (missing fields take defaults); unknown
//! fields are ignored.

use lakefeed_core::WriteMode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The seed's query body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QueryRequest {
    /// One SQL statement.
    pub query: String,
    /// `$1..$n`, bound (never spliced into the text).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<Value>,
    /// The caller's time limit (the server's own limit caps it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
}

/// The seed's query answer: column names and rows of JSON values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QueryResponse {
    /// Column names, in order.
    #[serde(default)]
    pub columns: Vec<String>,
    /// Rows, values in column order.
    #[serde(default)]
    pub rows: Vec<Vec<Value>>,
    /// How many rows.
    #[serde(default)]
    pub row_count: usize,
}

/// The seed's create body: the table and its columns' SQL type names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CreateTable {
    /// The table.
    pub table_name: String,
    /// Column → SQL type name (PostgreSQL's or lakefeed's: `TEXT`, `IMAGE`, `EMBEDDING(384)`…).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub table_schema: Map<String, Value>,
}

/// One table of a listing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TableInfo {
    /// Its name.
    pub table_name: String,
}

/// `GET /workspaces/{ws}/tables`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tables {
    /// The workspace's tables.
    #[serde(default)]
    pub tables: Vec<TableInfo>,
}

/// What a call that returns nothing else did: `created`, `dropped`, `altered`, `optimized`, `replaced`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// The word.
    #[serde(default)]
    pub status: String,
}

impl Status {
    /// A status body.
    pub fn new(status: &str) -> Self {
        Self {
            status: status.to_string(),
        }
    }
}

/// `GET /health`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// `ok`.
    #[serde(default)]
    pub status: String,
    /// The server's version.
    #[serde(default)]
    pub version: String,
    /// What the server has beyond the seed's API (`arrow-ipc`).
    #[serde(default)]
    pub features: Vec<String>,
}

/// `GET /me`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Me {
    /// The user, when the token names one.
    #[serde(default)]
    pub id: Option<String>,
    /// The user's orgs (ids as strings; other shapes are kept as they come).
    #[serde(default)]
    pub organizations: Vec<Value>,
}

/// One workspace of `GET /workspaces`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkspaceInfo {
    /// Its id.
    pub id: String,
    /// Its org.
    pub org_id: String,
    /// Its name.
    pub name: String,
}

/// `GET /workspaces`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Workspaces {
    /// The org's workspaces the caller may use.
    #[serde(default)]
    pub data: Vec<WorkspaceInfo>,
}

/// An error answer: the message, its [`super::codes::ErrorCode`], and the request's id. Not-found and
/// already-exists answers name the table, so a client raises the same error the server had.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong.
    #[serde(default)]
    pub error: String,
    /// The error's code.
    #[serde(default)]
    pub code: String,
    /// The request's id (also the `x-request-id` header).
    #[serde(default)]
    pub request_id: String,
    /// The table a not-found or already-exists error is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// A query error's own message, without the class's "query failed" wording that `error` starts with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What an Arrow read selects (the query string of [`super::routes::ARROW_READ`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReadParams {
    /// Comma-separated columns (all when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<String>,
    /// A SQL predicate on the table's columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Rows per batch at most (0: the store's default).
    #[serde(default)]
    pub batch_size: usize,
    /// At most this many rows (0: only the schema).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}

/// How an Arrow write treats rows already present (the query string of [`super::routes::ARROW_WRITE`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WriteParams {
    /// Append or upsert (an overwrite is staged and `replace`d).
    #[serde(default)]
    pub mode: WriteMode,
    /// Comma-separated key columns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The rows' keys are unique within the run.
    #[serde(default)]
    pub unique: bool,
}

/// What an Arrow write did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Written {
    /// Rows written.
    #[serde(default)]
    pub inserted: u64,
    /// Rows left out because their key was present.
    #[serde(default)]
    pub skipped: u64,
}

/// The body of [`super::routes::REPLACE`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Replace {
    /// The staging table whose rows become the table's.
    pub from: String,
}

/// Comma-separated names as a list (none for `None` or an empty string).
pub fn names(s: Option<&str>) -> Vec<String> {
    s.map(|s| {
        s.split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect()
    })
    .unwrap_or_default()
}

impl ReadParams {
    /// The query string, `?…`.
    pub fn query_string(&self) -> String {
        let mut pairs = vec![("batch_size", self.batch_size.to_string())];
        if let Some(c) = &self.columns {
            pairs.push(("columns", c.clone()));
        }
        if let Some(f) = &self.filter {
            pairs.push(("filter", f.clone()));
        }
        if let Some(l) = self.limit {
            pairs.push(("limit", l.to_string()));
        }
        super::routes::query_string(&pairs)
    }
}

impl WriteParams {
    /// The query string, `?…`.
    pub fn query_string(&self) -> String {
        let mode = match self.mode {
            WriteMode::Append => "append",
            WriteMode::Overwrite => "overwrite",
            WriteMode::Upsert => "upsert",
        };
        let mut pairs = vec![("mode", mode.to_string())];
        if let Some(k) = &self.key {
            pairs.push(("key", k.clone()));
        }
        if self.unique {
            pairs.push(("unique", "true".into()));
        }
        super::routes::query_string(&pairs)
    }
}

/// A message as a JSON value (for a request body).
pub fn to_json<T: Serialize>(message: &T) -> lakefeed_core::Result<Value> {
    serde_json::to_value(message)
        .map_err(|e| lakefeed_core::Error::Other(format!("cannot encode a request body: {e}")))
}

#[cfg(test)]
mod tests {
    use serde::de::DeserializeOwned;
    use serde_json::json;

    use super::*;

    fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(m: T) {
        let text = serde_json::to_string(&m).unwrap();
        let back: T = serde_json::from_str(&text).unwrap();
        assert_eq!(back, m, "{text}");
    }

    #[test]
    fn every_message_round_trips() {
        round_trip(QueryRequest {
            query: "SELECT $1".into(),
            params: vec![json!(1), json!([0.5, 1.0]), json!(null)],
            timeout_ms: Some(500),
        });
        round_trip(QueryRequest {
            query: "SELECT 1".into(),
            ..Default::default()
        });
        round_trip(QueryResponse {
            columns: vec!["a".into()],
            rows: vec![vec![json!("x")]],
            row_count: 1,
        });
        let mut schema = Map::new();
        schema.insert("image".into(), json!("IMAGE"));
        round_trip(CreateTable {
            table_name: "t".into(),
            table_schema: schema,
        });
        round_trip(Tables {
            tables: vec![TableInfo {
                table_name: "t".into(),
            }],
        });
        round_trip(Status::new("created"));
        round_trip(Health {
            status: "ok".into(),
            version: "0.1.0".into(),
            features: vec!["arrow-ipc".into()],
        });
        round_trip(Me {
            id: Some("u".into()),
            organizations: vec![json!("org")],
        });
        round_trip(Workspaces {
            data: vec![WorkspaceInfo {
                id: "ws".into(),
                org_id: "org".into(),
                name: "ws".into(),
            }],
        });
        round_trip(ErrorBody {
            error: "gone".into(),
            code: "NOT_FOUND".into(),
            request_id: "r".into(),
            table: Some("t".into()),
            detail: None,
        });
        round_trip(ReadParams {
            columns: Some("a,b".into()),
            filter: Some("a > 1".into()),
            batch_size: 10,
            limit: Some(0),
        });
        round_trip(WriteParams {
            mode: WriteMode::Upsert,
            key: Some("id".into()),
            unique: true,
        });
        round_trip(Written {
            inserted: 3,
            skipped: 1,
        });
        round_trip(Replace { from: "s".into() });
    }

    #[test]
    fn the_seed_s_shorter_answers_read_with_defaults() {
        let r: QueryResponse =
            serde_json::from_str(r#"{"columns": ["n"], "rows": [[1]]}"#).unwrap();
        assert_eq!(r.rows, vec![vec![json!(1)]]);
        let t: Tables =
            serde_json::from_str(r#"{"tables": [{"table_name": "a", "extra": 1}]}"#).unwrap();
        assert_eq!(t.tables[0].table_name, "a");
    }

    #[test]
    fn query_strings_escape_their_values() {
        let p = ReadParams {
            columns: Some("a,b".into()),
            filter: Some("a = 'x y'".into()),
            batch_size: 5,
            limit: None,
        };
        assert_eq!(
            p.query_string(),
            "?batch_size=5&columns=a,b&filter=a%20%3D%20%27x%20y%27"
        );
        let w = WriteParams {
            mode: WriteMode::Append,
            key: Some("id".into()),
            unique: false,
        };
        assert_eq!(w.query_string(), "?mode=append&key=id");
    }
}
