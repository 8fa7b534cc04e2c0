'use strict';
// A custom format's column objects ({col: [values]}) as Arrow IPC streams for the native module. Each column's
// Arrow type is chosen from its values the first time it is seen and kept for the rest of the run, so every
// batch has one schema: bytes (Buffer, Uint8Array) → Binary, strings → Utf8, booleans → Bool, bigints and
// integral numbers → Int64, other numbers → Float64, arrays of numbers → List<Float32>, other objects → JSON text.

const arrow = require('apache-arrow');

function kindOf(values) {
  const v = values.find((x) => x !== null && x !== undefined);
  if (v === undefined) return 'utf8';
  if (v instanceof Uint8Array) return 'binary';
  if (typeof v === 'string') return 'utf8';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'bigint') return 'int64';
  if (typeof v === 'number') return values.every((x) => x === null || x === undefined || Number.isInteger(x)) ? 'int64' : 'float64';
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return 'floats';
  return 'json';
}

function arrowType(kind) {
  switch (kind) {
    case 'binary': return new arrow.Binary();
    case 'bool': return new arrow.Bool();
    case 'int64': return new arrow.Int64();
    case 'float64': return new arrow.Float64();
    case 'floats': return new arrow.List(new arrow.Field('item', new arrow.Float32(), true));
    default: return new arrow.Utf8();
  }
}

function convert(kind, values) {
  const nil = (x) => x === null || x === undefined;
  switch (kind) {
    case 'int64': return values.map((x) => (nil(x) ? null : BigInt(x)));
    case 'float64': return values.map((x) => (nil(x) ? null : Number(x)));
    case 'json': return values.map((x) => (nil(x) ? null : typeof x === 'string' ? x : JSON.stringify(x)));
    case 'utf8': return values.map((x) => (nil(x) ? null : String(x)));
    default: return values.map((x) => (nil(x) ? null : x));
  }
}

/** Converts column objects to IPC buffers, remembering each column's kind. */
class ColumnEncoder {
  constructor() { this.kinds = new Map(); }

  /** One column object as an Arrow IPC stream (null when it has no rows). */
  encode(columns) {
    if (columns === null || typeof columns !== 'object' || Array.isArray(columns)) {
      throw new TypeError('normalize() must yield objects of column arrays');
    }
    const names = Object.keys(columns);
    let rows = null;
    const vectors = {};
    for (const name of names) {
      const values = columns[name];
      if (!Array.isArray(values)) throw new TypeError(`column '${name}' must be an array of values`);
      if (rows === null) rows = values.length;
      else if (values.length !== rows) throw new TypeError(`column '${name}' has ${values.length} values, not ${rows}`);
      if (!this.kinds.has(name)) this.kinds.set(name, kindOf(values));
      const kind = this.kinds.get(name);
      vectors[name] = arrow.vectorFromArray(convert(kind, values), arrowType(kind));
    }
    if (!rows) return null;
    return Buffer.from(arrow.tableToIPC(new arrow.Table(vectors), 'stream'));
  }
}

module.exports = { ColumnEncoder };
