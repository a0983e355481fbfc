// @ts-check
/**
 * The call log: what tests assert on ("three PUT calls, the second got a 503").
 *
 * It records method, path with query, route, status, timing, the injected fault, whether the
 * rate limiter refused the call, and for a list's `/contacts/add` and `/contacts/remove` how
 * many entries the body carried (`items`: the length of `emails`, `ids` or `extIds`), and
 * nothing else: never headers (the api key), never bodies (addresses, names). A path can
 * name an e-mail (`/v3/contacts/a%40example.com`): it is kept as sent, because tests need to
 * see how a client addressed a contact.
 */

import { CallLog as KitCallLog } from '../emulator-kit/calllog.mjs';

/**
 * @typedef {{ seq: number, time: string, method: string, path: string, route: string,
 *   status: number, durationMs: number, fault: string | null, ruleId: number | null,
 *   rateLimited: boolean, items: number | null }} LogEntry
 */

/** @extends {KitCallLog<Omit<LogEntry, 'seq'>>} */
export class CallLog extends KitCallLog {
  /** @param {{ limit?: number }} [opts] entries beyond `limit` drop the oldest; counters keep counting */
  constructor({ limit = 100000 } = {}) {
    super({ limit, tallies: { rateLimited: (e) => (e.rateLimited ? 1 : 0), listItems: (e) => e.items ?? 0 } });
  }
}
