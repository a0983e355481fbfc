#!/usr/bin/env node
// @ts-check
/**
 * Runs the Brevo emulator as a process for the local stack.
 *
 *   node stack/brevo-emulator/cli.mjs [--port 8789] [--host 127.0.0.1] [--api-key KEY]
 *     [--extra-api-key KEY]... [--account-email EMAIL] [--list ID:NAME]... [--attribute NAME]...
 *     [--per-second N|off] [--per-hour N|off] [--quiet]
 *
 * The key falls back to BREVO_API_KEY, then to a built-in default; the port to
 * BREVO_EMULATOR_PORT, then 8789; so it starts with no arguments (two lists, the default
 * attributes, 10 calls/s and 36,000/h on /v3/contacts/*). Stops on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { DEFAULTS, startEmulator } from './emulator.mjs';

const USAGE = `usage: node stack/brevo-emulator/cli.mjs [--port 8789] [--host 127.0.0.1]
  [--api-key KEY] [--extra-api-key KEY]... [--account-email EMAIL]
  [--list ID:NAME]... [--attribute NAME]... [--per-second N|off] [--per-hour N|off] [--quiet]
--list: a list with this integer id (default: ${DEFAULTS.lists.map((l) => `${l.id}:${l.name}`).join(', ')})
--attribute: a normal text attribute besides FIRSTNAME and LASTNAME (names go in capitals)
--per-second / --per-hour: the limits on /v3/contacts/* (default ${DEFAULTS.rateLimits.perSecond} and ${DEFAULTS.rateLimits.perHour}; off = none)
env fallbacks: BREVO_API_KEY, BREVO_EMULATOR_PORT`;

/** @param {string} message @returns {never} */
function die(message) {
  console.error(`brevo-emulator: ${message}\n${USAGE}`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'api-key': { type: 'string' },
      'extra-api-key': { type: 'string', multiple: true },
      'account-email': { type: 'string' },
      list: { type: 'string', multiple: true },
      attribute: { type: 'string', multiple: true },
      'per-second': { type: 'string' },
      'per-hour': { type: 'string' },
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

/** @param {string | undefined} raw @param {string} name @param {number} fallback @returns {number | null} */
function limit(raw, name, fallback) {
  if (raw === 'off') return null;
  const n = whole(raw, name, fallback);
  if (n < 1) die(`${name} must be at least 1, or off`);
  return n;
}

const lists = (args.list ?? []).map((spec) => {
  const i = spec.indexOf(':');
  const id = spec.slice(0, i);
  if (i < 1 || !/^\d+$/.test(id) || Number(id) < 1)
    die(`--list wants ID:NAME with an integer ID, got ${JSON.stringify(spec)}`);
  return { id: Number(id), name: spec.slice(i + 1) || `List ${id}` };
});

/** @type {Awaited<ReturnType<typeof startEmulator>>} */
let emulator;
try {
  emulator = await startEmulator({
    port: whole(args.port ?? process.env.BREVO_EMULATOR_PORT, 'port', 8789),
    host: args.host ?? '127.0.0.1',
    apiKey: args['api-key'] ?? (process.env.BREVO_API_KEY || DEFAULTS.apiKey),
    extraApiKeys: args['extra-api-key'] ?? [],
    accountEmail: args['account-email'] ?? DEFAULTS.accountEmail,
    lists: lists.length ? lists : DEFAULTS.lists,
    attributes: args.attribute ?? DEFAULTS.attributes,
    rateLimits: {
      perSecond: limit(args['per-second'], 'per-second', DEFAULTS.rateLimits.perSecond),
      perHour: limit(args['per-hour'], 'per-hour', DEFAULTS.rateLimits.perHour),
    },
    // Method, path, status and timing only: the log never holds bodies or the key.
    log: args.quiet
      ? () => {}
      : (e) =>
          console.log(
            `${e.time} ${e.method} ${e.path} ${e.status} ${e.durationMs}ms${e.fault ? ` fault=${e.fault}` : ''}${e.rateLimited ? ' rate-limited' : ''}`,
          ),
  });
} catch (e) {
  die(/** @type {Error} */ (e).message);
}

const state = emulator.control.state();
console.log(`Brevo emulator listening on ${emulator.url} (API under /v3)`);
console.log(`  account ${state.account.email}; control: ${emulator.url}/_emulator/`);
for (const l of state.lists) console.log(`  list ${l.id}  ${l.name}`);
console.log(`  attributes: ${state.attributes.map((a) => a.name).join(', ')}`);
const { perSecond, perHour } = state.rateLimits;
console.log(`  rate limits on /v3/contacts/*: ${perSecond ?? 'no'}/s, ${perHour ?? 'no'}/h`);

let stopping = false;
/** @param {string} signal */
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`brevo-emulator: ${signal}, stopping`);
  await emulator.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
