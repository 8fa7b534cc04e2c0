//! Command-line arguments.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Turn videos, images, PDFs, text, COCO, LeRobot and HuggingFace data into typed, searchable tables.
#[derive(Debug, Parser)]
#[command(name = "lakefeed", version, about)]
pub struct Cli {
    /// The store: a directory or an object-store URI (`s3://bucket/prefix`, `gs://…`, `az://…`) [default: the
    /// manifest's `store`, else ./lakefeed-data].
    #[arg(long, global = true, env = "LAKEFEED_STORE")]
    pub store: Option<String>,
    /// An object-store setting `key=value` (`aws_endpoint=http://…`, `aws_region=…`, `allow_http=true`, …);
    /// repeatable. Credentials and endpoint otherwise come from the usual AWS_* environment.
    #[arg(long = "storage-option", global = true, value_name = "KEY=VALUE")]
    pub storage_options: Vec<String>,
    /// A managed service (the seed's API, or `lakefeed serve`): every command but `serve` works on its tables,
    /// with the token from DEEPLAKE_API_KEY.
    #[arg(long, global = true, env = "DEEPLAKE_API_URL")]
    pub api_url: Option<String>,
    /// The workspace on the service.
    #[arg(
        long,
        global = true,
        env = "DEEPLAKE_WORKSPACE",
        default_value = "default"
    )]
    pub workspace: String,
    /// More logging (-v info, -vv debug). LAKEFEED_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build every table a YAML manifest lists.
    Run {
        /// The manifest file.
        manifest: PathBuf,
        /// Run only this table (repeatable).
        #[arg(long = "only", value_name = "TABLE")]
        only: Vec<String>,
        /// Stop at the first table that fails (every table is checked before any is written).
        #[arg(long)]
        fail_fast: bool,
        /// Run as shard INDEX of COUNT (0-based): take a stable 1/COUNT of every table's inputs and stage the
        /// rows for `lakefeed commit`. Default: from SLURM_ARRAY_TASK_ID/COUNT, JOB_COMPLETION_INDEX with
        /// LAKEFEED_SHARDS, or RANK/WORLD_SIZE when set.
        #[arg(long, value_name = "INDEX/COUNT")]
        shard: Option<String>,
        /// The run's id (default: LAKEFEED_RUN_ID, else derived from the manifest and the shard count).
        #[arg(long, requires = "shard")]
        run_id: Option<String>,
    },
    /// Commit every shard of a sharded run in one transaction per table, then build the manifest's indexes.
    Commit {
        /// The manifest the shards ran.
        manifest: PathBuf,
        /// How many shards the run has.
        #[arg(long, env = "LAKEFEED_SHARDS")]
        shards: u32,
        /// The run's id, if the shards were given one.
        #[arg(long)]
        run_id: Option<String>,
        /// Commit the shards that finished even when others have not.
        #[arg(long)]
        allow_missing: bool,
    },
    /// Check a manifest (syntax, keys, formats, options, sources) without writing anything.
    Validate {
        /// The manifest file.
        manifest: PathBuf,
    },
    /// Print the manifest's JSON Schema (for editors).
    ManifestSchema,
    /// Serve the managed REST API over the store (`--store` is the root of `{org}/{workspace}` stores).
    Serve(ServeArgs),
    /// Browse the store's tables in a web viewer on loopback (prints its address).
    View {
        /// Address to listen on, a loopback one (port 0 picks one).
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: std::net::SocketAddr,
    },
    /// Print a token `serve --jwt-secret` accepts (HS256; set it as DEEPLAKE_API_KEY for clients).
    Token(TokenArgs),
    /// Ingest files (PATH…), a records file (--rows) or any registered format (--format) into TABLE.
    Ingest(IngestArgs),
    /// Run SQL (PostgreSQL dialect with $1..$n parameters) and print the result.
    Query(QueryArgs),
    /// List tables.
    Tables,
    /// Drop a table.
    Drop {
        /// The table.
        table: String,
        /// Succeed when the table does not exist.
        #[arg(long)]
        if_exists: bool,
    },
    /// Build a search index on a column (ANN for EMBEDDING, BM25 for TEXT).
    Index {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// Compact a table and fold rows added since its indexes were built into them.
    Optimize {
        /// The table.
        table: String,
    },
    /// List registered formats, or show one format's options.
    Formats {
        /// A format name.
        name: Option<String>,
    },
}

