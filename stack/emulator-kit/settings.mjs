// @ts-check
/**
 * The switchboard both emulators build their settings from: the allowed values per switch (the
 * first is the default), the defaults, and a check of a whole patch. No imports, so a test inside
 * workerd can load an emulator's settings.mjs.
 */

/**
 * @template {Record<string, readonly unknown[]>} V
 * @param {V} values
 */
export function switchboard(values) {
  /** @typedef {{ [K in keyof V]: V[K][number] }} Settings */
  return {
    /** @returns {Settings} */
    defaultSettings() {
      return /** @type {Settings} */ (Object.fromEntries(Object.entries(values).map(([k, v]) => [k, v[0]])));
    },

    /**
     * Checks a (partial) patch as a whole: one bad key or value and nothing is applied.
     * @param {unknown} patch
     * @returns {{ ok: Partial<Settings> } | { error: string }}
     */
    checkSettings(patch) {
      if (patch === null || typeof patch !== 'object' || Array.isArray(patch))
        return { error: 'settings must be a JSON object' };
      const allowedBy = /** @type {Record<string, readonly unknown[]>} */ (values);
      for (const [k, v] of Object.entries(patch)) {
        const allowed = allowedBy[k];
        if (!allowed)
          return { error: `unknown setting ${JSON.stringify(k)}; known: ${Object.keys(values).join(', ')}` };
        if (!allowed.includes(v))
          return { error: `${k} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}` };
      }
      return { ok: /** @type {Partial<Settings>} */ (patch) };
    },
  };
}
