import * as v from 'valibot';
import { MIN_SECRET_BYTES, secretProblem } from './lib/webhook-secret';

/**
 * Every binding, variable and secret the worker reads, parsed once per isolate.
 * Nothing downstream touches the raw `env`: a missing or malformed setting is reported once,
 * by name, instead of surfacing as a stack trace in the middle of a request.
 */

const text = (name: string) => v.pipe(v.string(`${name} is missing`), v.trim(), v.nonEmpty(`${name} is missing`));

const url = (name: string) => v.pipe(text(name), v.url(`${name} must be an absolute URL`));

/** Space-separated list, for settings that allow several values at once (rotation). */
const list = (name: string) =>
  v.pipe(
    text(name),
    v.transform((s) => s.split(/\s+/).filter(Boolean)),
  );

/** "the 2nd of 3 values": which one is wrong, never what it holds. */
const which = (index: number, count: number) => (count === 1 ? 'the value' : `value ${index + 1} of ${count}`);

/** A list whose every item must pass `problem`; each bad item is one issue naming the setting. */
const checkedList = (name: string, problem: (item: string) => string | null) =>
  v.pipe(
    list(name),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      dataset.value.forEach((item, i, all) => {
        const found = problem(item);
        if (found) addIssue({ message: `${name}: ${which(i, all.length)} ${found}` });
      });
    }),
  );

// A secret that does not decode, or a short one, would otherwise pass here and fail every
// signature at run time (a 500 per event); Standard Webhooks asks for at least 24 bytes.
const webhookSecrets = (name: string) =>
  checkedList(name, (s) => {
    const found = secretProblem(s);
    return found && `${found} (Standard Webhooks secrets are whsec_<base64> of at least ${MIN_SECRET_BYTES} bytes)`;
  });

/** Unsubscribe links never expire, so their key must resist guessing: 32 characters at least. */
const MIN_UNSUBSCRIBE_KEY_LENGTH = 32;
const unsubscribeKeys = (name: string) =>
  checkedList(name, (key) =>
    key.length < MIN_UNSUBSCRIBE_KEY_LENGTH ? `is shorter than ${MIN_UNSUBSCRIBE_KEY_LENGTH} characters` : null,
  );

const int = (name: string, fallback: number, min: number, max: number) =>
  v.optional(
    v.pipe(
      v.union([v.string(), v.number()], `${name} must be a number`),
      v.transform((x) => Number(x)),
      v.integer(`${name} must be a whole number`),
      v.minValue(min, `${name} must be at least ${min}`),
      v.maxValue(max, `${name} must be at most ${max}`),
    ),
    fallback,
  );

const queue = (name: string) =>
  v.custom<Queue<unknown>>(
    (q) => typeof q === 'object' && q !== null && typeof (q as { send?: unknown }).send === 'function',
    `${name} queue binding is missing`,
  );

