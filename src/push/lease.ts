import type { Db } from '../db/client';
import { allSessions, primeSessions } from '../db/provider-sessions';
import { recipientsOf } from '../db/recipients';
import type { TransferPause } from '../db/schema';
import {
  type AddressHolder,
  addressHoldersOf,
  clearLeases,
  leasePendingRows,
  subscriptionsForPush,
} from '../db/subscriptions-push';
import { readPause } from '../db/transfer-pause';
import type { Statement } from '../db/write-batch';
import type { ProviderIdentity } from '../ports/provider';
import type { PlanInput } from './plan';

/** A pending subscription with everything needed to plan its transfer. */
export interface WorkItem {
  id: string;
  userId: string;
  version: number;
  attempts: number;
  createdAt: number;
  /** When the subscriber's current address became theirs (see schema.ts). */
  emailSince: number;
  input: Omit<PlanInput, 'unsubscribeUrl' | 'clashWithUserId' | 'provider'>;
}

/** What one batch read gives the push: the leased rows, the busy ones, the clashes among them. */
export interface Leased {
  items: WorkItem[];
  busy: Map<string, number>;
  clashes: Map<string, string>;
  /** Transfers are paused: nothing was leased, and nothing is sent. */
  paused: TransferPause | null;
}

/**
 * Leases the pending subscriptions among `ids` for this consumer and loads them with everything
 * their plans need, in one round trip: the rows and profiles, the recipients they own, the other
 * holders of their addresses (at the provider's address scope) and the provider's stored login
 * (so the first provider call needs no round trip of its own). `alongside` are writes of the
 * caller's that ride in the same batch.
 * Rows another consumer holds are returned as `busy` with the time their lease ends: two
 * consumers pushing one subscription at once could let an older write overtake a newer one.
 */
export async function leasePending(
  db: Db,
  ids: string[],
  now: number,
  leaseMs: number,
  options: { scope: ProviderIdentity['addressScope']; alongside?: Statement[] },
): Promise<Leased> {
  const { scope, alongside = [] } = options;
  const unique = [...new Set(ids)];
  // The lease comes first: the reads after it in the same transaction see which rows it took.
  const [leasedRows, rows, owned, holders, sessions, [paused]] = await db.batch([
    leasePendingRows(db, unique, now, leaseMs),
    subscriptionsForPush(db, unique),
    recipientsOf(db, unique),
    addressHoldersOf(db, unique, scope),
    allSessions(db),
    readPause(db),
    ...alongside,
  ]);
  primeSessions(db, sessions);
  if (paused) return { items: [], busy: new Map(), clashes: new Map(), paused };
  const leased = new Set(leasedRows.map((r) => r.id));
  const busy = new Map<string, number>();
  for (const { s } of rows)
    if (!leased.has(s.id) && s.transferStatus === 'pending') busy.set(s.id, s.leaseUntil ?? now);
  const items = rows.filter(({ s }) => leased.has(s.id)).map((row) => workItem(row, owned));
  return { items, busy, clashes: findClashes(items, holders, scope), paused: null };
}

export function releaseLeases(db: Db, ids: string[]) {
  return clearLeases(db, ids);
}

type PushRow = Awaited<ReturnType<typeof subscriptionsForPush>>[number];
type OwnedRow = Awaited<ReturnType<typeof recipientsOf>>[number];

function workItem({ s, p, listId }: PushRow, owned: OwnedRow[]): WorkItem {
  return {
    id: s.id,
    userId: s.userId,
    version: s.version,
    attempts: s.attempts,
    createdAt: s.createdAt,
    emailSince: p?.emailSince ?? 0,
    input: {
      subscriptionId: s.id,
      userId: s.userId,
      state: s.state,
      resubscribe: s.resubscribe,
      mappedListId: listId ?? null,
      newsletterId: s.newsletterId,
      recipientListId: s.listId,
      recipientId: s.recipientId,
      profile: {
        email: p?.email ?? null,
        firstName: p?.firstName ?? '',
        lastName: p?.lastName ?? '',
        gender: p?.gender ?? '',
      },
      lookupEmails: s.lookupEmails ?? [],
      version: s.version,
      written: s.written ?? null,
      owned: owned
        .filter((o) => o.subscriptionId === s.id)
        .map((o) => ({ listId: o.listId, contactId: o.recipientId })),
      conflict: s.conflict ?? null,
    },
  };
}

/**
 * Two portal users with one address where the provider identifies contacts by it (in one list
 * for scope `list`, anywhere in the account for `account`): the provider would merge them, so
 * the one who took the address later (by the profile that set it, then by subscription creation,
 * then id) fails naming the other. Every other user counts whose subscription has or may have a
 * contact under the address there, unsubscribed ones included (see addressHoldersOf): the later
 * one stays failed for as long as that contact exists.
 */
function findClashes(
  items: WorkItem[],
  holders: AddressHolder[],
  scope: ProviderIdentity['addressScope'],
): Map<string, string> {
  const candidates = items.filter((i) => i.input.state === 'subscribed' && i.input.profile.email);
  const clashes = new Map<string, string>();
  for (const item of candidates) {
    const email = (item.input.profile.email ?? '').toLowerCase();
    const list = item.input.mappedListId;
    const account = scope === 'account';
    const ownsHere = (h: AddressHolder) =>
      list !== null &&
      (account
        ? !!h.ownedLists || h.recipientId !== null
        : (h.ownedLists ?? '').split(',').includes(list) || (h.listId === list && h.recipientId !== null));
    const itemOwnsHere =
      list !== null &&
      (account
        ? item.input.owned.length > 0 || !!item.input.recipientId
        : item.input.owned.some((o) => o.listId === list) ||
          (item.input.recipientListId === list && !!item.input.recipientId));
    const earlier = holders.find(
      (h) =>
        (account || h.newsletterId === item.input.newsletterId || ownsHere(h)) &&
        h.email === email &&
        h.userId !== item.userId &&
        // A contact that exists wins over one that would be created (the provider would merge
        // the creation into it), whoever claimed the address first; between two, the earlier claim.
        ((ownsHere(h) && !itemOwnsHere) || earlierClaim(h, item)),
    );
    if (earlier) clashes.set(item.id, earlier.userId);
  }
  return clashes;
}

type Claim = { emailSince: number; createdAt: number; id: string };
const earlierClaim = (a: Claim, b: Claim) =>
  a.emailSince !== b.emailSince
    ? a.emailSince < b.emailSince
    : a.createdAt !== b.createdAt
      ? a.createdAt < b.createdAt
      : a.id < b.id;
