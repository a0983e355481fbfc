import { describe, expect, it } from 'vitest';
import { ConfigError, getConfig } from '../../src/config';
import { asWorkerEnv } from '../support/env';

/** The settings checks that span more than one value, or carry a contract minimum. */

const valid = () => ({
  TURSO_DATABASE_URL: 'http://127.0.0.1:8080',
  N2G_AUTH_KEY: 'key_abc:def',
  N2G_USERNAME: 'owner@example.org',
  N2G_PASSWORD: 'secret',
  PORTAL_SIGNING_SECRET: 'whsec_cG9ydGFsLXNlY3JldC0wMDAwMDAwMDAwMDAwMDAx',
  NOTIFY_SIGNING_SECRET: 'whsec_bm90aWZ5LXNlY3JldC0wMDAwMDAwMDAwMDAwMDAx',
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
    const found = problems({
      ...env,
      NOTIFY_SIGNING_SECRET: `whsec_b3RoZXItc2VjcmV0LTAwMDAwMDAwMDAwMDAwMDAx ${shared}`,
    });
    expect(found).toEqual([
      expect.stringMatching(/^NOTIFY_SIGNING_SECRET must differ from every PORTAL_SIGNING_SECRET/),
    ]);
    expect(found.join(' ')).not.toContain(shared);
  });

  it("keeps notices retried for at least the contract's 72 hours", () => {
    expect(problems({ ...valid(), NOTICE_RETRY_HOURS: '24' })).toEqual(['NOTICE_RETRY_HOURS must be at least 72']);
    expect(problems({ ...valid(), NOTICE_RETRY_HOURS: '96' })).toEqual([]);
  });

  describe('secrets that would fail every request are refused at start, by name and never by value', () => {
    const refused = (name: string, value: string) => {
      const found = problems({ ...valid(), [name]: value });
      for (const part of value.split(' ')) expect(found.join(' ')).not.toContain(part);
      return found;
    };

    it.each(['PORTAL_SIGNING_SECRET', 'NOTIFY_SIGNING_SECRET'])('%s: a whsec_ value that is not base64', (name) => {
      // whsec_A passes a pattern of base64 characters, but no decoder takes one character.
      expect(refused(name, 'whsec_A')).toEqual([
        expect.stringMatching(new RegExp(`^${name}: the value does not decode as base64`)),
      ]);
      expect(refused(name, 'whsec_AB=')).toEqual([expect.stringMatching(/does not decode as base64/)]);
    });

    it.each(['PORTAL_SIGNING_SECRET', 'NOTIFY_SIGNING_SECRET'])('%s: a secret of fewer than 24 bytes', (name) => {
      const short = `whsec_${btoa('x'.repeat(23))}`;
      expect(refused(name, short)).toEqual([
        expect.stringMatching(new RegExp(`^${name}: the value decodes to fewer than 24 bytes`)),
      ]);
      expect(problems({ ...valid(), [name]: `whsec_${btoa(`${name}-${'x'.repeat(24)}`)}` })).toEqual([]);
    });

    it('says which of several rotated secrets is wrong', () => {
      const good = valid().PORTAL_SIGNING_SECRET;
      expect(refused('PORTAL_SIGNING_SECRET', `${good} whsec_A`)).toEqual([
        expect.stringMatching(/^PORTAL_SIGNING_SECRET: value 2 of 2 does not decode as base64/),
      ]);
    });

    it('an unsubscribe key of fewer than 32 characters', () => {
      const short = 'k'.repeat(31);
      expect(refused('UNSUBSCRIBE_SIGNING_KEY', short)).toEqual([
        'UNSUBSCRIBE_SIGNING_KEY: the value is shorter than 32 characters',
      ]);
      expect(refused('UNSUBSCRIBE_SIGNING_KEY', `${'k'.repeat(32)} ${short}`)).toEqual([
        'UNSUBSCRIBE_SIGNING_KEY: value 2 of 2 is shorter than 32 characters',
      ]);
      expect(problems({ ...valid(), UNSUBSCRIBE_SIGNING_KEY: 'k'.repeat(32) })).toEqual([]);
    });
  });
});

describe('the provider choice', () => {
  const withoutN2g = () => {
    const { N2G_AUTH_KEY: _k, N2G_USERNAME: _u, N2G_PASSWORD: _p, ...rest } = valid();
    return rest;
  };

  it('defaults to Newsletter2Go, whose login is then required, each setting named', () => {
    expect(getConfig(asWorkerEnv(valid())).PROVIDER).toBe('newsletter2go');
    expect(problems(withoutN2g())).toEqual([
      'N2G_AUTH_KEY is missing',
      'N2G_USERNAME is missing',
      'N2G_PASSWORD is missing',
    ]);
    expect(problems({ ...withoutN2g(), PROVIDER: 'newsletter2go' })).toHaveLength(3);
  });

  it('refuses a provider it has no adapter for with one issue naming the choices', () => {
    expect(problems({ ...valid(), PROVIDER: 'mailchimp' })).toEqual(['PROVIDER must be one of newsletter2go, brevo']);
  });

  it("reads Brevo's settings only when Brevo is chosen, and then needs its key, not Newsletter2Go's login", () => {
    expect(problems({ ...withoutN2g(), PROVIDER: 'brevo' })).toEqual(['BREVO_API_KEY is missing']);
    const config = getConfig(asWorkerEnv({ ...withoutN2g(), PROVIDER: 'brevo', BREVO_API_KEY: 'xkeysib-test' }));
    expect(config).toMatchObject({
      PROVIDER: 'brevo',
      BREVO_BASE_URL: 'https://api.brevo.com/v3',
      BREVO_MAX_REQUESTS_PER_SECOND: 10,
      BREVO_LINK_ATTRIBUTE_PREFIX: 'UNSUB_URL_',
    });
    expect(config).not.toHaveProperty('N2G_BASE_URL');
    expect(
      problems({ ...withoutN2g(), PROVIDER: 'brevo', BREVO_API_KEY: 'k', BREVO_LINK_ATTRIBUTE_PREFIX: 'bad-' }),
    ).toEqual(['BREVO_LINK_ATTRIBUTE_PREFIX must be letters, digits and _']);
  });
});

describe('alerts', () => {
  it('are off by default, and need their own signing secret once a webhook is set', () => {
    expect(getConfig(asWorkerEnv(valid())).ALERT_WEBHOOK_URL).toBeUndefined();
    expect(problems({ ...valid(), ALERT_WEBHOOK_URL: 'https://hooks.example.com/alerts' })).toEqual([
      'ALERT_SIGNING_SECRET is missing: alerts to ALERT_WEBHOOK_URL are signed with it',
    ]);
    expect(
      problems({
        ...valid(),
        ALERT_WEBHOOK_URL: 'https://hooks.example.com/alerts',
        ALERT_SIGNING_SECRET: 'whsec_YWxlcnQtc2lnbmluZy1zZWNyZXQtMDAwMDAwMDE=',
        ALERT_UNSUBSCRIBE_AGE_HOURS: '48',
      }),
    ).toEqual(['ALERT_UNSUBSCRIBE_AGE_HOURS must be at most 47']);
  });
});
