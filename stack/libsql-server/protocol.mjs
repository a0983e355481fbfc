/**
 * Decoding of Hrana-over-HTTP JSON bodies (docs/HRANA_3_SPEC.md in the libSQL
 * repository) into plain objects the stream can execute, and encoding of SQLite
 * values back to JSON.
 *
 * The whole body is checked before any request runs, so a malformed pipeline is
 * refused with HTTP 400 and never half-executed; unknown fields are ignored, as
 * the spec asks for forward compatibility.
 */
import { ProtocolError } from './errors.mjs';

/** @typedef {null | bigint | number | string | Buffer} SqlValue */
/** @typedef {{ sql?: string, sqlId?: number }} SqlRef */
/** @typedef {SqlRef & { args: SqlValue[], namedArgs: { name: string, value: SqlValue }[], wantRows: boolean }} Stmt */
/**
 * @typedef {{ type: 'ok' | 'error', step: number }
 *   | { type: 'not', cond: BatchCond }
 *   | { type: 'and' | 'or', conds: BatchCond[] }
 *   | { type: 'is_autocommit' }} BatchCond
 */
/** @typedef {{ steps: { condition: BatchCond | null, stmt: Stmt }[] }} Batch */
/**
 * @typedef {{ type: 'close' } | { type: 'get_autocommit' }
 *   | { type: 'execute', stmt: Stmt } | { type: 'batch', batch: Batch }
 *   | (SqlRef & { type: 'sequence' | 'describe' })
 *   | { type: 'store_sql', sqlId: number, sql: string } | { type: 'close_sql', sqlId: number }} StreamRequest
 */

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** @param {unknown} body @returns {{ baton: string | null, requests: StreamRequest[] }} */
export function decodePipelineBody(body) {
  const obj = object(body, 'body');
  const requests = array(obj.requests, 'requests').map((r, i) => decodeRequest(r, `requests[${i}]`));
  return { baton: optionalString(obj.baton, 'baton') ?? null, requests };
}

/** @param {unknown} body @returns {{ baton: string | null, batch: Batch }} */
export function decodeCursorBody(body) {
  const obj = object(body, 'body');
  return { baton: optionalString(obj.baton, 'baton') ?? null, batch: decodeBatch(obj.batch, 'batch') };
}

/** @param {unknown} value @param {string} path @returns {StreamRequest} */
function decodeRequest(value, path) {
  const r = object(value, path);
  switch (r.type) {
    case 'close':
    case 'get_autocommit':
      return { type: r.type };
    case 'execute':
      return { type: 'execute', stmt: decodeStmt(r.stmt, `${path}.stmt`) };
    case 'batch':
      return { type: 'batch', batch: decodeBatch(r.batch, `${path}.batch`) };
    case 'sequence':
    case 'describe':
      return { type: r.type, ...decodeSqlRef(r, path) };
    case 'store_sql':
      return { type: 'store_sql', sqlId: int32(r.sql_id, `${path}.sql_id`), sql: string(r.sql, `${path}.sql`) };
    case 'close_sql':
      return { type: 'close_sql', sqlId: int32(r.sql_id, `${path}.sql_id`) };
    default:
      throw new ProtocolError(`${path}: StreamRequest type ${JSON.stringify(r.type)} not recognized`);
  }
}

/** @param {Record<string, unknown>} obj @param {string} path @returns {SqlRef} */
function decodeSqlRef(obj, path) {
  const sql = optionalString(obj.sql, `${path}.sql`);
  const sqlId = obj.sql_id == null ? undefined : int32(obj.sql_id, `${path}.sql_id`);
  if ((sql === undefined) === (sqlId === undefined)) {
    throw new ProtocolError(`${path}: exactly one of \`sql\` and \`sql_id\` is required`);
  }
  return sql === undefined ? { sqlId } : { sql };
}

/** @param {unknown} value @param {string} path @returns {Stmt} */
function decodeStmt(value, path) {
  const s = object(value, path);
  const args = s.args == null ? [] : array(s.args, `${path}.args`).map((v, i) => decodeValue(v, `${path}.args[${i}]`));
  const namedArgs =
    s.named_args == null
      ? []
      : array(s.named_args, `${path}.named_args`).map((a, i) => {
          const arg = object(a, `${path}.named_args[${i}]`);
          return {
            name: string(arg.name, `${path}.named_args[${i}].name`),
            value: decodeValue(arg.value, `${path}.named_args[${i}].value`),
          };
        });
  if (s.want_rows != null && typeof s.want_rows !== 'boolean')
    throw new ProtocolError(`${path}.want_rows: expected a boolean`);
  return { ...decodeSqlRef(s, path), args, namedArgs, wantRows: s.want_rows ?? true };
}

