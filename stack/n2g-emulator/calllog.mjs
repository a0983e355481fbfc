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

/**
 * `items`: the recipients a `POST /recipients` body carried; null for every other route.
 * @typedef {{ seq: number, time: string, method: string, path: string, route: string,
 *   status: number, durationMs: number, fault: string | null, ruleId: number | null,
 *   items: number | null }} LogEntry
 */

export class CallLog {
  /** @type {LogEntry[]} */ entries = [];
  /** @type {Record<string, number>} */ byRoute = {};
  /** @type {Record<string, number>} */ byStatus = {};
  /** @type {Record<string, number>} */ byFault = {};
  total = 0;
  /** Recipients sent in `POST /recipients` bodies, over every such call, faulted or not. */
  upsertItems = 0;
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
    this.upsertItems = 0;
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
    this.upsertItems += e.items ?? 0;
    return entry;
  }

  counters() {
    return {
      total: this.total,
      byRoute: { ...this.byRoute },
      byStatus: { ...this.byStatus },
      byFault: { ...this.byFault },
      upsertItems: this.upsertItems,
    };
  }
}
