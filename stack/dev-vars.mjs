// Settings for the local stack: which names the worker reads, the dev-only defaults, the
// precedence (options > process environment > .dev.vars > local defaults) and the file handed
// to `wrangler dev --env-file`. wrangler reads .dev.vars OR the environment, never both, so
// the stack merges them itself; secrets go into a 0600 file, never onto a command line.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';

/** The contract's §5 names, then the tuning names of src/config.ts (a test keeps them in step). */
export const SETTING_NAMES = Object.freeze([
  'TURSO_DATABASE_URL',
  'TURSO_AUTH_TOKEN',
  'PROVIDER',
  'N2G_BASE_URL',
  'N2G_AUTH_KEY',
  'N2G_USERNAME',
  'N2G_PASSWORD',
  'PORTAL_SIGNING_SECRET',
  'NOTIFY_SIGNING_SECRET',
  'ADMIN_API_TOKEN',
  'UNSUBSCRIBE_SIGNING_KEY',
  'PUBLIC_BASE_URL',
  'PORTAL_WEBHOOK_URL',
  'N2G_TIMEOUT_MS',
  'N2G_MAX_REQUESTS_PER_SECOND',
  'N2G_BULK_SIZE',
  'N2G_LOGIN_RETRY_SECONDS',
  'UNSUBSCRIBE_ATTRIBUTE',
  'DELETED_EMAIL_DOMAIN',
  'SYNC_MAX_ATTEMPTS',
  'SYNC_BACKOFF_BASE_SECONDS',
  'SYNC_BACKOFF_MAX_SECONDS',
  'SWEEP_PENDING_AFTER_SECONDS',
  'NOTICE_RETRY_HOURS',
  'NOTICE_BACKOFF_BASE_SECONDS',
  'NOTICE_BACKOFF_MAX_SECONDS',
  'NOTICE_TIMEOUT_MS',
  'LOG_RETENTION_DAYS',
  'RECONCILE_PAGE_SIZE',
  'RECONCILE_TIME_BUDGET_MS',
  'DEAD_LETTER_QUEUE',
  'BREVO_API_KEY',
  'BREVO_BASE_URL',
  'BREVO_TIMEOUT_MS',
  'BREVO_MAX_REQUESTS_PER_SECOND',
  'BREVO_LINK_ATTRIBUTE_PREFIX',
  'BREVO_KEY_RETRY_SECONDS',
  'ALERT_WEBHOOK_URL',
  'ALERT_SIGNING_SECRET',
  'ALERT_FAILED_THRESHOLD',
  'ALERT_UNSUBSCRIBE_AGE_HOURS',
]);

/**
 * Dev-only values, published with the code: they let the stack start with no configuration and
 * keep unsubscribe links and README examples valid across restarts. Never use them in production.
 */
export const LOCAL_SECRETS = Object.freeze({
  PORTAL_SIGNING_SECRET: 'whsec_AcWsj46nhd/b8+KoozIaAsN3EVXQHeh2mFwmqR6eZkA=',
  NOTIFY_SIGNING_SECRET: 'whsec_8nJ5EYpdTPJWiW7MNgHuVAbWXySSaqygaILe7l/4p/Y=',
  ADMIN_API_TOKEN: 'local-admin-token',
  UNSUBSCRIBE_SIGNING_KEY: 'local-unsubscribe-signing-key-dev-only',
});

/** Settings whose local default is a server the stack starts; given elsewhere, it is not started. */
export const SERVICE_URLS = Object.freeze([
  'TURSO_DATABASE_URL',
  'N2G_BASE_URL',
  'PORTAL_WEBHOOK_URL',
  'PUBLIC_BASE_URL',
]);
export const N2G_LOGIN = Object.freeze(['N2G_AUTH_KEY', 'N2G_USERNAME', 'N2G_PASSWORD']);

/** @typedef {'option' | 'environment' | '.dev.vars' | 'local default' | 'local stack'} Source */

/** The project's .dev.vars as wrangler would read it, or {} when there is none. @param {string} root */
export function readDevVars(root) {
  const path = join(root, '.dev.vars');
  return existsSync(path) ? { ...parseEnv(readFileSync(path, 'utf8')) } : {};
}

/**
 * Layers the given settings; an empty value counts as not given. The service URLs are left
 * open when no layer names them: the caller fills them with the servers it starts.
 * @param {{ env?: Record<string, string | undefined>, devVars?: Record<string, string>,
 *   overrides?: Record<string, string | number | undefined>, localN2gLogin: Record<string, string> }} layers
 *   `env`: only SETTING_NAMES are taken from it (it holds PATH and the like); `.dev.vars` passes
 *   through whole, as wrangler would pass it; `localN2gLogin`: the emulator's credentials, used
 *   only when the worker talks to the emulator (a real account never gets them).
 */
export function resolveSettings({ env = {}, devVars = {}, overrides = {}, localN2gLogin }) {
  /** @type {Record<string, string>} */ const settings = {};
  /** @type {Record<string, Source>} */ const sources = {};
  const put = (
    /** @type {Record<string, unknown>} */ layer,
    /** @type {Source} */ source,
    /** @type {readonly string[]} */ names = Object.keys(layer),
  ) => {
    for (const name of names) {
      const value = layer[name];
      if (value === undefined || value === null || String(value) === '') continue;
      settings[name] = String(value);
      sources[name] = source;
    }
  };
  put(LOCAL_SECRETS, 'local default');
  put(devVars, '.dev.vars');
  put(env, 'environment', SETTING_NAMES);
  put(overrides, 'option');
  if (!('N2G_BASE_URL' in settings))
    put(
      localN2gLogin,
      'local default',
      N2G_LOGIN.filter((n) => !(n in settings)),
    );
  return { settings, sources };
}

/** Fills a setting the stack provides (a server's URL) unless a layer already set it. */
export function provide(
  /** @type {{ settings: Record<string, string>, sources: Record<string, Source> }} */ resolved,
  /** @type {string} */ name,
  /** @type {string} */ value,
) {
  if (name in resolved.settings) return;
  resolved.settings[name] = value;
  resolved.sources[name] = 'local stack';
}

/** The first of a space-separated list (rotation): the one to sign or log in with. */
export const first = (/** @type {string | undefined} */ list) => (list ?? '').trim().split(/\s+/)[0] ?? '';

/**
 * Writes the settings as the env file wrangler reads (owner-only). wrangler parses it with
 * dotenv and then expands `$NAME`, so `$` is escaped and the quote style is chosen per value.
 * @param {string} path @param {Record<string, string>} settings
 */
export function writeEnvFile(path, settings) {
  const lines = Object.entries(settings).map(([name, value]) => `${name}=${quote(name, value)}`);
  writeFileSync(path, `# Written by stack/local-stack.mjs for wrangler dev; removed on stop.\n${lines.join('\n')}\n`, {
    mode: 0o600,
  });
  chmodSync(path, 0o600); // mode applies only when the file is created
}

function quote(/** @type {string} */ name, /** @type {string} */ value) {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`${name}: not a valid setting name`);
  if (/[\r\n]/.test(value)) throw new Error(`${name}: a value with a line break cannot be handed to wrangler`);
  const v = value.replace(/\$/g, '\\$');
  if (!v.includes("'")) return `'${v}'`;
  if (!v.includes('`')) return `\`${v}\``;
  // Inside double quotes dotenv turns \n and \r into line breaks.
  if (!v.includes('"') && !/\\[nr]/.test(v)) return `"${v}"`;
  throw new Error(`${name}: the value mixes ' \` and " and cannot be handed to wrangler`);
}
