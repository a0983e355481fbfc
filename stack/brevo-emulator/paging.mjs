// @ts-check
/**
 * `limit`, `offset`, `sort` and `modifiedSince` of the collection routes (spec, "Paging").
 * `sort` is by creation, descending by default; ties on the creation time go by id.
 * The emulator's readings: a limit above the route's maximum is a 400 `out_of_range` (not
 * capped), a limit or offset that is no whole number, a sort other than `asc`/`desc` and a
 * `modifiedSince` that is no date-time are a 400 `invalid_parameter`.
 */
import { ERR } from './errors.mjs';

/**
 * ISO 8601 date-time, to the minute at least, with `Z` or an offset; without either it is read
 * as UTC (the reference: "a given UTC date-time … Prefer to pass your timezone"). A `+` must
 * be sent URL-encoded (`%2B`): a raw one decodes to a space and is refused.
 */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * @typedef {{ limit: number, offset: number, sort: 'asc' | 'desc', modifiedSince: number | null }} Paging
 */

/**
 * @param {URL} url @param {{ defaultLimit: number, maxLimit: number, modifiedSince: boolean }} route
 * @returns {{ ok: Paging } | { reply: import('./errors.mjs').Reply }}
 */
export function readPaging(url, route) {
  const q = url.searchParams;
  const limitRaw = q.get('limit');
  const offsetRaw = q.get('offset');
  const sortRaw = q.get('sort');
  const sinceRaw = q.get('modifiedSince');
  if (limitRaw !== null && !/^\d+$/.test(limitRaw)) return { reply: ERR.invalid('limit must be a whole number') };
  const limit = limitRaw === null ? route.defaultLimit : Number(limitRaw);
  if (limit > route.maxLimit) return { reply: ERR.outOfRange(`limit must be at most ${route.maxLimit}`) };
  if (offsetRaw !== null && !/^\d+$/.test(offsetRaw)) return { reply: ERR.invalid('offset must be a whole number') };
  const offset = offsetRaw === null ? 0 : Number(offsetRaw);
  if (sortRaw !== null && sortRaw !== 'asc' && sortRaw !== 'desc')
    return { reply: ERR.invalid('sort must be asc or desc') };
  const sort = sortRaw === 'asc' ? 'asc' : 'desc';
  let modifiedSince = null;
  if (route.modifiedSince && sinceRaw !== null) {
    const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(sinceRaw) ? sinceRaw : `${sinceRaw}Z`;
    const t = DATE_TIME.test(sinceRaw) ? Date.parse(zoned) : Number.NaN;
    if (Number.isNaN(t)) return { reply: ERR.invalid('modifiedSince must be a date-time (YYYY-MM-DDTHH:mm:ss.SSSZ)') };
    modifiedSince = t;
  }
  return { ok: { limit, offset, sort, modifiedSince } };
}

/**
 * By creation time, then id; descending unless `asc`.
 * @template {{ id: number, createdAt: number }} T
 * @param {T[]} items @param {'asc' | 'desc'} sort
 */
export function byCreation(items, sort) {
  const sign = sort === 'asc' ? 1 : -1;
  return [...items].sort((a, b) => sign * (a.createdAt - b.createdAt || a.id - b.id));
}
