/**
 * The value, or a failure naming what was missing: the tests' replacement for a non-null `!`,
 * so a wrong assumption fails at its line with a message instead of a TypeError further on.
 */
export function defined<T>(value: T | null | undefined, what: string): T {
  if (value === undefined || value === null) throw new Error(`expected ${what}, got ${value}`);
  return value;
}
