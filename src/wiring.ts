import type { Config } from './config';
import type { Db } from './db/client';
import { dbSessionStore } from './db/provider-sessions';
import type { NewsletterProvider } from './ports/provider';
import { BrevoProvider } from './providers/brevo/adapter';
import { KeyGate } from './providers/brevo/key-gate';
import { Transport } from './providers/http/transport';
import { Newsletter2GoProvider } from './providers/newsletter2go/adapter';
import { TokenManager } from './providers/newsletter2go/auth';

/** The configured provider (PROVIDER). One instance per request or queue batch. */
export function createProvider(config: Config, db: Db): NewsletterProvider {
  switch (config.PROVIDER) {
    case 'newsletter2go':
      return newsletter2go(config, db);
    case 'brevo':
      return brevo(config, db);
  }
}

/** Brevo counts calls per second: the pacing leaves this much room for the network's jitter. */
const BREVO_WINDOW_GUARD_MS = 150;

function brevo(config: Extract<Config, { PROVIDER: 'brevo' }>, db: Db): NewsletterProvider {
  const transport = new Transport({
    label: 'Brevo',
    baseUrl: config.BREVO_BASE_URL,
    timeoutMs: config.BREVO_TIMEOUT_MS,
    maxRequestsPerSecond: config.BREVO_MAX_REQUESTS_PER_SECOND,
    pacing: { windowGuardMs: BREVO_WINDOW_GUARD_MS },
  });
  const gate = new KeyGate(dbSessionStore(db, config.PROVIDER), config.BREVO_KEY_RETRY_SECONDS * 1000);
  return new BrevoProvider(
    transport,
    { value: config.BREVO_API_KEY, gate },
    { timeoutMs: config.BREVO_TIMEOUT_MS, linkAttributePrefix: config.BREVO_LINK_ATTRIBUTE_PREFIX },
  );
}

function newsletter2go(config: Extract<Config, { PROVIDER: 'newsletter2go' }>, db: Db): NewsletterProvider {
  const transport = new Transport({
    label: 'Newsletter2Go',
    baseUrl: config.N2G_BASE_URL,
    timeoutMs: config.N2G_TIMEOUT_MS,
    maxRequestsPerSecond: config.N2G_MAX_REQUESTS_PER_SECOND,
  });
  const tokens = new TokenManager(
    transport,
    dbSessionStore(db, config.PROVIDER),
    {
      authKey: config.N2G_AUTH_KEY,
      username: config.N2G_USERNAME,
      password: config.N2G_PASSWORD,
    },
    { loginRetryAfterMs: config.N2G_LOGIN_RETRY_SECONDS * 1000 },
  );
  return new Newsletter2GoProvider(transport, tokens, {
    limits: { timeoutMs: config.N2G_TIMEOUT_MS, bulkSize: config.N2G_BULK_SIZE },
    linkAttribute: config.UNSUBSCRIBE_ATTRIBUTE,
    deletedEmailDomain: config.DELETED_EMAIL_DOMAIN,
  });
}
