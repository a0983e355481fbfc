import { emulator } from './emulator';
import { mapNewsletter, uid } from './worker';

/**
 * One newsletter per list. Newsletter2Go merges a list's recipients by address, so two
 * newsletters on one list would let two portal subscriptions share a recipient, and the worker
 * refuses the second mapping. Files share the emulator's seeded lists (TEST_LISTS), so a test
 * that maps a newsletter on the shared worker makes a list for it; the list exists at the
 * provider, which the mapping checks. A lane has an account of its own and may use a seeded
 * list, one newsletter each.
 */

/**
 * A new list at the shared emulator that no newsletter uses yet, with the unsubscribe attribute
 * (custom attributes are per list): mapping one without it makes the worker look through every
 * list of the account for the attribute, and the shared account gathers hundreds. The mapping's
 * own work on a list without it is tested in lanes (admin.newsletters.attributes).
 */
export async function ownList(prefix: string): Promise<string> {
  return (await emulator.createList({ name: uid(`${prefix}-list`), attributes: ['unsubscribe_url'] })).id;
}

/** A new newsletter (`uid(prefix)`) mapped to a new list of its own. */
export async function ownNewsletter(prefix: string): Promise<{ newsletterId: string; listId: string }> {
  const listId = await ownList(prefix);
  const newsletterId = uid(prefix);
  await mapNewsletter(newsletterId, listId);
  return { newsletterId, listId };
}
