#!/usr/bin/env node
// `npm run bench`: newsletter-bridge at a real database's latency, against a minimal worker.
//
// Starts a libSQL server (migrated), a proxy in front of it that delays every HTTP request by
// --db-delay-ms and counts what passes (stack/bench/db-proxy.mjs), the local stack pointed at
// that proxy, and the minimal worker (stack/bench/minimal-worker/: the same signature check,
// one INSERT, one Queue.send) pointed at it too. Then, per run, for signed single events and
// for one-click unsubscribes, on both workers:
//   - database requests per request: a few requests one at a time, each after the proxy has
//     been quiet, counting what reaches the proxy between sending and shortly after the answer
//     (the queue consumers, which also use the database, are then idle);
//   - one sender: p50/p95;
//   - --senders concurrent senders: throughput and p50/p95/p99, and every database request
//     until the proxy is quiet again ÷ accepted (the queue consumer's work included);
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
  concurrent: [256, 64],
  'unsubscribe-sequential': [40, 10],
  'unsubscribe-concurrent': [128, 48],
  counted: [3, 2],
  'end-to-end': [40, 10],
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
};
/** How long the proxy must see nothing before a counted request: longer than the queues' batch timeout (1 s). */
const QUIET_MS = 1500;
/** After a counted answer, requests arriving this long after still count (work the worker does after answering). */
const TAIL_MS = 250;

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
  const result = { delayMs, sizes, ...atStart, runs, seconds: (performance.now() - started) / 1000 };
  printReport(result);
  console.log(JSON.stringify({ bench: 'newsletter-bridge', at: new Date().toISOString(), ...result }));

  /** Waits until the proxy has been quiet for QUIET_MS; says so when it never was. */
  async function settle() {
    if (!(await proxy.quiet(QUIET_MS)))
      say(`warning: the database was never quiet for ${QUIET_MS} ms within 120 s; a count may include queue work`);
  }

  /**
   * One run: new newsletters and users, so nothing of an earlier run is touched again.
   * @param {number} r @returns {Promise<import('./report.mjs').RunFigures>}
   */
  async function oneRun(r) {
    const tag = `${runTag}-${r}`;
    const eventsNewsletter = `bench-${tag}`;
    await client.newsletter(eventsNewsletter, `Bench ${tag}`);
    const links = await linkPool(tag, sizes.counted + sizes.unsubscribeSequential + sizes.unsubscribeConcurrent);
    const linkAt = (/** @type {'count' | 'seq' | 'conc'} */ phase, /** @type {number} */ i) =>
      /** @type {string} */ (
        links[{ count: 0, seq: sizes.counted, conc: sizes.counted + sizes.unsubscribeSequential }[phase] + i]
      );
    const figures = new Map();
    // Alternate which worker goes first, so a drift over a run does not favour one of them.
    for (const who of /** @type {const} */ (r % 2 ? ['real', 'minimal'] : ['minimal', 'real'])) {
      const name = who === 'real' ? 'newsletter-bridge' : 'minimal worker';
      say(`run ${r}: ${name}: signed single events …`);
      const events = await kindPhases(who, { sequential: sizes.sequential, concurrent: sizes.concurrent }, (phase, i) =>
        sendEvent(who, `${tag}-${who}-${phase}-${i}`, eventsNewsletter),
      );
      // The minimal worker gets the same links (it only checks their MAC); the bridge unused ones.
      say(`run ${r}: ${name}: one-click unsubscribes …`);
      const unsubscribes = await kindPhases(
        who,
        { sequential: sizes.unsubscribeSequential, concurrent: sizes.unsubscribeConcurrent },
        (phase, i) => postOneClick(linkAt(phase, i).replace(stack.workerUrl, workers[who])),
      );
      figures.set(who, { events, unsubscribes });
      if (who === 'real') {
        say(`run ${r}: end to end …`);
        figures.set('endToEnd', await endToEnd(tag));
      }
    }
    const [real, min] = [figures.get('real'), figures.get('minimal')];
    return {
      events: { real: real.events, minimal: min.events },
      unsubscribes: { real: real.unsubscribes, minimal: min.unsubscribes },
      endToEnd: figures.get('endToEnd'),
    };
  }

  /**
   * The three phases for one worker and one kind of request. `send(phase, i)` sends request i of
   * a phase; every request is a new one (a new user, an unused link).
   * @param {'real' | 'minimal'} who
   * @param {{ sequential: number, concurrent: number }} total
   * @param {(phase: 'count' | 'seq' | 'conc', i: number) => Promise<import('./load.mjs').Answer>} send
   * @returns {Promise<import('./report.mjs').KindFigures>}
   */
  async function kindPhases(who, total, send) {
    // The minimal worker's consumer only acks, so one quiet moment before its counted requests
    // is enough; newsletter-bridge's consumer syncs each accepted event a second later.
    const counted = { requests: 0, after: 0, /** @type {Record<string, number>} */ subRequests: {} };
    for (let i = 0; i < sizes.counted; i++) {
      if (who === 'real' || i === 0) await settle();
      const from = performance.now();
      const answer = await send('count', i);
      const to = performance.now();
      if (!answer.ok) throw new Error(`a counted request was refused: ${answer.status}`);
      await sleep(TAIL_MS);
      const during = proxy.arrivedBetween(from, to);
      const after = proxy.arrivedBetween(to + 1e-6, to + TAIL_MS);
      counted.requests += during.requests + after.requests;
      counted.after += after.requests;
      for (const part of [during, after])
        for (const [type, n] of Object.entries(part.subRequests))
          counted.subRequests[type] = (counted.subRequests[type] ?? 0) + n;
    }
    await settle();
    const oneSender = await runPhase({ total: total.sequential, senders: 1, send: (i) => send('seq', i) });
    await settle();
    const before = proxy.counts().requests;
    const concurrent = await runPhase({
      total: total.concurrent,
      senders: sizes.senders,
      send: (i) => send('conc', i),
    });
    await settle();
    const all = proxy.counts().requests - before;
    const n = sizes.counted;
    say(
      `  ${(counted.requests / n).toFixed(1)} database requests per request; one sender p50 ${Math.round(oneSender.p50)} ms; ` +
        `${sizes.senders} senders ${concurrent.throughput.toFixed(1)}/s in ${concurrent.seconds.toFixed(1)} s, p50 ${Math.round(concurrent.p50)} ms` +
        `${concurrent.ok < concurrent.requests ? `, ${concurrent.requests - concurrent.ok} failed` : ''}`,
    );
    return {
      dbPerRequest: counted.requests / n,
      dbAfterAnswer: counted.after / n,
      subRequestsPerRequest: Object.fromEntries(Object.entries(counted.subRequests).map(([t, c]) => [t, c / n])),
      oneSender,
      concurrent,
      dbPerAcceptedAll: all / concurrent.ok,
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
