'use strict';
// lakefeed for Node.js: the managed SDK's Node API (`ManagedClient`) over lakefeed's Rust engine, the same engine
// the CLI, `lakefeed serve` and the Python package hold. With a token it is a client of a service (the seed's API
// or `lakefeed serve`); without one, of a local store (`store`, else LAKEFEED_STORE, else ./lakefeed-data) or an
// object store (`store: 's3://…'`). Every method returns a Promise and the engine works off the event loop.

const path = require('node:path');
const { tableFromIPC } = require('apache-arrow');
const errors = require('./errors');
const { ColumnEncoder } = require('./columns');

const { call, IngestError } = errors;
const native = require(process.env.LAKEFEED_NATIVE_PATH || path.join(__dirname, 'lakefeed.linux-x64-gnu.node'));

const DEFAULT_STORE = './lakefeed-data';

/** Whether `format` is a custom format object (the SDK's Format interface: `normalize()` and friends). */
function isCustom(format) {
  return format !== null && typeof format === 'object' && typeof format.normalize === 'function';
}

/** The seed's `data` and options as the native ingest spec. */
function ingestSpec(data, options = {}) {
  const spec = {};
  for (const k of ['schema', 'index', 'mode', 'key', 'thumbnails', 'chunkSize', 'chunkOverlap']) {
    if (options[k] !== undefined && options[k] !== null) spec[k] = options[k];
  }
  const format = options.format;
  if (format !== undefined && format !== null) {
    if (isCustom(format)) {
      // A custom format: its rows are pushed from JavaScript; its schema hints and IMAGE columns go along.
      const declared = (fn) => (typeof format[fn] === 'function' ? format[fn]() || {} : {});
      const hints = { ...declared('schema'), ...declared('pgSchema'), ...(spec.schema || {}) };
      for (const col of typeof format.imageColumns === 'function' ? format.imageColumns() : []) hints[col] = 'IMAGE';
      if (Object.keys(hints).length) spec.schema = hints;
      return spec;
    }
    if (typeof format === 'string') {
      spec.format = format;
      spec.options = options.formatOptions || {};
    } else if (typeof format === 'object' && typeof format.name === 'string' && format.options) {
      spec.format = format.name;
      spec.options = format.options;
    } else {
      throw new IngestError('format must be a registered format name or { name, options }');
    }
    return spec;
  }
  if (data === undefined || data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new IngestError('ingest needs data (an object of column arrays) or options.format');
  }
  if (Object.keys(data).length === 0) throw new IngestError('data must not be empty');
  if (typeof data._huggingface === 'string') {
    spec.huggingface = data._huggingface;
    return spec;
  }
  const schema = options.schema || {};
  const fileCols = Object.keys(schema).filter((c) => String(schema[c]).toUpperCase() === 'FILE');
  if (fileCols.length > 0) {
    spec.paths = fileCols.flatMap((c) => data[c] || []).map(String);
    spec.schema = Object.fromEntries(Object.entries(schema).filter(([c]) => !fileCols.includes(c)));
    return spec;
  }
  for (const [k, v] of Object.entries(data)) {
    if (!Array.isArray(v)) throw new IngestError(`column '${k}' must be an array of values`);
  }
  spec.columns = data;
  return spec;
}

/** Feeds a custom format's `normalize()` (an iterable or async iterable of column objects) to a running ingest;
 * an exception it throws fails the ingest with its message. */
async function pushRows(run, format) {
  const encoder = new ColumnEncoder();
  try {
    for await (const columns of format.normalize()) {
      const ipc = encoder.encode(columns);
      if (ipc) await call(run.push(ipc));
    }
  } catch (err) {
    await call(run.abort(`the format's normalize() failed: ${err && err.message ? err.message : String(err)}`));
    await call(run.finish()).catch(() => {});
    throw new IngestError(`the format's normalize() failed: ${err && err.message ? err.message : String(err)}`, { cause: err });
  }
}

/** The fluent query builder: `client.table(t).select(...).where(...).orderBy(...).limit(n).offset(n).execute()`. */
class ManagedQueryBuilder {
  constructor(client, table) {
    this._client = client;
    this._table = table;
    this._columns = ['*'];
    this._where = [];
    this._params = [];
    this._order = [];
    this._limit = null;
    this._offset = null;
  }

  select(...columns) { this._columns = columns.length ? columns : ['*']; return this; }

  where(condition, ...params) { this._where.push(condition); this._params.push(...params); return this; }

  orderBy(clause) { this._order.push(clause); return this; }

  limit(n) { this._limit = Number(n); return this; }

  offset(n) { this._offset = Number(n); return this; }

