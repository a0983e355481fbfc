import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../src/index';
import { TEST_SECRETS } from '../support/settings';
import { at, confirmed, signedRequest, uid } from '../support/worker';

/**
 * A secret the worker cannot use is a configuration error at start, reported by every request
 * (`/health` included) as one problem naming the setting, never its value: not a 500 per event.
 */

/** The worker with one setting replaced; a fresh env object is parsed afresh. */
async function withSetting(name: string, value: string, request: Request): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    request as Request<unknown, IncomingRequestCfProperties>,
    { ...env, [name]: value },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

const cases = [
  ['PORTAL_SIGNING_SECRET', 'whsec_A', /PORTAL_SIGNING_SECRET: the value does not decode as base64/],
  [
    'PORTAL_SIGNING_SECRET',
    `${TEST_SECRETS.PORTAL_SIGNING_SECRET} whsec_${btoa('twenty-three-bytes-only')}`,
    /PORTAL_SIGNING_SECRET: value 2 of 2 decodes to fewer than 24 bytes/,
  ],
  [
    'NOTIFY_SIGNING_SECRET',
    `whsec_${btoa('notify-too-short')}`,
    /NOTIFY_SIGNING_SECRET: the value decodes to fewer than 24 bytes/,
  ],
  [
    'UNSUBSCRIBE_SIGNING_KEY',
    'unsubscribe-key-of-31-character',
    /UNSUBSCRIBE_SIGNING_KEY: the value is shorter than 32/,
  ],
] as const;

describe('unusable secrets are configuration errors, named and never shown', () => {
  it.each(cases)('%s: /health answers 503 with the configuration problem', async (name, value, message) => {
    const res = await withSetting(name, value, new Request('http://bridge.test/health'));
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({
      type: '/docs#problem-configuration',
      status: 503,
      detail: expect.stringMatching(message),
    });
    for (const part of value.split(' ')) expect(text).not.toContain(part);
  });

  it.each(cases)(
    '%s: a signed event and an admin call get the same answer, not a 500',
    async (name, value, message) => {
      const body = JSON.stringify(confirmed(uid('u'), uid('nl'), 'reader@example.com', {}, at()));
      const admin = new Request('http://bridge.test/v1/admin/stats', {
        headers: { authorization: `Bearer ${TEST_SECRETS.ADMIN_API_TOKEN}` },
      });
      for (const request of [await signedRequest(body), admin]) {
        const res = await withSetting(name, value, request);
        expect(res.status, request.url).toBe(503);
        expect(await res.json(), request.url).toMatchObject({
          type: '/docs#problem-configuration',
          detail: expect.stringMatching(message),
        });
      }
    },
  );
});