/** The settings every provider shares. */
const CommonEntries = {
  TURSO_DATABASE_URL: url('TURSO_DATABASE_URL'),
  TURSO_AUTH_TOKEN: v.optional(v.string()),

  PORTAL_SIGNING_SECRET: webhookSecrets('PORTAL_SIGNING_SECRET'),
  NOTIFY_SIGNING_SECRET: webhookSecrets('NOTIFY_SIGNING_SECRET'),
  ADMIN_API_TOKEN: list('ADMIN_API_TOKEN'),
  UNSUBSCRIBE_SIGNING_KEY: unsubscribeKeys('UNSUBSCRIBE_SIGNING_KEY'),

  PUBLIC_BASE_URL: url('PUBLIC_BASE_URL'),
  PORTAL_WEBHOOK_URL: url('PORTAL_WEBHOOK_URL'),

  // Below the sync queue's max_retries (30 in wrangler.toml), so the worker, not the queue, ends retries.
  SYNC_MAX_ATTEMPTS: int('SYNC_MAX_ATTEMPTS', 8, 1, 25),
  SYNC_BACKOFF_BASE_SECONDS: int('SYNC_BACKOFF_BASE_SECONDS', 5, 0, 3600),
  SYNC_BACKOFF_MAX_SECONDS: int('SYNC_BACKOFF_MAX_SECONDS', 900, 0, 43_200),
  SWEEP_PENDING_AFTER_SECONDS: int('SWEEP_PENDING_AFTER_SECONDS', 300, 0, 86_400),
  // The contract asks for at least 72 hours of retries.
  NOTICE_RETRY_HOURS: int('NOTICE_RETRY_HOURS', 72, 72, 720),
  NOTICE_BACKOFF_BASE_SECONDS: int('NOTICE_BACKOFF_BASE_SECONDS', 30, 1, 3600),
  NOTICE_BACKOFF_MAX_SECONDS: int('NOTICE_BACKOFF_MAX_SECONDS', 21_600, 1, 43_200),
  NOTICE_TIMEOUT_MS: int('NOTICE_TIMEOUT_MS', 10_000, 100, 60_000),
  LOG_RETENTION_DAYS: int('LOG_RETENTION_DAYS', 90, 1, 3650),
  RECONCILE_PAGE_SIZE: int('RECONCILE_PAGE_SIZE', 1000, 10, 5000),
  RECONCILE_TIME_BUDGET_MS: int('RECONCILE_TIME_BUDGET_MS', 20_000, 1000, 600_000),
  DEAD_LETTER_QUEUE: v.optional(text('DEAD_LETTER_QUEUE'), 'newsletter-bridge-dlq'),

  // Alerts to the people who run the worker (notify/alerts.ts): off while ALERT_WEBHOOK_URL is unset.
  ALERT_WEBHOOK_URL: v.optional(url('ALERT_WEBHOOK_URL')),
  ALERT_SIGNING_SECRET: v.optional(webhookSecrets('ALERT_SIGNING_SECRET')),
  ALERT_FAILED_THRESHOLD: int('ALERT_FAILED_THRESHOLD', 0, 0, 1_000_000),
  // Half the 48 hours Gmail and Yahoo allow for honouring an unsubscribe.
  ALERT_UNSUBSCRIBE_AGE_HOURS: int('ALERT_UNSUBSCRIBE_AGE_HOURS', 24, 1, 47),

  SYNC_QUEUE: queue('SYNC_QUEUE'),
};

/**
 * Each provider's own settings, read only when PROVIDER names it: a deployment on one provider
 * never has to carry the other's credentials. Adding a provider adds one entry here (README,
 * "Adding a provider").
 */
