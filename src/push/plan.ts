import type { SubscriptionState } from '../db/schema';
import { otherAddresses } from '../lib/addresses';
import type { RecipientData } from '../ports/provider';

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
  profile: { email: string | null; firstName: string; lastName: string; gender: 'm' | 'f' | '' };
  /** Addresses the provider may hold this recipient under while its id is unknown. */
  lookupEmails: string[];
  unsubscribeUrl: string;
  unsubscribeAttribute: string;
  /** Another portal user already holds this address in the same newsletter. */
  clashWithUserId: string | null;
}

export type Plan =
  | { kind: 'fail'; reason: 'unmapped' | 'clash' | 'no-email'; message: string }
  /** `adoptFrom`: addresses under which an earlier, uncertain creation may exist; found, it is updated. */
  | { kind: 'create'; listId: string; data: RecipientData; resubscribe: boolean; adoptFrom: string[] }
  | { kind: 'update'; listId: string; recipientId: string; data: RecipientData; resubscribe: boolean }
  | { kind: 'unsubscribe'; listId: string; recipientId: string | null; lookupEmails: string[] }
  | { kind: 'erase'; listId: string; recipientId: string | null; lookupEmails: string[]; dummyEmail: string }
  | { kind: 'nothing'; why: string };

export function planTransfer(input: PlanInput): Plan {
  const listId = input.mappedListId;
  if (!listId) {
    return {
      kind: 'fail',
      reason: 'unmapped',
      message: `No Newsletter2Go list is mapped to newsletter "${input.newsletterId}"; an admin maps one, then the transfer is retried`,
    };
  }
  // A recipient in another list (the mapping changed) is left there; this list gets its own.
  const recipientId = input.recipientListId === listId ? input.recipientId : null;

  switch (input.state) {
    case 'subscribed': {
      if (!input.profile.email)
        return { kind: 'fail', reason: 'no-email', message: 'The subscriber has no e-mail address yet' };
      if (input.clashWithUserId) {
        return {
          kind: 'fail',
          reason: 'clash',
          message: `The e-mail address is already subscribed to newsletter "${input.newsletterId}" by portal user "${input.clashWithUserId}"; Newsletter2Go identifies recipients by e-mail and would merge the two`,
        };
      }
      const data: RecipientData = {
        email: input.profile.email,
        firstName: input.profile.firstName,
        lastName: input.profile.lastName,
        gender: input.profile.gender,
        attributes: { [input.unsubscribeAttribute]: input.unsubscribeUrl },
      };
      if (recipientId) return { kind: 'update', listId, recipientId, data, resubscribe: input.resubscribe };
      // Creation is an upsert by address: only an uncertain earlier one under another address
      // needs finding first, or it would stay behind as a second recipient.
      const adoptFrom = otherAddresses(input.lookupEmails, data.email);
      return { kind: 'create', listId, data, resubscribe: input.resubscribe, adoptFrom };
    }
    case 'unsubscribed': {
      const lookupEmails = recipientId ? [] : otherAddresses([...input.lookupEmails, input.profile.email], null);
      if (!recipientId && !lookupEmails.length)
        return { kind: 'nothing', why: 'no recipient is known at the provider' };
      return { kind: 'unsubscribe', listId, recipientId, lookupEmails };
    }
    case 'deleted': {
      const lookupEmails = recipientId ? [] : otherAddresses(input.lookupEmails, null);
      if (!recipientId && !lookupEmails.length)
        return { kind: 'nothing', why: 'no recipient is known at the provider' };
      return { kind: 'erase', listId, recipientId, lookupEmails, dummyEmail: dummyEmailFor(input.subscriptionId) };
    }
  }
}

/**
 * A unique, syntactically valid, undeliverable address: `.invalid` is reserved (RFC 2606)
 * and never resolves. Unique per subscription because Newsletter2Go matches by e-mail.
 */
export function dummyEmailFor(subscriptionId: string): string {
  return `deleted-${subscriptionId}@deleted.invalid`;
}
