#!/usr/bin/env node
// `npm run bench`: newsletter-bridge at a real database's latency, against a minimal worker.
//
// Starts a libSQL server (migrated), a proxy in front of it that delays every HTTP request by
// --db-delay-ms and counts what passes (stack/bench/db-proxy.mjs), the local stack pointed at
// that proxy, and the minimal worker (stack/bench/minimal-worker/: the same signature check,
// one INSERT, one Queue.send) pointed at it too. Then, per run, for signed single events and
// for one-click unsubscribes, on both workers in turn:
//   - database requests per request: a few requests one at a time, each once the bridge's
//     background work is done and the proxy has been quiet, counting what reaches the proxy
//     from sending until shortly after the answer (the queue consumers, which also use the
//     database, are then idle);
//   - one sender: p50/p95;
//   - --senders concurrent senders: throughput and p50/p95/p99;
// and for newsletter-bridge the time from POST /v1/events to the recipient at the emulator.
// Prints the medians of the runs, the ratios, issue 17's targets, the machine and versions,
// and the whole result as one JSON line (the last line).
//
//   npm run bench -- [--db-delay-ms 20] [--runs 3] [--quick] [--verbose] [sizes, see --help]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createClient } from '@libsql/client';
import { ROOT, startStack } from '../local-stack.mjs';
import { migrateDatabase } from '../migrate.mjs';
import { stackClient } from '../stack-client.mjs';
import { startDbProxy } from './db-proxy.mjs';
import { postOneClick, postSignedEvent, runPhase, signedHeaders, sleep, spread } from './load.mjs';
import { machine, printReport, versions } from './report.mjs';
import { startMinimalWorker } from './start-minimal.mjs';

const SIZES = {
  runs: [3, 1],
  senders: [16, 16],
  sequential: [80, 20],
  concurrent: [400, 64],
  'unsubscribe-sequential': [40, 10],
  'unsubscribe-concurrent': [200, 48],
  counted: [3, 2],
  'end-to-end': [40, 10],
  'max-phase-seconds': [20, 10],
};
const usage = `usage: npm run bench -- [--db-delay-ms 20] [--quick] [--verbose]
  ${Object.entries(SIZES)
    .map(([name, [full, quick]]) => `--${name} N (${full}; --quick ${quick})`)
    .join('\n  ')}`;

