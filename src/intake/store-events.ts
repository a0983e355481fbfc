import { retryOnBusy } from '../db/busy';
import type { Db, Tx } from '../db/client';
import { type EventLogEntry, insertLogEntries } from '../db/event-log';
import { insertReceived, receivedByIds, sameBody } from '../db/received-events';
import { eraseDigests, scrubUser } from '../db/scrub';
import { chunks } from '../lib/chunks';
import { describeError, log } from '../lib/log';
import type { PortalEvent } from '../schemas/events';
import { applyEvent, type EventSource } from './apply-event';
import { applyDecision, loadUsers, newUser, toUserState, writeUsers } from './user-rows';

/**
 * Stores accepted events as desired state, in one transaction for a whole request (a single
 * event or a batch of up to 500): the received-event rows (idempotency), the subscriber and
 * subscription rows, and the timeline. Either all of it is stored or none. The caller
 * enqueues the returned subscription ids after the commit; if that fails, the rows still say
 * pending and the sweep re-sends them.
 */

export interface IncomingEvent {
  eventId: string;
  bodyHash: string;
  event: PortalEvent;
  source?: EventSource;
}

export type IntakeResult =
  | { eventId: string; status: 'accepted'; response: StoredAnswer }
  | { eventId: string; status: 'duplicate'; response: StoredAnswer }
  | { eventId: string; status: 'conflict' };

export interface StoredAnswer {
  status: number;
  body: unknown;
}

export async function storeEvents(db: Db, incoming: IncomingEvent[], now = Date.now()) {
  // The transaction is all-or-nothing, so a try refused as busy can simply run again.
  const { results, pushIds, deleted } = await retryOnBusy(() => storeOnce(db, incoming, now));
  // Outside the transaction: its write lock is not held across the scrub's round trips. A scrub
  // that fails here is done again when the erasure is confirmed (push-subscriptions.ts).
  for (const d of deleted)
    await scrubUser(db, d.userId, d.names).catch((error: unknown) =>
      log.warn('scrub after deletion failed; it runs again once the erasure is confirmed', {
        error: describeError(error),
      }),
    );
  return { results, pushIds };
}

async function storeOnce(db: Db, incoming: IncomingEvent[], now: number) {
  return db.transaction(
    async (tx) => {
      // Idempotency first: the primary key decides between concurrent deliveries of one id.
      const firsts = new Map<string, IncomingEvent>();
      for (const e of incoming) if (!firsts.has(e.eventId)) firsts.set(e.eventId, e);
      const unique = [...firsts.values()];
      const inserted = new Set<string>();
      for (const chunk of chunks(unique, 100)) {
        const rows = await insertReceived(
          tx,
          chunk.map((e) => ({
            eventId: e.eventId,
            bodyHash: e.bodyHash,
            userId: e.event.data.userId,
            responseStatus: 202,
            responseBody: JSON.stringify(acceptedBody(e.eventId)),
            receivedAt: now,
          })),
        );
        for (const r of rows) inserted.add(r.eventId);
      }
      const earlier = await loadReceived(
        tx,
        unique.filter((e) => !inserted.has(e.eventId)).map((e) => e.eventId),
      );

      const results: IntakeResult[] = [];
      const firstResult = new Map<string, IntakeResult>();
      const fresh: IncomingEvent[] = [];
      for (const e of incoming) {
        const first = firsts.get(e.eventId);
        const prior = firstResult.get(e.eventId);
        let result: IntakeResult;
        if (prior) {
          // The same id twice in one request answers like a second delivery of the first.
          result =
            first?.bodyHash === e.bodyHash && prior.status !== 'conflict'
              ? { eventId: e.eventId, status: 'duplicate', response: prior.response }
              : { eventId: e.eventId, status: 'conflict' };
        } else if (inserted.has(e.eventId)) {
          fresh.push(e);
          result = { eventId: e.eventId, status: 'accepted', response: { status: 202, body: acceptedBody(e.eventId) } };
        } else {
          const known = earlier.get(e.eventId);
          result =
            known && sameBody(known.bodyHash, e.bodyHash)
              ? { eventId: e.eventId, status: 'duplicate', response: { status: known.status, body: known.body } }
              : { eventId: e.eventId, status: 'conflict' };
        }
        if (!prior) firstResult.set(e.eventId, result);
        results.push(result);
      }

      const users = await loadUsers(tx, [...new Set(fresh.map((e) => e.event.data.userId))]);
      const log: EventLogEntry[] = [];
      const deleted: { userId: string; names: string[] }[] = [];
      for (const e of fresh) {
        const userId = e.event.data.userId;
        const user = users.get(userId) ?? newUser(users, userId);
        const namesBefore = [user.subscriber?.firstName ?? '', user.subscriber?.lastName ?? ''];
        const decision = applyEvent(toUserState(user), e.event, e.source);
        applyDecision(user, decision, userId);
        if (e.event.type === 'user.deleted' && decision.outcome === 'applied')
          deleted.push({ userId, names: namesBefore });
        const newsletterId = 'newsletterId' in e.event.data ? e.event.data.newsletterId : undefined;
        log.push({
          at: now,
          kind: 'event.received',
          userId,
          eventId: e.eventId,
          subscriptionId: newsletterId ? (user.subs.get(newsletterId)?.id ?? null) : null,
          outcome: decision.outcome,
          // Never personal data here: the timeline outlives a user's deletion.
          detail: {
            type: e.event.type,
            occurredAt: e.event.occurredAt,
            source: e.source === 'unsubscribe-link' ? 'unsubscribe-link' : 'portal',
            ...(newsletterId ? { newsletterId } : {}),
            ...(decision.notes.length ? { notes: decision.notes } : {}),
          },
        });
      }

      const pushIds = await writeUsers(tx, [...users.values()], now);
      for (const chunk of chunks(log, 100)) await insertLogEntries(tx, chunk);
      // Events that arrive after a deletion may carry the address too: no digest of theirs stays.
      const gone = [...users.values()].filter((u) => u.subscriber?.deletedAt).map((u) => u.userId);
      if (gone.length) await eraseDigests(tx, gone);
      return { results, pushIds, deleted };
    },
    { behavior: 'immediate' },
  );
}

export function acceptedBody(eventId: string) {
  return { eventId, status: 'accepted' as const };
}

async function loadReceived(tx: Tx, ids: string[]) {
  const out = new Map<string, { bodyHash: string; status: number; body: unknown }>();
  for (const chunk of chunks(ids, 100)) {
    const rows = await receivedByIds(tx, chunk);
    for (const r of rows)
      out.set(r.eventId, { bodyHash: r.bodyHash, status: r.responseStatus, body: JSON.parse(r.responseBody) });
  }
  return out;
}
