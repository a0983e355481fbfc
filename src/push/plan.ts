import type { ConflictInfo, SubscriptionState, WrittenCreation } from '../db/schema';
import { otherAddresses } from '../lib/addresses';
import type { RecipientData, RecipientRef } from '../ports/provider';

/**
 * What to send for one subscription, from its desired state and what the worker knows of the
 * provider. Pure, so every case is tested without a network (contract §6 "the same final
 * state" and "consent when writing to the provider").
 */

export interface PlanInput {
  subscriptionId: string;
  state: SubscriptionState;
  resubscribe: boolean;
  /** The list the newsletter is mapped to now, or null when unmapped. */
  mappedListId: string | null;
  newsletterId: string;
  /** Where the stored recipient lives (the list it was created in). */
  recipientListId: string | null;
  recipientId: string | null;
  /** Every recipient this subscription created or adopted, in any list (db/recipients.ts). */
  owned: RecipientRef[];
  /** What the last reconciliation found against this subscription's consent, or null. */
  conflict: ConflictInfo | null;
  profile: { email: string | null; firstName: string; lastName: string; gender: 'm' | 'f' | '' };
  /** Addresses this subscription itself sent while the id stayed unknown (its write-ahead). */
  lookupEmails: string[];
  /** The version being pushed. */
  version: number;
  /** A creation the provider took whose id is still to be read back, or null. */
  written: WrittenCreation | null;
  unsubscribeUrl: string;
  unsubscribeAttribute: string;
  /** The domain of the dummy address an erasure writes (DELETED_EMAIL_DOMAIN). */
  deletedEmailDomain: string;
  /** Another portal user already holds this address in the list. */
  clashWithUserId: string | null;
}

/** Where a recipient may be found by address: only under addresses the subscription sent itself. */
export interface Lookup {
  listId: string;
  emails: string[];
}

export type Plan =
  | { kind: 'fail'; reason: 'unmapped' | 'clash' | 'no-email' | 'held-for-consent'; message: string }
  /**
   * `adoptFrom`: addresses under which an earlier, uncertain creation may exist; found, it is
   * updated. `readBack`: the provider took a creation of this subscription's in this list whose
   * id is unknown, so `data.email` is looked up first: found, it is updated by id, or left alone
   * when `written` (this very version was what the provider took).
   */
  | {
      kind: 'create';
      listId: string;
      data: RecipientData;
      resubscribe: boolean;
      adoptFrom: string[];
      readBack: boolean;
      written: boolean;
    }
  /** `heldIfGone`: set while a consent conflict stands; a recipient gone at the provider then stays gone. */
  | {
      kind: 'update';
      listId: string;
      recipientId: string;
      data: RecipientData;
      resubscribe: boolean;
      heldIfGone: string | null;
    }
  /** `targets`: every owned recipient, in every list; `lookup`: an uncertain creation's addresses. */
  | { kind: 'unsubscribe'; targets: RecipientRef[]; lookup: Lookup | null }
  /** `attributes`: this subscription's own link, written back: a merged creation's may be there. */
  | {
      kind: 'erase';
      targets: RecipientRef[];
      lookup: Lookup | null;
      dummyEmail: string;
      attributes: Record<string, string>;
    }
  | { kind: 'nothing'; why: string };

