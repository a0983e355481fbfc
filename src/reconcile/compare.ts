import type { ConflictInfo, SubscriptionState, TransferStatus } from '../db/schema';
import type { RemoteRecipient, RemoteStatus } from '../ports/provider';
import { dummyEmailFor, isDummyEmailFor } from '../push/plan';
import type { DriftClass } from '../schemas/states';

/**
 * Reconciliation's comparison: one page of a provider list against the portal's desired state
 * for the newsletters mapped to that list. Pure: no fetch, no drizzle, no clock.
 */

export type ConflictReason = ConflictInfo['reason'];
export type ProfileField = 'email' | 'firstName' | 'lastName' | 'gender';

/** A subscription as the comparison needs it: desired state, profile and what is known remotely. */
export interface LocalRow {
  subscriptionId: string;
  userId: string;
  newsletterId: string;
  state: SubscriptionState;
  transferStatus: TransferStatus;
  resubscribe: boolean;
  /** The list the stored recipient id belongs to (the mapping may have changed since). */
  recipientListId: string | null;
  recipientId: string | null;
  email: string | null;
  firstName: string;
  lastName: string;
  gender: 'm' | 'f' | '';
  conflict: ConflictInfo | null;
}

export interface FindingDetail {
  listId: string;
  matchedBy?: 'id' | 'email';
  remoteStatus?: RemoteStatus;
  state?: SubscriptionState;
  transferStatus?: TransferStatus;
  reason?: ConflictReason;
  /** Names of the fields that differ, never their values (findings outlive a user's deletion). */
  fields?: ProfileField[];
}

export interface Finding {
  driftClass: DriftClass;
  newsletterId: string | null;
  userId: string | null;
  subscriptionId: string | null;
  recipientId: string | null;
  email: string | null;
  detail: FindingDetail;
}

export interface PageComparison {
  findings: Finding[];
  /** Subscriptions matched to a recipient of the page, judged or not: never `missing`. */
  seen: string[];
  /** Matched subscriptions whose transfer is in flight: the queue brings them in line, not judged. */
  pending: string[];
  /** Matched and judged subscriptions (drift or not). */
  judged: string[];
}

/**
 * Matches each recipient to local rows: by the stored recipient id in this list first; else, by
 * e-mail (case-insensitively) among rows that hold no recipient id in this list, the best row
 * per newsletter (a list may serve several). A row that holds another recipient's id stays with
 * it: if that one is gone the row is `missing`, and a recipient under its address an `orphan`.
 */
export function compareRemotePage(listId: string, remote: RemoteRecipient[], local: LocalRow[]): PageComparison {
  const byId = new Map<string, LocalRow[]>();
  const byEmail = new Map<string, LocalRow[]>();
  for (const row of local) {
    if (row.recipientListId === listId && row.recipientId) push(byId, row.recipientId, row);
    else if (row.email) push(byEmail, row.email.toLowerCase(), row);
  }
  const out: PageComparison = { findings: [], seen: [], pending: [], judged: [] };
  const taken = new Set<string>();
  for (const recipient of remote) {
    let matchedBy: 'id' | 'email' = 'id';
    let rows = (byId.get(recipient.recipientId) ?? []).filter((r) => !taken.has(r.subscriptionId));
    if (!rows.length) {
      matchedBy = 'email';
      rows = bestPerNewsletter(
        (byEmail.get(recipient.email.toLowerCase()) ?? []).filter((r) => !taken.has(r.subscriptionId)),
      );
    }
    if (!rows.length) {
      out.findings.push({
        driftClass: 'orphan',
        newsletterId: null,
        userId: null,
        subscriptionId: null,
        recipientId: recipient.recipientId,
        email: recipient.email || null,
        detail: { listId, remoteStatus: recipient.status },
      });
      continue;
    }
    for (const row of rows) {
      taken.add(row.subscriptionId);
      out.seen.push(row.subscriptionId);
      if (row.transferStatus === 'pending') {
        out.pending.push(row.subscriptionId);
        continue;
      }
      out.judged.push(row.subscriptionId);
      out.findings.push(...judge(listId, row, recipient, matchedBy));
    }
  }
  return out;
}

