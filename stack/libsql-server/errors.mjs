/**
 * Errors in the shapes sqld (libsql-server) produces, since `@libsql/client`
 * turns the `code` into `LibsqlError.code` and application code matches on it.
 *
 * sqld reports the *primary* SQLite result code (`SQLITE_CONSTRAINT`, not
 * `SQLITE_CONSTRAINT_UNIQUE`) with the message prefixed by "SQLite error: ",
 * and errors raised while preparing a statement as `SQL_INPUT_ERROR`. Turso in
 * production answers the same way, so that is the default here; the
 * `extended` mode exists for callers that want the finer code locally, at the
 * price of matching something production never sends.
 */

/** @typedef {'sqld' | 'extended'} ErrorCodes */

/** An error reported in a pipeline result (`{ type: "error", error }`); the stream lives on. */
export class HranaError extends Error {
  /**
   * @param {string} message
   * @param {string} code
   * @param {{ engineBusy?: boolean }} [flags] engineBusy: SQLite itself answered SQLITE_BUSY
   */
  constructor(message, code, flags = {}) {
    super(message);
    this.name = 'HranaError';
    this.code = code;
    this.engineBusy = flags.engineBusy ?? false;
  }

  toProto() {
    return { message: this.message, code: this.code };
  }
}

/** A request the server cannot act on at all: answered with an HTTP error status and a JSON body. */
export class ProtocolError extends Error {
  /** @param {string} message @param {string} [code] @param {number} [status] */
  constructor(message, code = 'PROTOCOL_ERROR', status = 400) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
    this.status = status;
  }
}

/** @type {Record<number, string>} */
const PRIMARY_CODES = {
  1: 'SQLITE_ERROR',
  2: 'SQLITE_INTERNAL',
  3: 'SQLITE_PERM',
  4: 'SQLITE_ABORT',
  5: 'SQLITE_BUSY',
  6: 'SQLITE_LOCKED',
  7: 'SQLITE_NOMEM',
  8: 'SQLITE_READONLY',
  9: 'SQLITE_INTERRUPT',
  10: 'SQLITE_IOERR',
  11: 'SQLITE_CORRUPT',
  12: 'SQLITE_NOTFOUND',
  13: 'SQLITE_FULL',
  14: 'SQLITE_CANTOPEN',
  15: 'SQLITE_PROTOCOL',
  17: 'SQLITE_SCHEMA',
  18: 'SQLITE_TOOBIG',
  19: 'SQLITE_CONSTRAINT',
  20: 'SQLITE_MISMATCH',
  21: 'SQLITE_MISUSE',
  22: 'SQLITE_NOLFS',
  23: 'SQLITE_AUTH',
  25: 'SQLITE_RANGE',
  26: 'SQLITE_NOTADB',
};

/**
 * Maps an error thrown by the `libsql` binding (a SqliteError with `code` and
 * `rawCode`, or a plain TypeError/RangeError from argument conversion).
 * @param {unknown} error
 * @param {{ atPrepare: boolean, errorCodes: ErrorCodes }} options
 */
export function fromEngineError(error, { atPrepare, errorCodes }) {
  const message = error instanceof Error ? error.message : String(error);
  const rawCode = /** @type {{ rawCode?: unknown }} */ (error)?.rawCode;
  if (typeof rawCode !== 'number') return new HranaError(`SQLite error: ${message}`, 'SQLITE_UNKNOWN');
  const primary = PRIMARY_CODES[rawCode & 0xff] ?? 'SQLITE_UNKNOWN';
  if (atPrepare && primary === 'SQLITE_ERROR')
    return new HranaError(`SQLite input error: ${message}`, 'SQL_INPUT_ERROR');
  const extended = /** @type {{ code?: unknown }} */ (error).code;
  const code = errorCodes === 'extended' && typeof extended === 'string' ? extended : primary;
  return new HranaError(`SQLite error: ${message}`, code, { engineBusy: primary === 'SQLITE_BUSY' });
}

/** What a writer gets after waiting `busyTimeoutMs` for the server's write lock. */
export function lockTimeoutError() {
  return new HranaError('SQLite error: database is locked', 'SQLITE_BUSY');
}

/**
 * The wire form of any error caught while handling a request.
 * @param {unknown} error
 * @param {(message: string) => void} log unexpected errors are logged, they point at a server bug
 */
export function toProtoError(error, log) {
  if (error instanceof HranaError) return error.toProto();
  const message = error instanceof Error ? error.message : String(error);
  log(`unexpected error: ${error instanceof Error && error.stack ? error.stack : message}`);
  return { message: `Internal server error: ${message}`, code: 'INTERNAL_ERROR' };
}
