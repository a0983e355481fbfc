import type { RemoteContact, RemoteStatus } from '../../ports/provider';
import { type Contact, text } from './responses';

/**
 * Consent as Brevo shows it (spec: "Subscription state"): a contact is subscribed to list L
 * exactly when L is in its `listIds`, L is not in its `listUnsubscribed` and it is not
 * `emailBlacklisted`. Pure, so the adapter's writes and reads decide from one place.
 */

/** What a write to a contact asks of list L, consent read first (see updateContact). */
export function membership(contact: Contact, list: number, resubscribe: boolean): Record<string, unknown> {
  // Brevo's block is account-wide and may come from a complaint or a bounce: it is Brevo's, and an
  // admin lifts it there; the portal's ask adds the list only.
  if (resubscribe) return contact.listIds.includes(list) ? {} : { listIds: [list] };
  const held = contact.emailBlacklisted || contact.listUnsubscribed.includes(list);
  return held || contact.listIds.includes(list) ? {} : { listIds: [list] };
}

/** Subscribed to L exactly when in `listIds`, not in `listUnsubscribed`, and not blocklisted. */
export function statusIn(contact: Contact, list: number): RemoteStatus {
  if (contact.emailBlacklisted) return 'blacklisted';
  if (contact.listUnsubscribed.includes(list) || !contact.listIds.includes(list)) return 'unsubscribed';
  return 'subscribed';
}

export function remote(contact: Contact, list: number): RemoteContact {
  return {
    contactId: String(contact.id),
    email: contact.email ?? '',
    firstName: text(contact, 'FIRSTNAME'),
    lastName: text(contact, 'LASTNAME'),
    // Brevo has no gender of its own; the engine compares none (profile-diff).
    gender: null,
    status: statusIn(contact, list),
  };
}
