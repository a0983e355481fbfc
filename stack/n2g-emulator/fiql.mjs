// @ts-check
/**
 * The `_filter` language, as Newsletter2Go's API docs publish it ("Filter language": the
 * operator table, see /work/shared/spec/newsletter2go-api.md "Filters") and no further, so a
 * client cannot come to depend on syntax the real API may not have.
 *
 *   filter      := or
 *   or          := and ("," and)*                 "," is OR  (docs: `,` or)
 *   and         := term (";" term)*               ";" is AND (docs: `;` and); binds tighter (FIQL)
 *   term        := "(" or ")" | constraint        grouping (docs: `(group_ids=contains=…,…)`)
 *   constraint  := field scalar-op value          `age=="27"`, `first_name==last_name`
 *                | field array-op quoted          `group_ids=contains="rarr38sz"` (field: an array)
 *                | quoted element-op field        `"rarr38sz"=in=group_ids` (field: an array)
 *   scalar-op   := "==" | "=ne=" | "=gt=" | "=ge=" | "=lt=" | "=le=" | "=like=" | "=nlike="
 *   array-op    := "=contains=" | "=ncontains="
 *   element-op  := "=in=" | "=nin="
 *   value       := quoted | name                  an unquoted value names another field (docs)
 *   quoted      := '"' … '"'    inside, \" stands for " and \\ for \; any other \ is itself
 *
 * Operator names are read in any case (the docs write `=CONTAINS=`, `=LIKE=`). Everything else
 * is a FiqlError (the API's 400): operators outside the table (`!=`, `=~`), an array operator on
 * a scalar field or the other way round, a parenthesised value list (`email=in=("a","b")`, RSQL,
 * nowhere in Newsletter2Go's material: "any of these" is `email=="a",email=="b"`), single quotes,
 * spaces outside quotes (the whole filter is URL-encoded), functions such as DATE_FORMAT(…),
 * unknown field names, parentheses nested deeper than MAX_DEPTH.
 *
 * Unconfirmed (switchable, `unquotedValue`): the docs say values are quoted and an unquoted value
 * is a field name, yet their own like example is `email=like=%yahoo.com`. 'field' (default)
 * reads an unquoted value only as a field name, so `%yahoo.com` is a 400; 'field-or-literal'
 * reads a token that is no field name as a literal value. Array operators take a quoted element
 * under either reading, as the table shows them.
 *
 * Comparisons follow MySQL habits (unconfirmed, the provider's store is not published):
 * text compares case-insensitively, numbers numerically when both sides are numeric,
 * booleans match "true"/"1" and "false"/"0", a missing value counts as "". `=like=` is SQL
 * LIKE over the whole value (`%` any run, `_` one character); `=nlike=` its negation.
 */

export class FiqlError extends Error {}

/** Parentheses nested deeper than this are refused, so the parser's recursion stays bounded. */
export const MAX_DEPTH = 32;

/** @typedef {'scalar' | 'array'} FieldKind */
/** @typedef {(name: string) => FieldKind | null} KindOf what a name is: a field of that kind, or none */
/** @typedef {'field' | 'field-or-literal'} UnquotedValue */
/** @typedef {{ field: string } | { value: string }} Operand */
/**
 * @typedef {{ type: 'and' | 'or', items: Node[] }
 *   | { type: 'cmp', op: string, left: Operand, right: Operand }} Node
 */

