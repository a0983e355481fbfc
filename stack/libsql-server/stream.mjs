/**
 * A Hrana stream: one SQLite connection, the SQL texts stored on it, and the
 * rules for taking and giving back the server's write lock.
 *
 * The lock is taken before any statement that may write (see
 * statement-kind.mjs) and given back as soon as the connection is outside a
 * transaction again, so a write transaction holds it from its first write (or
 * from BEGIN IMMEDIATE) until COMMIT or ROLLBACK, and an autocommit write for
 * one statement.
 */
import { bindArgs } from './bind-args.mjs';
import { Connection } from './connection.mjs';
import { HranaError, toProtoError } from './errors.mjs';
import { scanSql } from './sql-scan.mjs';
import { statementKind } from './statement-kind.mjs';

/** @typedef {import('./protocol.mjs').StreamRequest} StreamRequest */
/** @typedef {import('./protocol.mjs').Stmt} Stmt */
/** @typedef {import('./protocol.mjs').Batch} Batch */
/** @typedef {import('./protocol.mjs').BatchCond} BatchCond */
/** @typedef {import('./connection.mjs').StmtResult} StmtResult */
/**
 * @typedef {object} StreamContext
 * @property {string} path database file
 * @property {import('./write-lock.mjs').WriteLock} lock
 * @property {number} busyTimeoutMs how long a writer waits for the lock
 * @property {number} engineBusyMs SQLite's own busy timeout, a last resort
 * @property {import('./errors.mjs').ErrorCodes} errorCodes
 * @property {(message: string) => void} log
 */

// sqld's limits: the client's SQL cache stays under them, so exceeding them is a client bug worth seeing.
const MAX_STORED_SQL = 50;
const MAX_STORED_SQL_BYTES = 5000;

export class Stream {
  #ctx;
  #conn;
  /** @type {Map<number, string>} */
  #sqls = new Map();
  /**
   * Set when SQLite answered SQLITE_BUSY inside a transaction. The binding leaves such a
   * statement active, which would make every later COMMIT on that handle fail, so the
   * connection is replaced and the lost transaction is emulated until the client ends it:
   * "clean" if it had written nothing (a COMMIT may succeed), "dirty" otherwise.
   * @type {null | 'clean' | 'dirty'}
   */
  #aborted = null;
  #closed = false;

  /** @param {number} id @param {StreamContext} ctx */
  constructor(id, ctx) {
    this.id = id;
    this.#ctx = ctx;
    this.#conn = new Connection(ctx.path, ctx);
  }

  get closed() {
    return this.#closed;
  }

  get isAutocommit() {
    return this.#aborted === null && !this.#conn.inTransaction;
  }

