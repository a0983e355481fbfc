import { and, eq, inArray, type SQL, sql } from 'drizzle-orm';
import type { ProviderFailure } from '../ports/provider';
import type { Db, Executor } from './client';
import { subscriptions, type WrittenCreation } from './schema';
import { guard } from './write-batch';

/**
 * How a transfer ended, written back to its subscription. A result only lands on the version
 * it was computed for (the `Versioned` guard): if the portal changed the desired state
 * meanwhile, the row stays pending for the newer version's own push.
 */

interface Versioned {
  id: string;
  version: number;
}

const sameVersion = (row: Versioned) => and(eq(subscriptions.id, row.id), eq(subscriptions.version, row.version));

/** What recording any attempt sets: which attempt it was, and when. */
const attempted = (attempts: number, now: number) => ({ attempts, lastAttemptAt: now, updatedAt: now });

const errorFields = (failure: ProviderFailure, now: number) => ({
  errorMessage: failure.message,
  errorCode: failure.code,
  errorHttpStatus: failure.httpStatus,
  errorAt: now,
});

/** Any version: the recipient id is the only handle on a recipient whose address changes later. */
export function keepRecipient(db: Executor, id: string, listId: string | null, recipientId: string) {
  return db.update(subscriptions).set({ recipientId, listId, lookupEmails: null }).where(eq(subscriptions.id, id));
}

/** `clearLookupEmails` once the recipient is erased: no address is left to find it by. */
export function markTransferSynced(
  db: Executor,
  row: Versioned,
  attempts: number,
  now: number,
  clearLookupEmails: boolean,
) {
  return db
    .update(subscriptions)
    .set({
      ...attempted(attempts, now),
      transferStatus: 'synced',
      syncedVersion: row.version,
      syncedAt: now,
      nextAttemptAt: null,
      resubscribe: false,
      ...(clearLookupEmails ? { lookupEmails: null } : {}),
      written: null,
      errorMessage: null,
      errorCode: null,
      errorHttpStatus: null,
      errorAt: null,
    })
    .where(sameVersion(row));
}

/** `keepResubscribe`: the consent was never sent, so it is still owed to the provider. */
export function markTransferFailed(
  db: Executor,
  row: Versioned,
  attempts: number,
  failure: ProviderFailure,
  now: number,
  options: { keepResubscribe: boolean },
) {
  return db
    .update(subscriptions)
    .set({
      ...attempted(attempts, now),
      transferStatus: 'failed',
      nextAttemptAt: null,
      ...(options.keepResubscribe ? {} : { resubscribe: false }),
      ...errorFields(failure, now),
    })
    .where(sameVersion(row));
}

/** Counts the attempt and keeps the row pending until `nextAttemptAt`. */
export function scheduleRetry(
  db: Executor,
  row: Versioned,
  attempts: number,
  failure: ProviderFailure,
  nextAttemptAt: number,
  now: number,
  written?: WrittenCreation,
) {
  return db
    .update(subscriptions)
    .set({ ...attempted(attempts, now), nextAttemptAt, ...errorFields(failure, now), ...(written ? { written } : {}) })
    .where(sameVersion(row));
}

export function setWritten(db: Executor, row: Versioned, written: WrittenCreation) {
  return db.update(subscriptions).set({ written }).where(sameVersion(row));
}

/** The provider no longer has this recipient (a 404): it is no handle any more. */
export function forgetRecipient(db: Executor, id: string, recipientId: string) {
  return db
    .update(subscriptions)
    .set({ recipientId: null, listId: null })
    .where(and(eq(subscriptions.id, id), eq(subscriptions.recipientId, recipientId)));
}

/** Moves the next attempt without counting one: nothing was sent. */
export function postponeAttempt(db: Executor, row: Versioned, nextAttemptAt: number, now: number) {
  return db.update(subscriptions).set({ nextAttemptAt, updatedAt: now }).where(sameVersion(row));
}

/** Sets or ends (null) the row's lease, whatever its version. */
export function setLease(db: Executor, id: string, leaseUntil: number | null) {
  return db.update(subscriptions).set({ leaseUntil }).where(eq(subscriptions.id, id));
}

export function setLookupEmails(db: Executor, id: string, lookupEmails: string[] | null) {
  return db.update(subscriptions).set({ lookupEmails }).where(eq(subscriptions.id, id));
}

/** Whose subscriptions these are. */
export function usersOf(db: Executor, ids: string[]) {
  return db
    .select({ id: subscriptions.id, userId: subscriptions.userId })
    .from(subscriptions)
    .where(inArray(subscriptions.id, ids));
}

/** A transfer whose queue message dead-lettered: failed, so an admin sees it and can retry. */
export function markDeadLettered(db: Executor, id: string, deliveries: number, now: number) {
  return db
    .update(subscriptions)
    .set({
      transferStatus: 'failed',
      errorMessage: `The transfer could not be processed after ${deliveries} deliveries (dead-lettered)`,
      errorCode: 'dead-letter',
      errorHttpStatus: null,
      errorAt: now,
      updatedAt: now,
    })
    .where(eq(subscriptions.id, id));
}

/** Marks rows pending again with a new version, so their next push is a fresh transfer. */
export function repushSet(now: number) {
  return {
    version: sql`${subscriptions.version} + 1`,
    transferStatus: 'pending' as const,
    pendingSince: now,
    attempts: 0,
    nextAttemptAt: null,
    updatedAt: now,
  };
}

/** Which rows a repush marks: one of the filters below. */
export type RepushFilter = SQL | undefined;

export const ofNewsletter = (newsletterId: string): RepushFilter => eq(subscriptions.newsletterId, newsletterId);
export const failedOf = (newsletterId?: string): RepushFilter =>
  newsletterId
    ? and(eq(subscriptions.transferStatus, 'failed'), eq(subscriptions.newsletterId, newsletterId))
    : eq(subscriptions.transferStatus, 'failed');
export const byIds = (ids: string[]): RepushFilter => inArray(subscriptions.id, ids);

export function markForRepush(db: Executor, where: RepushFilter, now: number) {
  return db.update(subscriptions).set(repushSet(now)).where(where).returning({ id: subscriptions.id });
}

/** One user's subscription to one newsletter, as a repush filter. */
export const ofUserNewsletter = (userId: string, newsletterId: string): RepushFilter =>
  and(eq(subscriptions.userId, userId), eq(subscriptions.newsletterId, newsletterId));

/**
 * Fails the batch unless the user has a subscription to the newsletter (rows are never deleted,
 * so a failure means there is none). As a batch's first statement it also takes the write lock,
 * so what the batch reads next is what it then writes over.
 */
export function guardSubscriptionExists(db: Db, userId: string, newsletterId: string) {
  return guard(db, sql`exists (select 1 from ${subscriptions} where ${ofUserNewsletter(userId, newsletterId)})`);
}
