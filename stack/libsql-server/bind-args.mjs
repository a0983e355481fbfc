/**
 * Checks a statement's arguments against its parameters and shapes them for
 * the `libsql` binding: an array binds by position, an object binds by bare
 * name (`{ a: 1 }` for `:a`, `@a` or `$a`; a prefixed key is silently ignored).
 *
 * The checks follow the Hrana spec (a missing or unexpected argument is an
 * error) rather than the binding, which would bind NULL or ignore the extra,
 * and they keep nameless `?` parameters away from by-name binding, which
 * crashes the process.
 */
import { HranaError } from './errors.mjs';

/** @typedef {import('./protocol.mjs').SqlValue} SqlValue */

/**
 * @param {import('./sql-scan.mjs').ScannedStatement} statement
 * @param {{ args: SqlValue[], namedArgs: { name: string, value: SqlValue }[] }} stmt
 * @returns {SqlValue[] | Record<string, SqlValue>}
 */
export function bindArgs({ params, paramCount }, { args, namedArgs }) {
  if (args.length > 0 && namedArgs.length > 0) {
    throw new HranaError(
      'Specifying both positional and named arguments is not supported',
      'ARGS_BOTH_POSITIONAL_AND_NAMED',
    );
  }
  if (namedArgs.length === 0) {
    if (args.length !== paramCount) {
      throw invalid(`the statement has ${paramCount} parameter(s) but ${args.length} argument(s) were given`);
    }
    return args;
  }

  const positional = params.find((p) => p.name === null || p.name.startsWith('?'));
  if (positional) {
    throw invalid(`parameter ${positional.name ?? '?'} is positional; pass positional arguments instead of named ones`);
  }
  /** @type {Map<string, string>} bare name → name as written in the SQL */
  const expected = new Map(params.map((p) => [String(p.name).slice(1), String(p.name)]));
  /** @type {Record<string, SqlValue>} */
  const bound = Object.create(null);
  for (const { name, value } of namedArgs) {
    const bare = /^[:@$]/.test(name) ? name.slice(1) : name;
    if (!expected.has(bare)) throw invalid(`the statement has no parameter named ${JSON.stringify(name)}`);
    bound[bare] = value;
  }
  for (const [bare, written] of expected) {
    if (!(bare in bound)) throw invalid(`no argument was given for parameter ${written}`);
  }
  return bound;
}

/** @param {string} detail */
function invalid(detail) {
  return new HranaError(`Arguments do not match SQL parameters: ${detail}`, 'ARGS_INVALID');
}
