// @ts-check
/**
 * The call log both emulators keep: entries (the oldest dropped past `limit`) and counters by
 * route, status and fault, plus the tallies an emulator names (`tallies`: counter name → what an
 * entry adds to it). What an entry records, and what it never records, is each emulator's to say.
 */

/**
 * @template {{ route: string, status: number, fault: string | null }} E
 */
export class CallLog {
  /** @type {(E & { seq: number })[]} */ entries = [];
  /** @type {Record<string, number>} */ byRoute = {};
  /** @type {Record<string, number>} */ byStatus = {};
  /** @type {Record<string, number>} */ byFault = {};
  /** @type {Record<string, number>} */ sums = {};
  total = 0;
  seq = 0;

  /**
   * @param {{ limit?: number, tallies?: Record<string, (entry: E) => number> }} [opts]
   *   entries beyond `limit` drop the oldest; counters keep counting
   */
  constructor({ limit = 100000, tallies = {} } = {}) {
    this.limit = limit;
    this.tallies = tallies;
    this.clear();
  }

  clear() {
    this.entries = [];
    this.byRoute = {};
    this.byStatus = {};
    this.byFault = {};
    this.sums = Object.fromEntries(Object.keys(this.tallies).map((k) => [k, 0]));
    this.total = 0;
    this.seq = 0;
  }

  /** @param {E} e @returns {E & { seq: number }} */
  add(e) {
    const entry = { seq: ++this.seq, ...e };
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
    this.total++;
    this.byRoute[e.route] = (this.byRoute[e.route] ?? 0) + 1;
    this.byStatus[String(e.status)] = (this.byStatus[String(e.status)] ?? 0) + 1;
    if (e.fault) this.byFault[e.fault] = (this.byFault[e.fault] ?? 0) + 1;
    for (const [name, of] of Object.entries(this.tallies)) this.sums[name] = (this.sums[name] ?? 0) + of(e);
    return entry;
  }

  counters() {
    return {
      total: this.total,
      byRoute: { ...this.byRoute },
      byStatus: { ...this.byStatus },
      byFault: { ...this.byFault },
      ...this.sums,
    };
  }
}