  /** The SQL text and its parameters. */
  build() {
    const quote = (c) => (c === '*' || /[\s()"*]/.test(c) ? c : `"${c.replaceAll('"', '""')}"`);
    let sql = `SELECT ${this._columns.map(quote).join(', ')} FROM "${this._table.replaceAll('"', '""')}"`;
    if (this._where.length) sql += ` WHERE ${this._where.map((w) => `(${w})`).join(' AND ')}`;
    if (this._order.length) sql += ` ORDER BY ${this._order.join(', ')}`;
    if (this._limit !== null) sql += ` LIMIT ${Math.trunc(this._limit)}`;
    if (this._offset !== null) sql += ` OFFSET ${Math.trunc(this._offset)}`;
    return [sql, this._params];
  }

  /** Runs the query: the rows as plain objects. */
  execute() {
    const [sql, params] = this.build();
    return this._client.query(sql, params);
  }
}

/** A table opened for reading: Arrow batches, or plain row objects. */
class Table {
  constructor(client, name, columns) {
    this._client = client;
    this.name = name;
    this._columns = columns;
  }

  /** Only these columns. */
  select(...columns) { return new Table(this._client, this.name, columns); }

  /** The number of rows. */
  async count() {
    const n = await call((await this._client._native()).count(this.name));
    return Number(n);
  }

  /** apache-arrow `RecordBatch`es of at most `batchSize` rows, read one at a time. */
  async *batches(batchSize = 10000) {
    const reader = await call((await this._client._native()).batches(this.name, batchSize, this._columns));
    for (;;) {
      const buf = await call(reader.next());
      if (buf === null || buf === undefined) return;
      yield* tableFromIPC(buf).batches;
    }
  }

  /** Plain row objects, `batchSize` read at a time. */
  async *rows(batchSize = 10000) {
    for await (const batch of this.batches(batchSize)) {
      for (let i = 0; i < batch.numRows; i++) yield batch.get(i).toJSON();
    }
  }

  [Symbol.asyncIterator]() { return this.rows(); }
}

/** The SDK's client. */
class ManagedClient {
  /**
   * @param {{token?: string, workspaceId?: string, apiUrl?: string, store?: string,
   *          storageOptions?: Record<string, string>}} [options]
   */
  constructor(options = {}) {
    this.token = options.token || null;
    this.workspaceId = options.workspaceId || 'default';
    this.apiUrl = this.token ? options.apiUrl || process.env.DEEPLAKE_API_URL || null : null;
    this.store = this.token ? null : options.store || process.env.LAKEFEED_STORE || DEFAULT_STORE;
    this.storageOptions = options.storageOptions || {};
    this._opened = null;
  }

  /** The native client, opened on first use. */
  _native() {
    if (!this._opened) {
      this._opened = this.token
        ? call(native.NativeClient.managed(this.token, this.workspaceId, this.apiUrl))
        : call(native.NativeClient.local(this.store, JSON.stringify(this.storageOptions)));
      this._opened.catch(() => { this._opened = null; });
    }
    return this._opened;
  }

  /**
   * Ingests `data` (column arrays; FILE paths with `schema: {col: 'FILE'}`; `{_huggingface: name}`) or a
   * registered format (`options.format`, with `options.formatOptions`). Appends when the table exists.
   */
  async ingest(tableName, data, options = {}) {
    const spec = ingestSpec(data, options);
    const client = await this._native();
    const custom = isCustom(options.format);
    let run;
    try {
      run = client.ingest(tableName, JSON.stringify(spec), custom);
    } catch (err) {
      throw errors.fromNative(err);
    }
    const onProgress = options.onProgress;
    let last = -1;
    const report = () => {
      const n = run.written();
      if (n !== last) { last = n; onProgress(n, null); }
    };
    const timer = typeof onProgress === 'function' ? setInterval(report, 50) : null;
    try {
      if (custom) await pushRows(run, options.format);
      const out = JSON.parse(await call(run.finish()));
      if (timer) report();
      return out;
    } finally {
      if (timer) clearInterval(timer);
    }
  }

  /** Runs SQL with `$1..$n` parameters: the rows as plain objects. */
  async query(sql, params) {
    const client = await this._native();
    return JSON.parse(await call(client.query(sql, params === undefined ? null : JSON.stringify(params))));
  }

  /** The fluent query builder over `table`. */
  table(table) { return new ManagedQueryBuilder(this, table); }

  async listTables() { return call((await this._native()).listTables()); }

  async dropTable(tableName, ifExists = true) { return call((await this._native()).dropTable(tableName, ifExists)); }

  async createIndex(tableName, column) { return call((await this._native()).createIndex(tableName, column)); }

  /** A table opened for reading (batches as apache-arrow `RecordBatch`es, or row objects). */
  async openTable(tableName) {
    await this._native();
    return new Table(this, tableName, null);
  }
}

module.exports = { ManagedClient, ManagedQueryBuilder, Table, ...errors, ingestSpec };
