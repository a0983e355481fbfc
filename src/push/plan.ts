import type { ConflictInfo, SubscriptionState, WrittenCreation } from '../db/schema';
import { otherAddresses } from '../lib/addresses';
import type { ContactData, ContactRef, ProviderIdentity } from '../ports/provider';

/**
 * What to send for one subscription, from its desired state and what the worker knows of the
 * provider. Pure, so every case is tested without a network (contract §6 "the same final
 * state" and "consent when writing to the provider").
 */

export interface PlanInput {
  subscriptionId: string;
  /** The portal user the subscription belongs to (the contact's external id). */
  userId: string;
  state: SubscriptionState;
  resubscribe: boolean;
  /** The list the newsletter is mapped to now, or null when unmapped. */
  mappedListId: string | null;
  newsletterId: string;
  /** Where the stored recipient lives (the list it was created in). */
  recipientListId: string | null;
  recipientId: string | null;
  /** Every contact this subscription created or adopted, in any list (db/recipients.ts). */
  owned: ContactRef[];
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
  /** Another portal user already holds this address where the provider would merge them. */
  clashWithUserId: string | null;
  /** Which provider the plan is for, for its messages and its address scope. */
  provider: Pick<ProviderIdentity, 'label' | 'addressScope'>;
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
      data: ContactData;
      resubscribe: boolean;
      adoptFrom: string[];
      readBack: boolean;
      written: boolean;
    }
  /** `heldIfGone`: set while a consent conflict stands; a recipient gone at the provider then stays gone. */
  | {
      kind: 'update';
      ref: ContactRef;
      data: ContactData;
      resubscribe: boolean;
      heldIfGone: string | null;
    }
  /** `targets`: every owned contact, in every list; `lookup`: an uncertain creation's addresses. */
  | { kind: 'unsubscribe'; targets: ContactRef[]; lookup: Lookup | null }
  /** `unsubscribeUrl`: this subscription's own link, for a provider that writes it back. */
  | {
      kind: 'erase';
      targets: ContactRef[];
      lookup: Lookup | null;
      subscriptionId: string;
      unsubscribeUrl: string;
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
      subscriptionId: input.subscriptionId,
      unsubscribeUrl: input.unsubscribeUrl,
    };
  }

  if (!listId) {
    return {
      kind: 'fail',
      reason: 'unmapped',
      message: `No ${input.provider.label} list is mapped to newsletter "${input.newsletterId}"; an admin maps one, then the transfer is retried`,
    };
  }
  if (!input.profile.email)
    return { kind: 'fail', reason: 'no-email', message: 'The subscriber has no e-mail address yet' };
  if (input.clashWithUserId)
    return { kind: 'fail', reason: 'clash', message: clashMessage(input, input.clashWithUserId) };
  const data: ContactData = {
    externalId: input.userId,
    email: input.profile.email,
    firstName: input.profile.firstName,
    lastName: input.profile.lastName,
    gender: input.profile.gender,
    unsubscribeUrl: input.unsubscribeUrl,
  };
  const held = input.conflict ? heldMessage(input.conflict, input.provider.label) : null;
  const here = targets.find((t) => t.listId === listId);
  if (here)
    return {
      kind: 'update',
      ref: here,
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

/** The stored contact and every owned one, each list once (the stored one is the newest). */
function ownedRecipients(input: PlanInput): ContactRef[] {
  const out: ContactRef[] = [];
  const add = (ref: ContactRef) => {
    if (!out.some((o) => o.listId === ref.listId)) out.push(ref);
  };
  if (input.recipientId && input.recipientListId) add({ listId: input.recipientListId, contactId: input.recipientId });
  for (const ref of input.owned) add(ref);
  return out;
}

/** The reason a held transfer names: the conflict reconciliation found, and when. */
export function heldMessage(conflict: ConflictInfo, providerLabel: string): string {
  return `Held for consent: reconciliation run ${conflict.runId} found the recipient ${conflict.reason} in ${providerLabel} on ${conflict.foundAt}; the worker does not subscribe them again on its own (a newer confirmation from the portal does)`;
}

/** Two portal users under one address, where the provider would make them one contact. */
function clashMessage(input: PlanInput, otherUserId: string): string {
  const { label, addressScope } = input.provider;
  return addressScope === 'list'
    ? `The e-mail address is already held in the list of newsletter "${input.newsletterId}" by portal user "${otherUserId}"; ${label} identifies recipients by e-mail and would merge the two`
    : `The e-mail address is already held by portal user "${otherUserId}"; ${label} identifies contacts by e-mail across the account and would merge the two`;
}
