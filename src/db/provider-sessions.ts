import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { SessionStore, StoredSession } from '../ports/token-store';
import type { Db, Executor } from './client';
import { providerSessions } from './schema';

/** The provider login, shared by every isolate through the database. */
export function dbSessionStore(db: Db, provider: string): SessionStore {
  const row = eq(providerSessions.provider, provider);
  return {
    async read(): Promise<StoredSession | null> {
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
