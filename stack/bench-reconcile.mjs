#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
// How long does a report reconciliation of a large list take, in how many chunks (queue
// invocations), with how many Newsletter2Go calls, and how much memory does the worker use?
// Starts the local stack (wrangler dev + libSQL) against an in-process emulator, loads N
// recipients into the emulator and the matching synced subscriptions into the database, puts
// ~1% drift in (spread over the five classes), runs POST /v1/admin/reconciliations
// {mode: report} scoped to that newsletter and waits for it.
//
//   npm run bench:reconcile -- [--sizes 10000,100000] [--drift 0.01] [--timeout-minutes 30] [--log-file stack.log]
//
// The local state is written straight into the database: the portal's bulk path would make the
// worker push every subscription first (that path has its own benchmark, npm run bench:load),
// and mapping the newsletter by PUT would re-push them all.
//
// Memory: workerd's resident set from /proc, sampled every 200 ms, also at each fifth of the list
// (a leak would show as growth from fifth to fifth). That is the whole local runtime (every
// isolate, wrangler's proxy worker, queue state), not the worker's own heap: workerd shows no
// isolate heap without a debugger, and with wrangler 4.86 an attached inspector (Runtime.
// getHeapUsage) made workerd run out of file descriptors and memory within one 100k run.
import { createClient } from '@libsql/client';
import { startStack } from './local-stack.mjs';
import { DEFAULTS as EMULATOR, startEmulator } from './n2g-emulator/emulator.mjs';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000' },
    drift: { type: 'string', default: '0.01' },
    'timeout-minutes': { type: 'string', default: '30' },
    'log-file': { type: 'string' },
  },
});
const SIZES = values.sizes.split(',').map(Number);
const DRIFT = Number(values.drift);
const TIMEOUT_MS = Number(values['timeout-minutes']) * 60_000;

