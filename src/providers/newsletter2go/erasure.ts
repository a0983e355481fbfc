import { type ProfileField, profileDiff } from '../../lib/profile-diff';
import type { RemoteContact } from '../../ports/provider';

/**
 * What an erasure leaves in Newsletter2Go: the recipient stays in its list, unsubscribed, its
 * names `DELETED` and its address a dummy. The dummy must be unique per subscription because
 * Newsletter2Go matches recipients by e-mail within a list.
 */

export const DEFAULT_DELETED_EMAIL_DOMAIN = 'deleted.invalid';

/**
 * A unique, syntactically valid, undeliverable address. The default domain `.invalid` is
 * reserved (RFC 2606) and never resolves; DELETED_EMAIL_DOMAIN can name a domain of one's own
 * with a null MX (RFC 7505) instead.
 */
export function dummyEmailFor(subscriptionId: string, domain = DEFAULT_DELETED_EMAIL_DOMAIN): string {
  return `deleted-${subscriptionId}@${domain}`;
}

/** Whether `email` is this subscription's dummy, under whichever domain was configured then. */
export function isDummyEmailFor(subscriptionId: string, email: string): boolean {
  return email.toLowerCase().startsWith(`deleted-${subscriptionId.toLowerCase()}@`);
}

export const ERASED_NAME = 'DELETED';

/** The fields of a listed recipient that still differ from an erasure's dummies. */
export function erasureLeftovers(subscriptionId: string, contact: RemoteContact): ProfileField[] {
  // The dummy's domain is a setting (DELETED_EMAIL_DOMAIN) that may have changed since.
  const email = isDummyEmailFor(subscriptionId, contact.email) ? contact.email : dummyEmailFor(subscriptionId);
  return profileDiff({ email, firstName: ERASED_NAME, lastName: ERASED_NAME, gender: '' }, contact);
}
