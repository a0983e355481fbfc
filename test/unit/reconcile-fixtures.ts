import type { RemoteContact } from '../../src/ports/provider';
import type { LocalRow } from '../../src/reconcile/compare';

/** One list, one synced subscriber and her recipient: the reconcile unit tests vary these. */

export const LIST = 'list0001';

export const localRow = (over: Partial<LocalRow> = {}): LocalRow => ({
  subscriptionId: 'sub_a',
  userId: 'user-a',
  newsletterId: 'weekly',
  state: 'subscribed',
  transferStatus: 'synced',
  resubscribe: false,
  recipientListId: LIST,
  recipientId: 'r1',
  // Cased unlike the provider's copy: addresses match case-insensitively.
  email: 'Anna@Example.com',
  firstName: 'Anna',
  lastName: 'Meier',
  gender: 'f',
  conflict: null,
  ...over,
});

export const remote = (over: Partial<RemoteContact> = {}): RemoteContact => ({
  contactId: 'r1',
  email: 'anna@example.com',
  firstName: 'Anna',
  lastName: 'Meier',
  gender: 'f',
  status: 'subscribed',
  ...over,
});
