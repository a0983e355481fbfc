import type { Db } from '../db/client';
import { rowsByEmail, rowsByRecipient, unseenRows } from '../db/reconciliation-desired';
import { chunks } from '../lib/chunks';
import type { RemoteContact } from '../ports/provider';
import type { LocalRow } from './compare';

/**
 * The desired state a page is compared with, loaded by the page's recipient ids and e-mails
 * through indexes (subscriptions by list and recipient id, subscribers by lower(email)): a run
 * never holds a newsletter's whole table in memory.
 */

/** SQLite binds at most 32766 variables; 1000 covers a default page in one statement. */
const IN_CHUNK = 1000;

function toRow(r: {
  subscriptionId: string;
  userId: string;
  newsletterId: string;
  state: LocalRow['state'];
  transferStatus: LocalRow['transferStatus'];
  resubscribe: boolean;
  recipientListId: string | null;
  recipientId: string | null;
  conflict: LocalRow['conflict'] | null;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  gender: LocalRow['gender'] | null;
}): LocalRow {
  return {
    ...r,
    conflict: r.conflict ?? null,
    firstName: r.firstName ?? '',
    lastName: r.lastName ?? '',
    gender: r.gender ?? '',
  };
}

/** Rows of the list's newsletters that a page's recipients may match. */
export async function loadForPage(
  db: Db,
  listId: string,
  newsletterIds: string[],
  page: RemoteContact[],
): Promise<LocalRow[]> {
  const found = new Map<string, LocalRow>();
  for (const ids of chunks(
    page.map((r) => r.contactId),
    IN_CHUNK,
  )) {
    const rows = await rowsByRecipient(db, listId, ids, newsletterIds);
    for (const r of rows) found.set(r.subscriptionId, toRow(r));
  }
  const emails = [...new Set(page.map((r) => r.email.toLowerCase()).filter(Boolean))];
  for (const batch of chunks(emails, IN_CHUNK)) {
    const rows = await rowsByEmail(db, batch, newsletterIds);
    for (const r of rows) found.set(r.subscriptionId, toRow(r));
  }
  return [...found.values()];
}

/** One newsletter's subscribed rows no recipient matched in this run (the `missing` candidates). */
export async function loadUnseen(
  db: Db,
  runId: string,
  newsletterId: string,
  startedAt: number,
  after: string | null,
  limit: number,
): Promise<LocalRow[]> {
  const rows = await unseenRows(db, runId, newsletterId, startedAt, after, limit);
  return rows.map(toRow);
}
