// @ts-check
/**
 * Collection reads: `_filter`, `_limit`, `_offset`, `_expand`, `_fields` and `info.links`,
 * which Newsletter2Go documents as common to every GET.
 *
 * `_limit` defaults to 50. The maximum is unconfirmed (clients have used 5000): the
 * emulator caps at 5000 and silently uses the cap, as many APIs do; `_links` then show
 * the limit actually used, so a client that follows `_next` still reaches the end.
 */
import { badRequest, isTrue, parseFields, project } from './envelope.mjs';
import { FiqlError, matches, parseFilter } from './fiql.mjs';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 5000;

/**
 * `url` is the request URL (origin + path + query), `isField` says which names `_fields`
 * and `_filter` may use, `defaults` are the fields of `_expand=true`. Items are
 * `{_href, id}` unless `_expand=true`; then `_fields`, when given, names what comes back.
 * `fieldKind` tells `_filter` what a name is (a scalar or an array field, or none); without
 * it every `isField` name is a scalar. `unquotedValue` is the filter reading (settings.mjs).
 * @template T
 * @param {{
 *   items: Iterable<T>,
 *   url: URL,
 *   isField: (name: string) => boolean,
 *   fieldKind?: import('./fiql.mjs').KindOf,
 *   unquotedValue?: import('./fiql.mjs').UnquotedValue,
 *   defaults: readonly string[],
 *   read: (item: T, name: string) => unknown,
 *   idOf: (item: T) => string,
 *   hrefOf: (item: T) => string,
 * }} a
 * @returns {import('./envelope.mjs').Reply}
 */
export function page(a) {
  const q = a.url.searchParams;
  const limit = parseWhole(q.get('_limit'), DEFAULT_LIMIT);
  const offset = parseWhole(q.get('_offset'), 0);
  if (limit === null || limit < 1) return badRequest('_limit must be a whole number greater than 0');
  if (offset === null) return badRequest('_offset must be a whole number');
  const effLimit = Math.min(limit, MAX_LIMIT);
  const f = parseFields(q.get('_fields'), a.isField);
  if ('error' in f) return f.error;
  const rawFilter = q.get('_filter');
  let filter = null;
  if (rawFilter !== null && rawFilter.trim() !== '') {
    try {
      const kindOf = a.fieldKind ?? ((/** @type {string} */ n) => (a.isField(n) ? 'scalar' : null));
      filter = parseFilter(rawFilter, kindOf, { unquotedValue: a.unquotedValue });
    } catch (e) {
      if (e instanceof FiqlError) return badRequest(e.message);
      throw e;
    }
  }
  const expand = isTrue(q.get('_expand'));
  // One pass: count every match, keep only the requested window.
  /** @type {T[]} */
  const window = [];
  let count = 0;
  for (const item of a.items) {
    if (filter && !matches(filter, (name) => a.read(item, name))) continue;
    if (count >= offset && count < offset + effLimit) window.push(item);
    count++;
  }
  // The spec's list/find row: "without `_expand` only {_href, id}", so `_fields` (still
  // checked above) shapes the items only together with `_expand=true`.
  const shown = expand ? f.fields : null;
  const value = window.map((item) =>
    project(a.hrefOf(item), a.idOf(item), shown, expand, a.defaults, (n) => a.read(item, n)),
  );
  /** @type {Record<string, string>} */
  const links = { _href: a.url.toString() };
  if (offset + effLimit < count) links._next = withOffset(a.url, offset + effLimit, effLimit);
  links._last = withOffset(a.url, count === 0 ? 0 : Math.floor((count - 1) / effLimit) * effLimit, effLimit);
  return { status: 200, body: { status: 200, info: { count, links }, value } };
}

/** @param {URL} url @param {number} offset @param {number} limit */
function withOffset(url, offset, limit) {
  const u = new URL(url);
  u.searchParams.set('_offset', String(offset));
  u.searchParams.set('_limit', String(limit));
  return u.toString();
}

/** @param {string | null} raw @param {number} fallback @returns {number | null} */
function parseWhole(raw, fallback) {
  if (raw === null || raw === '') return fallback;
  return /^\d+$/.test(raw) ? Number(raw) : null;
}
