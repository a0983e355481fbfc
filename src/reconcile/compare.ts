import type { ConflictInfo, SubscriptionState, TransferStatus } from '../db/schema';
import { type ProfileField, profileDiff } from '../lib/profile-diff';
import type { AbsentStatus, NewsletterProvider, RemoteContact, RemoteStatus } from '../ports/provider';
import type { DriftClass } from '../schemas/states';

/**
 * Reconciliation's comparison: one page of a provider list against the portal's desired state
 * for the newsletters mapped to that list. Pure: no fetch, no drizzle, no clock.
 */

export type ConflictReason = ConflictInfo['reason'];
export type { ProfileField } from '../lib/profile-diff';

/** What an erasure leaves at the provider (the port's `erasureLeftovers`). */
export type ErasureCheck = NewsletterProvider['erasureLeftovers'];

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
export function compareRemotePage(
  listId: string,
  remote: RemoteContact[],
  local: LocalRow[],
  erasureLeftovers: ErasureCheck,
): PageComparison {
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
    let rows = (byId.get(recipient.contactId) ?? []).filter((r) => !taken.has(r.subscriptionId));
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
        recipientId: recipient.contactId,
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
      out.findings.push(...judge(listId, row, recipient, matchedBy, erasureLeftovers));
    }
  }
  return out;
}

/** The rows `missingFindings` judges: subscribed, not in flight. */
export const judgedWhenUnseen = (rows: LocalRow[]) =>
  rows.filter((row) => row.state === 'subscribed' && row.transferStatus !== 'pending');

/**
 * Subscribed rows no contact of the list matched (the caller leaves out rows in flight or changed
 * since the run began): `missing`, unless the provider says the contact it holds for the row is
 * kept out of the list (`absent`, from the port's explainAbsent): then a consent conflict.
 */
export function missingFindings(
  listId: string,
  unseen: LocalRow[],
  absent: ReadonlyMap<string, AbsentStatus> = new Map(),
): Finding[] {
  return judgedWhenUnseen(unseen).map((row) => {
    const recipientId = row.recipientListId === listId ? row.recipientId : null;
    const status = recipientId ? absent.get(recipientId) : undefined;
    const detail = { listId, state: row.state, transferStatus: row.transferStatus };
    if (status && status !== 'gone')
      return {
        ...about(row, recipientId),
        driftClass: 'consent_conflict' as const,
        detail: { ...detail, remoteStatus: status, reason: status },
      };
    return { ...about(row, recipientId), driftClass: 'missing' as const, detail };
  });
}

function judge(
  listId: string,
  row: LocalRow,
  recipient: RemoteContact,
  matchedBy: 'id' | 'email',
  erasureLeftovers: ErasureCheck,
): Finding[] {
  const base = about(row, recipient.contactId);
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
        const fields = erasureLeftovers(row.subscriptionId, recipient);
        if (fields.length) findings.push({ ...base, driftClass: 'profile', detail: { ...detail, fields } });
      }
      break;
    }
  }
  return findings;
}

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
