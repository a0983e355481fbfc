/**
 * A lexical scan of SQL text: statement boundaries, bind parameters and leading
 * tokens, without parsing SQL.
 *
 * The server needs these before the engine sees the SQL: the `libsql` binding
 * silently runs only the first of several statements, does not expose parameter
 * names, and aborts the whole process (a native panic) when a nameless `?` is
 * bound by name. Classifying statements as reads or writes also happens here,
 * because the single-writer lock must be taken before a write reaches SQLite.
 */

/** @typedef {{ name: string | null, index: number }} Param */
/**
 * @typedef {object} ScannedStatement
 * @property {string} text the statement, without its terminating `;`
 * @property {string[]} head the first tokens: words upper-cased, punctuation as is, literals as `'`
 * @property {Param[]} params in order of first appearance
 * @property {number} paramCount what SQLite reports as the number of parameters
 * @property {boolean} mentionsDml an INSERT/UPDATE/DELETE/REPLACE keyword appears anywhere
 */

const HEAD_LENGTH = 8;
const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const DIGIT = /[0-9]/;
const DML = new Set(['INSERT', 'UPDATE', 'DELETE', 'REPLACE']);

/**
 * Splits `sql` into statements the way SQLite's `sqlite3_complete()` does,
 * including `CREATE TRIGGER … BEGIN …; END` bodies. Empty statements are dropped.
 * @param {string} sql
 * @returns {ScannedStatement[]}
 */
export function scanSql(sql) {
  /** @type {ScannedStatement[]} */
  const statements = [];
  let current = startStatement(0);
  const n = sql.length;
  let i = 0;

  const finish = (/** @type {number} */ end) => {
    if (current.head.length > 0) statements.push(seal(current, sql.slice(current.start, end)));
    current = startStatement(end + 1);
  };

  while (i < n) {
    const c = sql[i];
    const next = sql[i + 1] ?? '';
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === '-' && next === '-') {
      const eol = sql.indexOf('\n', i);
      i = eol < 0 ? n : eol + 1;
    } else if (c === '/' && next === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close < 0 ? n : close + 2;
    } else if (c === ';') {
      // Inside a trigger body only `; END ;` closes the statement.
      if (!current.inTrigger || (current.recent[0] === ';' && current.recent[1] === 'END')) finish(i);
      else token(current, ';');
      i += 1;
    } else if (c === "'" || c === '"' || c === '`') {
      i = skipQuoted(sql, i, c);
      token(current, "'");
    } else if (c === '[') {
      const close = sql.indexOf(']', i);
      i = close < 0 ? n : close + 1;
      token(current, "'");
    } else if (c === '?') {
      let j = i + 1;
      while (j < n && DIGIT.test(sql[j])) j += 1;
      param(current, j > i + 1 ? sql.slice(i, j) : null);
      i = j;
    } else if ((c === ':' || c === '@' || c === '$') && WORD_CHAR.test(next)) {
      let j = i + 1;
      // Tcl-style `$a::b` names are legal for `$` parameters.
      while (j < n && (WORD_CHAR.test(sql[j]) || (c === '$' && sql.startsWith('::', j)))) j += sql[j] === ':' ? 2 : 1;
      param(current, sql.slice(i, j));
      i = j;
    } else if (WORD_START.test(c)) {
      let j = i + 1;
      while (j < n && WORD_CHAR.test(sql[j])) j += 1;
      word(current, sql.slice(i, j).toUpperCase());
      i = j;
    } else if (DIGIT.test(c) || (c === '.' && DIGIT.test(next))) {
      let j = i + 1;
      while (j < n && (/[0-9A-Za-z_.]/.test(sql[j]) || (/[+-]/.test(sql[j]) && /[eE]/.test(sql[j - 1])))) j += 1;
      token(current, '0');
      i = j;
    } else {
      token(current, c);
      i += 1;
    }
  }
  finish(n);
  return statements;
}

/** @param {number} start */
function startStatement(start) {
  return {
    start,
    /** @type {string[]} */ head: [],
    /** @type {[string, string]} */ recent: ['', ''],
    inTrigger: false,
    mentionsDml: false,
    /** @type {Param[]} */ params: [],
    /** @type {Map<string, number>} */ named: new Map(),
    paramCount: 0,
  };
}

/** @typedef {ReturnType<typeof startStatement>} Builder */

/** @param {Builder} s @param {string} text */
function token(s, text) {
  if (s.head.length < HEAD_LENGTH) s.head.push(text);
  s.recent = [s.recent[1], text];
}

/** @param {Builder} s @param {string} upper */
function word(s, upper) {
  token(s, upper);
  if (DML.has(upper)) s.mentionsDml = true;
  if (upper === 'TRIGGER' && !s.inTrigger) s.inTrigger = startsCreateTrigger(s.head);
}

/** Mirrors SQLite's parameter numbering: `?NNN` sets the index, a repeated name reuses it. */
function param(/** @type {Builder} */ s, /** @type {string | null} */ name) {
  token(s, '?');
  if (name === null) {
    s.paramCount += 1;
    s.params.push({ name: null, index: s.paramCount });
  } else if (name.startsWith('?')) {
    const index = Number(name.slice(1));
    s.paramCount = Math.max(s.paramCount, index);
    s.params.push({ name, index });
  } else if (!s.named.has(name)) {
    s.paramCount += 1;
    s.named.set(name, s.paramCount);
    s.params.push({ name, index: s.paramCount });
  }
}

/** @param {string[]} head */
function startsCreateTrigger(head) {
  let words = head;
  if (words[0] === 'EXPLAIN') words = words.slice(words[1] === 'QUERY' ? 3 : 1);
  if (words[0] !== 'CREATE') return false;
  return words[1] === 'TRIGGER' || ((words[1] === 'TEMP' || words[1] === 'TEMPORARY') && words[2] === 'TRIGGER');
}

/** @param {string} sql @param {number} start @param {string} quote */
function skipQuoted(sql, start, quote) {
  let i = start + 1;
  for (;;) {
    const close = sql.indexOf(quote, i);
    if (close < 0) return sql.length;
    // A doubled quote is an escaped quote inside the literal.
    if (sql[close + 1] === quote) i = close + 2;
    else return close + 1;
  }
}

/** @param {Builder} s @param {string} text @returns {ScannedStatement} */
function seal(s, text) {
  return { text, head: s.head, params: s.params, paramCount: s.paramCount, mentionsDml: s.mentionsDml };
}