const ProviderEntries = {
  newsletter2go: {
    PROVIDER: v.optional(v.literal('newsletter2go'), 'newsletter2go'),
    N2G_BASE_URL: v.optional(url('N2G_BASE_URL'), 'https://api.newsletter2go.com'),
    N2G_AUTH_KEY: text('N2G_AUTH_KEY'),
    N2G_USERNAME: text('N2G_USERNAME'),
    N2G_PASSWORD: text('N2G_PASSWORD'),
    N2G_TIMEOUT_MS: int('N2G_TIMEOUT_MS', 10_000, 100, 60_000),
    N2G_MAX_REQUESTS_PER_SECOND: int('N2G_MAX_REQUESTS_PER_SECOND', 10, 1, 1000),
    N2G_BULK_SIZE: int('N2G_BULK_SIZE', 100, 1, 500),
    /** After a refused login, how long before the password is tried again. */
    N2G_LOGIN_RETRY_SECONDS: int('N2G_LOGIN_RETRY_SECONDS', 60, 0, 86_400),
    UNSUBSCRIBE_ATTRIBUTE: v.optional(
      v.pipe(
        text('UNSUBSCRIBE_ATTRIBUTE'),
        v.regex(/^[a-z0-9_]+$/i, 'UNSUBSCRIBE_ATTRIBUTE must be an attribute name'),
      ),
      'unsubscribe_url',
    ),
    // The dummy address of an erased recipient is deleted-<subscription id>@ this domain. The
    // default is reserved (RFC 2606); if the provider refuses it, use a domain you own with a null
    // MX (RFC 7505). Either way a refused dummy ends in the recipient's removal from the list.
    DELETED_EMAIL_DOMAIN: v.optional(
      v.pipe(
        text('DELETED_EMAIL_DOMAIN'),
        v.regex(
          /^(?=.{1,200}$)([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]$/i,
          'DELETED_EMAIL_DOMAIN must be a domain name such as deleted.invalid',
        ),
      ),
      'deleted.invalid',
    ),
  },
  brevo: {
    PROVIDER: v.literal('brevo'),
    BREVO_API_KEY: text('BREVO_API_KEY'),
    BREVO_BASE_URL: v.optional(url('BREVO_BASE_URL'), 'https://api.brevo.com/v3'),
    BREVO_TIMEOUT_MS: int('BREVO_TIMEOUT_MS', 10_000, 100, 60_000),
    // Brevo's contacts endpoints allow 10 requests/s on every plan: the pacing is per isolate.
    BREVO_MAX_REQUESTS_PER_SECOND: int('BREVO_MAX_REQUESTS_PER_SECOND', 10, 1, 1000),
    /** The link attribute of list L is this prefix and L (attributes are account-wide in Brevo). */
    BREVO_LINK_ATTRIBUTE_PREFIX: v.optional(
      v.pipe(
        text('BREVO_LINK_ATTRIBUTE_PREFIX'),
        v.regex(/^[A-Z][A-Z0-9_]{0,40}$/i, 'BREVO_LINK_ATTRIBUTE_PREFIX must be letters, digits and _'),
      ),
      'UNSUB_URL_',
    ),
    /** After a refused key, how long before it is tried again. */
    BREVO_KEY_RETRY_SECONDS: int('BREVO_KEY_RETRY_SECONDS', 60, 0, 86_400),
  },
};

export const PROVIDERS = Object.keys(ProviderEntries) as (keyof typeof ProviderEntries)[];

/** Every setting the worker may read, whichever provider is chosen (the local stack lists them). */
export const SETTING_ENTRIES: readonly string[] = [
  ...new Set([...Object.keys(CommonEntries), ...Object.values(ProviderEntries).flatMap((e) => Object.keys(e))]),
];

/** A required setting that is absent is named as such (valibot reports it as an object key). */
const missingSetting = (issue: v.BaseIssue<unknown>) =>
  issue.expected?.startsWith('"') ? `${issue.expected.slice(1, -1)} is missing` : 'The environment is not an object';

export const ConfigSchema = v.pipe(
  v.variant(
    'PROVIDER',
    [
      v.object({ ...CommonEntries, ...ProviderEntries.newsletter2go }, missingSetting),
      v.object({ ...CommonEntries, ...ProviderEntries.brevo }, missingSetting),
    ],
    `PROVIDER must be one of ${PROVIDERS.join(', ')}`,
  ),
  v.check(
    (c) => !c.ALERT_WEBHOOK_URL || (c.ALERT_SIGNING_SECRET?.length ?? 0) > 0,
    'ALERT_SIGNING_SECRET is missing: alerts to ALERT_WEBHOOK_URL are signed with it',
  ),
  // A notice signed for the portal must not verify at /v1/events (contract §4).
  v.check(
    (c) => !c.NOTIFY_SIGNING_SECRET.some((s) => c.PORTAL_SIGNING_SECRET.includes(s)),
    'NOTIFY_SIGNING_SECRET must differ from every PORTAL_SIGNING_SECRET: a notice replayed at /v1/events has to fail',
  ),
);

export type Config = v.InferOutput<typeof ConfigSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
  }
}

const cache = new WeakMap<object, Config>();

/**
 * Parses the environment once per isolate (the env object is stable within one). `Env` is what
 * `wrangler types` generates from wrangler.toml (src/worker-configuration.d.ts); the optional
 * tuning settings are read from the same object, which is why the schema, not the type, decides.
 */
export function getConfig(env: Env): Config {
  const hit = cache.get(env);
  if (hit) return hit;
  const result = v.safeParse(ConfigSchema, env);
  if (!result.success) {
    // Messages name the setting; values are never echoed, they may be secrets.
    throw new ConfigError([...new Set(result.issues.map((i) => i.message))]);
  }
  cache.set(env, result.output);
  return result.output;
}
