// @ts-check
/**
 * The `_filter` language: FIQL as far as the spec documents it, and no further, so a
 * client cannot come to depend on syntax the real API may not have.
 *
 *   filter      := and ("," and)*             "," is OR
 *   and         := constraint (";" constraint)*   ";" is AND and binds tighter (FIQL's rule)
 *   constraint  := field operator argument
 *   field       := a recipient field or custom attribute, spelled exactly
 *   operator    := "==" | "=ne=" | "=gt=" | "=ge=" | "=lt=" | "=le=" | "=like=" | "=contains=" | "=in="
 *   argument    := quoted                      (every operator but =in=)
 *                | "(" quoted ("," quoted)* ")"   (=in= only: exact membership)
 *   quoted      := '"' … '"'    inside, \" stands for " and \\ for \; any other \ is itself
 *
 * Refused with 400: unquoted values (booleans and numbers too: `is_unsubscribed=="1"`),
 * single quotes, operators outside the list or in another case (`!=`, `=LIKE=`), a scalar
 * after `=in=`, parentheses for grouping (not in the spec), spaces outside quotes (FIQL
 * has none), functions such as DATE_FORMAT(…).
 *
 * Comparisons follow MySQL habits (unconfirmed, the provider's store is not published):
 * text compares case-insensitively, numbers numerically when both sides are numeric,
 * booleans match "true"/"1" and "false"/"0", a missing value counts as "".
 */

export class FiqlError extends Error {}

/**
 * @typedef {{ type: 'and' | 'or', items: Node[] }
 *   | { type: 'cmp', field: string, op: string, value: string | string[] }} Node
 */

/** Longest first, so `==` is not read as the start of another operator. */
const OPERATORS = Object.freeze(['=contains=', '=like=', '=ne=', '=gt=', '=ge=', '=lt=', '=le=', '=in=', '==']);

/**
 * @param {string} src the decoded `_filter` value
 * @param {(name: string) => boolean} isField names a filter may use
 * @returns {Node}
 */
export function parseFilter(src, isField) {
  let pos = 0;
  const fail = (/** @type {string} */ msg) => {
    throw new FiqlError(`Invalid filter at position ${pos}: ${msg}`);
  };

  /** @param {'and' | 'or'} type @param {string} sep @param {() => Node} next @returns {Node} */
  function joined(type, sep, next) {
    const items = [next()];
    while (src[pos] === sep) {
      pos++;
      items.push(next());
    }
    return items.length === 1 ? /** @type {Node} */ (items[0]) : { type, items };
  }
  const parseOr = () => joined('or', ',', parseAnd);
  const parseAnd = () => joined('and', ';', parseConstraint);

  /** @returns {Node} */
  function parseConstraint() {
    if (src[pos] === '(') fail('parentheses for grouping are not supported');
    const field = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(pos))?.[0];
    if (!field) fail('expected a field name');
    const name = /** @type {string} */ (field);
    pos += name.length;
    if (src[pos] === '(') fail(`functions such as ${name}(…) are not supported`);
    if (!isField(name)) fail(`unknown field "${name}"`);
    const op = OPERATORS.find((o) => src.startsWith(o, pos));
    if (!op) fail(`expected one of ${OPERATORS.join(' ')}`);
    pos += /** @type {string} */ (op).length;
    if (op !== '=in=') return { type: 'cmp', field: name, op: String(op), value: parseQuoted() };
    if (src[pos] !== '(') fail('=in= takes a list in parentheses: field=in=("a","b")');
    pos++;
    const values = [parseQuoted()];
    while (src[pos] === ',') {
      pos++;
      values.push(parseQuoted());
    }
    if (src[pos] !== ')') fail('expected ")" after the =in= list');
    pos++;
    return { type: 'cmp', field: name, op: '=in=', value: values };
  }

  /** @returns {string} */
  function parseQuoted() {
    if (src[pos] !== '"') fail('expected a value in double quotes');
    pos++;
    let value = '';
    while (pos < src.length && src[pos] !== '"') {
      // The worker and most clients escape a double quote inside a value as \".
      if (src[pos] === '\\' && (src[pos + 1] === '"' || src[pos + 1] === '\\')) pos++;
      value += src[pos++];
    }
    if (pos >= src.length) fail('unterminated quoted value');
    pos++;
    return value;
  }

  const tree = parseOr();
  if (pos !== src.length) fail(`unexpected "${src[pos]}"`);
  return tree;
}

/**
 * @param {Node} node
 * @param {(name: string) => unknown} read field reader for one record
 * @returns {boolean}
 */
export function matches(node, read) {
  if (node.type !== 'cmp')
    return node.type === 'and' ? node.items.every((n) => matches(n, read)) : node.items.some((n) => matches(n, read));
  const left = read(node.field);
  const right = node.value;
  if (Array.isArray(right)) return right.some((v) => equal(left, v)); // =in=
  switch (node.op) {
    case '==':
      return equal(left, right);
    case '=ne=':
      return !equal(left, right);
    case '=gt=':
      return compare(left, right) > 0;
    case '=ge=':
      return compare(left, right) >= 0;
    case '=lt=':
      return compare(left, right) < 0;
    case '=le=':
      return compare(left, right) <= 0;
    case '=like=':
      return like(left, right);
    case '=contains=':
      return contains(left, right);
    default:
      return false;
  }
}

/** @param {unknown} v */
function text(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return v ? '1' : '0';
  return String(v).toLowerCase();
}

/** Booleans compare as 1/0 against "true"/"1"/"false"/"0". @param {unknown} v */
function normalise(v) {
  const t = text(v);
  if (t === 'true') return '1';
  if (t === 'false') return '0';
  return t;
}

/** @param {unknown} a @param {string} b */
function equal(a, b) {
  if (typeof a === 'boolean') return normalise(a) === normalise(b);
  return compare(a, b) === 0;
}

const NUMERIC = /^-?\d+(\.\d+)?$/;

/** @param {unknown} a @param {string} b */
function compare(a, b) {
  const x = typeof a === 'boolean' ? normalise(a) : text(a);
  const y = typeof a === 'boolean' ? normalise(b) : text(b);
  if (NUMERIC.test(x) && NUMERIC.test(y)) return Math.sign(Number(x) - Number(y));
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * `%` any run, `_` one character, whole value, case-insensitive (SQL LIKE).
 * @param {unknown} v @param {string} pattern
 */
function like(v, pattern) {
  const re = text(pattern)
    .split('')
    .map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${re}$`, 's').test(text(v));
}

/**
 * Substring, case-insensitive (stored values are scalars, never arrays).
 * @param {unknown} haystack @param {string} needle
 */
function contains(haystack, needle) {
  return text(haystack).includes(text(needle));
}
