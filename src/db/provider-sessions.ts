import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { SessionStore, StoredSession } from '../ports/token-store';
import type { Db, Executor } from './client';
import { providerSessions } from './schema';

/**
 * Logins read along with a queue batch's other reads (`primeSessions`), per client. Each
 * provider's is handed out once, to the first `read()`: it saves the batch a round trip of its
 * own when the token is still good. Every later read (under the renewal lock, after a refused
 * token) goes to the database, so a stale copy costs at most one refused call.
 */
const readAlong = new WeakMap<Db, { rows: Map<string, StoredSession>; used: Set<string> }>();

/** Every provider's stored login (one row per provider), to read in a batch with other reads. */
export function allSessions(db: Executor) {
  return db.select().from(providerSessions);
}

/** Hands what `allSessions` read in a batch to this client's session stores (see `readAlong`). */
export function primeSessions(db: Db, rows: (StoredSession & { provider: string })[]): void {
  readAlong.set(db, { rows: new Map(rows.map((r) => [r.provider, r])), used: new Set() });
}

/** The provider login, shared by every isolate through the database. */
export function dbSessionStore(db: Db, provider: string): SessionStore {
  const row = eq(providerSessions.provider, provider);
  return {
    async read(): Promise<StoredSession | null> {
      const along = readAlong.get(db);
      if (along && !along.used.has(provider)) {
        along.used.add(provider);
        return along.rows.get(provider) ?? null;
      }
      const [found] = await db.select().from(providerSessions).where(row).limit(1);
      return found ?? null;
    },
    async tryLock(now, holdMs) {
      await db.insert(providerSessions).values({ provider, updatedAt: now }).onConflictDoNothing();
      const res = await db
        .update(providerSessions)
        .set({ lockUntil: now + holdMs })
        .where(and(row, or(isNull(providerSessions.lockUntil), lt(providerSessions.lockUntil, now))));
      return res.rowsAffected === 1;
    },
    async save(tokens, now) {
      await db
        .update(providerSessions)
        .set({ ...tokens, lockUntil: null, loginError: null, loginErrorAt: null, updatedAt: now })
        .where(row);
    },
    async invalidate(accessToken) {
      await db
        .update(providerSessions)
        .set({ expiresAt: 0 })
        .where(and(row, eq(providerSessions.accessToken, accessToken)));
    },
    async recordLoginError(message, now) {
      await db
        .update(providerSessions)
        .set({
          loginError: message,
          loginErrorAt: now,
          accessToken: null,
          refreshToken: null,
          expiresAt: null,
          lockUntil: null,
          updatedAt: now,
        })
        .where(row);
    },
    async unlock() {
      await db.update(providerSessions).set({ lockUntil: sql`NULL` }).where(row);
    },
  };
}

/** The stored login of one provider, for the stats (the adapter goes through the store above). */
export function findSession(db: Executor, provider: string) {
  return db.select().from(providerSessions).where(eq(providerSessions.provider, provider)).limit(1);
}
