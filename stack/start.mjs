#!/usr/bin/env node
// `npm start`: the whole local stack in one terminal. Prints where everything listens, tails
// every part's output with a prefix, and on Ctrl-C / SIGTERM stops all of it, wrangler's
// workerd children included. Settings: environment > .dev.vars > local defaults.
import { relative } from 'node:path';
import { DEFAULTS as BREVO } from './brevo-emulator/emulator.mjs';
import { ROOT, SCHEDULED_CRON, startStack } from './local-stack.mjs';
import { DEFAULTS as EMULATOR } from './n2g-emulator/emulator.mjs';

const WIDTH = 7;
const print = (/** @type {string} */ source, /** @type {string} */ line) =>
  console.log(`${source.padEnd(WIDTH)}│ ${line}`);

/** @type {Awaited<ReturnType<typeof startStack>> | undefined} */
let stack;
let stopping = false;

async function shutdown(/** @type {string} */ why, code = 0) {
  if (stopping) {
    // A second Ctrl-C: leave now; local-stack's exit hook kills wrangler's group.
    console.log(`${why} again: leaving at once`);
    process.exit(130);
  }
  stopping = true;
  console.log(`\n${why}: stopping the local stack…`);
  if (!stack) process.exit(130); // still starting: the exit hook takes wrangler down
  await stack.stop();
  console.log('stopped.');
  process.exit(code);
}
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP']))
  process.on(signal, () => void shutdown(signal));
// `kill <npm's pid>` reaches npm's shell, not this process: when the parent goes, so do we.
const parent = process.ppid;
setInterval(() => !stopping && process.ppid !== parent && void shutdown('the parent process exited'), 1000).unref();

console.log(
  `Starting the local stack (libSQL, ${process.env.PROVIDER === 'brevo' ? 'Brevo' : 'Newsletter2Go'} emulator, portal receiver, wrangler dev)…`,
);
try {
  const every = process.env.CRON_EVERY_SECONDS;
  stack = await startStack({ log: print, scheduleSeconds: every === undefined || every === '' ? 30 : Number(every) });
} catch (error) {
  console.error(`\nThe local stack did not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

const { settings, sources } = stack;
const local = (/** @type {string} */ name) => sources[name] === 'local default';
const origin = (/** @type {string} */ name) => `(${sources[name]})`;
const health = stack.health.body?.status ?? `HTTP ${stack.health.status}`;
const worker = settings.PUBLIC_BASE_URL ?? stack.workerUrl;
const adminToken = local('ADMIN_API_TOKEN')
  ? settings.ADMIN_API_TOKEN
  : `the ADMIN_API_TOKEN you set ${origin('ADMIN_API_TOKEN')}`;
const rows = [
  ['worker', `${worker}   health: ${health}${stack.health.status === 200 ? '' : ` (${worker}/health says why)`}`],
  ['admin token', `${adminToken}   → Authorization: Bearer …`],
  [
    'portal secret',
    local('PORTAL_SIGNING_SECRET')
      ? 'local default (npm run send-event signs with it)'
      : `set ${origin('PORTAL_SIGNING_SECRET')}`,
  ],
  settings.PROVIDER === 'brevo'
    ? [
        'Brevo',
        stack.emulatorUrl
          ? `${stack.emulatorUrl}/v3   emulator, lists ${BREVO.lists.map((l) => l.id).join(', ')}; control API ${stack.emulatorUrl}/_emulator/`
          : `${settings.BREVO_BASE_URL}   ${origin('BREVO_BASE_URL')}, no emulator`,
      ]
    : [
        'Newsletter2Go',
        stack.emulatorUrl
          ? `${stack.emulatorUrl}   emulator, lists ${EMULATOR.lists.map((l) => l.id).join(', ')}; control API ${stack.emulatorUrl}/_emulator/`
          : `${settings.N2G_BASE_URL}   ${origin('N2G_BASE_URL')}, no emulator`,
      ],
  [
    'portal',
    stack.portalUrl
      ? `${settings.PORTAL_WEBHOOK_URL}   receiver; what it got: ${stack.portalUrl}/_receiver/received`
      : `${settings.PORTAL_WEBHOOK_URL}   ${origin('PORTAL_WEBHOOK_URL')}, no receiver`,
  ],
  [
    'database',
    stack.dbFile
      ? `${relative(ROOT, stack.dbFile)} served at ${stack.libsqlUrl}`
      : `${new URL(settings.TURSO_DATABASE_URL ?? 'http://?').host} ${origin('TURSO_DATABASE_URL')}`,
  ],
  ['cron', `"${SCHEDULED_CRON}" fired every ${stack.scheduleSeconds} s (wrangler dev never fires it)`],
  ['settings', summarise(sources)],
];
const label = Math.max(...rows.map(([k]) => (k ?? '').length));
console.log('\n  newsletter-bridge is running\n');
for (const [k, v] of rows) console.log(`  ${(k ?? '').padEnd(label)}  ${v}`);
for (const note of stack.notes) console.log(`  note: ${note}`);
console.log(`
  Try:
    curl ${worker}/health
    curl -X PUT ${worker}/v1/admin/newsletters/weekly -H 'authorization: Bearer ${local('ADMIN_API_TOKEN') ? settings.ADMIN_API_TOKEN : '<token>'}' \\
         -H 'content-type: application/json' -d '{"listId":"${EMULATOR.lists[0]?.id}","name":"Weekly digest"}'
    npm run send-event -- subscription.confirmed '{"userId":"u1","newsletterId":"weekly","email":"reader@example.com"}'
    curl ${worker}/v1/admin/subscribers/u1 -H 'authorization: Bearer …'

  Ctrl-C stops everything.
`);

stack.workerExited.then(({ code, signal }) => {
  if (!stopping) void shutdown(`wrangler exited on its own (${signal ?? `code ${code}`})`, 1);
});

/**
 * "environment: 3, .dev.vars: 2, local defaults: 6" — names, never values.
 * @param {Record<string, string>} sources
 */
function summarise(sources) {
  /** @type {Record<string, string[]>} */
  const by = {};
  for (const [name, source] of Object.entries(sources)) {
    by[source] ??= [];
    by[source].push(name);
  }
  return Object.entries(by)
    .map(
      ([source, names]) =>
        `${source}: ${source === 'local default' || source === 'local stack' ? names.length : names.join(', ')}`,
    )
    .join('; ');
}
