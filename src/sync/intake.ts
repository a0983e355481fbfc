import { inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { eventLog, receivedEvents, subscribers, subscriptions, type EventLogEntry } from '../db/schema';
import { randomAlnum } from '../lib/encoding';
import { applyEvent, type EventSource, type SubscriberRow, type SubscriptionRow, type UserState } from './apply-event';
import type { PortalEvent } from './events';
import { scrubUser } from './scrub';

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

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export async function storeEvents(db: Db, incoming: IncomingEvent[], now = Date.now()) {
  return db.transaction(async (tx) => {
    // Idempotency first: the primary key decides between concurrent deliveries of one id.
    const firsts = new Map<string, IncomingEvent>();
    for (const e of incoming) if (!firsts.has(e.eventId)) firsts.set(e.eventId, e);
    const unique = [...firsts.values()];
    const inserted = new Set<string>();
    for (const chunk of chunks(unique, 100)) {
      const rows = await tx
        .insert(receivedEvents)
        .values(chunk.map((e) => ({ eventId: e.eventId, bodyHash: e.bodyHash, userId: e.event.data.userId, responseStatus: 202, responseBody: JSON.stringify(acceptedBody(e.eventId)), receivedAt: now })))
        .onConflictDoNothing()
        .returning({ eventId: receivedEvents.eventId });
      for (const r of rows) inserted.add(r.eventId);
    }
    const earlier = await loadReceived(tx, unique.filter((e) => !inserted.has(e.eventId)).map((e) => e.eventId));

    const results: IntakeResult[] = [];
    const firstResult = new Map<string, IntakeResult>();
    const fresh: IncomingEvent[] = [];
    for (const e of incoming) {
      const first = firsts.get(e.eventId);
      const prior = firstResult.get(e.eventId);
      let result: IntakeResult;
      if (prior) {
        // The same id twice in one request answers like a second delivery of the first.
        result = first?.bodyHash === e.bodyHash && prior.status !== 'conflict'
          ? { eventId: e.eventId, status: 'duplicate', response: prior.response }
          : { eventId: e.eventId, status: 'conflict' };
      } else if (inserted.has(e.eventId)) {
        fresh.push(e);
        result = { eventId: e.eventId, status: 'accepted', response: { status: 202, body: acceptedBody(e.eventId) } };
      } else {
        const known = earlier.get(e.eventId);
        result = known && known.bodyHash === e.bodyHash
          ? { eventId: e.eventId, status: 'duplicate', response: { status: known.status, body: known.body } }
          : { eventId: e.eventId, status: 'conflict' };
      }
      if (!prior) firstResult.set(e.eventId, result);
      results.push(result);
    }

    const users = await loadUsers(tx, [...new Set(fresh.map((e) => e.event.data.userId))]);
    const log: EventLogEntry[] = [];
    const deleted: { userId: string; email: string | null }[] = [];
    for (const e of fresh) {
      const userId = e.event.data.userId;
      const user = users.get(userId) ?? newUser(users, userId);
      const emailBefore = user.subscriber?.email ?? null;
      const decision = applyEvent(toUserState(user), e.event, e.source);
      applyDecision(user, decision, userId);
      if (e.event.type === 'user.deleted' && decision.outcome === 'applied') deleted.push({ userId, email: emailBefore });
      const newsletterId = 'newsletterId' in e.event.data ? e.event.data.newsletterId : undefined;
      log.push({
        at: now,
        kind: 'event.received',
        userId,
        eventId: e.eventId,
        subscriptionId: newsletterId ? user.subs.get(newsletterId)?.id ?? null : null,
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
    for (const chunk of chunks(log, 100)) await tx.insert(eventLog).values(chunk);
    for (const d of deleted) await scrubUser(tx, d.userId, d.email);
    return { results, pushIds };
  }, { behavior: 'immediate' });
}

export function acceptedBody(eventId: string) {
  return { eventId, status: 'accepted' as const };
}

async function loadReceived(tx: Tx, ids: string[]) {
  const out = new Map<string, { bodyHash: string; status: number; body: unknown }>();
  for (const chunk of chunks(ids, 100)) {
    const rows = await tx.select().from(receivedEvents).where(inArray(receivedEvents.eventId, chunk));
    for (const r of rows) out.set(r.eventId, { bodyHash: r.bodyHash, status: r.responseStatus, body: JSON.parse(r.responseBody) });
  }
  return out;
}

/** A user's rows as loaded, changed in memory by each event of the request, then written once. */
interface UserRows {
  userId: string;
  subscriber: (SubscriberRow & { email: string | null; firstName: string; lastName: string; gender: 'm' | 'f' | '' }) | null;
  subscriberDirty: boolean;
  subs: Map<string, SubscriptionRow & { userId: string; resubscribe: boolean; lookupEmail: string | null; isNew: boolean; dirty: boolean; push: boolean }>;
}

async function loadUsers(tx: Tx, userIds: string[]): Promise<Map<string, UserRows>> {
  const users = new Map<string, UserRows>();
  for (const chunk of chunks(userIds, 100)) {
    for (const s of await tx.select().from(subscribers).where(inArray(subscribers.userId, chunk))) {
      users.set(s.userId, { userId: s.userId, subscriber: { ...s }, subscriberDirty: false, subs: new Map() });
    }
    for (const s of await tx.select().from(subscriptions).where(inArray(subscriptions.userId, chunk))) {
      const user = users.get(s.userId) ?? newUser(users, s.userId);
      user.subs.set(s.newsletterId, { ...s, isNew: false, dirty: false, push: false });
    }
  }
  return users;
}

function newUser(users: Map<string, UserRows>, userId: string): UserRows {
  const user: UserRows = { userId, subscriber: null, subscriberDirty: false, subs: new Map() };
  users.set(userId, user);
  return user;
}

function toUserState(user: UserRows): UserState {
  return { subscriber: user.subscriber, subscriptions: [...user.subs.values()] };
}

function applyDecision(user: UserRows, decision: ReturnType<typeof applyEvent>, userId: string): void {
  if (decision.subscriber) {
    const { profile, profileAt, deletedAt } = decision.subscriber;
    user.subscriber = {
      email: profile ? profile.email : null,
      firstName: profile?.firstName ?? '',
      lastName: profile?.lastName ?? '',
      gender: profile?.gender ?? '',
      profileAt,
      deletedAt,
    };
    user.subscriberDirty = true;
  }
  for (const change of decision.subscriptions) {
    const existing = user.subs.get(change.newsletterId);
    const row = existing ?? {
      id: `sub_${randomAlnum(20)}`,
      userId,
      newsletterId: change.newsletterId,
      recipientId: null,
      resubscribe: false,
      lookupEmail: null,
      isNew: true,
      dirty: true,
      push: true,
      state: change.state,
      stateAt: change.stateAt,
      stateBy: change.stateBy,
    };
    row.state = change.state;
    row.stateAt = change.stateAt;
    row.stateBy = change.stateBy;
    if (change.resubscribe !== undefined) row.resubscribe = change.resubscribe;
    if (change.lookupEmail !== undefined) row.lookupEmail = change.lookupEmail;
    row.dirty = true;
    row.push ||= change.push;
    user.subs.set(change.newsletterId, row);
  }
}

/** Writes the changed rows with a few multi-row upserts; returns the ids to push. */
async function writeUsers(tx: Tx, users: UserRows[], now: number): Promise<string[]> {
  const subscriberRows = users.flatMap((u) => (u.subscriberDirty && u.subscriber ? [{ userId: u.userId, ...u.subscriber, createdAt: now, updatedAt: now }] : []));
  for (const chunk of chunks(subscriberRows, 100)) {
    await tx.insert(subscribers).values(chunk).onConflictDoUpdate({
      target: subscribers.userId,
      set: {
        email: sql`excluded.email`,
        firstName: sql`excluded.first_name`,
        lastName: sql`excluded.last_name`,
        gender: sql`excluded.gender`,
        profileAt: sql`excluded.profile_at`,
        deletedAt: sql`excluded.deleted_at`,
        updatedAt: sql`excluded.updated_at`,
      },
    });
  }
  const changed = users.flatMap((u) => [...u.subs.values()].filter((s) => s.dirty));
  const rowOf = (s: (typeof changed)[number]) => ({
    id: s.id,
    userId: s.userId,
    newsletterId: s.newsletterId,
    state: s.state,
    stateAt: s.stateAt,
    stateBy: s.stateBy,
    resubscribe: s.resubscribe,
    lookupEmail: s.lookupEmail,
    pendingSince: now,
    createdAt: now,
    updatedAt: now,
  });
  const common = {
    state: sql`excluded.state`,
    stateAt: sql`excluded.state_at`,
    stateBy: sql`excluded.state_by`,
    resubscribe: sql`excluded.resubscribe`,
    lookupEmail: sql`excluded.lookup_email`,
    updatedAt: sql`excluded.updated_at`,
  };
  // Rows to push get a new version and start their transfer afresh; the others keep theirs.
  for (const chunk of chunks(changed.filter((s) => s.push).map(rowOf), 100)) {
    await tx.insert(subscriptions).values(chunk).onConflictDoUpdate({
      target: subscriptions.id,
      set: {
        ...common,
        version: sql`${subscriptions.version} + 1`,
        transferStatus: 'pending',
        pendingSince: sql`excluded.updated_at`,
        attempts: 0,
        nextAttemptAt: null,
        // A conflict stays until the portal changes the state it is about.
        conflict: sql`CASE WHEN excluded.state <> ${subscriptions.state} THEN NULL ELSE ${subscriptions.conflict} END`,
      },
    });
  }
  for (const chunk of chunks(changed.filter((s) => !s.push).map(rowOf), 100)) {
    await tx.insert(subscriptions).values(chunk).onConflictDoUpdate({ target: subscriptions.id, set: common });
  }
  return changed.filter((s) => s.push).map((s) => s.id);
}

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