const { values } = parseArgs({
  options: {
    'db-delay-ms': { type: 'string', default: '20' },
    quick: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
    ...Object.fromEntries(Object.keys(SIZES).map((name) => [name, { type: /** @type {const} */ ('string') }])),
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
/** @param {keyof typeof SIZES} name */
const size = (name) => {
  const given = /** @type {Record<string, unknown>} */ (values)[name];
  const n = given === undefined ? SIZES[name][values.quick ? 1 : 0] : Number(given);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number ≥ 1`);
  return /** @type {number} */ (n);
};
const delayMs = Number(values['db-delay-ms']);
if (!Number.isFinite(delayMs) || delayMs < 0) throw new Error('--db-delay-ms must be a number ≥ 0');
const sizes = {
  runs: size('runs'),
  senders: size('senders'),
  sequential: size('sequential'),
  concurrent: size('concurrent'),
  unsubscribeSequential: size('unsubscribe-sequential'),
  unsubscribeConcurrent: size('unsubscribe-concurrent'),
  counted: size('counted'),
  endToEnd: size('end-to-end'),
  maxPhaseSeconds: size('max-phase-seconds'),
};
/** A timed phase starts no new request after this: today's bridge would take minutes for 400. */
const maxSeconds = sizes.maxPhaseSeconds;
/** How long the proxy must see nothing before a counted request: longer than the queues' batch timeout (1 s). */
const QUIET_MS = 1500;
/** After a counted answer, requests arriving this long after still count (work the worker does after answering). */
const TAIL_MS = 250;
/** Background work still pending after this is handed to the cron handler (see settle()). */
const STALL_MS = 20_000;
/** @type {Record<string, unknown>[]} */ const stalls = [];

const verbose = values.verbose;

const started = performance.now();
/** Progress on stderr, with the seconds since the start. */
const say = (/** @type {string} */ line) =>
  console.error(`bench │ ${String(Math.round((performance.now() - started) / 1000)).padStart(4)} s │ ${line}`);
const atStart = { machine: machine(), versions: versions(ROOT) };
const workDir = mkdtempSync(join(tmpdir(), 'newsletter-bridge-bench-'));
/** @type {(() => Promise<unknown> | void)[]} */ const cleanups = [];
let cleaning = /** @type {Promise<void> | undefined} */ (undefined);
const cleanUp = () =>
  (cleaning ??= (async () => {
    for (const step of cleanups.reverse())
      await Promise.resolve()
        .then(step)
        .catch((e) => say(`cleanup: ${e instanceof Error ? e.message : e}`));
    rmSync(workDir, { recursive: true, force: true });
  })());
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM']))
  process.once(signal, () => {
    say(`${signal}: stopping`);
    cleanUp().finally(() => process.exit(130));
  });

try {
  say(`starting: libSQL server, proxy (${delayMs} ms), local stack, minimal worker …`);
  const libsql = await startLibsqlChild(join(workDir, 'bench.db'));
  cleanups.push(libsql.stop);
  await migrateDatabase(libsql.url);
  const direct = createClient({ url: libsql.url });
  await direct.execute(
    'CREATE TABLE IF NOT EXISTS bench_minimal_requests (id TEXT PRIMARY KEY, kind TEXT NOT NULL, received_at INTEGER NOT NULL, body TEXT NOT NULL)',
  );
  direct.close();

  const proxy = await startDbProxy({ target: libsql.url, delayMs });
  cleanups.push(proxy.close);

  const stack = await startStack({
    ephemeral: true,
    isolated: true,
    quiet: !verbose,
    log: verbose ? (source, line) => console.error(`[${source}] ${line}`) : undefined,
    // The cron timer's sweep would reach the database in the middle of a counted request.
    scheduleSeconds: 0,
    settings: { TURSO_DATABASE_URL: proxy.url },
  });
  cleanups.push(stack.stop);
  const secret = String(stack.settings.PORTAL_SIGNING_SECRET).trim().split(/\s+/)[0] ?? '';
  const minimal = await startMinimalWorker({
    root: ROOT,
    settings: {
      TURSO_DATABASE_URL: proxy.url,
      PORTAL_SIGNING_SECRET: String(stack.settings.PORTAL_SIGNING_SECRET),
      UNSUBSCRIBE_SIGNING_KEY: String(stack.settings.UNSUBSCRIBE_SIGNING_KEY),
    },
    log: verbose ? (line) => console.error(`[minimal] ${line}`) : undefined,
  });
  cleanups.push(minimal.stop);
  const client = stackClient({
    workerUrl: stack.workerUrl,
    emulatorUrl: String(stack.emulatorUrl),
    portalSecret: secret,
    adminToken: String(stack.settings.ADMIN_API_TOKEN).trim().split(/\s+/)[0] ?? '',
  });
  const workers = { real: stack.workerUrl, minimal: minimal.url };
  const runTag = Date.now().toString(36);
  let eventSeq = 0;
  const nextEventId = () => `evt_bench_${runTag}_${++eventSeq}`;
  const confirmed = (/** @type {string} */ userId, /** @type {string} */ newsletterId) => ({
    type: 'subscription.confirmed',
    occurredAt: new Date(Date.now() - 1000).toISOString(),
    data: { userId, newsletterId, email: `${userId}@example.com`, firstName: 'Bench', lastName: 'Reader' },
  });
  const sendEvent = (/** @type {'real' | 'minimal'} */ who, /** @type {string} */ userId, /** @type {string} */ nl) =>
    postSignedEvent(workers[who], secret, nextEventId(), confirmed(userId, nl));

  // Warm-up: wrangler bundles and workerd compiles on the first requests.
  const warmNewsletter = `bench-${runTag}-warm-up`;
  await client.newsletter(warmNewsletter, 'Bench warm-up');
  for (const who of /** @type {const} */ (['real', 'minimal']))
    for (let i = 0; i < 3; i++) await sendEvent(who, `${runTag}-warm-${who}-${i}`, warmNewsletter);

  /** @type {import('./report.mjs').RunFigures[]} */ const runs = [];
  for (let r = 1; r <= sizes.runs; r++) {
    say(`run ${r} of ${sizes.runs} …`);
    runs.push(await oneRun(r));
  }
  const result = { delayMs, sizes, ...atStart, runs, stalls, seconds: (performance.now() - started) / 1000 };
  printReport(result);
  console.log(JSON.stringify({ bench: 'newsletter-bridge', at: new Date().toISOString(), ...result }));

  /**
   * Waits until newsletter-bridge has nothing left to do in the background (no transfer and no
   * portal notice pending, by the admin stats: a message retried with a delay leaves the proxy
   * quiet for seconds), then until the proxy has been quiet for QUIET_MS. The stack's cron timer
   * is off (its runs would fall into counted requests), and some work waits for the cron: when
   * something is still pending after STALL_MS, the 5-minute cron's handler is fired once, as
   * production's cron would, and the stall is recorded (printed, and in the JSON).
   */
  async function settle() {
    const since = performance.now();
    let fired = false;
    for (;;) {
      const { status, body } = await client.admin('/v1/admin/stats');
      const pending = status === 200 ? body.subscriptions.byTransferStatus.pending + body.notices.pending : -1;
      if (pending === 0) break;
      const waited = performance.now() - since;
      if (!fired && waited > STALL_MS) {
        fired = true;
        const stall = {
          at: Math.round((performance.now() - started) / 1000),
          transfers: body?.subscriptions?.byTransferStatus?.pending,
          notices: body?.notices?.pending,
          stuckNotices: await pendingNotices(),
        };
        stalls.push(stall);
        say(`note: still pending after ${STALL_MS / 1000} s: ${JSON.stringify(stall).slice(0, 400)}; firing the cron`);
        await stack.fireScheduled();
      }
      if (waited > 90_000) {
        say(`warning: still pending after 90 s (${status} ${JSON.stringify(body).slice(0, 200)}); going on`);
        break;
      }
      await sleep(200);
    }
    if (!(await proxy.quiet(QUIET_MS)))
      say(`warning: the database was never quiet for ${QUIET_MS} ms within 120 s; a count may include queue work`);
  }

  /** What the bridge's pending notices say, read straight from the database (not through the proxy). */
  async function pendingNotices() {
    const db = createClient({ url: libsql.url });
    try {
      const { rows } = await db.execute(
        "SELECT id, attempts, next_attempt_at, last_status, last_error, created_at FROM notices WHERE status = 'pending' LIMIT 5",
      );
      return rows.map((r) => ({
        id: r.id,
        attempts: r.attempts,
        dueInSeconds: Math.round((Number(r.next_attempt_at) - Date.now()) / 1000),
        ageSeconds: Math.round((Date.now() - Number(r.created_at)) / 1000),
        lastStatus: r.last_status,
        lastError: r.last_error,
      }));
    } catch (error) {
      return String(error instanceof Error ? error.message : error);
    } finally {
      db.close();
    }
  }

  /**
   * One run: new newsletters, users and links, so nothing of an earlier run is touched again.
   * The two workers take turns phase by phase (which one goes first alternates by run), so
   * each ratio compares figures taken within a minute of each other on a shared machine.
   * @param {number} r @returns {Promise<import('./report.mjs').RunFigures>}
   */
  async function oneRun(r) {
    const tag = `${runTag}-${r}`;
    const eventsNewsletter = `bench-${tag}`;
    await client.newsletter(eventsNewsletter, `Bench ${tag}`);
    const links = await linkPool(tag, sizes.counted + sizes.unsubscribeSequential + sizes.unsubscribeConcurrent);
    const linkAt = (/** @type {Phase} */ phase, /** @type {number} */ i) =>
      /** @type {string} */ (
        links[{ count: 0, seq: sizes.counted, conc: sizes.counted + sizes.unsubscribeSequential }[phase] + i]
      );
    const order = /** @type {const} */ (r % 2 ? ['real', 'minimal'] : ['minimal', 'real']);
    const events = await kindPhases(`run ${r}: signed single events`, order, {
      sequential: sizes.sequential,
      concurrent: sizes.concurrent,
      send: (who, phase, i) => sendEvent(who, `${tag}-${who}-${phase}-${i}`, eventsNewsletter),
    });
    // The minimal worker gets the same links (it only checks their MAC); the bridge unused ones.
    const unsubscribes = await kindPhases(`run ${r}: one-click unsubscribes`, order, {
      sequential: sizes.unsubscribeSequential,
      concurrent: sizes.unsubscribeConcurrent,
      send: (who, phase, i) => postOneClick(linkAt(phase, i).replace(stack.workerUrl, workers[who])),
    });
    say(`run ${r}: end to end …`);
    const endToEndFigures = await endToEnd(tag);
    say(`  p50 ${Math.round(endToEndFigures.p50)} ms, p95 ${Math.round(endToEndFigures.p95)} ms`);
    return { events, unsubscribes, endToEnd: endToEndFigures };
  }

  /**
   * @typedef {'count' | 'seq' | 'conc'} Phase
   * @typedef {'real' | 'minimal'} Who
   */

  /**
   * The three phases of one kind of request, each on both workers in turn. `send(who, phase, i)`
   * sends request i of a phase; every request is a new one (a new user, an unused link).
   * @param {string} label @param {readonly Who[]} order
   * @param {{ sequential: number, concurrent: number, send: (who: Who, phase: Phase, i: number) => Promise<import('./load.mjs').Answer> }} kind
   * @returns {Promise<Record<Who, import('./report.mjs').KindFigures>>}
   */
  async function kindPhases(label, order, { sequential, concurrent, send }) {
    say(`${label}: database requests per request …`);
    const counted = { real: await countRequests('real', send), minimal: await countRequests('minimal', send) };
    say(`${label}: one sender …`);
    /** @type {Partial<Record<Who, import('./load.mjs').PhaseFigures>>} */ const one = {};
    for (const who of order) {
      await settle();
      one[who] = await runPhase({ total: sequential, senders: 1, maxSeconds, send: (i) => send(who, 'seq', i) });
    }
    say(`${label}: ${sizes.senders} senders …`);
    /** @type {Partial<Record<Who, import('./load.mjs').PhaseFigures>>} */ const many = {};
    for (const who of order) {
      await settle();
      many[who] = await runPhase({
        total: concurrent,
        senders: sizes.senders,
        maxSeconds,
        send: (i) => send(who, 'conc', i),
      });
    }
    const figures = /** @type {Record<Who, import('./report.mjs').KindFigures>} */ ({});
    for (const who of order) {
      const o = /** @type {import('./load.mjs').PhaseFigures} */ (one[who]);
      const m = /** @type {import('./load.mjs').PhaseFigures} */ (many[who]);
      figures[who] = { ...counted[who], oneSender: o, concurrent: m };
      const failed = o.requests - o.ok + m.requests - m.ok;
      say(
        `  ${who === 'real' ? 'newsletter-bridge' : 'minimal worker   '}: ${counted[who].dbPerRequest.toFixed(1)} database requests per request; ` +
          `one sender p50 ${Math.round(o.p50)} ms; ${sizes.senders} senders ${m.throughput.toFixed(1)}/s ` +
          `(${m.ok} in ${m.seconds.toFixed(1)} s), p50 ${Math.round(m.p50)} ms${failed ? `; ${failed} failed` : ''}`,
      );
    }
    return figures;
  }

  /**
   * Database requests per request: sizes.counted requests one at a time, counting what reaches
   * the proxy from sending until TAIL_MS after the answer. Before each, the proxy must have been
   * quiet for QUIET_MS, longer than the queues' batch timeout: newsletter-bridge's consumer syncs
   * an accepted event about a second after it and must not be counted with the next one. (The
   * minimal worker's consumer only acks: one quiet moment before the first is enough.)
   * @param {Who} who
   * @param {(who: Who, phase: Phase, i: number) => Promise<import('./load.mjs').Answer>} send
   */
  async function countRequests(who, send) {
    let requests = 0;
    let after = 0;
    /** @type {Record<string, number>} */ const subRequests = {};
    for (let i = 0; i < sizes.counted; i++) {
      if (who === 'real' || i === 0) await settle();
      const from = performance.now();
      const answer = await send(who, 'count', i);
      const to = performance.now();
      if (!answer.ok) throw new Error(`a counted request to the ${who} worker was refused: ${answer.status}`);
      await sleep(TAIL_MS);
      const inside = proxy.arrivedBetween(from, to);
      const behind = proxy.arrivedBetween(to + 1e-6, to + TAIL_MS);
      requests += inside.requests + behind.requests;
      after += behind.requests;
      for (const part of [inside, behind])
        for (const [type, n] of Object.entries(part.subRequests)) subRequests[type] = (subRequests[type] ?? 0) + n;
    }
    const n = sizes.counted;
    return {
      dbPerRequest: requests / n,
      dbAfterAnswer: after / n,
      subRequestsPerRequest: Object.fromEntries(Object.entries(subRequests).map(([t, c]) => [t, c / n])),
    };
  }

  /**
   * Unsubscribe links of fresh subscribers: signed batches of `subscription.confirmed` (500 at
   * most each), then the links from the admin JSON (as stack/bench-unsubscribe.mjs takes them),
   * pointed at 127.0.0.1. Waits until their sync is done, so a reader unsubscribes a
   * subscription Newsletter2Go has.
   * @param {string} tag @param {number} n
   */
  async function linkPool(tag, n) {
    const newsletterId = `bench-${tag}-pool`;
    await client.newsletter(newsletterId, `Bench ${tag} pool`);
    for (let start = 0; start < n; start += 500) {
      const events = Array.from({ length: Math.min(500, n - start) }, (_, i) => ({
        id: nextEventId(),
        ...confirmed(`${tag}-pool-${start + i}`, newsletterId),
      }));
      const body = JSON.stringify({ events });
      const res = await fetch(`${stack.workerUrl}/v1/events/batch`, {
        method: 'POST',
        headers: signedHeaders(secret, nextEventId(), body),
        body,
      });
      const answer = await res.json();
      const accepted = answer.results?.filter((/** @type {{ status: string }} */ x) => x.status === 'accepted').length;
      if (res.status !== 200 || accepted !== events.length)
        throw new Error(`the link pool's batch was refused: ${res.status} ${JSON.stringify(answer).slice(0, 300)}`);
    }
    /** @type {string[]} */ const links = [];
    let cursor = '';
    do {
      const page = await client.admin(
        `/v1/admin/subscriptions?newsletterId=${encodeURIComponent(newsletterId)}&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      if (page.status !== 200) throw new Error(`admin subscriptions answered ${page.status}`);
      for (const item of page.body.items) links.push(`${stack.workerUrl}${new URL(item.unsubscribeUrl).pathname}`);
      cursor = page.body.nextCursor ?? '';
    } while (cursor);
    if (links.length < n) throw new Error(`only ${links.length} of ${n} unsubscribe links`);
    await settle();
    return links;
  }

  /**
   * One sender posts `subscription.confirmed` for new users of a newsletter of its own, one
   * after the other; a poller reads the list at the emulator every 20 ms. Figures: from just
   * before each POST until the poll that first shows the recipient.
   * @param {string} tag
   */
  async function endToEnd(tag) {
    const newsletterId = `bench-${tag}-e2e`;
    const listId = await client.newsletter(newsletterId, `Bench ${tag} end to end`);
    await settle();
    /** @type {Map<string, number>} */ const sent = new Map();
    /** @type {Map<string, number>} */ const seen = new Map();
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const res = await fetch(`${stack.emulatorUrl}/_emulator/state?list_id=${listId}`);
        const state = await res.json();
        const now = performance.now();
        for (const rec of state.recipients ?? [])
          if (sent.has(rec.email) && !seen.has(rec.email)) seen.set(rec.email, now);
        await sleep(20);
      }
    })();
    for (let i = 0; i < sizes.endToEnd; i++) {
      const userId = `${tag}-e2e-${i}`;
      sent.set(`${userId}@example.com`, performance.now());
      const answer = await sendEvent('real', userId, newsletterId);
      if (!answer.ok) throw new Error(`an end-to-end event was refused: ${answer.status}`);
    }
    const deadline = performance.now() + 120_000;
    while (seen.size < sent.size && performance.now() < deadline) await sleep(50);
    polling = false;
    await poller;
    const times = [...seen].map(([email, at]) => at - (sent.get(email) ?? at));
    return { n: sent.size, arrived: seen.size, ...spread(times) };
  }
} catch (error) {
  process.exitCode = 1;
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
} finally {
  await cleanUp();
}

/**
 * The libSQL server in a child process of its own (stack/libsql-server/cli.mjs, which runs
 * startLibsqlServer): its engine calls are synchronous, and in this process they would hold up
 * the senders' clocks and the proxy's timers.
 * @param {string} file
 */
async function startLibsqlChild(file) {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'stack', 'libsql-server', 'cli.mjs'), '--file', file, '--port', '0'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const kill = () => child.kill('SIGKILL');
  process.on('exit', kill);
  createInterface({ input: child.stderr }).on('line', (line) => verbose && console.error(line));
  const url = await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the libSQL server exited (${code}) before it listened`)));
  });
  return {
    url: String(url),
    stop: () =>
      new Promise((resolve) => {
        process.off('exit', kill);
        if (child.exitCode !== null || child.signalCode !== null) return resolve(undefined);
        child.once('exit', () => resolve(undefined));
        child.kill('SIGTERM');
      }),
  };
}
