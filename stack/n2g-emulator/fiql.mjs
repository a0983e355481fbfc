// @ts-check
/**
 * The `_filter` language: FIQL as Newsletter2Go documents it.
 *
 *   constraint  := operand operator argument
 *   operator    := "==" | "!=" | "=" letters "="   (=ne= =gt= =ge= =lt= =le= =like= =nlike=
 *                                                    =contains= =ncontains= =in= =nin=; any case)
 *   and / or    := ";" / ","   ("and" binds tighter, parentheses group)
 *
 * Values are written in double quotes (`email=="a@b.de"`). N2G's docs say an unquoted
 * word is read as an attribute name (`first_name==last_name`), yet also show
 * `email=like=%yahoo.com`: the emulator reads an unquoted word as a field when it names
 * one and as a literal value otherwise. `=in=` takes either a parenthesised list
 * (`email=in=("a@b.de","c@d.de")`, FIQL's reading) or N2G's documented form
 * `"value"=in=array_field`.
 *
 * Comparisons follow MySQL habits (unconfirmed, the provider's store is not published):
 * text compares case-insensitively, numbers numerically when both sides are numeric,
 * booleans match "true"/"1" and "false"/"0", a missing value counts as "".
 * Functions such as DATE_FORMAT(…) are not supported and answer 400.
 */

export class FiqlError extends Error {}

/**
 * @typedef {{ kind: 'field', name: string } | { kind: 'value', value: string }} Operand
 * @typedef {{ type: 'and' | 'or', items: Node[] }
 *   | { type: 'cmp', left: Operand, op: string, right: Operand | Operand[] }} Node
 */

const OPERATORS = new Set(['==', '!=', 'ne', 'gt', 'ge', 'lt', 'le', 'like', 'nlike', 'contains', 'ncontains', 'in', 'nin']);

/**
 * @param {string} input the decoded `_filter` value
 * @param {(name: string) => boolean} isField names a filter may use
 * @returns {Node}
 */
