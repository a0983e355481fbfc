import { afterEach, describe, expect, it, vi } from 'vitest';
import { getRun } from '../../src/db/reconciliation';
import { adminWriteLogged } from '../support/admin-writes';
import { ownNewsletter } from '../support/lists';
import { database } from '../support/unsubscribe';
import { admin, uid, waitFor } from '../support/worker';

/**
 * Round trips to the database when an admin starts a reconciliation (issue 17: at most one read,
 * then one atomic batch). Serial: one run at a time across the whole database.
 */

afterEach(() => vi.restoreAllMocks());

const start = (newsletterIds: string[]) =>
  admin('/v1/admin/reconciliations', { method: 'POST', body: JSON.stringify({ mode: 'report', newsletterIds }) });

async function trips(request: () => Promise<Response>, status: number) {
  const line = adminWriteLogged();
  const res = await request();
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return { trips: line().dbRoundTrips, body: JSON.parse(text) as { id?: string } };
}

describe('database round trips of POST /v1/admin/reconciliations', () => {
  it('a start: one read, one write; a start while one runs or for an unknown newsletter: the read alone', async () => {
    const { newsletterId } = await ownNewsletter('rt-recon');
    const started = await trips(() => start([newsletterId]), 202);
    expect(started.trips).toBe(2);
    expect((await trips(() => start([newsletterId]), 409)).trips).toBe(1);
    await waitFor(async () => (await getRun(database(), started.body.id ?? ''))?.status !== 'running', 'the run');
    expect((await trips(() => start([uid('unmapped')]), 422)).trips).toBe(1);
  });
});
