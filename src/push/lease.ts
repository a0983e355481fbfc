import type { Db } from '../db/client';
import { recipientsOf } from '../db/recipients';
import {
  addressHolders,
  clearLeases,
  leasePendingRows,
  pendingLeases,
  subscriptionsForPush,
} from '../db/subscriptions-push';
import { chunks } from '../lib/chunks';
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
  input: Omit<PlanInput, 'unsubscribeUrl' | 'unsubscribeAttribute' | 'deletedEmailDomain' | 'clashWithUserId'>;
}

/**
 * Leases the pending subscriptions among `ids` for this consumer and loads them. Rows another
 * consumer holds are returned as `busy` with the time their lease ends: two consumers pushing
 * one subscription at once could let an older write overtake a newer one at the provider.
 */
export async function leasePending(
  db: Db,
  ids: string[],
  now: number,
  leaseMs: number,
): Promise<{ items: WorkItem[]; busy: Map<string, number> }> {
  const unique = [...new Set(ids)];
  const leased: string[] = [];
  for (const chunk of chunks(unique, 100)) {
    const rows = await leasePendingRows(db, chunk, now, leaseMs);
    leased.push(...rows.map((r) => r.id));
  }
  const busy = new Map<string, number>();
  const others = unique.filter((id) => !leased.includes(id));
  for (const chunk of chunks(others, 100)) {
    const rows = await pendingLeases(db, chunk);
    for (const r of rows) busy.set(r.id, r.leaseUntil ?? now);
  }
  return { items: await loadItems(db, leased), busy };
}

export async function releaseLeases(db: Db, ids: string[]): Promise<void> {
  for (const chunk of chunks(ids, 100)) await clearLeases(db, chunk);
}

async function loadItems(db: Db, ids: string[]): Promise<WorkItem[]> {
  const items: WorkItem[] = [];
  for (const chunk of chunks(ids, 100)) {
    const rows = await subscriptionsForPush(db, chunk);
    const owned = await recipientsOf(db, chunk);
    for (const { s, p, listId } of rows) {
      items.push({
        id: s.id,
        userId: s.userId,
        version: s.version,
        attempts: s.attempts,
        createdAt: s.createdAt,
        emailSince: p?.emailSince ?? 0,
        input: {
          subscriptionId: s.id,
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
            .map((o) => ({ listId: o.listId, recipientId: o.recipientId })),
          conflict: s.conflict ?? null,
        },
      });
    }
  }
  return items;
}

/**
 * Two portal users with one address in one list: Newsletter2Go would merge them, so the one who
 * took the address later (by the profile that set it, then by subscription creation, then id)
 * fails naming the other. Every other user counts whose subscription has or may have a
 * recipient under the address in the list, unsubscribed ones included (see addressHolders):
 * the later one stays failed for as long as that recipient exists.
 */
export async function findClashes(db: Db, items: WorkItem[]): Promise<Map<string, string>> {
  const candidates = items.filter((i) => i.input.state === 'subscribed' && i.input.profile.email);
  const clashes = new Map<string, string>();
  if (!candidates.length) return clashes;
  const emails = [...new Set(candidates.map((i) => (i.input.profile.email ?? '').toLowerCase()))];
  const newsletterIds = [...new Set(candidates.map((i) => i.input.newsletterId))];
  const listIds = [...new Set(candidates.flatMap((i) => (i.input.mappedListId ? [i.input.mappedListId] : [])))];
  const holders: {
    id: string;
    userId: string;
    newsletterId: string;
    email: string;
    emailSince: number;
    createdAt: number;
    listId: string | null;
    recipientId: string | null;
    ownedLists: string | null;
  }[] = [];
  for (const chunk of chunks(emails, 100)) holders.push(...(await addressHolders(db, newsletterIds, listIds, chunk)));
  for (const item of candidates) {
    const email = (item.input.profile.email ?? '').toLowerCase();
    const list = item.input.mappedListId;
    const ownsHere = (h: (typeof holders)[number]) =>
      list !== null &&
      ((h.ownedLists ?? '').split(',').includes(list) || (h.listId === list && h.recipientId !== null));
    const itemOwnsHere =
      list !== null &&
      (item.input.owned.some((o) => o.listId === list) ||
        (item.input.recipientListId === list && !!item.input.recipientId));
    const earlier = holders.find(
      (h) =>
        (h.newsletterId === item.input.newsletterId || ownsHere(h)) &&
        h.email === email &&
        h.userId !== item.userId &&
        // A recipient that exists wins over one that would be created (Newsletter2Go would merge
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