/** @param {unknown} value @param {string} path @returns {Batch} */
function decodeBatch(value, path) {
  const steps = array(object(value, path).steps, `${path}.steps`).map((step, i) => {
    const s = object(step, `${path}.steps[${i}]`);
    const condition = s.condition == null ? null : decodeCond(s.condition, i, `${path}.steps[${i}].condition`);
    return { condition, stmt: decodeStmt(s.stmt, `${path}.steps[${i}].stmt`) };
  });
  return { steps };
}

/**
 * A condition may only look back: a step's outcome is known once it has run.
 * @param {unknown} value @param {number} stepIndex @param {string} path @returns {BatchCond}
 */
function decodeCond(value, stepIndex, path) {
  const c = object(value, path);
  switch (c.type) {
    case 'ok':
    case 'error': {
      const step = int32(c.step, `${path}.step`);
      if (step < 0 || step >= stepIndex)
        throw new ProtocolError(`${path}: invalid reference to step ${step} in a batch condition`);
      return { type: c.type, step };
    }
    case 'not':
      return { type: 'not', cond: decodeCond(c.cond, stepIndex, `${path}.cond`) };
    case 'and':
    case 'or':
      return {
        type: c.type,
        conds: array(c.conds, `${path}.conds`).map((x, i) => decodeCond(x, stepIndex, `${path}.conds[${i}]`)),
      };
    case 'is_autocommit':
      return { type: 'is_autocommit' };
    default:
      throw new ProtocolError(`${path}: BatchCond type ${JSON.stringify(c.type)} not recognized`);
  }
}

/** @param {unknown} value @param {string} path @returns {SqlValue} */
export function decodeValue(value, path) {
  const v = object(value, path);
  switch (v.type) {
    case 'null':
      return null;
    case 'integer': {
      const text = typeof v.value === 'number' && Number.isSafeInteger(v.value) ? String(v.value) : v.value;
      if (typeof text !== 'string' || !/^-?\d+$/.test(text))
        throw new ProtocolError(`${path}: integer value must be a decimal string`);
      const int = BigInt(text);
      if (int < INT64_MIN || int > INT64_MAX) throw new ProtocolError(`${path}: integer value out of 64-bit range`);
      return int;
    }
    case 'float':
      if (typeof v.value !== 'number') throw new ProtocolError(`${path}: float value must be a number`);
      return v.value;
    case 'text':
      return string(v.value, `${path}.value`);
    case 'blob':
      return Buffer.from(string(v.base64, `${path}.base64`), 'base64');
    default:
      throw new ProtocolError(`${path}: Value type ${JSON.stringify(v.type)} not recognized`);
  }
}

/** @param {unknown} value what the engine returned in safe-integer mode */
export function encodeValue(value) {
  if (value === null || value === undefined) return { type: 'null' };
  if (typeof value === 'bigint') return { type: 'integer', value: value.toString() };
  if (typeof value === 'number') return { type: 'float', value };
  if (typeof value === 'string') return { type: 'text', value };
  if (value instanceof Uint8Array) return { type: 'blob', base64: Buffer.from(value).toString('base64') };
  return { type: 'text', value: String(value) };
}

/** @param {unknown} v @param {string} path @returns {Record<string, unknown>} */
function object(v, path) {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ProtocolError(`${path}: expected an object`);
  return /** @type {Record<string, unknown>} */ (v);
}

/** @param {unknown} v @param {string} path @returns {unknown[]} */
function array(v, path) {
  if (!Array.isArray(v)) throw new ProtocolError(`${path}: expected an array`);
  return v;
}

/** @param {unknown} v @param {string} path */
function string(v, path) {
  if (typeof v !== 'string') throw new ProtocolError(`${path}: expected a string`);
  return v;
}

/** @param {unknown} v @param {string} path */
function optionalString(v, path) {
  return v == null ? undefined : string(v, path);
}

/** @param {unknown} v @param {string} path */
function int32(v, path) {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) {
    throw new ProtocolError(`${path}: expected a 32-bit integer`);
  }
  return v;
}
