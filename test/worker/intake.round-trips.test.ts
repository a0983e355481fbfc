import { SELF } from 'cloudflare:test';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ownNewsletter } from '../support/lists';
import { logLines } from '../support/log-lines';
import { postForm, subscribedTo } from '../support/unsubscribe';
import { at, confirmed, deleted, postEvent, signedRequest, uid, updated } from '../support/worker';

/**
 * Round trips to the database on the request path (issue 17's budget: at most 2 per accepted
 * event or unsubscribe; the physical limit is 1). The worker's client counts its HTTP requests
 * (each one a network round trip to libSQL) and each request's log line carries the count as
 * of its answer: work the request leaves behind (a deletion's scrub, in waitUntil) is not on
 * its path. The worker runs in this isolate, so a spy on console.log reads its lines.
 */

const STORED = 'events stored';
const LINK = 'unsubscribe by link';

function roundTripsLogged(msg: string) {
  const stop = logLines<{ msg: string; dbRoundTrips: number }>(msg);
  return () => {
    const lines = stop();
    expect(lines).toHaveLength(1);
    return lines[0]?.dbRoundTrips;
  };
}

afterEach(() => vi.restoreAllMocks());

describe('database round trips per request', () => {
  let newsletterId: string;
  beforeAll(async () => {
    ({ newsletterId } = await ownNewsletter('round-trips'));
  });

  it('a signed single event: one read, one atomic write', async () => {
    const count = roundTripsLogged(STORED);
    const res = await postEvent(confirmed(uid('u'), newsletterId, `${uid('a')}@example.com`));
    expect(res.status).toBe(202);
    expect(count()).toBe(2);
  });

  it('a profile update, a cancellation and a deletion of a known user: two each', async () => {
    const user = uid('u');
    expect((await postEvent(confirmed(user, newsletterId, `${user}@example.com`, {}, at(0)))).status).toBe(202);
    for (const event of [updated(user, `${user}.new@example.com`), deleted(user)]) {
      const count = roundTripsLogged(STORED);
      expect((await postEvent(event)).status).toBe(202);
      expect(count()).toBe(2);
    }
  });

  it('a redelivery reads and writes nothing', async () => {
    const event = confirmed(uid('u'), newsletterId, `${uid('a')}@example.com`);
    const id = uid('msg');
    expect((await postEvent(event, { id })).status).toBe(202);
    const count = roundTripsLogged(STORED);
    expect((await postEvent(event, { id })).status).toBe(200);
    expect(count()).toBe(1);
  });

  it('a batch of 200 events for 100 users: still one read and one write', async () => {
    const users = Array.from({ length: 100 }, () => uid('u'));
    const events = users.flatMap((u) => [
      { id: uid('msg'), ...confirmed(u, newsletterId, `${u}@example.com`, {}, at(0)) },
      { id: uid('msg'), ...updated(u, `${u}@example.com`, { firstName: 'N' }, at(10)) },
    ]);
    const count = roundTripsLogged(STORED);
    const res = await SELF.fetch(await signedRequest(JSON.stringify({ events }), { path: '/v1/events/batch' }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { results: { status: string }[] };
    expect(body.results.every((r) => r.status === 'accepted')).toBe(true);
    expect(count()).toBe(2);
  });

  it('an unsubscribe POST, one-click or "all", notice included: one read, one write', async () => {
    const user = uid('u');
    const second = await ownNewsletter('round-trips-2');
    const { link } = await subscribedTo(user, [newsletterId, second.newsletterId]);
    let count = roundTripsLogged(LINK);
    expect((await postForm(link(newsletterId), { 'List-Unsubscribe': 'One-Click' })).status).toBe(200);
    expect(count()).toBe(2);
    count = roundTripsLogged(LINK);
    expect((await postForm(link(second.newsletterId), { scope: 'all' })).status).toBe(200);
    expect(count()).toBe(2);
    vi.restoreAllMocks();
    // Nothing left to cancel: the read alone.
    count = roundTripsLogged(LINK);
    expect((await postForm(link(second.newsletterId), { 'List-Unsubscribe': 'One-Click' })).status).toBe(200);
    expect(count()).toBe(1);
  });
});
