import { beforeAll, describe, expect, it } from 'vitest';
import { emulator } from '../support/emulator';
import { ownList } from '../support/lists';
import {
  forUser,
  noticesSettled,
  open,
  portal,
  postForm,
  snapshot,
  states,
  subscribedTo,
} from '../support/unsubscribe';
import { mapNewsletter, postEvent, settled, subscriber, uid, waitFor } from '../support/worker';

describe('the reader unsubscribes by link', () => {
  const weekly = uid('weekly');
  const breaking = uid('breaking');
  const unnamed = uid('unnamed');
  let [A, B, C] = ['', '', ''];
  beforeAll(async () => {
    [A, B, C] = await Promise.all([ownList('weekly'), ownList('breaking'), ownList('unnamed')]);
    await mapNewsletter(weekly, A, 'Der Wochenüberblick');
    await mapNewsletter(breaking, B, 'Eilmeldungen');
    await mapNewsletter(unnamed, C);
  });

  it('the link in the recipient attribute opens a German page naming the newsletter, with both buttons', async () => {
    const user = uid('u');
    const { email, link } = await subscribedTo(user, [weekly]);
    const recipient = await emulator.find(A, email);
    expect(recipient?.attributes.unsubscribe_url).toBe(link(weekly));

    const res = await open(String(recipient?.attributes.unsubscribe_url));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-language')).toBe('de');
    const page = await res.text();
    expect(page).toContain('<html lang="de">');
    expect(page).toContain('„Der Wochenüberblick“');
    expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(page).toMatch(/<form method="post">/);
    expect(page).toContain(
      '<button class="primary" type="submit" name="scope" value="one">Von diesem Newsletter abmelden</button>',
    );
    expect(page).toContain(
      '<button class="secondary" type="submit" name="scope" value="all">Von allen meinen Newslettern abmelden</button>',
    );
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toContain(email);
    expect(page).not.toContain(user);
  });

  it('answers in English when the browser prefers it, and names an unnamed newsletter by its id', async () => {
    const user = uid('u');
    const { link } = await subscribedTo(user, [unnamed]);
    const res = await open(link(unnamed), { headers: { 'accept-language': 'en-GB,en;q=0.9,de;q=0.5' } });
    const page = await res.text();
    expect(res.headers.get('content-language')).toBe('en');
    expect(page).toContain('<html lang="en">');
    expect(page).toContain(`“${unnamed}”`);
    expect(page).toContain('Unsubscribe from this newsletter');
    expect(page).toContain('Unsubscribe from all my newsletters');
  });

  it('the button unsubscribes this newsletter only, at Newsletter2Go too, and confirms', async () => {
    const user = uid('u');
    const { email, link } = await subscribedTo(user, [weekly, breaking]);
    const res = await postForm(link(weekly), { scope: 'one' });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('Abmeldung bestätigt');
    expect(page).toContain('„Der Wochenüberblick“');

    expect(await states(user)).toEqual({ [weekly]: 'unsubscribed', [breaking]: 'subscribed' });
    await settled(user);
    expect(await emulator.find(A, email)).toMatchObject({ is_unsubscribed: true });
    expect(await emulator.find(B, email)).toMatchObject({ is_unsubscribed: false });
    const timeline = (await subscriber(user))?.timeline ?? [];
    expect(
      timeline.find(
        (t) => t.kind === 'event.received' && (t.detail as { type?: string }).type === 'subscription.cancelled',
      ),
    ).toMatchObject({
      outcome: 'applied',
      detail: { source: 'unsubscribe-link', newsletterId: weekly },
    });
  });

  it('"all my newsletters" unsubscribes every newsletter of the user', async () => {
    const user = uid('u');
    const { email, link } = await subscribedTo(user, [weekly, breaking, unnamed]);
    const page = await (
      await postForm(link(breaking), { scope: 'all' }, 'urlencoded', { 'accept-language': 'en' })
    ).text();
    expect(page).toContain('You have unsubscribed from all your newsletters');
    expect(await states(user)).toEqual({
      [weekly]: 'unsubscribed',
      [breaking]: 'unsubscribed',
      [unnamed]: 'unsubscribed',
    });
    await settled(user);
    for (const list of [A, B, C]) expect(await emulator.find(list, email)).toMatchObject({ is_unsubscribed: true });
    // One notice per newsletter left, each delivered to the portal.
    const received = await waitFor(async () => {
      const got = await portal.received(forUser(user));
      return got.length >= 3 && got;
    }, 'three notices');
    expect(received.map((n) => n.body.data.newsletterId).sort()).toEqual([weekly, breaking, unnamed].sort());
  });

  it('a POST with no form body unsubscribes that one newsletter', async () => {
    const user = uid('u');
    const { link } = await subscribedTo(user, [weekly, breaking]);
    const res = await open(link(breaking), { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await states(user)).toEqual({ [weekly]: 'subscribed', [breaking]: 'unsubscribed' });
  });

  it('is idempotent: a second POST shows the same confirmation and changes nothing more', async () => {
    const user = uid('u');
    const { link } = await subscribedTo(user, [weekly, breaking]);
    const first = await (await postForm(link(weekly), { scope: 'all' })).text();
    await settled(user);
    expect((await noticesSettled(user, 2)).map((n) => n.status)).toEqual(['delivered', 'delivered']);
    const before = await snapshot(user);

    const second = await postForm(link(weekly), { scope: 'all' });
    expect(second.status).toBe(200);
    expect(await second.text()).toBe(first);
    const third = await postForm(link(weekly), { 'List-Unsubscribe': 'One-Click' });
    expect(third.status).toBe(200);
    expect(await snapshot(user)).toEqual(before);
    expect(await portal.received(forUser(user))).toHaveLength(2);
  });

  it('the link still works after use: unsubscribing again after a re-subscription', async () => {
    const user = uid('u');
    const { email, link } = await subscribedTo(user, [weekly]);
    await postForm(link(weekly), { scope: 'one' });
    await settled(user);
    await postEvent({
      type: 'subscription.confirmed',
      occurredAt: new Date().toISOString(),
      data: { userId: user, newsletterId: weekly, email },
    });
    await settled(user);
    expect(await emulator.find(A, email)).toMatchObject({ is_unsubscribed: false });

    expect((await postForm(link(weekly), { scope: 'one' })).status).toBe(200);
    await settled(user);
    expect(await emulator.find(A, email)).toMatchObject({ is_unsubscribed: true });
    const notices = await waitFor(async () => {
      const got = await portal.received(forUser(user));
      return got.length >= 2 && got;
    }, 'two notices');
    expect(new Set(notices.map((n) => n.id)).size).toBe(2);
  });

  it("a deleted user's link shows the confirmation and changes nothing", async () => {
    const user = uid('u');
    const { link } = await subscribedTo(user, [weekly]);
    await postEvent({ type: 'user.deleted', occurredAt: new Date().toISOString(), data: { userId: user } });
    await settled(user);
    const before = await snapshot(user);
    const res = await postForm(link(weekly), { scope: 'all' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Sie haben alle Ihre Newsletter abbestellt');
    expect(await snapshot(user)).toEqual(before);
    expect(await portal.received(forUser(user))).toHaveLength(0);
  });
});
