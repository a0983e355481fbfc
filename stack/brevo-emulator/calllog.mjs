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

/**
 * @typedef {{ seq: number, time: string, method: string, path: string, route: string,
 *   status: number, durationMs: number, fault: string | null, ruleId: number | null,
 *   rateLimited: boolean, items: number | null }} LogEntry
 */

export class CallLog {
  /** @type {LogEntry[]} */ entries = [];
  /** @type {Record<string, number>} */ byRoute = {};
  /** @type {Record<string, number>} */ byStatus = {};
  /** @type {Record<string, number>} */ byFault = {};
  total = 0;
  /** Calls the rate limiter answered 429. */
  rateLimited = 0;
  /** Entries sent to a list's add and remove routes, over every such call, faulted or not. */
  listItems = 0;
  seq = 0;

  /** @param {{ limit?: number }} [opts] entries beyond `limit` drop the oldest; counters keep counting */
  constructor({ limit = 100000 } = {}) {
    this.limit = limit;
    this.clear();
  }

  clear() {
    this.entries = [];
    this.byRoute = {};
    this.byStatus = {};
    this.byFault = {};
    this.total = 0;
    this.rateLimited = 0;
    this.listItems = 0;
    this.seq = 0;
  }

  /** @param {Omit<LogEntry, 'seq'>} e @returns {LogEntry} */
  add(e) {
    const entry = { seq: ++this.seq, ...e };
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
    this.total++;
    this.byRoute[e.route] = (this.byRoute[e.route] ?? 0) + 1;
    this.byStatus[String(e.status)] = (this.byStatus[String(e.status)] ?? 0) + 1;
    if (e.fault) this.byFault[e.fault] = (this.byFault[e.fault] ?? 0) + 1;
    if (e.rateLimited) this.rateLimited++;
    this.listItems += e.items ?? 0;
    return entry;
  }

  counters() {
    return {
      total: this.total,
      byRoute: { ...this.byRoute },
      byStatus: { ...this.byStatus },
      byFault: { ...this.byFault },
      rateLimited: this.rateLimited,
      listItems: this.listItems,
    };
  }
}
