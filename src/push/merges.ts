import type { OwnedRecipient } from '../db/recipients';
import { otherAddresses } from '../lib/addresses';
import type { ContactRef, ProviderIdentity } from '../ports/provider';
import type { Outcome, Planned } from './call-provider';
import type { WorkItem } from './lease';

/**
 * A creation the provider merged into a contact another subscription owns: the clash check
 * reads the database, and an address can reach the provider before the database knows (another
 * user's change of address still on its way). The creation is not taken over: it ends `clash`,
 * and the owner's subscription is pushed again, so its own data is written back over ours.
 */

/** The recipients this batch's creations were answered with: whose they are is read next. */
export function createdRecipients(planned: Planned[], outcomes: Map<string, Outcome>): (ContactRef & { id: string })[] {
  return planned.flatMap(({ id, plan }) => {
    const outcome = outcomes.get(id);
    if (plan.kind !== 'create' || outcome?.kind !== 'synced' || !outcome.recipientId || !outcome.listId) return [];
    return [{ id, listId: outcome.listId, contactId: outcome.recipientId }];
  });
}

/**
 * Turns each creation merged into another subscription's recipient into a `clash` failure (in
 * `outcomes`), and says which owners to push again and which write-ahead addresses to keep.
 */
export function refuseMerges(
  items: WorkItem[],
  planned: Planned[],
  outcomes: Map<string, Outcome>,
  created: (ContactRef & { id: string })[],
  owners: (OwnedRecipient & { userId: string })[],
  provider: Pick<ProviderIdentity, 'label' | 'addressScope'>,
): { repush: string[]; lookupEmails: { id: string; emails: string[] | null }[] } {
  const repush: string[] = [];
  const lookupEmails: { id: string; emails: string[] | null }[] = [];
  for (const row of created) {
    const userId = items.find((i) => i.id === row.id)?.userId;
    // Per list, another subscription on the recipient is another user's (a list serves one
    // newsletter); account-wide, the same user's other newsletters share the contact.
    const other = owners.find((o) =>
      provider.addressScope === 'list'
        ? o.listId === row.listId && o.recipientId === row.contactId && o.subscriptionId !== row.id
        : o.recipientId === row.contactId && o.userId !== userId,
    );
    if (!other) continue;
    outcomes.set(row.id, {
      kind: 'failed',
      failure: {
        message: `${provider.label} merged this creation into the recipient portal user "${other.userId}" holds under the same address; it is not taken over, and that user's data is written back`,
        code: 'clash',
        httpStatus: null,
      },
      unsent: true,
    });
    repush.push(other.subscriptionId);
    // The address just sent is no handle of ours: a later cancellation must not look it up
    // and find the other user's recipient (the write-ahead keeps only other uncertain ones).
    const sent = planned.find((p) => p.id === row.id)?.plan;
    const before = items.find((i) => i.id === row.id)?.input.lookupEmails ?? [];
    const left = sent?.kind === 'create' ? otherAddresses(before, sent.data.email) : before;
    lookupEmails.push({ id: row.id, emails: left.length ? left : null });
  }
  return { repush, lookupEmails };
}
