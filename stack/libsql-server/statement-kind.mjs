/**
 * Decides from a statement's leading tokens whether it may write to the
 * database file, so the server can take the single-writer lock *before* the
 * engine tries to. A write that slipped past this check would meet another
 * stream's write lock inside SQLite, and with the `libsql` binding a statement
 * that failed with SQLITE_BUSY stays active and spoils its connection. So
 * anything not known to be read-only counts as a write: the cost of a wrong
 * guess is only a short wait for the lock.
 */

/** @typedef {import('./sql-scan.mjs').ScannedStatement} ScannedStatement */

/**
 * @typedef {object} StatementKind
 * @property {boolean} writes takes the write lock before running
 * @property {boolean} countsChanges reports `changes()` as affected_row_count (DML only, as sqld)
 * @property {boolean} endsTransaction COMMIT, END or a plain ROLLBACK
 * @property {boolean} isExplain
 */

const READ_ONLY_FIRST_WORDS = new Set([
  'SELECT',
  'VALUES',
  'EXPLAIN',
  'COMMIT',
  'END',
  'ROLLBACK',
  'SAVEPOINT',
  'RELEASE',
  'ATTACH',
  'DETACH',
]);

// Pragmas that, given an argument, still only read or change connection-local state.
const LOCAL_PRAGMAS = new Set([
  'analysis_limit',
  'automatic_index',
  'busy_timeout',
  'cache_size',
  'cache_spill',
  'case_sensitive_like',
  'cell_size_check',
  'collation_list',
  'compile_options',
  'count_changes',
  'database_list',
  'defer_foreign_keys',
  'foreign_key_check',
  'foreign_key_list',
  'foreign_keys',
  'full_column_names',
  'function_list',
  'hard_heap_limit',
  'ignore_check_constraints',
  'index_info',
  'index_list',
  'index_xinfo',
  'integrity_check',
  'legacy_alter_table',
  'mmap_size',
  'module_list',
  'pragma_list',
  'query_only',
  'quick_check',
  'recursive_triggers',
  'reverse_unordered_selects',
  'short_column_names',
  'soft_heap_limit',
  'synchronous',
  'table_info',
  'table_list',
  'table_xinfo',
  'temp_store',
  'threads',
  'trusted_schema',
]);

// Pragmas that write even without an argument.
const WRITING_PRAGMAS = new Set(['optimize', 'wal_checkpoint', 'incremental_vacuum', 'shrink_memory']);

/**
 * @param {ScannedStatement} statement
 * @returns {StatementKind}
 */
export function statementKind({ head, mentionsDml }) {
  const [first = '', second = ''] = head;
  const dmlFirst = first === 'INSERT' || first === 'UPDATE' || first === 'DELETE' || first === 'REPLACE';
  return {
    writes: writes(head, mentionsDml, dmlFirst),
    countsChanges: dmlFirst || (first === 'WITH' && mentionsDml),
    endsTransaction: first === 'COMMIT' || first === 'END' || (first === 'ROLLBACK' && !head.includes('TO')),
    isExplain: first === 'EXPLAIN' && second !== '',
  };
}

/** @param {string[]} head @param {boolean} mentionsDml @param {boolean} dmlFirst */
function writes(head, mentionsDml, dmlFirst) {
  const [first = '', second = ''] = head;
  if (dmlFirst) return true;
  if (first === 'BEGIN') return second === 'IMMEDIATE' || second === 'EXCLUSIVE';
  if (first === 'WITH') return mentionsDml;
  if (first === 'PRAGMA') return pragmaWrites(head.slice(1));
  return !READ_ONLY_FIRST_WORDS.has(first);
}

/** @param {string[]} rest tokens after PRAGMA: `[schema .] name [= value | ( value )]` */
function pragmaWrites(rest) {
  const tokens = rest[1] === '.' ? rest.slice(2) : rest;
  const name = (tokens[0] ?? '').toLowerCase();
  if (WRITING_PRAGMAS.has(name)) return true;
  const hasArgument = tokens[1] === '=' || tokens[1] === '(';
  return hasArgument && !LOCAL_PRAGMAS.has(name);
}
