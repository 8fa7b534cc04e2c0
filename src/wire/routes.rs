//! Every endpoint's method and path, written once: `lakefeed serve` routes these patterns and the client fills
//! them in. `{ws}` stands for the workspace and `{table}` for the table (axum's pattern syntax).

/// An HTTP method of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET: reads.
    Get,
    /// POST.
    Post,
    /// PUT: creates.
    Put,
    /// PATCH: alters.
    Patch,
    /// DELETE.
    Delete,
}

impl Method {
    /// The method's name, e.g. `"GET"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }

    /// Sending it twice does what sending it once does, whatever the body: GET and DELETE (a PUT here creates
    /// a table and appends rows, so it is not).
    pub fn is_idempotent(self) -> bool {
        matches!(self, Self::Get | Self::Delete)
    }
}

/// One endpoint: a method and a path pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// The method.
    pub method: Method,
    /// The path, with `{ws}` and `{table}` placeholders.
    pub pattern: &'static str,
}

impl Endpoint {
    const fn new(method: Method, pattern: &'static str) -> Self {
        Self { method, pattern }
    }

    /// The path for workspace `ws` and table `table` (names are checked identifiers, so nothing needs escaping;
    /// `table` is ignored by patterns without one).
    pub fn path(&self, ws: &str, table: &str) -> String {
        self.pattern.replace("{ws}", ws).replace("{table}", table)
    }
}

/// `GET /health`: `{status, version, features}`; no token needed.
pub const HEALTH: Endpoint = Endpoint::new(Method::Get, "/health");
/// `GET /me`: the caller, `{id, organizations}`.
pub const ME: Endpoint = Endpoint::new(Method::Get, "/me");
/// `GET /workspaces`: the org's workspaces, `{data: [{id, org_id, name}]}`.
pub const WORKSPACES: Endpoint = Endpoint::new(Method::Get, "/workspaces");
/// `GET /workspaces/{ws}/tables`: `{tables: [{table_name}]}`.
pub const LIST_TABLES: Endpoint = Endpoint::new(Method::Get, "/workspaces/{ws}/tables");
/// `POST /workspaces/{ws}/tables` [`super::messages::CreateTable`]: 201 `{status}`.
pub const CREATE_TABLE: Endpoint = Endpoint::new(Method::Post, "/workspaces/{ws}/tables");
/// `DELETE /workspaces/{ws}/tables/{table}`.
pub const DROP_TABLE: Endpoint = Endpoint::new(Method::Delete, "/workspaces/{ws}/tables/{table}");
/// `POST /workspaces/{ws}/tables/query` [`super::messages::QueryRequest`] → [`super::messages::QueryResponse`].
pub const QUERY: Endpoint = Endpoint::new(Method::Post, "/workspaces/{ws}/tables/query");
/// `POST /workspaces/{ws}/tables/{table}/optimize` (lakefeed's): compaction and index refresh.
pub const OPTIMIZE: Endpoint =
    Endpoint::new(Method::Post, "/workspaces/{ws}/tables/{table}/optimize");
/// `POST /workspaces/{ws}/tables/{table}/replace` [`super::messages::Replace`] (lakefeed's): the table's rows
/// become a staging table's in one commit.
pub const REPLACE: Endpoint =
    Endpoint::new(Method::Post, "/workspaces/{ws}/tables/{table}/replace");
/// `POST /workspaces/{ws}/arrow/query` (lakefeed's): a query's result as an Arrow IPC stream.
pub const ARROW_QUERY: Endpoint = Endpoint::new(Method::Post, "/workspaces/{ws}/arrow/query");
/// `GET /workspaces/{ws}/arrow/tables/{table}?`[`super::messages::ReadParams`] (lakefeed's): rows streamed as
/// Arrow IPC.
pub const ARROW_READ: Endpoint =
    Endpoint::new(Method::Get, "/workspaces/{ws}/arrow/tables/{table}");
/// `PUT /workspaces/{ws}/arrow/tables/{table}` (lakefeed's): create from the stream's schema, append its rows.
pub const ARROW_CREATE: Endpoint =
    Endpoint::new(Method::Put, "/workspaces/{ws}/arrow/tables/{table}");
/// `POST /workspaces/{ws}/arrow/tables/{table}?`[`super::messages::WriteParams`] (lakefeed's): write the
/// stream's rows in one commit → [`super::messages::Written`].
pub const ARROW_WRITE: Endpoint =
    Endpoint::new(Method::Post, "/workspaces/{ws}/arrow/tables/{table}");
/// `PATCH /workspaces/{ws}/arrow/tables/{table}` (lakefeed's): add the stream's (schema-only) columns.
pub const ARROW_ADD_COLUMNS: Endpoint =
    Endpoint::new(Method::Patch, "/workspaces/{ws}/arrow/tables/{table}");

/// Every endpoint.
pub const ALL: [Endpoint; 14] = [
    HEALTH,
    ME,
    WORKSPACES,
    LIST_TABLES,
    CREATE_TABLE,
    DROP_TABLE,
    QUERY,
    OPTIMIZE,
    REPLACE,
    ARROW_QUERY,
    ARROW_READ,
    ARROW_CREATE,
    ARROW_WRITE,
    ARROW_ADD_COLUMNS,
];

/// Percent-encodes a query-string value (letters, digits and `_-.,` kept).
pub fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.' | b',' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `?k=v&…` from pairs, values escaped (empty when there are none).
pub fn query_string(pairs: &[(&str, String)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let joined: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", url_escape(v)))
        .collect();
    format!("?{}", joined.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fill_in_the_workspace_and_table() {
        assert_eq!(QUERY.path("ws", ""), "/workspaces/ws/tables/query");
        assert_eq!(ARROW_READ.path("ws", "t"), "/workspaces/ws/arrow/tables/t");
        assert_eq!(HEALTH.path("ws", "t"), "/health");
        let mut seen = std::collections::HashSet::new();
        for e in ALL {
            assert!(seen.insert((e.method, e.pattern)), "{e:?} twice");
        }
    }
}