export function planTransfer(input: PlanInput): Plan {
  const listId = input.mappedListId;
  const targets = ownedRecipients(input);
  if (input.state !== 'subscribed') {
    // An owned recipient in the current list is its handle; only without one may an uncertain
    // creation of this subscription's own be looked for by the addresses it sent.
    const lookupEmails = otherAddresses(input.lookupEmails, null);
    const lookup =
      listId && !targets.some((t) => t.listId === listId) && lookupEmails.length
        ? { listId, emails: lookupEmails }
        : null;
    if (!targets.length && !lookup) return { kind: 'nothing', why: 'no recipient of this subscription is known' };
    if (input.state === 'unsubscribed') return { kind: 'unsubscribe', targets, lookup };
    return {
      kind: 'erase',
      targets,
      lookup,
      dummyEmail: dummyEmailFor(input.subscriptionId, input.deletedEmailDomain),
      attributes: { [input.unsubscribeAttribute]: input.unsubscribeUrl },
    };
  }

  if (!listId) {
    return {
      kind: 'fail',
      reason: 'unmapped',
      message: `No Newsletter2Go list is mapped to newsletter "${input.newsletterId}"; an admin maps one, then the transfer is retried`,
    };
  }
  if (!input.profile.email)
    return { kind: 'fail', reason: 'no-email', message: 'The subscriber has no e-mail address yet' };
  if (input.clashWithUserId) {
    return {
      kind: 'fail',
      reason: 'clash',
      message: `The e-mail address is already held in the list of newsletter "${input.newsletterId}" by portal user "${input.clashWithUserId}"; Newsletter2Go identifies recipients by e-mail and would merge the two`,
    };
  }
  const data: RecipientData = {
    email: input.profile.email,
    firstName: input.profile.firstName,
    lastName: input.profile.lastName,
    gender: input.profile.gender,
    attributes: { [input.unsubscribeAttribute]: input.unsubscribeUrl },
  };
  const held = input.conflict ? heldMessage(input.conflict) : null;
  const here = targets.find((t) => t.listId === listId);
  if (here)
    return {
      kind: 'update',
      listId,
      recipientId: here.recipientId,
      data,
      resubscribe: input.resubscribe,
      heldIfGone: held,
    };
  // No recipient in this list (a new subscription, or the newsletter moved): creating one while
  // the provider's last word on this person was "unsubscribed" would subscribe them anew.
  if (held) return { kind: 'fail', reason: 'held-for-consent', message: held };
  // Creation is an upsert by address: only an uncertain earlier one under another address
  // needs finding first, or it would stay behind as a second recipient.
  const adoptFrom = otherAddresses(input.lookupEmails, data.email);
  const readBack = input.written?.listId === listId;
  const written = readBack && input.written?.version === input.version;
  return { kind: 'create', listId, data, resubscribe: input.resubscribe, adoptFrom, readBack, written };
}

/** The stored recipient and every owned one, each list once (the stored one is the newest). */
function ownedRecipients(input: PlanInput): RecipientRef[] {
  const out: RecipientRef[] = [];
  const add = (ref: RecipientRef) => {
    if (!out.some((o) => o.listId === ref.listId)) out.push(ref);
  };
  if (input.recipientId && input.recipientListId)
    add({ listId: input.recipientListId, recipientId: input.recipientId });
  for (const ref of input.owned) add(ref);
  return out;
}

/** The reason a held transfer names: the conflict reconciliation found, and when. */
export function heldMessage(conflict: ConflictInfo): string {
  return `Held for consent: reconciliation run ${conflict.runId} found the recipient ${conflict.reason} in Newsletter2Go on ${conflict.foundAt}; the worker does not subscribe them again on its own (a newer confirmation from the portal does)`;
}

/**
 * A unique, syntactically valid, undeliverable address. The default domain `.invalid` is
 * reserved (RFC 2606) and never resolves; DELETED_EMAIL_DOMAIN can name a domain of one's own
 * with a null MX (RFC 7505) instead. Unique per subscription because Newsletter2Go matches by
 * e-mail.
 */
export function dummyEmailFor(subscriptionId: string, domain = DEFAULT_DELETED_EMAIL_DOMAIN): string {
  return `deleted-${subscriptionId}@${domain}`;
}

export const DEFAULT_DELETED_EMAIL_DOMAIN = 'deleted.invalid';

/** Whether `email` is this subscription's dummy, under whichever domain was configured then. */
export function isDummyEmailFor(subscriptionId: string, email: string): boolean {
  return email.toLowerCase().startsWith(`deleted-${subscriptionId.toLowerCase()}@`);
}
