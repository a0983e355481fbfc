// @ts-check
/**
 * What both emulators' control objects share: the error their routes answer with, and the test
 * controls over the call log, faults, rules, refused addresses, the clock and the switches. Each
 * emulator spreads these into its own control, beside what its provider's users can do.
 */

export class ControlError extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** @template T @param {T} v @returns {T} */
export const copy = (v) => structuredClone(v);

/**
 * @template S
 * @param {{
 *   faults: { config: unknown, rules: unknown[], rejected: Set<string>, configure(c: Record<string, unknown>): unknown,
 *     reset(): void, addRule(r: Record<string, unknown>): unknown, removeRule(id: number): boolean, reject(e: string[]): void },
 *   log: { entries: unknown[], clear(): void, counters(): unknown },
 *   clock: { offsetMs: number },
 *   settings: S,
 *   checkSettings: (patch: unknown) => { ok: Partial<S> } | { error: string },
 *   strictEmails?: boolean,
 * }} deps
 *   `strictEmails`: refused addresses must be strings (otherwise any list, each made a string)
 */
export function testControls({ faults, log, clock, settings, checkSettings, strictEmails = false }) {
  return {
    log: () => copy(log.entries),
    clearLog: () => log.clear(),
    counters: () => log.counters(),

    /** @param {Record<string, unknown>} cfg */
    setFaults(cfg) {
      try {
        return copy(faults.configure(cfg ?? {}));
      } catch (e) {
        throw new ControlError(400, /** @type {Error} */ (e).message);
      }
    },
    getFaults: () => copy(faults.config),
    /** Random faults, rules and rejected addresses all off. */
    clearFaults() {
      faults.reset();
    },

    /** @param {Record<string, unknown>} rule */
    addRule(rule) {
      try {
        return copy(faults.addRule(rule ?? {}));
      } catch (e) {
        throw new ControlError(400, /** @type {Error} */ (e).message);
      }
    },
    /** @param {number} id */
    removeRule(id) {
      if (!faults.removeRule(id)) throw new ControlError(404, `no rule ${id}`);
      return true;
    },
    rules: () => copy(faults.rules),
    clearRules() {
      faults.rules = [];
    },

    /** @param {string[]} emails */
    rejectEmails(emails) {
      if (strictEmails && (!Array.isArray(emails) || !emails.every((e) => typeof e === 'string')))
        throw new ControlError(400, 'emails must be a list of strings');
      if (!Array.isArray(emails)) throw new ControlError(400, 'emails must be a list');
      faults.reject(emails);
      return [...faults.rejected];
    },
    rejectedEmails: () => [...faults.rejected],
    clearRejectedEmails() {
      faults.rejected.clear();
    },

    /** Moves the emulator's clock forward. @param {number} seconds */
    advanceClock(seconds) {
      if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0)
        throw new ControlError(400, 'seconds must be a number >= 0');
      clock.offsetMs += seconds * 1000;
      return clock.offsetMs / 1000;
    },

    /** The switches for unconfirmed readings (the emulator's settings.mjs). */
    getSettings: () => ({ ...settings }),

    /**
     * Changes any of them; the patch is checked whole, so a bad value changes nothing.
     * @param {unknown} patch
     */
    setSettings(patch) {
      const checked = checkSettings(patch);
      if ('error' in checked) throw new ControlError(400, checked.error);
      Object.assign(/** @type {object} */ (settings), checked.ok);
      return { ...settings };
    },
  };
}
