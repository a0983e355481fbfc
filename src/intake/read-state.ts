import type { Db } from '../db/client';
import { receivedByIds } from '../db/received-events';
import type { Subscription } from '../db/schema';
import { subscribersByIds } from '../db/subscribers';
import {
  findWithNewsletterName,
  subscriberOfOwner,
  subscriptionsOfOwner,
  subscriptionsOfUsers,
  versionOfOwner,
} from '../db/subscriptions';
import { readUserVersions, type UserVersions } from '../db/write-batch';
import { type UserRows, usersFrom } from './user-rows';

/**
 * What intake decides on, read in one round trip (one `db.batch` of selects): the stored
 * answers of the event ids, and the users' profiles, subscriptions and versions. The write
 * that follows commits only if those versions are unchanged (db/write-batch.ts).
 */

export interface Received {
  bodyHash: string;
  status: number;
  body: unknown;
}

export interface IntakeState {
  received: Map<string, Received>;
  users: Map<string, UserRows>;
  versions: UserVersions;
}

/** The largest request is a batch of 500 events: its ids and users are read in one request. */
export async function readIntakeState(db: Db, eventIds: string[], userIds: string[]): Promise<IntakeState> {
  const [received, profiles, subs, versions] = await db.batch([
    receivedByIds(db, eventIds),
    subscribersByIds(db, userIds),
    subscriptionsOfUsers(db, userIds),
    readUserVersions(db, userIds),
  ]);
  return {
    received: new Map(
      received.map((r) => [
        r.eventId,
        { bodyHash: r.bodyHash, status: r.responseStatus, body: JSON.parse(r.responseBody) },
      ]),
    ),
    users: usersFrom(profiles, subs),
    versions: new Map(versions.map((v) => [v.userId, v.version])),
  };
}

/** The subscription an unsubscribe link names, with the newsletter name its pages show. */
export interface LinkTarget {
  subscription: Subscription;
  newsletterName: string;
}

/** A `findWithNewsletterName` row as the link's target (an unnamed newsletter shows its id). */
export function linkTargetOf(row: { s: Subscription; name: string | null } | undefined): LinkTarget | null {
  return row ? { subscription: row.s, newsletterName: row.name || row.s.newsletterId } : null;
}

export interface LinkState extends IntakeState {
  /** Null when the link names no subscription we know. */
  target: LinkTarget | null;
}

/**
 * What an unsubscribe link decides on, in one round trip from the subscription id alone: the
 * subscription and its newsletter's name, and its user's rows (found by the subscription).
 */
export async function readLinkState(db: Db, subscriptionId: string): Promise<LinkState> {
  const [target, profiles, subs, versions] = await db.batch([
    findWithNewsletterName(db, subscriptionId),
    subscriberOfOwner(db, subscriptionId),
    subscriptionsOfOwner(db, subscriptionId),
    versionOfOwner(db, subscriptionId),
  ]);
  return {
    target: linkTargetOf(target[0]),
    received: new Map(),
    users: usersFrom(profiles, subs),
    versions: new Map(versions.map((v) => [v.userId, v.version])),
  };
}
