import { eq, inArray, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client';
import { receivedEvents, subscribers, subscriptions } from '../../src/db/schema';
import { commitWithRetries, guard, RetriesExhausted, type Statement } from '../../src/db/write-batch';
import { storeEvents } from '../../src/intake/store-events';
import { parsePortalEvent } from '../../src/schemas/events';
import { database } from '../support/unsubscribe';
import { at, confirmed, deleted, postEvent, uid } from '../support/worker';

/**
 * Concurrent requests about one user, or with one id, at the same moment. Intake holds no lock
 * across the network: each request commits one batch whose decision the batch re-checks (the
 * user's version, the id still unknown); the loser reads again and decides again.
 */

describe('concurrent deliveries', () => {
  it('one id from several users at once: one is stored, the others are conflicts', async () => {
    const id = uid('msg');
    const users = Array.from({ length: 5 }, () => uid('u'));
    const answers = await Promise.all(
      users.map(async (u) => (await postEvent(confirmed(u, uid('nl'), `${u}@example.com`), { id })).status),
    );
    expect(answers.filter((s) => s === 202)).toHaveLength(1);
    expect(answers.filter((s) => s === 409)).toHaveLength(4);
    const stored = await database().select().from(subscriptions).where(inArray(subscriptions.userId, users));
    expect(stored).toHaveLength(1);
    const [row] = await database().select().from(receivedEvents).where(eq(receivedEvents.eventId, id));
    expect(row?.userId).toBe(stored[0]?.userId);
  });

  it("eight events about one user at once: every one is applied, none overwrites another's", async () => {
    const user = uid('u');
    const newsletters = Array.from({ length: 8 }, () => uid('nl'));
    const answers = await Promise.all(
      newsletters.map(async (nl, i) => (await postEvent(confirmed(user, nl, `${user}@example.com`, {}, at(i)))).status),
    );
    expect(answers).toEqual(newsletters.map(() => 202));
    const rows = await database().select().from(subscriptions).where(eq(subscriptions.userId, user));
    expect(rows.map((r) => r.newsletterId).sort()).toEqual([...newsletters].sort());
    expect(rows.every((r) => r.state === 'subscribed')).toBe(true);
  });

  it('a user.deleted racing a subscription.confirmed ends deleted, whichever commits first', async () => {
    const users = Array.from({ length: 6 }, () => uid('u'));
    await Promise.all(
      users.flatMap((u, i) => {
        // Half the confirmations claim a time after the deletion: a deleted user stays deleted.
        const confirmAt = at(i % 2 ? 5000 : 0);
        return [
          postEvent(confirmed(u, uid('nl'), `${u}@example.com`, {}, confirmAt)),
          postEvent(deleted(u, at(1000))),
        ].map(async (p) => expect((await p).status).toBe(202));
      }),
    );
    const people = await database().select().from(subscribers).where(inArray(subscribers.userId, users));
    expect(people).toHaveLength(users.length);
    for (const p of people) {
      expect(p.deletedAt).not.toBeNull();
      expect(p.email).toBeNull();
    }
    const subs = await database().select().from(subscriptions).where(inArray(subscriptions.userId, users));
    expect(subs.filter((s) => s.state !== 'deleted')).toEqual([]);
  });
});

describe('a batch whose guard keeps failing', () => {
  it('is retried a bounded number of times, then stores nothing', async () => {
    const db = database();
    const user = uid('u');
    let reads = 0;
    const attempt = async () => {
      reads++;
      return {
        statements: [
          db.insert(subscribers).values({
            userId: user,
            email: null,
            firstName: '',
            lastName: '',
            gender: '',
            profileAt: 0,
            emailSince: 0,
            createdAt: 0,
            updatedAt: 0,
          }),
          // A decision whose basis never holds: every batch is refused.
          guard(db, sql`0`),
        ],
        value: null,
      };
    };
    await expect(commitWithRetries(db, attempt, 4)).rejects.toBeInstanceOf(RetriesExhausted);
    expect(reads).toBe(4);
    expect(await db.select().from(subscribers).where(eq(subscribers.userId, user))).toEqual([]);
  });
});

describe('a batch request whose users keep racing others', () => {
  it('commits per user, and answers every event as if it had committed at once', async () => {
    const db = database();
    // The first three whole-request commits lose their race (as if another request about one
    // of the users committed each time in between); per-user commits then go through.
    let losses = 3;
    const racing = Object.assign(Object.create(db) as Db, {
      batch: (statements: Statement[]) => {
        if (losses > 0 && usersClaimed(statements) > 1) {
          losses--;
          return Promise.reject(new Error('SQLITE_CONSTRAINT: CHECK constraint failed: stale_read'));
        }
        return db.batch(statements as [Statement, ...Statement[]]);
      },
    });
    const users = [uid('u'), uid('u'), uid('u')];
    const nl = uid('nl');
    const incoming = users.flatMap((u, i) => [
      event(`${u}-a`, confirmed(u, nl, `${u}@example.com`, {}, at(i))),
      event(`${u}-b`, deleted(u, at(10_000))),
    ]);
    // The same id twice: the second is judged against the first, in the first one's group.
    const repeated = incoming[0];
    if (!repeated) throw new Error('no events');
    const { results } = await storeEvents(racing, [...incoming, repeated]);
    expect(losses).toBe(0);
    expect(results.map((r) => r.status)).toEqual([...incoming.map(() => 'accepted'), 'duplicate']);
    expect(results.map((r) => r.eventId)).toEqual([...incoming, repeated].map((e) => e.eventId));
    const people = await db.select().from(subscribers).where(inArray(subscribers.userId, users));
    expect(people.map((p) => p.deletedAt !== null)).toEqual(users.map(() => true));
  });
});

/** How many users a write batch claims (two parameters each in its user_versions upsert). */
function usersClaimed(statements: Statement[]): number {
  for (const q of statements) {
    const query = sqlOf(q);
    if (query && /insert into "user_versions"/.test(query.sql)) return query.params.length / 2;
  }
  return 0;
}

/** A drizzle builder's SQL, for the builders that have one (raw statements do not). */
function sqlOf(q: Statement): { sql: string; params: unknown[] } | null {
  const toSQL = (q as { toSQL?: unknown }).toSQL;
  return typeof toSQL === 'function' ? (toSQL.call(q) as { sql: string; params: unknown[] }) : null;
}

function event(id: string, body: unknown) {
  const parsed = parsePortalEvent(body);
  if (!parsed.ok) throw new Error(`not an event: ${JSON.stringify(parsed.errors)}`);
  return { eventId: uid(id), bodyHash: id, event: parsed.event };
}
