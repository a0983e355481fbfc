import type { Db } from '../db/client';
import { type EventLogEntry, insertLogEntries } from '../db/event-log';
import { insertNewReceived, sameBody } from '../db/received-events';
import { eraseDigests, scrubUser } from '../db/scrub';
import { claimUsers, commitWithRetries, RetriesExhausted, type Statement } from '../db/write-batch';
import { chunks } from '../lib/chunks';
import { describeError, log } from '../lib/log';
import type { PortalEvent } from '../schemas/events';
import { applyEvent, type EventSource } from './apply-event';
import { type IntakeState, readIntakeState } from './read-state';
import { applyDecision, newUser, toUserState, userWrites } from './user-rows';

/**
 * Stores accepted events as desired state. A request (a single event, a batch of up to 500, an
 * unsubscribe click) reads what it decides on in one round trip and writes everything in one
 * atomic batch: the received-event rows (idempotency), the subscriber and subscription rows, the
 * timeline. Either all of it is stored or none, and no lock is held across the network.
 * Concurrent requests about one user are kept apart by the user's version, checked in the batch
 * itself; the loser reads again and decides again (db/write-batch.ts). The caller enqueues the
 * returned subscription ids after the commit; if that fails, the rows still say pending and the
 * sweep re-sends them.
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

export interface IntakePlan {
  results: IntakeResult[];
  pushIds: string[];
  /** Users deleted by this request, with their names as stored before, for the scrub. */
  deleted: { userId: string; names: string[] }[];
  statements: Statement[];
}

export interface StoreOptions {
  now?: number;
  /**
   * Where the scrub after a deletion runs: `ctx.waitUntil` keeps it off the request's answer.
   * Awaited in place when absent.
   */
  defer?: (work: Promise<void>) => void;
}

/** A whole request's events; a batch whose users keep racing others commits per user instead. */
export async function storeEvents(db: Db, incoming: IncomingEvent[], options: StoreOptions = {}) {
  const now = options.now ?? Date.now();
  let plans: IntakePlan[];
  try {
    plans = [await commitEvents(db, incoming, now, incoming.length > 1 ? 3 : undefined)];
  } catch (error) {
    if (!(error instanceof RetriesExhausted) || incoming.length < 2) throw error;
    plans = await commitPerUser(db, incoming, now);
  }
  const results = mergeResults(incoming, plans);
  // What the request's own path cost, before the scrub it leaves behind starts.
  const roundTrips = db.roundTrips();
  const deleted = plans.flatMap((p) => p.deleted);
  if (deleted.length) {
    const scrub = scrubDeleted(db, deleted);
    if (options.defer) options.defer(scrub);
    else await scrub;
  }
  return { results, pushIds: plans.flatMap((p) => p.pushIds), roundTrips };
}

function commitEvents(db: Db, incoming: IncomingEvent[], now: number, tries?: number) {
  const ids = [...new Set(incoming.map((e) => e.eventId))];
  const userIds = [...new Set(incoming.map((e) => e.event.data.userId))];
  return commitWithRetries(
    db,
    async () => {
      const plan = planIntake(db, await readIntakeState(db, ids, userIds), incoming, now);
      return { statements: plan.statements, value: plan };
    },
    tries,
  );
}

/**
 * The batch endpoint may commit per user (contract §6): each user's events stay one atomic
 * batch. An id used twice goes with its first occurrence, so the second is still judged
 * against it. A few users at a time, not 500 requests at once.
 */