const SCALAR_OPS = new Set(['==', '=ne=', '=gt=', '=ge=', '=lt=', '=le=', '=like=', '=nlike=']);
const ARRAY_OPS = new Set(['=contains=', '=ncontains=']);
const ELEMENT_OPS = new Set(['=in=', '=nin=']);
const OPERATOR_LIST = [...SCALAR_OPS, ...ARRAY_OPS, ...ELEMENT_OPS].join(' ');

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const WORD_OP = /=([A-Za-z]+)=/y;
/** An unquoted value runs to the next separator; quotes, `=` and spaces end it too (then: an error). */
const BARE = /[^"'(),;=\\\s]+/y;

/**
 * @param {string} src the decoded `_filter` value
 * @param {KindOf | { kindOf: KindOf }} fields the names a filter may use, and their kinds
 * @param {{ unquotedValue?: UnquotedValue }} [options]
 * @returns {Node}
 */
export function parseFilter(src, fields, options = {}) {
  const kindOf = typeof fields === 'function' ? fields : (/** @type {string} */ n) => fields.kindOf(n);
  const unquoted = options.unquotedValue ?? 'field';
  let pos = 0;
  let depth = 0;
  /** @param {string} msg @returns {never} */
  const fail = (msg) => {
    throw new FiqlError(`Invalid filter at position ${pos}: ${msg}`);
  };
  /** @param {RegExp} re sticky */
  const scan = (re) => {
    re.lastIndex = pos;
    const m = re.exec(src);
    return m ? m[0] : null;
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
    const items = [parseTerm()];
    while (src[pos] === ';') {
      pos++;
      items.push(parseTerm());
    }
    return items.length === 1 ? /** @type {Node} */ (items[0]) : { type: 'and', items };
  }

  /** @returns {Node} */
  function parseTerm() {
    if (src[pos] !== '(') return parseConstraint();
    if (depth >= MAX_DEPTH) fail(`parentheses nested deeper than ${MAX_DEPTH}`);
    depth++;
    pos++;
    const inner = parseOr();
    if (src[pos] !== ')') fail('expected ")"');
    pos++;
    depth--;
    return inner;
  }

  /** @returns {Node} */
  function parseConstraint() {
    if (src[pos] === '"') {
      const element = parseQuoted();
      const op = parseOperator();
      if (!ELEMENT_OPS.has(op))
        fail(`a quoted value stands on the left only with =in= / =nin= ("rarr38sz"=in=group_ids), not with ${op}`);
      const start = pos;
      const name = scan(NAME);
      if (name === null)
        fail(
          src[pos] === '(' ? `${op} takes an array field on its right, not a list of values` : 'expected a field name',
        );
      pos += name.length;
      const kind = kindOf(name);
      if (kind === null) at(start, `unknown field "${name}"`);
      if (kind !== 'array')
        at(start, `${op} needs an array field on its right ("rarr38sz"${op}group_ids); "${name}" is none`);
      return { type: 'cmp', op, left: { value: element }, right: { field: name } };
    }

    const start = pos;
    const name = scan(NAME);
    if (name === null)
      fail(src[pos] === "'" ? 'values are in double quotes, not single quotes' : 'expected a field name');
    pos += name.length;
    if (src[pos] === '(') fail(`functions such as ${name}(…) are not supported`);
    const kind = kindOf(name);
    if (kind === null) at(start, `unknown field "${name}"`);
    const op = parseOperator();

    if (ELEMENT_OPS.has(op))
      at(
        start,
        `${op} takes a quoted element on its left and an array field on its right ("rarr38sz"${op}group_ids); ` +
          `"any of these values" is written with ",": ${name}=="a",${name}=="b"`,
      );
    if (ARRAY_OPS.has(op)) {
      if (kind !== 'array') at(start, `${op} needs an array field on its left; "${name}" is none`);
      if (src[pos] !== '"') fail(`${op} takes a value in double quotes (group_ids${op}"rarr38sz")`);
      return { type: 'cmp', op, left: { field: name }, right: { value: parseQuoted() } };
    }
    if (kind !== 'scalar') at(start, `${op} does not apply to the array field "${name}" (use =contains= / =in=)`);
    return { type: 'cmp', op, left: { field: name }, right: parseValue() };
  }

  /** The right side of a scalar comparison: a quoted value, or an unquoted name. @returns {Operand} */
  function parseValue() {
    if (src[pos] === '"') return { value: parseQuoted() };
    if (src[pos] === '(') fail('a list of values in parentheses is not part of the filter language');
    if (src[pos] === "'") fail('values are in double quotes, not single quotes');
    const start = pos;
    const token = scan(BARE);
    if (token === null) fail('expected a value in double quotes or a field name');
    pos += token.length;
    const isName = /^[A-Za-z_][A-Za-z0-9_]*$/.test(token);
    const kind = isName ? kindOf(token) : null;
    if (kind === 'scalar') return { field: token };
    if (kind === 'array') at(start, `"${token}" is an array field; compare it with =contains= / =in=`);
    if (unquoted === 'field-or-literal') return { value: token };
    at(
      start,
      isName
        ? `unknown field "${token}" (an unquoted value names a field; put values in double quotes)`
        : `values are in double quotes: "${token}" (an unquoted value names a field)`,
    );
  }

  /** @returns {string} the operator, lower case */
  function parseOperator() {
    if (src.startsWith('==', pos)) {
      pos += 2;
      return '==';
    }
    const word = scan(WORD_OP);
    const op = word?.toLowerCase();
    if (!word || !op || !(SCALAR_OPS.has(op) || ARRAY_OPS.has(op) || ELEMENT_OPS.has(op)))
      fail(`expected one of ${OPERATOR_LIST} (in any case)`);
    pos += word.length;
    return op;
  }

  /** @returns {string} */
  function parseQuoted() {
    if (src[pos] !== '"') fail('expected a value in double quotes');
    pos++;
    let value = '';
    let from = pos;
    while (pos < src.length && src[pos] !== '"') {
      // The worker and most clients escape a double quote inside a value as \".
      if (src[pos] === '\\' && (src[pos + 1] === '"' || src[pos + 1] === '\\')) {
        value += src.slice(from, pos);
        pos++;
        from = pos;
      }
      pos++;
    }
    if (pos >= src.length) fail('unterminated quoted value');
    value += src.slice(from, pos);
    pos++;
    return value;
  }

  /** @param {number} where @param {string} msg @returns {never} */
  function at(where, msg) {
    pos = where;
    return fail(msg);
  }

  const tree = parseOr();
  if (pos !== src.length) fail(src[pos] === ')' ? 'unbalanced ")"' : `unexpected "${src[pos]}"`);
  return tree;
}

/**
 * @param {Node} node
 * @param {(name: string) => unknown} read field reader for one record (arrays for array fields)
 * @returns {boolean}
 */
export function matches(node, read) {
  if (node.type !== 'cmp')
    return node.type === 'and' ? node.items.every((n) => matches(n, read)) : node.items.some((n) => matches(n, read));
  const left = operand(node.left, read);
  const right = operand(node.right, read);
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
    case '=nlike=':
      return !like(left, right);
    case '=contains=':
      return elements(left).some((e) => equal(e, right));
    case '=ncontains=':
      return !elements(left).some((e) => equal(e, right));
    case '=in=':
      return elements(right).some((e) => equal(e, left));
    case '=nin=':
      return !elements(right).some((e) => equal(e, left));
    default:
      return false;
  }
}

/** @param {Operand} o @param {(name: string) => unknown} read */
function operand(o, read) {
  return 'field' in o ? read(o.field) : o.value;
}

/** An array field's value; a missing one counts as empty. @param {unknown} v @returns {unknown[]} */
function elements(v) {
  return Array.isArray(v) ? v : [];
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
  return compare(a, b) === 0;
}

const NUMERIC = /^-?\d+(\.\d+)?$/;

/** When either side is a boolean, both are read as 1/0. @param {unknown} a @param {unknown} b */
function compare(a, b) {
  const flags = typeof a === 'boolean' || typeof b === 'boolean';
  const x = flags ? normalise(a) : text(a);
  const y = flags ? normalise(b) : text(b);
  if (NUMERIC.test(x) && NUMERIC.test(y)) return Math.sign(Number(x) - Number(y));
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * `%` any run, `_` one character, whole value, case-insensitive (SQL LIKE).
 * @param {unknown} v @param {unknown} pattern
 */
function like(v, pattern) {
  const re = text(pattern)
    .split('')
    .map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${re}$`, 's').test(text(v));
}