export function parseFilter(input, isField) {
  let pos = 0;
  const src = input;
  const fail = (/** @type {string} */ msg) => {
    throw new FiqlError(`Invalid filter at position ${pos}: ${msg}`);
  };
  const skipSpace = () => {
    while (src[pos] === ' ') pos++;
  };

  /** @returns {Node} */
  function parseOr() {
    const items = [parseAnd()];
    while (src[pos] === ',') {
      pos++;
      items.push(parseAnd());
    }
    return items.length === 1 ? /** @type {Node} */ (items[0]) : { type: 'or', items };
  }

  /** @returns {Node} */
  function parseAnd() {
    const items = [parsePrimary()];
    while (src[pos] === ';') {
      pos++;
      items.push(parsePrimary());
    }
    return items.length === 1 ? /** @type {Node} */ (items[0]) : { type: 'and', items };
  }

  /** @returns {Node} */
  function parsePrimary() {
    skipSpace();
    if (src[pos] === '(') {
      pos++;
      const inner = parseOr();
      skipSpace();
      if (src[pos] !== ')') fail('expected ")"');
      pos++;
      skipSpace();
      return inner;
    }
    const left = parseOperand('left');
    const op = parseOperator();
    /** @type {Operand | Operand[]} */
    let right;
    skipSpace();
    if (src[pos] === '(') {
      if (op !== 'in' && op !== 'nin') fail(`a list is only allowed after =in= or =nin=`);
      pos++;
      right = [parseOperand('right')];
      while (src[pos] === ',') {
        pos++;
        right.push(parseOperand('right'));
      }
      if (src[pos] !== ')') fail('expected ")" after the list');
      pos++;
    } else {
      right = parseOperand('right');
    }
    skipSpace();
    return { type: 'cmp', left, op, right };
  }

  /** @returns {string} */
  function parseOperator() {
    if (src.startsWith('==', pos)) {
      pos += 2;
      return '==';
    }
    if (src.startsWith('!=', pos)) {
      pos += 2;
      return 'ne';
    }
    const m = /^=([a-zA-Z]+)=/.exec(src.slice(pos));
    if (!m || !OPERATORS.has(String(m[1]).toLowerCase())) fail('expected a comparison operator');
    pos += /** @type {RegExpExecArray} */ (m)[0].length;
    return String(/** @type {RegExpExecArray} */ (m)[1]).toLowerCase();
  }

  /** @param {'left' | 'right'} side @returns {Operand} */
  function parseOperand(side) {
    skipSpace();
    if (src[pos] === '"' || src[pos] === "'") {
      const quote = src[pos];
      pos++;
      let value = '';
      while (pos < src.length && src[pos] !== quote) {
        if (src[pos] === '\\' && pos + 1 < src.length) pos++;
        value += src[pos++];
      }
      if (pos >= src.length) fail('unterminated quoted value');
      pos++;
      skipSpace();
      return { kind: 'value', value };
    }
    // An unquoted word ends at an operator (left side) or at ; , ) (right side).
    const stop = side === 'left' ? /[=!;,()"]/ : /[;,()"]/;
    const start = pos;
    while (pos < src.length && !stop.test(/** @type {string} */ (src[pos]))) pos++;
    const word = src.slice(start, pos).trim();
    if (word === '') fail(side === 'left' ? 'expected a field name' : 'expected a value');
    if (side === 'left' && src[pos] === '(') fail(`functions such as ${word}(…) are not supported`);
    if (isField(word)) return { kind: 'field', name: word };
    if (side === 'left') fail(`unknown field "${word}"`);
    return { kind: 'value', value: word };
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
  if (node.type === 'and') return node.items.every((n) => matches(n, read));
  if (node.type === 'or') return node.items.some((n) => matches(n, read));
  if (node.type !== 'cmp') return false;
  const get = (/** @type {Operand} */ o) => (o.kind === 'field' ? read(o.name) : o.value);
  const left = get(node.left);
  if (Array.isArray(node.right)) {
    const found = node.right.some((o) => equal(left, get(o)));
    return node.op === 'in' ? found : !found;
  }
  const right = get(node.right);
  switch (node.op) {
    case '==': return equal(left, right);
    case 'ne': return !equal(left, right);
    case 'gt': return compare(left, right) > 0;
    case 'ge': return compare(left, right) >= 0;
    case 'lt': return compare(left, right) < 0;
    case 'le': return compare(left, right) <= 0;
    case 'like': return like(left, right);
    case 'nlike': return !like(left, right);
    case 'contains': return contains(left, right);
    case 'ncontains': return !contains(left, right);
    case 'in': return contains(right, left); // N2G's form: "value"=in=array_field
    case 'nin': return !contains(right, left);
    default: return false;
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

/** @param {unknown} a @param {unknown} b */
function equal(a, b) {
  if (typeof a === 'boolean' || typeof b === 'boolean') return normalise(a) === normalise(b);
  return compare(a, b) === 0;
}

const NUMERIC = /^-?\d+(\.\d+)?$/;

/** @param {unknown} a @param {unknown} b */
function compare(a, b) {
  const x = typeof a === 'boolean' ? normalise(a) : text(a);
  const y = typeof b === 'boolean' ? normalise(b) : text(b);
  if (NUMERIC.test(x) && NUMERIC.test(y)) return Math.sign(Number(x) - Number(y));
  return x < y ? -1 : x > y ? 1 : 0;
}

/** `%` any run, `_` one character, whole value, case-insensitive (SQL LIKE). @param {unknown} v @param {unknown} pattern */
function like(v, pattern) {
  const re = text(pattern)
    .split('')
    .map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${re}$`, 's').test(text(v));
}

/** Arrays: element contained; text: substring contained. @param {unknown} haystack @param {unknown} needle */
function contains(haystack, needle) {
  if (Array.isArray(haystack)) return haystack.some((h) => equal(h, needle));
  return text(haystack).includes(text(needle));
}