async function commitPerUser(db: Db, incoming: IncomingEvent[], now: number): Promise<IntakePlan[]> {
  const ownerOf = new Map<string, string>();
  for (const e of incoming) if (!ownerOf.has(e.eventId)) ownerOf.set(e.eventId, e.event.data.userId);
  const groups = new Map<string, IncomingEvent[]>();
  for (const e of incoming) {
    const key = ownerOf.get(e.eventId) ?? e.event.data.userId;
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  const plans: IntakePlan[] = [];
  const queue = [...groups.values()];
  await Promise.all(
    Array.from({ length: Math.min(4, queue.length) }, async () => {
      for (let group = queue.shift(); group; group = queue.shift()) plans.push(await commitEvents(db, group, now));
    }),
  );
  return plans;
}

/** Each incoming event's result, in request order, from whichever plan judged it. */
function mergeResults(incoming: IncomingEvent[], plans: IntakePlan[]): IntakeResult[] {
  if (plans.length === 1) return plans[0]?.results ?? [];
  const queues = new Map<string, IntakeResult[]>();
  for (const r of plans.flatMap((p) => p.results)) queues.set(r.eventId, [...(queues.get(r.eventId) ?? []), r]);
  return incoming.map((e) => queues.get(e.eventId)?.shift() ?? { eventId: e.eventId, status: 'conflict' });
}

/**
 * What the events do to the state as read, and the statements that store it. Pure but for
 * drawing new subscription ids. Nothing to write when every event was known already.
 */
export function planIntake(db: Db, state: IntakeState, incoming: IncomingEvent[], now: number): IntakePlan {
  const firsts = new Map<string, IncomingEvent>();
  for (const e of incoming) if (!firsts.has(e.eventId)) firsts.set(e.eventId, e);

  const results: IntakeResult[] = [];
  const firstResult = new Map<string, IntakeResult>();
  const fresh: IncomingEvent[] = [];
  for (const e of incoming) {
    const prior = firstResult.get(e.eventId);
    let result: IntakeResult;
    if (prior) {
      // The same id twice in one request answers like a second delivery of the first.
      result =
        firsts.get(e.eventId)?.bodyHash === e.bodyHash && prior.status !== 'conflict'
          ? { eventId: e.eventId, status: 'duplicate', response: prior.response }
          : { eventId: e.eventId, status: 'conflict' };
    } else {
      const known = state.received.get(e.eventId);
      if (!known) {
        fresh.push(e);
        result = { eventId: e.eventId, status: 'accepted', response: { status: 202, body: acceptedBody(e.eventId) } };
      } else
        result = sameBody(known.bodyHash, e.bodyHash)
          ? { eventId: e.eventId, status: 'duplicate', response: { status: known.status, body: known.body } }
          : { eventId: e.eventId, status: 'conflict' };
      firstResult.set(e.eventId, result);
    }
    results.push(result);
  }
  if (!fresh.length) return { results, pushIds: [], deleted: [], statements: [] };

  const { users } = state;
  const entries: EventLogEntry[] = [];
  const deleted: { userId: string; names: string[] }[] = [];
  for (const e of fresh) {
    const userId = e.event.data.userId;
    const user = users.get(userId) ?? newUser(users, userId);
    const namesBefore = [user.subscriber?.firstName ?? '', user.subscriber?.lastName ?? ''];
    const decision = applyEvent(toUserState(user), e.event, e.source);
    applyDecision(user, decision, userId);
    if (e.event.type === 'user.deleted' && decision.outcome === 'applied') deleted.push({ userId, names: namesBefore });
    entries.push(logEntry(e, decision, user.subs, now));
  }

  const touched = [...new Set(fresh.map((e) => e.event.data.userId))];
  const writes = userWrites(
    db,
    touched.flatMap((u) => users.get(u) ?? []),
    now,
  );
  // Events that arrive after a deletion may carry the address too: no digest of theirs stays.
  const gone = touched.filter((u) => users.get(u)?.subscriber?.deletedAt);
  const statements: Statement[] = [
    ...claimUsers(db, touched, state.versions),
    // Ids read as unknown: one stored meanwhile (a delivery of that id about another user) fails
    // the batch on its primary key.
    ...chunks(fresh, 100).map((c) =>
      insertNewReceived(
        db,
        c.map((e) => ({
          eventId: e.eventId,
          bodyHash: e.bodyHash,
          userId: e.event.data.userId,
          responseStatus: 202,
          responseBody: JSON.stringify(acceptedBody(e.eventId)),
          receivedAt: now,
        })),
      ),
    ),
    ...writes.statements,
    ...chunks(entries, 100).map((c) => insertLogEntries(db, c)),
    ...(gone.length ? [eraseDigests(db, gone)] : []),
  ];
  return { results, pushIds: writes.pushIds, deleted, statements };
}

function logEntry(
  e: IncomingEvent,
  decision: ReturnType<typeof applyEvent>,
  subs: Map<string, { id: string }>,
  now: number,
): EventLogEntry {
  const newsletterId = 'newsletterId' in e.event.data ? e.event.data.newsletterId : undefined;
  return {
    at: now,
    kind: 'event.received',
    userId: e.event.data.userId,
    eventId: e.eventId,
    subscriptionId: newsletterId ? (subs.get(newsletterId)?.id ?? null) : null,
    outcome: decision.outcome,
    // Never personal data here: the timeline outlives a user's deletion.
    detail: {
      type: e.event.type,
      occurredAt: e.event.occurredAt,
      source: e.source === 'unsubscribe-link' ? 'unsubscribe-link' : 'portal',
      ...(newsletterId ? { newsletterId } : {}),
      ...(decision.notes.length ? { notes: decision.notes } : {}),
    },
  };
}

// After the commit: a scrub that fails here is done again when the erasure is confirmed
// (push-subscriptions.ts).
async function scrubDeleted(db: Db, deleted: { userId: string; names: string[] }[]) {
  for (const d of deleted)
    await scrubUser(db, d.userId, d.names).catch((error: unknown) =>
      log.warn('scrub after deletion failed; it runs again once the erasure is confirmed', {
        error: describeError(error),
      }),
    );
}

export function acceptedBody(eventId: string) {
  return { eventId, status: 'accepted' as const };
}
