import type { SessionStore, StoredSession } from '../../src/ports/token-store';

/**
 * The session store's contract (src/ports/token-store.ts) in memory, for the harnesses: one per
 * world, as one database.
 */
export function memorySessions(): SessionStore {
  let row: StoredSession | null = null;
  let locked = false;
  const blank = (): StoredSession => ({
    accessToken: null,
    refreshToken: null,
    expiresAt: null,
    loginError: null,
    loginErrorAt: null,
  });
  return {
    read: async () => (row ? { ...row } : null),
    tryLock: async () => {
      if (locked) return false;
      locked = true;
      return true;
    },
    save: async (tokens) => {
      row = { ...blank(), ...tokens, loginError: null, loginErrorAt: null };
      locked = false;
    },
    invalidate: async (token) => {
      if (row?.accessToken === token) row = { ...row, accessToken: null };
    },
    recordLoginError: async (message, at) => {
      row = { ...(row ?? blank()), loginError: message, loginErrorAt: at };
      locked = false;
    },
    unlock: async () => {
      locked = false;
    },
  };
}
