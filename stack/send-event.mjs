#!/usr/bin/env node
// Sends one portal event to the worker, signed the Standard Webhooks way, as the portal would:
//
//   npm run send-event -- <type> '<json data>' [--occurred-at ISO] [--id webhook-id] [--url http://localhost:8787]
//   npm run send-event -- subscription.confirmed '{"userId":"u1","newsletterId":"weekly","email":"reader@example.com"}'
//
// The secret is PORTAL_SIGNING_SECRET with the stack's precedence (environment > .dev.vars >
// local default); the first of several is used. Prints the answer and a curl command that
// sends the same signed request (valid for 5 minutes: the timestamp is part of the signature).
import { createHmac, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { first, LOCAL_SECRETS, readDevVars } from './dev-vars.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const USAGE = `usage: npm run send-event -- <type> '<json data>' [--occurred-at ISO] [--id webhook-id] [--url worker-url]
types: subscription.confirmed, subscriber.updated, subscription.cancelled, user.deleted`;

/** Standard Webhooks: base64 HMAC-SHA256 over "{id}.{timestamp}.{body}" with the secret's bytes. */
function signWebhook(
  /** @type {string} */ secret,
  /** @type {string} */ id,
  /** @type {number} */ timestamp,
  /** @type {string} */ body,
) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** Shell-quotes one argument for the printed curl command. */
const sh = (/** @type {string} */ s) => `'${s.replace(/'/g, `'\\''`)}'`;

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'occurred-at': { type: 'string' },
      id: { type: 'string' },
      url: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [type, rawData] = positionals;
  if (values.help || !type || !rawData) return fail(USAGE, values.help ? 0 : 2);
  let data;
  try {
    data = JSON.parse(rawData);
  } catch {
    return fail(`the data is not JSON: ${rawData}\n${USAGE}`, 2);
  }

  const devVars = readDevVars(ROOT);
  const secret = first(
    process.env.PORTAL_SIGNING_SECRET || devVars.PORTAL_SIGNING_SECRET || LOCAL_SECRETS.PORTAL_SIGNING_SECRET,
  );
  const worker = (values.url ?? process.env.WORKER_URL ?? `http://localhost:${process.env.PORT || 8787}`).replace(
    /\/$/,
    '',
  );
  const body = JSON.stringify({ type, occurredAt: values['occurred-at'] ?? new Date().toISOString(), data });
  const id = values.id ?? `evt_${randomBytes(12).toString('hex')}`;
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook(secret, id, timestamp, body),
  };

  let res;
  try {
    res = await fetch(`${worker}/v1/events`, { method: 'POST', headers, body });
  } catch (error) {
    return fail(
      `no answer from ${worker}: ${error instanceof Error ? error.message : String(error)} (is \`npm start\` running?)`,
      1,
    );
  }
  const text = await res.text();
  console.log(`POST ${worker}/v1/events  webhook-id ${id}\n→ ${res.status} ${res.statusText}\n${pretty(text)}`);
  console.log(
    `\nThe same request with curl (signature valid until ${new Date((timestamp + 300) * 1000).toISOString()}):`,
  );
  console.log(
    [
      `curl -i -X POST ${worker}/v1/events`,
      ...Object.entries(headers).map(([k, v]) => `  -H ${sh(`${k}: ${v}`)}`),
      `  --data-raw ${sh(body)}`,
    ].join(' \\\n'),
  );
  process.exitCode = res.ok ? 0 : 1;
}

function pretty(/** @type {string} */ text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function fail(/** @type {string} */ message, /** @type {number} */ code) {
  (code === 0 ? console.log : console.error)(message);
  process.exitCode = code;
}

await main();
