// @ts-check
/**
 * The call log: what tests assert on ("three PATCH calls, the second got a 503").
 *
 * It records method, path with query, route, status, timing and the injected fault, and
 * for `POST /recipients` how many recipients the body carried (`items`: an array's length,
 * 1 for a single object, so a drill can count upserts per creation), and nothing else:
 * never headers (tokens, auth key), never bodies (passwords, personal data). Note that a
 * `_filter` in the query can name an e-mail address; the path is kept as sent because
 * tests need to see which filter a client used.
 */

import { CallLog as KitCallLog } from '../emulator-kit/calllog.mjs';

/**
 * `items`: the recipients a `POST /recipients` body carried; null for every other route.
 * @typedef {{ seq: number, time: string, method: string, path: string, route: string,
 *   status: number, durationMs: number, fault: string | null, ruleId: number | null,
 *   items: number | null }} LogEntry
 */

/** @extends {KitCallLog<Omit<LogEntry, 'seq'>>} */
export class CallLog extends KitCallLog {
  /** @param {{ limit?: number }} [opts] entries beyond `limit` drop the oldest; counters keep counting */
  constructor({ limit = 100000 } = {}) {
    super({ limit, tallies: { upsertItems: (e) => e.items ?? 0 } });
  }
}
