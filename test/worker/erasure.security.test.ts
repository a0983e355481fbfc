import { describe, expect, it } from 'vitest';
import { eventDigest } from '../../src/lib/canonical-json';
import { emulator } from '../support/emulator';
import { ownList, ownNewsletter } from '../support/lists';
import { database } from '../support/unsubscribe';
import { at, confirmed, deleted, mapNewsletter, postEvent, reconciled, settled, uid, waitFor } from '../support/worker';

/**
 * A deleted user leaves no personal data behind (issue 15): after an address change, a provider
 * error quoting an address, a reconciliation finding and a mapping change, the deletion settles
 * and then no text column of any table holds any of the user's addresses or names, nor a plain
 * digest of an event body that carried them.
 */

interface Hit {
  table: string;
  column: string;
  what: string;
}

async function textsHolding(needles: string[]): Promise<Hit[]> {
  const client = database().$client;
  const tables = await client.execute(
    "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '%drizzle%'",
  );
  const hits: Hit[] = [];
  for (const { name } of tables.rows) {
    const table = String(name);
    const rows = await client.execute(`select * from "${table}"`);
    for (const row of rows.rows)
      for (const column of rows.columns) {
        const value = row[column];
        if (typeof value !== 'string') continue;
        const lower = value.toLowerCase();
        for (const needle of needles)
          if (lower.includes(needle.toLowerCase())) hits.push({ table, column, what: needle });
      }
  }
  return hits;
}

describe('a deleted user', () => {
  it('leaves no address, name or confirmable digest in any column of any table once the deletion settled', async () => {
    const { newsletterId, listId } = await ownNewsletter('erase-all');
    const user = uid('u');
    const first = `${uid('zephyrine')}`;
    const last = `${uid('quillfeather')}`;
    const a1 = `${uid('first-address')}@example.com`;
    const taken = `${uid('taken-address')}@example.com`;
    const a3 = `${uid('third-address')}@example.com`;
    const events: unknown[] = [];
    const send = async (event: unknown) => {
      events.push(event);
      expect((await postEvent(event)).status).toBe(202);
    };
    const profile = (email: string, ms: number) => ({
      type: 'subscriber.updated',
      occurredAt: at(ms),
      data: { userId: user, email, firstName: first, lastName: last },
    });

    await send(confirmed(user, newsletterId, a1, { firstName: first, lastName: last }, at(0)));
    const recipientId = (await waitFor(() => emulator.find(listId, a1), 'the recipient')).id;
    await settled(user);

    // A provider error that quotes an address (Newsletter2Go's "Duplicate value …").
    const other = await emulator.insert({ list_id: listId, email: taken });
    await send(profile(taken.toUpperCase(), 1000));
    expect((await settled(user)).subscriptions[0]?.transfer.error?.message).toContain(taken.toUpperCase());
    // That other person's recipient leaves, so the reconciliation below finds no orphan with the
    // address: an orphan is someone else's record, not this user's data.
    await emulator.remove(other.id);
    // The address changes again, this time for good.
    await send(profile(a3, 2000));
    expect((await settled(user)).subscriptions[0]?.transfer.status).toBe('synced');

    // A reconciliation finding that names the address.
    await emulator.edit(recipientId, { first_name: 'Edited inside Newsletter2Go' });
    await reconciled('report', [newsletterId]);
    expect((await textsHolding([a3])).some((h) => h.table === 'reconciliation_findings')).toBe(true);

    // The newsletter moves to another list.
    await mapNewsletter(newsletterId, await ownList('erase-all-moved'));
    await settled(user);

    const before = await textsHolding([a1, taken, a3, first, last]);
    expect(before.length).toBeGreaterThan(0); // the walk sees what is there

    await send(deleted(user, at(9000)));
    await settled(user);

    const digests = await Promise.all(events.map((e) => eventDigest(e)));
    expect(await textsHolding([a1, taken, a3, first, last, ...digests])).toEqual([]);
  });
});
