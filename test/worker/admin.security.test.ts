import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { TEST_SECRETS } from '../support/settings';

/** Every admin route the app registers, with its parameters filled in. */
const ADMIN_ROUTES = [
  ...new Set(
    createApp()
      .routes.filter((r) => r.method !== 'ALL' && r.path.startsWith('/v1/admin/'))
      .map((r) => `${r.method} ${r.path.replace(/:[A-Za-z0-9_]+/g, 'x')}`),
  ),
].map((r) => {
  const [method = 'GET', path = '/'] = r.split(' ');
  return { method, path };
});

const ATTEMPTS: [string, Record<string, string>][] = [
  ['no Authorization header', {}],
  ['an empty header', { authorization: '' }],
  ['Basic instead of Bearer', { authorization: `Basic ${btoa(`admin:${TEST_SECRETS.ADMIN_API_TOKEN}`)}` }],
  ['Bearer without a token', { authorization: 'Bearer' }],
  [
    'two tokens in one header',
    { authorization: `Bearer ${TEST_SECRETS.ADMIN_API_TOKEN} ${TEST_SECRETS.ADMIN_API_TOKEN_2}` },
  ],
  ['a wrong token', { authorization: 'Bearer test-admin-token-3' }],
  ['a prefix of a real token', { authorization: `Bearer ${TEST_SECRETS.ADMIN_API_TOKEN.slice(0, -1)}` }],
  ['a real token with a suffix', { authorization: `Bearer ${TEST_SECRETS.ADMIN_API_TOKEN}x` }],
  ['the token in the query string', {}],
];

describe('admin bearer authentication', () => {
  it('covers every admin route the app registers', () => {
    expect(ADMIN_ROUTES.length).toBeGreaterThanOrEqual(10);
  });

  for (const { method, path } of ADMIN_ROUTES) {
    it(`${method} ${path}: refuses every missing, malformed or wrong token with 401 problem+json and no admin data`, async () => {
      for (const [what, headers] of ATTEMPTS) {
        const token = TEST_SECRETS.ADMIN_API_TOKEN;
        const query = what.includes('query') ? `?token=${token}&access_token=${token}` : '';
        const res = await SELF.fetch(`http://bridge.test${path}${query}`, {
          method,
          headers: { ...headers, 'content-type': 'application/json' },
          body: method === 'GET' ? undefined : '{}',
        });
        expect(res.status, what).toBe(401);
        expect(res.headers.get('content-type'), what).toBe('application/problem+json');
        expect(res.headers.get('www-authenticate'), what).toBe('Bearer realm="newsletter-bridge admin"');
        const body = await res.json<Record<string, unknown>>();
        // The problem and nothing else: no admin data leaks on a refused request.
        expect(Object.keys(body).sort(), what).toEqual(['detail', 'status', 'title', 'type']);
        expect(body, what).toMatchObject({ status: 401, type: '/docs#problem-unauthorized' });
      }
    });
  }

  it('accepts either configured token, and the scheme name in any case', async () => {
    for (const authorization of [
      `Bearer ${TEST_SECRETS.ADMIN_API_TOKEN}`,
      `Bearer ${TEST_SECRETS.ADMIN_API_TOKEN_2}`,
      `bearer ${TEST_SECRETS.ADMIN_API_TOKEN}`,
    ]) {
      const res = await SELF.fetch('http://bridge.test/v1/admin/stats', { headers: { authorization } });
      expect(res.status, authorization).toBe(200);
    }
  });

  it('answers an unknown admin path 401 without a token and 404 with one', async () => {
    expect((await SELF.fetch('http://bridge.test/v1/admin/nothing-here')).status).toBe(401);
    const res = await SELF.fetch('http://bridge.test/v1/admin/nothing-here', {
      headers: { authorization: `Bearer ${TEST_SECRETS.ADMIN_API_TOKEN}` },
    });
    expect(res.status).toBe(404);
  });
});