  /** @param {StreamRequest} request */
  async handle(request) {
    try {
      return { type: 'ok', response: await this.#dispatch(request) };
    } catch (error) {
      return { type: 'error', error: toProtoError(error, this.#ctx.log) };
    }
  }

  /** @param {StreamRequest} request */
  async #dispatch(request) {
    if (request.type === 'close') {
      this.close();
      return { type: 'close' };
    }
    if (this.#closed) throw new HranaError('The stream is closed', 'STREAM_CLOSED');
    switch (request.type) {
      case 'execute':
        return { type: 'execute', result: await this.#execute(request.stmt) };
      case 'batch':
        return { type: 'batch', result: await this.executeBatch(request.batch) };
      case 'sequence':
        await this.#sequence(this.#sqlText(request));
        return { type: 'sequence' };
      case 'describe':
        return { type: 'describe', result: this.#describe(this.#sqlText(request)) };
      case 'store_sql':
        this.#storeSql(request.sqlId, request.sql);
        return { type: 'store_sql' };
      case 'close_sql':
        this.#sqls.delete(request.sqlId);
        return { type: 'close_sql' };
      case 'get_autocommit':
        return { type: 'get_autocommit', is_autocommit: this.isAutocommit };
    }
  }

  /** @param {Batch} batch */
  async executeBatch(batch) {
    /** @type {(StmtResult | null)[]} */
    const stepResults = [];
    /** @type {({ message: string, code: string } | null)[]} */
    const stepErrors = [];
    for (const step of batch.steps) {
      if (step.condition && !this.#holds(step.condition, stepResults, stepErrors)) {
        stepResults.push(null);
        stepErrors.push(null);
        continue;
      }
      try {
        stepResults.push(await this.#execute(step.stmt));
        stepErrors.push(null);
      } catch (error) {
        stepResults.push(null);
        stepErrors.push(toProtoError(error, this.#ctx.log));
      }
    }
    return { step_results: stepResults, step_errors: stepErrors };
  }

  /** Rolls back an open transaction, gives back the lock and closes the connection. */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#conn.close();
    this.#sqls.clear();
    this.#ctx.lock.release(this);
  }

  /** @param {Stmt} stmt @returns {Promise<StmtResult>} */
  async #execute(stmt) {
    const sql = this.#sqlText(stmt);
    const statement = single(sql);
    const kind = statementKind(statement);
    const params = bindArgs(statement, stmt);
    if (this.#aborted) return this.#endAborted(statement.head[0] === 'ROLLBACK', kind.endsTransaction);
    const options = { wantRows: stmt.wantRows, countsChanges: kind.countsChanges };
    if (kind.isExplain) return this.#explain(sql, params, options);
    return this.#withWriteAccess(kind.writes, () => this.#conn.execute(sql, params, options));
  }

  /**
   * The binding never resets an EXPLAIN statement, and an unreset EXPLAIN of a write counts as a
   * write in progress: later autocommit writes on that handle then never commit. EXPLAIN needs
   * no transaction state, so it runs on a connection of its own that is thrown away.
   * @param {string} sql
   * @param {Parameters<Connection['execute']>[1]} params
   * @param {Parameters<Connection['execute']>[2]} options
   */
  #explain(sql, params, options) {
    const scratch = new Connection(this.#ctx.path, this.#ctx);
    try {
      return scratch.execute(sql, params, options);
    } finally {
      scratch.close();
    }
  }

  /** @param {string} sql */
  async #sequence(sql) {
    const statements = scanSql(sql);
    if (statements.length === 0) return;
    if (this.#aborted) throw abortedError();
    const writes = statements.some((s) => statementKind(s).writes);
    await this.#withWriteAccess(writes, () => this.#conn.executeScript(sql));
  }

  /** @param {string} sql */
  #describe(sql) {
    const statement = single(sql);
    const kind = statementKind(statement);
    const params = Array.from({ length: statement.paramCount }, (_, i) => ({
      name: statement.params.find((p) => p.index === i + 1)?.name ?? null,
    }));
    const cols = this.#conn.columns(sql).map((c) => ({ name: c.name ?? '', decltype: c.decltype }));
    return { params, cols, is_explain: kind.isExplain, is_readonly: !kind.writes };
  }

  /**
   * @template T
   * @param {boolean} writes
   * @param {() => T} run
   * @returns {Promise<T>}
   */
  async #withWriteAccess(writes, run) {
    const { lock, busyTimeoutMs } = this.#ctx;
    const wroteBefore = lock.owner === this;
    if (writes && !wroteBefore) await lock.acquire(this, busyTimeoutMs);
    try {
      return run();
    } catch (error) {
      if (error instanceof HranaError && error.engineBusy) this.#replaceConnection(wroteBefore);
      throw error;
    } finally {
      if (lock.owner === this && !this.#conn.inTransaction) lock.release(this);
    }
  }

  /** @param {boolean} wroteBefore */
  #replaceConnection(wroteBefore) {
    const inTransaction = this.#conn.inTransaction;
    this.#conn.close();
    this.#conn = new Connection(this.#ctx.path, this.#ctx);
    if (inTransaction) this.#aborted = wroteBefore ? 'dirty' : 'clean';
    this.#ctx.log(`stream ${this.id}: SQLite answered SQLITE_BUSY; connection replaced`);
  }

  /** @param {boolean} isRollback @param {boolean} endsTransaction @returns {StmtResult} */
  #endAborted(isRollback, endsTransaction) {
    if (!endsTransaction) throw abortedError();
    const state = this.#aborted;
    this.#aborted = null;
    if (state === 'dirty' && !isRollback) {
      throw new HranaError('SQLite error: the transaction was rolled back after SQLITE_BUSY', 'SQLITE_BUSY');
    }
    return { cols: [], rows: [], affected_row_count: 0, last_insert_rowid: null, query_duration_ms: 0 };
  }

  /** @param {BatchCond} cond @param {unknown[]} results @param {unknown[]} errors @returns {boolean} */
  #holds(cond, results, errors) {
    switch (cond.type) {
      case 'ok':
        return results[cond.step] != null;
      case 'error':
        return errors[cond.step] != null;
      case 'not':
        return !this.#holds(cond.cond, results, errors);
      case 'and':
        return cond.conds.every((c) => this.#holds(c, results, errors));
      case 'or':
        return cond.conds.some((c) => this.#holds(c, results, errors));
      case 'is_autocommit':
        return this.isAutocommit;
    }
  }

  /** @param {{ sql?: string, sqlId?: number }} ref */
  #sqlText(ref) {
    if (ref.sql !== undefined) return ref.sql;
    const sql = this.#sqls.get(Number(ref.sqlId));
    if (sql === undefined) throw new HranaError(`SQL text ${ref.sqlId} not found`, 'SQL_NOT_FOUND');
    return sql;
  }

  /** @param {number} sqlId @param {string} sql */
  #storeSql(sqlId, sql) {
    if (this.#sqls.has(sqlId)) throw new HranaError(`SQL text ${sqlId} already exists`, 'SQL_STORE_EXISTS');
    if (this.#sqls.size >= MAX_STORED_SQL) {
      throw new HranaError(
        `The server already stores ${this.#sqls.size} SQL texts, it cannot store more`,
        'SQL_STORE_TOO_MANY',
      );
    }
    const bytes = Buffer.byteLength(sql);
    if (bytes > MAX_STORED_SQL_BYTES) {
      throw new HranaError(
        `The statement is too large to be stored: ${bytes}/${MAX_STORED_SQL_BYTES} bytes`,
        'SQL_STORE_TOO_LARGE',
      );
    }
    this.#sqls.set(sqlId, sql);
  }
}

/** @param {string} sql */
function single(sql) {
  const statements = scanSql(sql);
  if (statements.length === 0) throw new HranaError('SQL string does not contain any statement', 'SQL_NO_STATEMENT');
  if (statements.length > 1) throw new HranaError('SQL string contains more than one statement', 'SQL_MANY_STATEMENTS');
  return statements[0];
}

function abortedError() {
  return new HranaError(
    'SQLite error: database is locked (the transaction hit SQLITE_BUSY earlier and must be rolled back)',
    'SQLITE_BUSY',
  );
}