/** Subscribed rows no recipient matched (the caller leaves out rows in flight or changed since the run began). */
export function missingFindings(listId: string, unseen: LocalRow[]): Finding[] {
  return unseen
    .filter((row) => row.state === 'subscribed' && row.transferStatus !== 'pending')
    .map((row) => ({
      ...about(row, row.recipientListId === listId ? row.recipientId : null),
      driftClass: 'missing' as const,
      detail: { listId, state: row.state, transferStatus: row.transferStatus },
    }));
}

function judge(listId: string, row: LocalRow, recipient: RemoteRecipient, matchedBy: 'id' | 'email'): Finding[] {
  const base = about(row, recipient.recipientId);
  const detail = {
    listId,
    matchedBy,
    remoteStatus: recipient.status,
    state: row.state,
    transferStatus: row.transferStatus,
  };
  const findings: Finding[] = [];
  switch (row.state) {
    case 'subscribed': {
      // Unsubscribed, blacklisted or bounced there: the portal decides, nobody re-subscribes.
      if (recipient.status !== 'subscribed')
        findings.push({ ...base, driftClass: 'consent_conflict', detail: { ...detail, reason: recipient.status } });
      const fields = profileDiff(row, recipient);
      if (fields.length) findings.push({ ...base, driftClass: 'profile', detail: { ...detail, fields } });
      break;
    }
    case 'unsubscribed':
      if (recipient.status === 'subscribed') findings.push({ ...base, driftClass: 'stale_subscribed', detail });
      break;
    case 'deleted': {
      if (recipient.status === 'subscribed') findings.push({ ...base, driftClass: 'stale_subscribed', detail });
      else {
        // Unsubscribed but still carrying personal data: the erasure did not take.
        const fields = erasureDiff(row.subscriptionId, recipient);
        if (fields.length) findings.push({ ...base, driftClass: 'profile', detail: { ...detail, fields } });
      }
      break;
    }
  }
  return findings;
}

export function profileDiff(
  row: Pick<LocalRow, 'email' | 'firstName' | 'lastName' | 'gender'>,
  recipient: RemoteRecipient,
): ProfileField[] {
  const fields: ProfileField[] = [];
  // E-mails compare case-insensitively (contract §1); names and gender exactly.
  if ((row.email ?? '').toLowerCase() !== recipient.email.toLowerCase()) fields.push('email');
  if (row.firstName !== recipient.firstName) fields.push('firstName');
  if (row.lastName !== recipient.lastName) fields.push('lastName');
  if (row.gender !== normalGender(recipient.gender)) fields.push('gender');
  return fields;
}

/** What a deleted user's recipient must look like: the dummies erase() writes (plan.ts). */
function erasureDiff(subscriptionId: string, recipient: RemoteRecipient): ProfileField[] {
  // The dummy's domain is a setting (DELETED_EMAIL_DOMAIN) that may have changed since.
  const email = isDummyEmailFor(subscriptionId, recipient.email) ? recipient.email : dummyEmailFor(subscriptionId);
  return profileDiff({ email, firstName: 'DELETED', lastName: 'DELETED', gender: '' }, recipient);
}

const normalGender = (g: string): 'm' | 'f' | '' => (g === 'm' || g === 'f' ? g : '');

function about(row: LocalRow, recipientId: string | null): Omit<Finding, 'driftClass' | 'detail'> {
  return {
    newsletterId: row.newsletterId,
    userId: row.userId,
    subscriptionId: row.subscriptionId,
    recipientId,
    email: row.email,
  };
}

/** One row per newsletter: a subscribed one first, then the lowest id (deterministic). */
function bestPerNewsletter(rows: LocalRow[]): LocalRow[] {
  const best = new Map<string, LocalRow>();
  for (const row of rows) {
    const current = best.get(row.newsletterId);
    if (
      !current ||
      rank(row) < rank(current) ||
      (rank(row) === rank(current) && row.subscriptionId < current.subscriptionId)
    )
      best.set(row.newsletterId, row);
  }
  return [...best.values()];
}

const rank = (row: LocalRow) => (row.state === 'subscribed' ? 0 : row.state === 'unsubscribed' ? 1 : 2);

function push<K, V>(map: Map<K, V[]>, key: K, value: V) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
