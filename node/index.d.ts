// Type declarations of the `lakefeed` Node package: the managed SDK's Node API (`@deeplake/node`'s names).
import type { RecordBatch } from 'apache-arrow';

/** A result row: column name → value. */
export type QueryRow = Record<string, unknown>;

/** What `ingest` resolves to (the SDK's keys, plus lakefeed's run report). */
export interface IngestResult {
  table_name: string;
  row_count: number;
  dataset_path: string;
  report: {
    rows: Record<string, number>;
    already_present: number;
    rows_present: number;
    skipped: { path: string; reason: string }[];
    warnings: string[];
    elapsed: number;
  };
}

/** A custom format: the Python SDK's `Format` interface. `normalize()` yields column objects. */
export interface Format {
  normalize(): Iterable<Record<string, unknown[]>> | AsyncIterable<Record<string, unknown[]>>;
  schema?(): Record<string, string>;
  pgSchema?(): Record<string, string>;
  imageColumns?(): string[];
}

/** A registered format by name with its options (`lakefeed formats NAME` lists them). */
export interface RegisteredFormat {
  name: string;
  options: Record<string, unknown>;
}

export interface IngestOptions {
  /** A custom format object, a registered format's name, or `{ name, options }`. */
  format?: Format | RegisteredFormat | string;
  /** A registered format's options, when `format` is its name. */
  formatOptions?: Record<string, unknown>;
  schema?: Record<string, string>;
  index?: string[];
  onProgress?: (processed: number, total: number | null) => void;
  chunkSize?: number;
  chunkOverlap?: number;
  mode?: 'append' | 'overwrite' | 'upsert';
  key?: string[];
  thumbnails?: boolean;
}

export interface ManagedClientOptions {
  /** A JWT: a client of a service (the seed's API or `lakefeed serve`). Without one, a local store. */
  token?: string;
  workspaceId?: string;
  apiUrl?: string;
  /** A directory or an object-store URI (default: LAKEFEED_STORE, else ./lakefeed-data). */
  store?: string;
  storageOptions?: Record<string, string>;
}

export class ManagedQueryBuilder {
  select(...columns: string[]): this;
  where(condition: string, ...params: unknown[]): this;
  orderBy(clause: string): this;
  limit(n: number): this;
  offset(n: number): this;
  build(): [string, unknown[]];
  execute(): Promise<QueryRow[]>;
}

/** A table opened for reading. */
export class Table {
  readonly name: string;
  select(...columns: string[]): Table;
  count(): Promise<number>;
  batches(batchSize?: number): AsyncGenerator<RecordBatch>;
  rows(batchSize?: number): AsyncGenerator<QueryRow>;
  [Symbol.asyncIterator](): AsyncGenerator<QueryRow>;
}

export class ManagedClient {
  constructor(options?: ManagedClientOptions);
  readonly token: string | null;
  readonly workspaceId: string;
  readonly apiUrl: string | null;
  readonly store: string | null;
  ingest(tableName: string, data?: Record<string, unknown[]> | null, options?: IngestOptions): Promise<IngestResult>;
  query(sql: string, params?: unknown[]): Promise<QueryRow[]>;
  table(table: string): ManagedQueryBuilder;
  listTables(): Promise<string[]>;
  dropTable(tableName: string, ifExists?: boolean): Promise<void>;
  createIndex(tableName: string, column: string): Promise<void>;
  openTable(tableName: string): Promise<Table>;
}

export class ManagedServiceError extends Error {
  retryable?: boolean;
  notFound?: boolean;
}
export class AuthError extends ManagedServiceError {}
export class TokenError extends AuthError {}
export class CredentialsError extends ManagedServiceError {}
export class IngestError extends ManagedServiceError {}
export class TableError extends ManagedServiceError {}
export class WorkspaceError extends ManagedServiceError {}
export class QueryError extends TableError {}
