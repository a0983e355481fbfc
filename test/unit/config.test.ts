import { describe, expect, it } from 'vitest';
import { ConfigError, getConfig } from '../../src/config';
import { asWorkerEnv } from '../support/env';

/** The settings checks that span more than one value, or carry a contract minimum. */

const valid = () => ({
  TURSO_DATABASE_URL: 'http://127.0.0.1:8080',
  N2G_AUTH_KEY: 'key_abc:def',
  N2G_USERNAME: 'owner@example.org',
  N2G_PASSWORD: 'secret',
  PORTAL_SIGNING_SECRET: 'whsec_cG9ydGFsLXNlY3JldC0wMDAwMDAwMQ==',
  NOTIFY_SIGNING_SECRET: 'whsec_bm90aWZ5LXNlY3JldC0wMDAwMDAwMQ==',
  ADMIN_API_TOKEN: 'admin-token-0000000000000000',
  UNSUBSCRIBE_SIGNING_KEY: 'unsubscribe-key-0000000000000000',
  PUBLIC_BASE_URL: 'https://bridge.example.org',
  PORTAL_WEBHOOK_URL: 'https://portal.example.org/webhooks',
  SYNC_QUEUE: { send: async () => undefined },
});

function problems(env: Record<string, unknown>): string[] {
  try {
    getConfig(asWorkerEnv(env));
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems;
  }
}

describe('configuration', () => {
  it('accepts a complete, consistent environment', () => {
    expect(problems(valid())).toEqual([]);
  });

  it('refuses a notify secret that the portal intake would also accept, without echoing it', () => {
    const env = valid();
    const shared = env.PORTAL_SIGNING_SECRET;
    const found = problems({ ...env, NOTIFY_SIGNING_SECRET: `whsec_b3RoZXItc2VjcmV0LTAwMDAwMDAwMDE= ${shared}` });
    expect(found).toEqual([
      expect.stringMatching(/^NOTIFY_SIGNING_SECRET must differ from every PORTAL_SIGNING_SECRET/),
    ]);
    expect(found.join(' ')).not.toContain(shared);
  });

  it("keeps notices retried for at least the contract's 72 hours", () => {
    expect(problems({ ...valid(), NOTICE_RETRY_HOURS: '24' })).toEqual(['NOTICE_RETRY_HOURS must be at least 72']);
    expect(problems({ ...valid(), NOTICE_RETRY_HOURS: '96' })).toEqual([]);
  });
});
