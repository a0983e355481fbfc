import type { SubscriptionState } from '../db/schema';
import type { RecipientData } from '../providers/port';

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
  eraseLookupEmail: string | null;
  unsubscribeUrl: string;
  unsubscribeAttribute: string;
  /** Another portal user already holds this address in the same newsletter. */
  clashWithUserId: string | null;
}

export type Plan =
  | { kind: 'fail'; reason: 'unmapped' | 'clash' | 'no-email'; message: string }
  | { kind: 'create'; listId: string; data: RecipientData; resubscribe: boolean }
  | { kind: 'update'; listId: string; recipientId: string; data: RecipientData; resubscribe: boolean }
  | { kind: 'unsubscribe'; listId: string; recipientId: string | null; lookupEmail: string | null }
  | { kind: 'erase'; listId: string; recipientId: string | null; lookupEmail: string | null; dummyEmail: string }
  | { kind: 'nothing'; why: string };

export function planTransfer(input: PlanInput): Plan {
  const listId = input.mappedListId;
  if (!listId) {
    return {
      kind: 'fail',
      reason: 'unmapped',
      message: `No Newsletter2Go list is mapped to newsletter "${input.newsletterId}"; map one with PUT /v1/admin/newsletters/${input.newsletterId}`,
    };
  }
  // A recipient in another list (the mapping changed) is left there; this list gets its own.
  const recipientId = input.recipientListId === listId ? input.recipientId : null;

  switch (input.state) {
    case 'subscribed': {
      if (!input.profile.email) return { kind: 'fail', reason: 'no-email', message: 'The subscriber has no e-mail address yet' };
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
      return recipientId
        ? { kind: 'update', listId, recipientId, data, resubscribe: input.resubscribe }
        : { kind: 'create', listId, data, resubscribe: input.resubscribe };
    }
    case 'unsubscribed': {
      const lookupEmail = recipientId ? null : input.profile.email;
      if (!recipientId && !lookupEmail) return { kind: 'nothing', why: 'no recipient is known at the provider' };
      return { kind: 'unsubscribe', listId, recipientId, lookupEmail };
    }
    case 'deleted': {
      const lookupEmail = recipientId ? null : input.eraseLookupEmail;
      if (!recipientId && !lookupEmail) return { kind: 'nothing', why: 'no recipient is known at the provider' };
      return { kind: 'erase', listId, recipientId, lookupEmail, dummyEmail: dummyEmailFor(input.subscriptionId) };
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