/// `serve` arguments.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks one; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// HS256 secret tokens are signed with.
    #[arg(
        long,
        env = "LAKEFEED_JWT_SECRET",
        hide_env_values = true,
        conflicts_with = "jwt_public_key"
    )]
    pub jwt_secret: Option<String>,
    /// A PEM public key (RSA for RS256, EC P-256 for ES256) tokens are signed for.
    #[arg(long, value_name = "FILE")]
    pub jwt_public_key: Option<PathBuf>,
    /// Largest request body, in MiB.
    #[arg(long, default_value_t = 64)]
    pub max_body_mb: usize,
    /// Most rows a query may return.
    #[arg(long, default_value_t = 100_000)]
    pub max_result_rows: usize,
    /// Longest a query may run, in seconds.
    #[arg(long, default_value_t = 60)]
    pub query_timeout_s: u64,
}

/// `token` arguments.
#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// The org the token belongs to (a directory under the server's store).
    #[arg(long)]
    pub org: String,
    /// Limit the token to this workspace (repeatable; default: every workspace of the org).
    #[arg(long = "workspace-only", value_name = "WS")]
    pub workspaces: Vec<String>,
    /// Hours until it expires.
    #[arg(long, default_value_t = 24)]
    pub hours: u64,
    /// The server's HS256 secret.
    #[arg(long, env = "LAKEFEED_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: String,
}

/// `ingest` arguments.
#[derive(Debug, clap::Args)]
pub struct IngestArgs {
    /// Target table; with `--prefix`, the source the format group reads (e.g. a LeRobot dataset directory).
    #[arg(value_name = "TABLE")]
    pub table: String,
    /// Files, directories or globs to ingest with the `files` format.
    #[arg(conflicts_with_all = ["rows", "format"])]
    pub paths: Vec<String>,
    /// A JSONL, CSV or Parquet file: one row per record.
    #[arg(long, conflicts_with = "format")]
    pub rows: Option<PathBuf>,
    /// A registered format name (see `lakefeed formats`).
    #[arg(long)]
    pub format: Option<String>,
    /// A format option `key=value` (value read as JSON when it parses). Repeatable.
    #[arg(long = "opt", value_name = "KEY=VALUE", requires = "format")]
    pub opts: Vec<String>,
    /// A column type hint `column=TYPE` (e.g. `embedding=EMBEDDING(384)`). Repeatable.
    #[arg(long = "schema", value_name = "COLUMN=TYPE")]
    pub schema: Vec<String>,
    /// A column to index after ingesting. Repeatable.
    #[arg(long = "index", value_name = "COLUMN")]
    pub index: Vec<String>,
    /// Append to an existing table (default), replace it, or upsert by key.
    #[arg(long, value_enum, default_value_t = Mode::Append)]
    pub mode: Mode,
    /// A column identifying a row (repeat for a compound key): rows whose key is present are not written again
    /// (`--mode upsert`: replaced). Formats with row ids are keyed by `id` without it.
    #[arg(long = "key", value_name = "COLUMN")]
    pub key: Vec<String>,
    /// Convert one source into several tables `{PREFIX}_…` with a format group (`--format lerobot DIR --prefix
    /// droid` → droid_tasks, droid_frames, droid_episodes).
    #[arg(long, requires = "format", conflicts_with_all = ["paths", "rows", "schema", "key", "index"])]
    pub prefix: Option<String>,
}

/// `--mode` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Mode {
    /// Append (create if missing).
    Append,
    /// Replace the table in one commit at the end.
    Overwrite,
    /// Append, replacing rows whose key matches.
    Upsert,
}

/// `query` arguments.
#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// The SQL text.
    pub sql: String,
    /// A parameter for $1, $2, … in order; read as JSON when it parses (numbers, [0.1, 0.2] vectors), else text.
    #[arg(long = "param", value_name = "VALUE", allow_hyphen_values = true)]
    pub params: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Table)]
    pub output: Output,
}

/// `--output` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Output {
    /// An aligned text table.
    Table,
    /// A JSON array with one object per row.
    Json,
    /// CSV with a header row.
    Csv,
}
