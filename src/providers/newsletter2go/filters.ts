/**
 * `_filter` strings in Newsletter2Go's documented filter language only (API docs, "Filter
 * language"): FIQL comparisons with the value in double quotes, `,` for OR. "Any of these
 * addresses" is `email=="a@x.de",email=="b@x.de"`; the RSQL form `email=in=("a","b")` is not
 * in the table (its `=in=` asks whether an element is in an array field).
 */

/** Newsletter2Go publishes no URL limit; 4,096 bytes is what every proxy on the way accepts. */
export const MAX_URL_BYTES = 4096;

/**
 * A comparison value in double quotes. The docs show no escape; a backslash before `"` and `\`
 * is the FIQL habit, and the portal's addresses never contain either in practice.
 */
export function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** `field=="a",field=="b"`: OR over equality, the docs' way to ask for several values. */
export function anyOf(field: string, values: readonly string[]): string {
  return values.map((value) => `${field}==${quoted(value)}`).join(',');
}

/**
 * Splits `values` into runs whose `anyOf` filter keeps the whole request URL within
 * `maxBytes` once encoded, as `urlFor` builds it (each run at most `maxPerRun` long: the
 * page size asked for). A single value too long for any URL is a run of its own: the provider's
 * answer to it (414 or 400) is then that value's failure, not the whole batch's.
 */
export function chunkByUrlLength(
  field: string,
  values: readonly string[],
  urlFor: (filter: string) => string,
  options: { maxBytes?: number; maxPerRun?: number } = {},
): string[][] {
  const maxBytes = options.maxBytes ?? MAX_URL_BYTES;
  const maxPerRun = options.maxPerRun ?? 500;
  const runs: string[][] = [];
  let run: string[] = [];
  for (const value of values) {
    const candidate = [...run, value];
    if (run.length && (candidate.length > maxPerRun || byteLength(urlFor(anyOf(field, candidate))) > maxBytes)) {
      runs.push(run);
      run = [value];
    } else run = candidate;
  }
  if (run.length) runs.push(run);
  return runs;
}

const encoder = new TextEncoder();
const byteLength = (s: string) => encoder.encode(s).length;
