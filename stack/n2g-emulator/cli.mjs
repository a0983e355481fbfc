#!/usr/bin/env node
// @ts-check
/**
 * Runs the Newsletter2Go emulator as a process for the local stack.
 *
 *   node stack/n2g-emulator/cli.mjs [--port 8788] [--host 127.0.0.1]
 *     [--auth-key 'key_abc:secret'] [--username a@b.de] [--password pw]
 *     [--list abcd1234:Weekly]... [--attribute unsubscribe_url]... [--global-attribute NAME]...
 *     [--access-ttl 7200] [--refresh-ttl 2592000] [--quiet]
 *
 * Credentials fall back to N2G_AUTH_KEY / N2G_USERNAME / N2G_PASSWORD, then to built-in
 * defaults, so it starts with no arguments (two lists, attribute unsubscribe_url on both).
 * `--attribute` makes an attribute of each configured list (lists created later lack it);
 * `--global-attribute` a global one, on every list.
 * The port falls back to N2G_EMULATOR_PORT, then 8788. Stops on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { DEFAULTS, startEmulator } from './emulator.mjs';

const USAGE = `usage: node stack/n2g-emulator/cli.mjs [--port 8788] [--host 127.0.0.1]
  [--auth-key KEY] [--username EMAIL] [--password PW]
  [--list ID:NAME]... [--attribute NAME]... [--global-attribute NAME]...
  [--access-ttl S] [--refresh-ttl S] [--quiet]
--attribute: an attribute of each --list (default unsubscribe_url); lists created later lack it
--global-attribute: an attribute of every list, those created later too
env fallbacks: N2G_AUTH_KEY, N2G_USERNAME, N2G_PASSWORD, N2G_EMULATOR_PORT`;

/** @param {string} message */
function die(message) {
  console.error(`n2g-emulator: ${message}\n${USAGE}`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'auth-key': { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      list: { type: 'string', multiple: true },
      attribute: { type: 'string', multiple: true },
      'global-attribute': { type: 'string', multiple: true },
      'access-ttl': { type: 'string' },
      'refresh-ttl': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
} catch (e) {
  die(/** @type {Error} */ (e).message);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

/** @param {string | undefined} raw @param {string} name @param {number} fallback */
function whole(raw, name, fallback) {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) die(`${name} must be a whole number`);
  return Number(raw);
}

const lists = (args.list ?? []).map((spec) => {
  const i = spec.indexOf(':');
  if (i < 1) die(`--list wants ID:NAME, got ${JSON.stringify(spec)}`);
  return { id: spec.slice(0, i), name: spec.slice(i + 1) || spec.slice(0, i) };
});

let emulator;
try {
  emulator = await startEmulator({
    port: whole(args.port ?? process.env.N2G_EMULATOR_PORT, 'port', 8788),
    host: args.host ?? '127.0.0.1',
    authKey: args['auth-key'] ?? (process.env.N2G_AUTH_KEY || DEFAULTS.authKey),
    username: args.username ?? (process.env.N2G_USERNAME || DEFAULTS.username),
    password: args.password ?? (process.env.N2G_PASSWORD || DEFAULTS.password),
    lists: lists.length ? lists : DEFAULTS.lists,
    attributes: args.attribute?.length ? args.attribute : DEFAULTS.attributes,
    globalAttributes: args['global-attribute'] ?? DEFAULTS.globalAttributes,
    accessTokenTtlSeconds: whole(args['access-ttl'], 'access-ttl', 7200),
    refreshTokenTtlSeconds: whole(args['refresh-ttl'], 'refresh-ttl', 2592000),
    // Method, path, status and timing only: the log never holds bodies or tokens.
    log: args.quiet
      ? () => {}
      : (e) =>
          console.log(
            `${e.time} ${e.method} ${e.path} ${e.status} ${e.durationMs}ms${e.fault ? ` fault=${e.fault}` : ''}`,
          ),
  });
} catch (e) {
  die(/** @type {Error} */ (e).message);
}

const state = emulator.control.state();
console.log(`Newsletter2Go emulator listening on ${emulator.url}`);
console.log(`  account ${state.accountId}; control: ${emulator.url}/_emulator/`);
for (const l of state.lists) console.log(`  list ${l.id}  ${l.name}`);
const attributeText = (/** @type {{ name: string, is_global: boolean, list_ids: string[] }} */ a) =>
  `${a.name} (${a.is_global ? 'global' : a.list_ids.join(', ') || 'no list'})`;
console.log(`  attributes: ${state.attributes.map(attributeText).join('; ') || '(none)'}`);

let stopping = false;
/** @param {string} signal */
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`n2g-emulator: ${signal}, stopping`);
  await emulator.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
