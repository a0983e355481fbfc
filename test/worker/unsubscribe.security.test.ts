import { beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../../src/unsubscribe/token';
import { emulator } from '../support/emulator';
import { ownList } from '../support/lists';
import { TEST_SECRETS } from '../support/settings';
import { forUser, open, portal, postForm, snapshot, states, subscribedTo } from '../support/unsubscribe';
import { mapNewsletter, settled, uid } from '../support/worker';

const BASE = 'http://bridge.test';
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('unsubscribe links: what scanners, senders and forgers get', () => {
  const weekly = uid('weekly');
  const breaking = uid('breaking');
  let weeklyList = '';
  beforeAll(async () => {
    weeklyList = await ownList('weekly');
    await mapNewsletter(weekly, weeklyList, 'Weekly');
    await mapNewsletter(breaking, await ownList('breaking'), 'Breaking');
  });

  it('GET and HEAD never change anything, however often and however sent', async () => {
    const user = uid('u');
    const { email, link } = await subscribedTo(user, [weekly, breaking]);
    const before = await snapshot(user);
    const recipient = await emulator.find(weeklyList, email);

    const variants: RequestInit[] = [
      {},
      { headers: { 'accept-language': 'en' } },
      { headers: { 'user-agent': 'Mozilla/5.0 (compatible; SafeLinks scanner)' } },
      { headers: { 'list-unsubscribe': 'One-Click', 'content-type': 'application/x-www-form-urlencoded' } },
    ];
    for (let i = 0; i < 5; i++) {
      for (const init of variants) {
        for (const url of [link(weekly), `${link(weekly)}?scope=all`, `${link(breaking)}?List-Unsubscribe=One-Click`]) {
          expect((await open(url, init)).status).toBe(200);
          const head = await open(url, { ...init, method: 'HEAD' });
          expect(head.status).toBe(200);
          expect(await head.text()).toBe('');
        }
      }
    }
    await pause(1500);
    expect(await snapshot(user)).toEqual(before);
    expect(await emulator.find(weeklyList, email)).toEqual(recipient);
    expect(await portal.received(forUser(user))).toHaveLength(0);
  });

  it.each(['urlencoded', 'multipart'] as const)(
    'RFC 8058 one-click (%s): 200, no redirect, no cookie, unsubscribed',
    async (encoding) => {
      const user = uid('u');
      const { email, link } = await subscribedTo(user, [weekly, breaking]);
      const res = await postForm(link(weekly), { 'List-Unsubscribe': 'One-Click' }, encoding);
      expect(res.status).toBe(200);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await states(user)).toEqual({ [weekly]: 'unsubscribed', [breaking]: 'subscribed' });
      await settled(user);
      expect(await emulator.find(weeklyList, email)).toMatchObject({ is_unsubscribed: true });
    },
  );

  it('one-click never widens to "all", whatever else the body says', async () => {
    const user = uid('u');
    const { link } = await subscribedTo(user, [weekly, breaking]);
    expect((await postForm(link(weekly), { 'List-Unsubscribe': 'One-Click', scope: 'all' })).status).toBe(200);
    expect(await states(user)).toEqual({ [weekly]: 'unsubscribed', [breaking]: 'subscribed' });
  });

  it('a bad, forged, truncated or unknown token gets one and the same 404 page, and changes nothing', async () => {
    const user = uid('u');
    const { link } = await subscribedTo(user, [weekly]);
    const token = link(weekly).slice(`${BASE}/u/`.length);
    const [id = '', mac = ''] = token.split('.');
    const flip = (s: string, i: number) => s.slice(0, i) + (s.charAt(i) === 'A' ? 'B' : 'A') + s.slice(i + 1);
    const bad = [
      flip(token, token.length - 2),
      flip(token, 6),
      token.slice(0, -1),
      token.slice(0, -4),
      `${token}A`,
      id,
      `${id}.`,
      `.${mac}`,
      `${id}.${mac}.${mac}`,
      await createToken([TEST_SECRETS.UNSUBSCRIBE_SIGNING_KEY], 'sub_00000000000000000000'),
      await createToken(['a-key-that-was-removed'], id),
      'garbage',
      '%3Cscript%3Ealert(1)%3C%2Fscript%3E',
      'x'.repeat(3000),
    ];
    const before = await snapshot(user);
    const bodies = new Set<string>();
    for (const t of bad) {
      for (const method of ['GET', 'POST']) {
        const res = await open(
          `${BASE}/u/${t}`,
          method === 'POST'
            ? { method, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'scope=all' }
            : {},
        );
        expect(res.status, `${method} ${t.slice(0, 40)}`).toBe(404);
        expect(res.headers.get('content-type')).toMatch(/^text\/html/);
        const body = await res.text();
        expect(body).not.toContain(id);
        expect(body).not.toContain(mac);
        bodies.add(body);
      }
    }
    for (const path of ['/u/', '/u', `/u/${token}/extra`]) {
      const res = await open(`${BASE}${path}`);
      expect(res.status).toBe(404);
      bodies.add(await res.text());
    }
    expect(bodies.size).toBe(1);
    expect([...bodies][0]).toContain('Link ungültig');
    expect(await snapshot(user)).toEqual(before);
  });

  it('a link signed with the previous key still works while that key is configured', async () => {
    const user = uid('u');
    const { view } = await subscribedTo(user, [weekly]);
    const id = view.subscriptions[0]?.subscriptionId ?? '';
    const oldLink = `${BASE}/u/${await createToken([TEST_SECRETS.UNSUBSCRIBE_SIGNING_KEY_OLD], id)}`;
    expect((await open(oldLink)).status).toBe(200);
    expect((await postForm(oldLink, { scope: 'one' })).status).toBe(200);
    expect(await states(user)).toEqual({ [weekly]: 'unsubscribed' });
  });

  it('escapes what it shows: a newsletter name is text, never markup', async () => {
    const newsletter = uid('evil');
    await mapNewsletter(newsletter, await ownList('evil'), '<script>alert("x")</script> & <b>Co</b>');
    const user = uid('u');
    const { link } = await subscribedTo(user, [newsletter]);
    const page = await (await open(link(newsletter))).text();
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<b>Co</b>');
    expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;Co&lt;/b&gt;');
  });

  it('reader pages set no cookie, leak no token by referrer, are not cached or indexed', async () => {
    const user = uid('u');
    const { link } = await subscribedTo(user, [weekly]);
    const responses = [
      await open(link(weekly)),
      await postForm(link(weekly), { scope: 'one' }),
      await open(`${BASE}/u/forged.token`),
    ];
    for (const res of responses) {
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-robots-tag')).toBe('noindex, nofollow');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(res.headers.get('content-security-policy')).toContain("form-action 'self'");
    }
  });

  it('the link carries no personal data', async () => {
    const user = uid('u');
    const { email, link } = await subscribedTo(user, [weekly]);
    expect(link(weekly)).toMatch(/^http:\/\/bridge\.test\/u\/sub_[a-z0-9]{20}\.[A-Za-z0-9_-]{22}$/);
    expect(link(weekly)).not.toContain(user);
    expect(link(weekly)).not.toContain(encodeURIComponent(email));
  });
});
