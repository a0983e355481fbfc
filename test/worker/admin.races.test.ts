import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { getConfig } from '../../src/config';
import { createDb } from '../../src/db/client';
import { guardListFree, upsertNewsletter } from '../../src/db/newsletters';
import { newsletters, subscriptions } from '../../src/db/schema';
import { isStaleRead } from '../../src/db/write-batch';
import { subscribeMany } from '../support/admin';
import { ownList, ownNewsletter } from '../support/lists';
import { admin, uid } from '../support/worker';

/**
 * Admin writes racing each other (issue 17): each commits one atomic batch, so what it decided
 * on is re-checked in SQL (a list taken meanwhile) or decided there (whether the list changed).
 */

const db = () => createDb(getConfig(env));
const put = (newsletterId: string, listId: string) =>
  admin(`/v1/admin/newsletters/${newsletterId}`, { method: 'PUT', body: JSON.stringify({ listId }) });

interface Saved {
  listId: string;
  previousListId: string | null;
  repushed: number;
}

async function versions(newsletterId: string): Promise<number[]> {
  const rows = await db()
    .select({ version: subscriptions.version })
    .from(subscriptions)
    .where(eq(subscriptions.newsletterId, newsletterId))
    .orderBy(subscriptions.id);
  return rows.map((r) => r.version);
}

const mappedTo = async (newsletterId: string) =>
  (await db().select().from(newsletters).where(eq(newsletters.newsletterId, newsletterId)))[0]?.listId;

describe('two newsletters, one list', () => {
  it('two PUTs at once for one list: one is mapped, the other gets the 422 naming it', async () => {
    for (let round = 0; round < 4; round++) {
      const listId = await ownList('race');
      const ids = [uid('race-a'), uid('race-b')];
      const answers = await Promise.all(ids.map((id) => put(id, listId)));
      expect(answers.map((r) => r.status).sort()).toEqual([201, 422]);
      const winner = ids[answers.findIndex((r) => r.status === 201)];
      const refused = answers.find((r) => r.status === 422);
      expect(refused?.headers.get('content-type')).toBe('application/problem+json');
      expect(await refused?.json()).toMatchObject({ status: 422, listId, mappedTo: winner });
      const onList = await db().select().from(newsletters).where(eq(newsletters.listId, listId));
      expect(onList.map((n) => n.newsletterId)).toEqual([winner]);
    }
  });

  it('a batch whose list was taken after its read stores nothing (the guard)', async () => {
    const listId = await ownList('race-guard');
    const [late, first] = [uid('race-late'), uid('race-first')];
    const now = Date.now();
    // `late` read the list as free; `first` is mapped to it before `late` commits.
    await upsertNewsletter(db(), { newsletterId: first, listId, name: null }, now);
    const d = db();
    const commit = d.batch([
      guardListFree(d, listId, late),
      upsertNewsletter(d, { newsletterId: late, listId, name: null }, now),
    ]);
    await expect(commit).rejects.toSatisfy(isStaleRead);
    expect(await mappedTo(late)).toBeUndefined();
  });
});

describe('one mapping, concurrent PUTs', () => {
  it('moved to four lists at once: the answers chain, the last one is stored, every move re-pushed', async () => {
    const { newsletterId, listId: start } = await ownNewsletter('race-move');
    await subscribeMany(newsletterId, 3);
    const before = await versions(newsletterId);
    const lists = [await ownList('race-move'), await ownList('race-move'), await ownList('race-move')];
    lists.push(await ownList('race-move'));
    const answers = await Promise.all(lists.map((l) => put(newsletterId, l)));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const saved = await Promise.all(answers.map((r) => r.json<Saved>()));
    // Each PUT saw the mapping its predecessor stored: the previous lists are the start and
    // three of the four, each once, and the one no PUT saw replaced is the one stored.
    const previous = saved.map((s) => s.previousListId);
    expect(new Set(previous).size).toBe(4);
    expect(previous).toContain(start);
    const last = lists.find((l) => !previous.includes(l));
    expect(await mappedTo(newsletterId)).toBe(last);
    expect(saved.map((s) => s.repushed)).toEqual([3, 3, 3, 3]);
    expect(await versions(newsletterId)).toEqual(before.map((v) => v + 4));
  });

  it('moved to one new list by three PUTs at once: one moves it and re-pushes, the others find it there', async () => {
    const { newsletterId, listId: start } = await ownNewsletter('race-same');
    await subscribeMany(newsletterId, 2);
    const before = await versions(newsletterId);
    const target = await ownList('race-same');
    const answers = await Promise.all([0, 1, 2].map(() => put(newsletterId, target)));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    const saved = await Promise.all(answers.map((r) => r.json<Saved>()));
    expect(saved.map((s) => [s.previousListId, s.repushed]).sort()).toEqual([
      [null, 0],
      [null, 0],
      [start, 2],
    ]);
    expect(await mappedTo(newsletterId)).toBe(target);
    expect(await versions(newsletterId)).toEqual(before.map((v) => v + 1));
  });

  it('deleted twice at once: one 200, one 404, one re-push', async () => {
    const { newsletterId, listId } = await ownNewsletter('race-del');
    await subscribeMany(newsletterId, 2);
    const before = await versions(newsletterId);
    const del = () => admin(`/v1/admin/newsletters/${newsletterId}`, { method: 'DELETE' });
    const answers = await Promise.all([del(), del()]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 404]);
    expect(await answers.find((r) => r.status === 200)?.json()).toEqual({
      newsletterId,
      removedListId: listId,
      affectedSubscriptions: 2,
    });
    expect(await mappedTo(newsletterId)).toBeUndefined();
    expect(await versions(newsletterId)).toEqual(before.map((v) => v + 1));
  });
});