const emu = await startEmulator({
  authKey: EMULATOR.authKey,
  username: EMULATOR.username,
  password: EMULATOR.password,
  lists: [],
  attributes: ['unsubscribe_url'],
  logLimit: 1000,
});
const stack = await startStack({
  // The cron timer stays on: a chunk lost to a reload of wrangler dev is resumed as in production.
  ephemeral: true,
  isolated: true,
  scheduleSeconds: 30,
  log: (source, line) => values['log-file'] && appendFileSync(values['log-file'], `[${source}] ${line}\n`),
  settings: {
    N2G_BASE_URL: emu.url,
    N2G_AUTH_KEY: EMULATOR.authKey,
    N2G_USERNAME: EMULATOR.username,
    N2G_PASSWORD: EMULATOR.password,
  },
});
const db = createClient({ url: stack.libsqlUrl });
const adminToken = String(stack.settings.ADMIN_API_TOKEN).split(/\s+/)[0];
const admin = async (path, init = {}) => {
  const res = await fetch(`${stack.workerUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    signal: AbortSignal.timeout(60_000),
  });
  return { status: res.status, body: await res.json() };
};

const results = [];
try {
  for (const n of SIZES) results.push(await bench(n));
} finally {
  db.close();
  await stack.stop();
  await emu.close();
}

const { RECONCILE_PAGE_SIZE, RECONCILE_TIME_BUDGET_MS, N2G_MAX_REQUESTS_PER_SECOND } = stack.settings;
console.log(
  `\nreport reconciliation, local stack (wrangler dev, libSQL, emulator), page size ${RECONCILE_PAGE_SIZE ?? 1000}, ` +
    `time budget ${RECONCILE_TIME_BUDGET_MS ?? 20000} ms/chunk, ` +
    `N2G_MAX_REQUESTS_PER_SECOND ${N2G_MAX_REQUESTS_PER_SECOND ?? 10}, ${new Date().toISOString()}`,
);
console.table(results);

async function bench(n) {
  const tag = `${n}-${randomBytes(3).toString('hex')}`;
  const newsletterId = `bench-recon-${tag}`;
  const list = emu.control.createList({ name: `Bench ${tag}` }).id;
  const each = Math.max(1, Math.round((n * DRIFT) / 5));
  console.log(`[${n}] loading ${n} recipients and subscriptions, ${each} drifted per class …`);
  const loadStart = Date.now();
  const rows = [];
  for (let i = 0; i < n; i++) {
    const email = `r${i}-${tag}@example.com`;
    const rec = emu.control.insertRecipient({
      list_id: list,
      email,
      first_name: 'Erika',
      last_name: `Muster${i}`,
      gender: 'f',
    });
    rows.push({
      sub: `sub_${randomBytes(10).toString('hex')}`,
      user: `bench-${tag}-${i}`,
      email,
      recipientId: rec.id,
      last: `Muster${i}`,
      state: 'subscribed',
    });
  }
  // Drift, ~DRIFT of the list, one fifth per class, each made as a Newsletter2Go user or the portal would.
  for (let k = 0; k < each; k++) {
    emu.control.deleteRecipient(rows[k].recipientId); // missing
    emu.control.editRecipient(rows[each + k].recipientId, { first_name: 'Changed' }); // profile
    emu.control.editRecipient(rows[2 * each + k].recipientId, { is_unsubscribed: true }); // consent_conflict
    rows[3 * each + k].state = 'unsubscribed'; // stale_subscribed
    emu.control.insertRecipient({ list_id: list, email: `orphan${k}-${tag}@example.com` }); // orphan
  }
  await loadDatabase(newsletterId, list, rows);
  const loadMs = Date.now() - loadStart;

  const workerd = workerdPids(stack.wranglerPid);
  const before = memory(workerd);
  let peakRss = before.rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, memory(workerd).rss)), 200);
  /** RSS when the run had read 0 %, 20 %, … of the list. */
  const byFifth = [];
  const logBefore = emu.control.counters();
  const t0 = Date.now();
  const started = await admin('/v1/admin/reconciliations', {
    method: 'POST',
    body: JSON.stringify({ mode: 'report', newsletterIds: [newsletterId] }),
  });
  if (started.status !== 202) throw new Error(`start refused: ${started.status} ${JSON.stringify(started.body)}`);
  let run = started.body;
  while (run.status === 'running' && Date.now() - t0 < TIMEOUT_MS) {
    await new Promise((r) => setTimeout(r, 250));
    try {
      run = (await admin(`/v1/admin/reconciliations/${run.id}?limit=1`)).body;
      const fifth = Math.floor(((run.progress?.phase === 'remote' ? run.progress.offset : n) / n) * 5);
      while (byFifth.length <= Math.min(fifth, 5)) byFifth.push(mib(memory(workerd).rss));
    } catch (error) {
      console.warn(`[${n}] a status read failed (${error.cause?.code ?? error.message}); reading again`);
    }
  }
  const wallMs = Date.now() - t0;
  clearInterval(sampler);
  while (byFifth.length < 6) byFifth.push(mib(memory(workerd).rss));
  const after = memory(workerd);
  if (run.status !== 'completed') throw new Error(`run ${run.id} ended ${run.status} after ${wallMs} ms: ${run.error}`);
  const expected = { missing: each, profile: each, consent_conflict: each, stale_subscribed: each, orphan: each };
  const ok = Object.entries(expected).every(([k, v]) => run.counts[k] === v);
  const mismatch = ok ? '' : ` (expected ${JSON.stringify(expected)})`;
  console.log(
    `[${n}] ${run.status} in ${wallMs} ms, ${run.totals.chunks} chunks, ${run.providerCalls} provider calls; ` +
      `findings ${JSON.stringify(run.counts)}${mismatch}`,
  );
  return {
    recipients: n,
    'load s': +(loadMs / 1000).toFixed(1),
    'run s': +(run.durationMs / 1000).toFixed(1),
    chunks: run.totals.chunks,
    pages: run.totals.pages,
    'provider calls': run.providerCalls,
    'emulator GETs': callsSince(logBefore, emu.control.counters()),
    'findings ok': ok,
    'workerd RSS MiB before': mib(before.rss),
    'workerd RSS MiB peak': mib(peakRss),
    'workerd VmHWM MiB': mib(after.hwm),
    'workerd RSS MiB at 0/20/…/100 %': byFifth.join(' '),
    'bench+emulator RSS MiB': mib(process.memoryUsage().rss),
  };
}

/** Synced subscriptions and their subscribers, as the worker would hold them after the initial load. */
async function loadDatabase(newsletterId, listId, rows) {
  const past = Date.now() - 3_600_000;
  await db.execute({
    sql: 'insert into newsletters (newsletter_id, list_id, name, created_at, updated_at) values (?, ?, ?, ?, ?)',
    args: [newsletterId, listId, 'Benchmark', past, past],
  });
  for (let i = 0; i < rows.length; i += 500) {
    const slice = rows.slice(i, i + 500);
    await db.batch(
      [
        {
          sql: `insert into subscribers (user_id, email, first_name, last_name, gender, profile_at, created_at, updated_at) values ${slice.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
          args: slice.flatMap((r) => [r.user, r.email, 'Erika', r.last, 'f', past, past, past]),
        },
        {
          sql: `insert into subscriptions (id, user_id, newsletter_id, state, state_at, state_by, version, synced_version, list_id, recipient_id, transfer_status, synced_at, created_at, updated_at) values ${slice.map(() => '(?, ?, ?, ?, ?, ?, 1, 1, ?, ?, ?, ?, ?, ?)').join(', ')}`,
          args: slice.flatMap((r) => [
            r.sub,
            r.user,
            newsletterId,
            r.state,
            past,
            r.state === 'subscribed' ? 'subscription.confirmed' : 'subscription.cancelled',
            listId,
            r.recipientId,
            'synced',
            past,
            past,
            past,
          ]),
        },
      ],
      'write',
    );
  }
}

/** workerd processes in wrangler's process group (Linux /proc). */
function workerdPids(pgid) {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'workerd')
        pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

function memory(pids) {
  let rss = 0,
    hwm = 0;
  for (const pid of pids) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      rss += kb(status, 'VmRSS') * 1024;
      hwm += kb(status, 'VmHWM') * 1024;
    } catch {
      // gone
    }
  }
  return { rss, hwm };
}

function kb(status, key) {
  return Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
}

function mib(bytes) {
  return +(bytes / 1048576).toFixed(1);
}

function callsSince(before, after) {
  const get = (c) =>
    Object.entries(c?.byRoute ?? c ?? {})
      .filter(([k]) => k.startsWith('GET /lists/{list_id}/recipients'))
      .reduce((s, [, v]) => s + (typeof v === 'number' ? v : (v?.count ?? 0)), 0);
  return get(after) - get(before);
}
