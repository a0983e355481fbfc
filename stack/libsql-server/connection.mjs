/**
 * One SQLite connection (one `libsql` Database handle) as a stream uses it.
 *
 * Quirks of the `libsql` binding this works around:
 * - integers come back as numbers unless safe-integer mode is on; with it, an
 *   INTEGER arrives as a bigint and a REAL as a number, which is also what
 *   tells Hrana's "integer" and "float" apart;
 * - `run()` reports `lastInsertRowid` as a lossy number, so the row id and the
 *   change count are read back with SQL;
 * - a statement is only reset when the engine finishes it, so results are
 *   always read to the end (`all()`, never `get()`): a half-read SELECT would
 *   keep its snapshot open and make the connection's next write fail.
 */
import Database from 'libsql';
import { fromEngineError, HranaError } from './errors.mjs';
import { encodeValue } from './protocol.mjs';

/** @typedef {import('./errors.mjs').ErrorCodes} ErrorCodes */
/** @typedef {import('./protocol.mjs').SqlValue} SqlValue */
/**
 * @typedef {object} StmtResult
 * @property {{ name: string | null, decltype: string | null }[]} cols
 * @property {ReturnType<typeof encodeValue>[][]} rows
 * @property {number} affected_row_count
 * @property {string | null} last_insert_rowid
 * @property {number} query_duration_ms
 */

export class Connection {
  /** @type {InstanceType<typeof Database>} */
  #db;
  #errorCodes;

  /**
   * @param {string} path
   * @param {{ engineBusyMs: number, errorCodes: ErrorCodes }} options
   */
  constructor(path, { engineBusyMs, errorCodes }) {
    this.#db = new Database(path, { timeout: engineBusyMs });
    this.#db.defaultSafeIntegers(true);
    this.#errorCodes = errorCodes;
  }

  /** True inside an explicit transaction (SQLite's autocommit flag is off). */
  get inTransaction() {
    return this.#db.open && this.#db.inTransaction;
  }

  /**
   * @param {string} sql a single statement
   * @param {SqlValue[] | Record<string, SqlValue>} params
   * @param {{ wantRows: boolean, countsChanges: boolean }} options
   * @returns {StmtResult}
   */
  execute(sql, params, { wantRows, countsChanges }) {
    const started = performance.now();
    const stmt = this.#prepare(sql);
    /** @type {StmtResult['cols']} */
    let cols = [];
    /** @type {unknown[][]} */
    let rows = [];
    try {
      if (stmt.reader) {
        cols = stmt.columns().map((c) => ({ name: c.name ?? null, decltype: c.type ?? null }));
        rows = /** @type {unknown[][]} */ (stmt.raw().all(params));
      } else {
        stmt.run(params);
      }
    } catch (error) {
      throw fromEngineError(error, { atPrepare: false, errorCodes: this.#errorCodes });
    }
    const [changes, rowid] = this.#lastChange();
    return {
      cols,
      rows: wantRows ? rows.map((row) => row.map(encodeValue)) : [],
      affected_row_count: countsChanges ? Number(changes) : 0,
      last_insert_rowid: rowid === null ? null : String(rowid),
      query_duration_ms: performance.now() - started,
    };
  }

  /** Result columns of a statement, without running it. @param {string} sql */
  columns(sql) {
    const stmt = this.#prepare(sql);
    return stmt.reader ? stmt.columns().map((c) => ({ name: c.name, decltype: c.type ?? null })) : [];
  }

  /** Runs several statements separated by `;`, discarding rows. @param {string} sql */
  executeScript(sql) {
    try {
      this.#db.exec(sql);
    } catch (error) {
      throw fromEngineError(error, { atPrepare: false, errorCodes: this.#errorCodes });
    }
  }

  /** Rolls back whatever is open and closes the handle; never throws. */
  close() {
    if (!this.#db.open) return;
    try {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
    } catch {
      // The handle is going away; closing it rolls back too once SQLite can.
    }
    try {
      this.#db.close();
    } catch {
      // Nothing useful to do with a failure to close.
    }
  }

  /** @param {string} sql */
  #prepare(sql) {
    if (!this.#db.open) throw new HranaError('The stream is closed', 'STREAM_CLOSED');
    try {
      return this.#db.prepare(sql);
    } catch (error) {
      throw fromEngineError(error, { atPrepare: true, errorCodes: this.#errorCodes });
    }
  }

  /** @returns {[bigint, bigint | null]} */
  #lastChange() {
    try {
      const [row] = /** @type {[bigint, bigint][]} */ (
        this.#db.prepare('SELECT changes(), last_insert_rowid()').raw().all()
      );
      return row ?? [0n, null];
    } catch {
      return [0n, null];
    }
  }
}
