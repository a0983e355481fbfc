import { SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { ownList } from '../support/lists';
import { TEST_SECRETS } from '../support/settings';
import { forUser, noticesSettled, portal, postForm, subscribedTo } from '../support/unsubscribe';
import { mapNewsletter, postEvent, signedRequest, uid } from '../support/worker';

describe('notices cannot be turned against the worker', () => {
  const breaking = uid('breaking');
  beforeAll(async () => {
    await mapNewsletter(breaking, await ownList('breaking'));
  });

  it('a notice replayed at /v1/events is refused with 401: it is signed with the notify secret', async () => {
    const user = uid('u');
    const { email, link } = await subscribedTo(user, [breaking]);
    await postForm(link(breaking), { scope: 'one' });
    await noticesSettled(user, 1);
    const [notice] = await portal.received(forUser(user));
    const raw = JSON.stringify(notice?.body);
    expect(raw).not.toContain(email);

    const replay = await SELF.fetch(
      await signedRequest(raw, { id: notice?.id, secret: TEST_SECRETS.NOTIFY_SIGNING_SECRET }),
    );
    expect(replay.status).toBe(401);
    expect(replay.headers.get('content-type')).toBe('application/problem+json');

    // The body itself is a valid portal event: only the secret keeps it out.
    const signedByPortal = await postEvent(notice?.body, { secret: TEST_SECRETS.PORTAL_SIGNING_SECRET });
    expect(signedByPortal.status).toBe(202);
  });
});
