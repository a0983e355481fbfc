#!/usr/bin/env node
// Restart drills (issue 17, item 1): a seeded portal history of N events, sent as the portal
// would (signed, shuffled, some sent twice), while a part of the local stack is killed with
// SIGKILL and started again in the middle of the run:
//
// - `worker`: wrangler's whole process group (wrangler, its node child, workerd). Local Queues
//   keep their messages in memory, so whatever was queued is gone; what brings it back is the
//   design: every accepted event is a pending transfer in libSQL, and the sweep re-enqueues
//   pending transfers older than SWEEP_PENDING_AFTER_SECONDS.
// - `libsql`: the libSQL server (run as a child process for this). Requests in flight fail;
//   the worker must answer them with a 5xx and store nothing, or store everything.
//
// The sender retries a delivery that was refused or went unanswered (connection refused,
// reset, 5xx, timeout) with a short backoff and the same webhook-id, as the portal would; any
// other answer (409, 422, 401, …) is a bug and fails the drill. The emulator keeps running.
// At the end every subscription must be in its right final state at the emulator (an
// independent model of contract §6 "the same final state", below), every transfer `synced`
// (admin API), every event recorded once in its user's timeline (none lost), at most one
// recipient per address and list (none duplicated). Prints a JSON summary per drill.
//
//   npm run drill:restart -- [--events 2000] [--libsql-events 2000] [--only worker|libsql]
//     [--seed 17] [--concurrency 8] [--restart-at 0.5] [--setting NAME=value …] [--verbose]
//
// `--setting` overrides a worker setting (DRILL_SETTINGS below, or any other), e.g.
// `--setting N2G_TIMEOUT_MS=10000` to see the leases of the worker's default timeout.
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createClient } from '@libsql/client';
import { first } from './dev-vars.mjs';
import { prng } from './emulator-kit/prng.mjs';
import { startStack } from './local-stack.mjs';
import { portalBody } from './portal-event.mjs';

/**
 * Worker settings for a drill; everything else is the worker's default.
 * - SWEEP_PENDING_AFTER_SECONDS: the default 300 s would make a drill wait five minutes for
 *   the messages a killed wrangler lost.
 * - N2G_TIMEOUT_MS: a consumer leases the rows of its batch for 20 s + 2 × this per message
 *   (src/push/push-subscriptions.ts), and a consumer killed mid-batch (or whose database went
 *   away, so it could not release them) leaves that lease behind: with the default 10 s, up to
 *   15 minutes before those transfers move again. 1 s bounds it at 20 s + 2 s per message
 *   (220 s for a full batch of 100); the emulator answers in milliseconds.
 * - Retries in whole seconds and no rate limit below the emulator's keep the run short.
 */
export const DRILL_SETTINGS = Object.freeze({
  SWEEP_PENDING_AFTER_SECONDS: '5',
  N2G_TIMEOUT_MS: '1000',
  SYNC_BACKOFF_BASE_SECONDS: '1',
  SYNC_BACKOFF_MAX_SECONDS: '5',
  N2G_MAX_REQUESTS_PER_SECOND: '1000',
});
/** wrangler.toml's max_batch_size for the sync queue. */
const MAX_BATCH = 100;

/** The longest a killed consumer's lease keeps its rows, with these settings (see above). */
export function leaseBoundMs(/** @type {Record<string, string>} */ settings) {
  return Math.min(15 * 60_000, 20_000 + MAX_BATCH * 2 * Number(settings.N2G_TIMEOUT_MS ?? 10_000));
}
/** How often the cron stand-in fires the scheduled handler (sweep) during a drill. */
export const DRILL_SCHEDULE_SECONDS = 2;

/**
 * @typedef {import('./portal-event.mjs').Profile} Profile
 * @typedef {import('./portal-event.mjs').HistoryEvent} HistoryEvent
 * @typedef {{ id: string, event: HistoryEvent, body: string, repeat: boolean }} Delivery
 * @typedef {'subscribed' | 'unsubscribed' | 'deleted'} DesiredState
 */

/**
 * A seeded portal history: every user confirms first, then 1–4 of confirmations, profile
 * changes, cancellations, re-subscriptions and at most one deletion (last). Times are unique
 * per user, so the final state is unambiguous; each user has two addresses of their own.
 * @param {number} eventCount @param {string[]} newsletters @param {number} seed @param {string} prefix
 */
export function portalHistory(eventCount, newsletters, seed, prefix) {
  const random = prng(seed);
  const pick = (/** @type {readonly any[]} */ items) => items[Math.floor(random() * items.length)];
  /** @type {string[]} */ const users = [];
  /** @type {Map<string, string[]>} */ const pool = new Map();
  /** @type {HistoryEvent[]} */ const events = [];
  const base = Date.now() - 30 * 60_000;
  let clock = 0;
  while (events.length < eventCount) {
    const userId = `${prefix}-u${users.length}`;
    const emails = [`${userId}-0@example.com`, `${userId}-1@example.com`];
    users.push(userId);
    pool.set(userId, emails);
    /** @returns {Profile} */
    const profile = () => ({
      email: pick(emails),
      ...(random() < 0.7 ? { firstName: pick(['Anna', 'Ben', 'Cem']) } : {}),
      ...(random() < 0.3 ? { lastName: pick(['Ott', 'Roth']) } : {}),
      ...(random() < 0.5 ? { gender: pick(['m', 'f']) } : {}),
    });
    events.push({
      type: 'subscription.confirmed',
      at: base + ++clock,
      userId,
      newsletterId: pick(newsletters),
      profile: profile(),
    });
    const more = 1 + Math.floor(random() * 4);
    for (let i = 0; i < more && events.length < eventCount; i++) {
      const r = random();
      const at = base + ++clock;
      if (r < 0.35)
        events.push({
          type: 'subscription.confirmed',
          at,
          userId,
          newsletterId: pick(newsletters),
          profile: profile(),
        });
      else if (r < 0.6) events.push({ type: 'subscriber.updated', at, userId, profile: profile() });
      else if (r < 0.9) events.push({ type: 'subscription.cancelled', at, userId, newsletterId: pick(newsletters) });
      else {
        events.push({ type: 'user.deleted', at, userId });
        break;
      }
    }
  }
  return { users, pool, events };
}

/**
 * The deliveries in a shuffled order, and a share sent again: half of them under the same
 * webhook-id (a redelivery), half under a new one (the portal sending the event again).
 * @param {HistoryEvent[]} events @param {number} seed @param {string} prefix
 * @returns {Delivery[]}
 */
export function deliveryPlan(events, seed, prefix, repeatShare = 0.05) {
  const random = prng(seed);
  let n = 0;
  const id = () => `${prefix}-evt-${n++}`;
  const list = events.map((event) => ({ id: id(), event, body: JSON.stringify(portalBody(event)), key: random() }));
  list.sort((a, b) => a.key - b.key);
  const extra = list
    .filter(() => random() < repeatShare)
    .map((d) => ({ ...d, id: random() < 0.5 ? d.id : id(), key: random() }));
  // The repeats come anywhere after the first half: some before the restart, some after.
  const plan = list.map(({ key, ...d }) => ({ ...d, repeat: false }));
  for (const { key, ...d } of extra)
    plan.splice(Math.floor(plan.length / 2 + key * (plan.length / 2)), 0, { ...d, repeat: true });
  return plan;
}

/**
 * An independent model of contract §6 "the same final state" for one user: the latest
 * `occurredAt` wins per subscription (a cancellation wins a tie) and per user for the profile;
 * a deleted user stays deleted. It restates the contract, not the worker's code.
 * @param {HistoryEvent[]} mine the user's events, in any order, repeats allowed
 */
export function expectedFor(mine) {
  const deleted = mine.some((e) => e.type === 'user.deleted');
  /** @type {{ at: number, p: Profile } | null} */ let profile = null;
  for (const e of mine)
    if ((e.type === 'subscription.confirmed' || e.type === 'subscriber.updated') && (!profile || e.at > profile.at))
      profile = { at: e.at, p: e.profile };
  /** @type {Map<string, DesiredState>} */ const states = new Map();
  for (const n of new Set(mine.flatMap((e) => ('newsletterId' in e ? [e.newsletterId] : [])))) {
    const about = mine.filter((e) => 'newsletterId' in e && e.newsletterId === n);
    const latest = Math.max(...about.map((e) => e.at));
    const cancelled = about.some((e) => e.at === latest && e.type === 'subscription.cancelled');
    states.set(n, deleted ? 'deleted' : cancelled ? 'unsubscribed' : 'subscribed');
  }
  return { deleted, profile: deleted ? null : (profile?.p ?? null), states };
}

/**
 * The portal's sender: Standard Webhooks signature (a fresh timestamp on every try, the same
 * webhook-id and body), a retry with backoff for a refused or unanswered delivery.
 * @param {{ workerUrl: string, secret: string, timeoutMs?: number, giveUpMs?: number }} options
 */
export function portalSender({ workerUrl, secret, timeoutMs = 15_000, giveUpMs = 120_000 }) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const stats = {
    /** HTTP requests made (tries), first tries included. */
    requests: 0,
    /** Deliveries that needed more than one try. */
    retriedDeliveries: 0,
    /** Why tries were refused: `500`, `ECONNREFUSED`, `timeout`, … */
    refusals: /** @type {Record<string, number>} */ ({}),
    /** The answers deliveries ended with: 202 (stored now) or 200 (stored before: a repeat or a lost answer). */
    answers: /** @type {Record<string, number>} */ ({}),
    longestRetryMs: 0,
  };
  /** @param {Delivery} d */
  const send = async (d) => {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      const timestamp = Math.floor(Date.now() / 1000);
      const signature = createHmac('sha256', key).update(`${d.id}.${timestamp}.${d.body}`).digest('base64');
      stats.requests++;
      /** @type {string} */ let refused;
      try {
        const res = await fetch(`${workerUrl}/v1/events`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'webhook-id': d.id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': `v1,${signature}`,
          },
          body: d.body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await res.text();
        if (res.status === 200 || res.status === 202) {
          const answer = parseJson(text);
          if (answer?.eventId !== d.id || answer?.status !== 'accepted')
            throw new DrillFailure(`delivery ${d.id} answered ${res.status} with ${text}`);
          stats.answers[res.status] = (stats.answers[res.status] ?? 0) + 1;
          if (attempt > 1) {
            stats.retriedDeliveries++;
            stats.longestRetryMs = Math.max(stats.longestRetryMs, Date.now() - started);
          }
          return res.status;
        }
        // Anything but a 5xx or a 429 is the worker refusing a valid delivery: a bug.
        if (res.status < 500 && res.status !== 429)
          throw new DrillFailure(`delivery ${d.id} (${d.event.type}) refused with ${res.status}: ${text}`);
        refused = String(res.status);
      } catch (error) {
        if (error instanceof DrillFailure) throw error;
        refused = reasonOf(error);
      }
      stats.refusals[refused] = (stats.refusals[refused] ?? 0) + 1;
      if (Date.now() - started > giveUpMs)
        throw new DrillFailure(`delivery ${d.id} still refused after ${attempt} tries (last: ${refused})`);
      await sleep(Math.min(1000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2));
    }
  };
  return { send, stats };
}

class DrillFailure extends Error {}

/** Why a fetch got no answer, in a word: the socket error's code, or `timeout`. @param {unknown} error */
function reasonOf(error) {
  const e = /** @type {{ name?: string, cause?: { code?: string, name?: string } }} */ (error);
  if (e?.name === 'TimeoutError') return 'timeout';
  return e?.cause?.code ?? e?.cause?.name ?? e?.name ?? 'error';
}

/**
 * Starts the local stack the drills need: ephemeral, isolated, the libSQL server as a child
 * process (so it can be killed), the cron stand-in every DRILL_SCHEDULE_SECONDS, and
 * DRILL_SETTINGS. It also counts what the worker logs about the sweep and the dead-letter queue.
 * @param {{ verbose?: boolean, settings?: Record<string, string>, scheduleSeconds?: number }} [options]
 */
export async function startDrillStack(options = {}) {
  const observed = { sweeps: 0, swept: 0, deadLettered: 0, sweepsFailed: 0 };
  const stack = await startStack({
    ephemeral: true,
    isolated: true,
    libsqlProcess: true,
    scheduleSeconds: options.scheduleSeconds ?? DRILL_SCHEDULE_SECONDS,
    settings: { ...DRILL_SETTINGS, ...options.settings },
    log: (source, line) => {
      if (source === 'worker') observe(observed, line);
      if (options.verbose) console.error(`${(performance.now() / 1000).toFixed(2)} [${source}] ${line}`);
    },
  });
  return Object.assign(stack, { observed });
}

/** @param {{ sweeps: number, swept: number, deadLettered: number, sweepsFailed: number }} observed @param {string} line */
function observe(observed, line) {
  const json = parseJson(line.slice(line.indexOf('{')));
  if (json?.msg === 'scheduled run') {
    observed.sweeps++;
    if (typeof json.swept === 'number') observed.swept += json.swept;
    if (Array.isArray(json.failed) && json.failed.includes('sweep')) observed.sweepsFailed++;
  }
  if (json?.msg === 'dead letter recorded') observed.deadLettered++;
}

/**
 * One drill on a running drill stack: a history of `events` events, `restart` killed and
 * started again once `restartAt` of the deliveries are answered. Resolves with the summary and
 * `recheck` (the end check again, e.g. after a test changed the emulator), or rejects naming
 * every problem found (the summary is on the error as `summary`).
 * @param {Awaited<ReturnType<typeof startDrillStack>>} stack
 * @param {{ name?: string, events: number, restart: 'worker' | 'libsql' | 'none', seed?: number,
 *   restartAt?: number, concurrency?: number, settleTimeoutMs?: number, log?: (line: string) => void }} options
 */
export async function runRestartDrill(stack, options) {
  const { events: eventCount, restart, seed = 17, restartAt = 0.5, concurrency = 8 } = options;
  const say = options.log ?? ((line) => console.error(line));
  const name = options.name ?? `${restart}-restart`;
  const prefix = `${name}-${Date.now().toString(36)}`;
  const admin = adminClient(stack);
  const newsletters = [`${prefix}-a`, `${prefix}-b`];
  /** @type {Record<string, string>} newsletterId → list id */ const lists = {};
  for (const n of newsletters) lists[n] = await newList(stack, admin, n);

  const history = portalHistory(eventCount, newsletters, seed, prefix);
  const plan = deliveryPlan(history.events, seed + 1, prefix);
  const sender = portalSender({
    workerUrl: stack.workerUrl,
    secret: first(String(stack.settings.PORTAL_SIGNING_SECRET)),
  });
  const observedBefore = { ...stack.observed };
  const started = Date.now();
  const since = (/** @type {number} */ t) => Number(((t - started) / 1000).toFixed(2));
  /** @type {{ what: string, afterDeliveries: number, killedAtSecond: number, exitedAtSecond: number, upAtSecond: number, downSeconds: number }[]} */
  const restarts = [];
  /** @type {Promise<void> | undefined} */ let restarting;
  let answered = 0;
  const restartAfter = Math.max(1, Math.floor(plan.length * restartAt));
  const kill = async () => {
    const afterDeliveries = answered;
    say(
      `${name}: ${afterDeliveries}/${plan.length} deliveries answered; SIGKILL to ${restart === 'worker' ? "wrangler's process group" : 'the libSQL server'}`,
    );
    const t = restart === 'worker' ? await stack.restartWorker() : await stack.restartLibsql();
    restarts.push({
      what: restart === 'worker' ? "wrangler's process group" : 'libSQL server',
      afterDeliveries,
      killedAtSecond: since(t.killedAt),
      exitedAtSecond: since(t.exitedAt),
      upAtSecond: since(t.upAt),
      downSeconds: Number(((t.upAt - t.killedAt) / 1000).toFixed(2)),
    });
    say(`${name}: back after ${((t.upAt - t.killedAt) / 1000).toFixed(1)} s`);
  };

  let next = 0;
  const lane = async () => {
    while (next < plan.length) {
      const d = /** @type {Delivery} */ (plan[next++]);
      // A delivery the worker refused for good ends the run: the other lanes stop taking more.
      await sender.send(d).catch((error) => {
        next = plan.length;
        throw error;
      });
      answered++;
      if (restart !== 'none' && !restarting && answered >= restartAfter) restarting = kill();
      if (answered % 500 === 0)
        say(`${name}: ${answered}/${plan.length} deliveries answered after ${since(Date.now())} s`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  await restarting;
  const postedAt = Date.now();

  // Long enough for a lease a killed consumer left (see DRILL_SETTINGS), the sweep after it, and the work.
  const settleTimeoutMs =
    options.settleTimeoutMs ??
    leaseBoundMs(stack.settings) + 2000 * Number(stack.settings.SWEEP_PENDING_AFTER_SECONDS) + eventCount * 50;
  const leases = leaseWatch(stack.libsqlUrl, newsletters);
  const pendingLeft = await settle(admin, newsletters, settleTimeoutMs, leases.sample);
  leases.close();
  const settledAt = Date.now();

  const check = await checkFinalState(stack, admin, history, plan, lists);
  if (pendingLeft) check.problems.unshift(`${pendingLeft}+ transfers still pending after ${settleTimeoutMs / 1000} s`);
  const stats = (await admin('/v1/admin/stats')).body;
  const summary = {
    drill: name,
    ok: check.problems.length === 0,
    startedAt: new Date(started).toISOString(),
    events: history.events.length,
    users: history.users.length,
    deliveries: plan.length,
    repeatedDeliveries: plan.filter((d) => d.repeat).length,
    webhookIds: new Set(plan.map((d) => d.id)).size,
    requests: sender.stats.requests,
    retriedDeliveries: sender.stats.retriedDeliveries,
    refusals: sender.stats.refusals,
    answers: sender.stats.answers,
    longestRetrySeconds: sender.stats.longestRetryMs / 1000,
    restarts,
    secondsToPost: since(postedAt),
    secondsToSettle: since(settledAt),
    sweep: {
      runs: stack.observed.sweeps - observedBefore.sweeps,
      failedRuns: stack.observed.sweepsFailed - observedBefore.sweepsFailed,
      reEnqueued: stack.observed.swept - observedBefore.swept,
    },
    deadLettered: stack.observed.deadLettered - observedBefore.deadLettered,
    leftLeases: leases.seen,
    /** The whole database's, earlier drills on the same stack included. */
    allTransfersInDatabase: stats?.subscriptions?.byTransferStatus,
    settings: {
      ...Object.fromEntries(Object.keys(DRILL_SETTINGS).map((k) => [k, stack.settings[k]])),
      cronEverySeconds: stack.scheduleSeconds,
      concurrency,
      seed,
    },
    checked: check.checked,
    problems: check.problems.slice(0, 30),
  };
  if (!summary.ok) {
    const error = new Error(
      `${name}: ${check.problems.length} problem(s):\n${check.problems.slice(0, 30).join('\n')}\n${JSON.stringify(summary)}`,
    );
    Object.assign(error, { summary });
    throw error;
  }
  return { summary, recheck: () => checkFinalState(stack, admin, history, plan, lists) };
}

/**
 * Waits until none of the newsletters' transfers is pending; 0, or how many were still pending
 * (at least) when the time ran out. Errors while polling are retried.
 * @param {ReturnType<typeof adminClient>} admin @param {string[]} newsletters @param {number} timeoutMs
 */
async function settle(admin, newsletters, timeoutMs, sample = async () => {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await sample();
    let pending = 0;
    try {
      for (const n of newsletters) {
        const { status, body } = await admin(
          `/v1/admin/subscriptions?status=pending&newsletterId=${encodeURIComponent(n)}&limit=100`,
        );
        pending += status === 200 ? body.items.length : 1;
      }
    } catch {
      pending = Math.max(pending, 1);
    }
    if (!pending) return 0;
    if (Date.now() > deadline) return pending;
    await sleep(500);
  }
}

/**
 * What the summary says about leases while the drill settles, read from the database itself (a
 * diagnosis, not a check): the most pending transfers of the drill held by a lease at once, the
 * longest such lease still to run, and how long every transfer still pending was leased (nothing
 * to do but wait for a lease, e.g. one a killed consumer left). Nothing when the database is not local.
 * @param {string | null} url @param {string[]} newsletters
 */
function leaseWatch(url, newsletters) {
  const seen = { mostPendingHeld: 0, longestLeaseLeftSeconds: 0, secondsAllPendingLeased: 0 };
  if (!url) return { seen, sample: async () => {}, close: () => {} };
  const db = createClient({ url });
  let last = 0;
  const sample = async () => {
    const now = Date.now();
    try {
      const { rows } = await db.execute({
        sql: `select count(*) as pending, count(case when lease_until > ? then 1 end) as held,
                     max(case when lease_until > ? then lease_until end) as until
              from subscriptions where transfer_status = 'pending' and newsletter_id in (?, ?)`,
        args: [now, now, newsletters[0] ?? '', newsletters[1] ?? ''],
      });
      const pending = Number(rows[0]?.pending ?? 0);
      const held = Number(rows[0]?.held ?? 0);
      const left = rows[0]?.until == null ? 0 : (Number(rows[0].until) - now) / 1000;
      seen.mostPendingHeld = Math.max(seen.mostPendingHeld, held);
      seen.longestLeaseLeftSeconds = Math.max(seen.longestLeaseLeftSeconds, Number(left.toFixed(1)));
      if (pending > 0 && held === pending && last)
        seen.secondsAllPendingLeased = Number((seen.secondsAllPendingLeased + (now - last) / 1000).toFixed(1));
    } catch {
      // the database restarting: the next sample reads it
    }
    last = now;
  };
  return { seen, sample, close: () => db.close() };
}

/**
 * The end check: every user and every delivered event accounted for, every transfer synced,
 * every subscription in its right final state at the emulator, no recipient twice.
 * @param {{ emulatorUrl: string | null }} stack @param {ReturnType<typeof adminClient>} admin
 * @param {ReturnType<typeof portalHistory>} history @param {Delivery[]} plan @param {Record<string, string>} lists
 */
export async function checkFinalState(stack, admin, history, plan, lists) {
  /** @type {string[]} */ const problems = [];
  const checked = {
    users: 0,
    subscriptions: 0,
    synced: 0,
    eventIds: 0,
    recipients: 0,
    subscribedAtProvider: 0,
    unsubscribedAtProvider: 0,
    erasedAtProvider: 0,
    absentAtProvider: 0,
    what:
      'every user known to the worker; every subscription in its desired state (model of contract §6) with transfer synced; ' +
      "every webhook-id recorded exactly once in its user's timeline; at the emulator per subscription: subscribed ⇒ one " +
      'recipient with is_unsubscribed=false and the latest profile, unsubscribed ⇒ none or is_unsubscribed=true, deleted ⇒ ' +
      'none or erased (DELETED, no address of the user); per list at most one recipient per address and no recipient ' +
      'that belongs to no user of the drill',
  };
  /** @type {Map<string, any[]>} list id → recipients */ const byList = new Map();
  for (const listId of Object.values(lists)) {
    const res = await fetch(`${stack.emulatorUrl}/_emulator/state?list_id=${listId}`);
    const recipients = (await res.json()).recipients.filter((/** @type {any} */ r) => r.list_id === listId);
    byList.set(listId, recipients);
    checked.recipients += recipients.length;
  }
  /** @type {Map<string, HistoryEvent[]>} */ const eventsOf = new Map();
  for (const e of history.events) eventsOf.set(e.userId, [...(eventsOf.get(e.userId) ?? []), e]);
  /** @type {Map<string, Set<string>>} */ const idsOf = new Map();
  for (const d of plan) idsOf.set(d.event.userId, (idsOf.get(d.event.userId) ?? new Set()).add(d.id));
  /** Every address a recipient of the drill may carry: the users' own, and erased subscriptions' dummies. */
  const known = new Set();

  let nextUser = 0;
  const checkNext = async () => {
    while (nextUser < history.users.length) {
      const userId = /** @type {string} */ (history.users[nextUser++]);
      const pool = history.pool.get(userId) ?? [];
      for (const a of pool) known.add(a.toLowerCase());
      const expected = expectedFor(eventsOf.get(userId) ?? []);
      const { status, body: view } = await admin(`/v1/admin/subscribers/${encodeURIComponent(userId)}`);
      if (status !== 200) {
        problems.push(`${userId}: the admin API answers ${status} (user lost?)`);
        continue;
      }
      checked.users++;
      const received = view.timeline
        .filter((/** @type {any} */ t) => t.kind === 'event.received')
        .map((/** @type {any} */ t) => t.eventId);
      if (view.timeline.length < 200) {
        for (const id of idsOf.get(userId) ?? []) {
          const times = received.filter((/** @type {string} */ r) => r === id).length;
          if (times !== 1) problems.push(`${userId}: event ${id} recorded ${times} times in the timeline`);
          else checked.eventIds++;
        }
      }
      /** @type {Map<string, any>} */ const subs = new Map(
        view.subscriptions.map((/** @type {any} */ s) => [s.newsletterId, s]),
      );
      for (const s of view.subscriptions)
        if (!expected.states.has(s.newsletterId))
          problems.push(`${userId}: unexpected subscription to ${s.newsletterId}`);
      const lower = new Set(pool.map((a) => a.toLowerCase()));
      for (const [newsletterId, listId] of Object.entries(lists)) {
        const state = expected.states.get(newsletterId);
        const sub = subs.get(newsletterId);
        const where = `${userId} in ${newsletterId}`;
        const dummy = sub ? `deleted-${sub.subscriptionId}@deleted.invalid` : null;
        if (dummy) known.add(dummy);
        const ours = (byList.get(listId) ?? []).filter(
          (r) => lower.has(String(r.email).toLowerCase()) || String(r.email).toLowerCase() === dummy,
        );
        if (!state) {
          if (ours.length) problems.push(`${where}: ${ours.length} recipient(s) for a newsletter the user never named`);
          continue;
        }
        // A deleted user's later events create nothing, so a deleted subscription may be absent.
        if (!sub && state !== 'deleted') {
          problems.push(`${where}: subscription missing (desired ${state})`);
          continue;
        }
        if (sub) {
          checked.subscriptions++;
          if (sub.state !== state) problems.push(`${where}: state ${sub.state}, desired ${state}`);
          if (sub.transfer.status !== 'synced')
            problems.push(`${where}: transfer ${sub.transfer.status} ${JSON.stringify(sub.transfer.error)}`);
          else checked.synced++;
        }
        if (ours.length > 1) {
          problems.push(
            `${where}: ${ours.length} recipients ${JSON.stringify(ours.map((r) => [r.id, r.email, r.is_unsubscribed]))}`,
          );
          continue;
        }
        const [r] = ours;
        if (state === 'subscribed') {
          const p = expected.profile;
          const got = r && {
            email: String(r.email).toLowerCase(),
            firstName: r.first_name ?? '',
            lastName: r.last_name ?? '',
            gender: r.gender ?? '',
            is_unsubscribed: r.is_unsubscribed,
          };
          const want = {
            email: p?.email.toLowerCase(),
            firstName: p?.firstName ?? '',
            lastName: p?.lastName ?? '',
            gender: p?.gender ?? '',
            is_unsubscribed: false,
          };
          if (!got) problems.push(`${where}: no recipient, desired subscribed`);
          else if (JSON.stringify(got) !== JSON.stringify(want))
            problems.push(`${where}: recipient ${JSON.stringify(got)}, desired ${JSON.stringify(want)}`);
          else checked.subscribedAtProvider++;
        } else if (state === 'deleted') {
          if (!r) checked.absentAtProvider++;
          else if (
            lower.has(String(r.email).toLowerCase()) ||
            r.first_name !== 'DELETED' ||
            r.last_name !== 'DELETED' ||
            !r.is_unsubscribed
          )
            problems.push(`${where}: personal data left at the provider: ${JSON.stringify(r)}`);
          else checked.erasedAtProvider++;
        } else if (!r) checked.absentAtProvider++;
        else if (!r.is_unsubscribed) problems.push(`${where}: subscribed at the provider, desired unsubscribed`);
        else checked.unsubscribedAtProvider++;
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, checkNext));

  for (const [listId, recipients] of byList) {
    /** @type {Map<string, number>} */ const count = new Map();
    for (const r of recipients) {
      const address = String(r.email).toLowerCase();
      count.set(address, (count.get(address) ?? 0) + 1);
      if (!known.has(address))
        problems.push(`list ${listId}: recipient ${r.id} <${r.email}> belongs to no user of the drill`);
    }
    for (const [address, n] of count)
      if (n > 1) problems.push(`list ${listId}: ${n} recipients with the address ${address}`);
  }
  return { problems, checked };
}

/** @param {{ workerUrl: string, settings: Record<string, string> }} stack */
function adminClient(stack) {
  const token = first(stack.settings.ADMIN_API_TOKEN);
  return async (/** @type {string} */ path, /** @type {RequestInit} */ init = {}) => {
    const res = await fetch(`${stack.workerUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, body: parseJson(text) };
  };
}

/** A list of its own at the emulator, mapped to the newsletter. */
async function newList(
  /** @type {{ emulatorUrl: string | null }} */ stack,
  /** @type {ReturnType<typeof adminClient>} */ admin,
  /** @type {string} */ newsletterId,
) {
  const res = await fetch(`${stack.emulatorUrl}/_emulator/lists`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: newsletterId }),
  });
  const { id: listId } = await res.json();
  const mapped = await admin(`/v1/admin/newsletters/${encodeURIComponent(newsletterId)}`, {
    method: 'PUT',
    body: JSON.stringify({ listId, name: newsletterId }),
  });
  if (mapped.status >= 300)
    throw new Error(`mapping ${newsletterId} refused: ${mapped.status} ${JSON.stringify(mapped.body)}`);
  return String(listId);
}

/** @param {string} text */
function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function sleep(/** @type {number} */ ms) {
  return new Promise((r) => setTimeout(r, ms));
}

async function main() {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '2000' },
      'libsql-events': { type: 'string' },
      only: { type: 'string' },
      seed: { type: 'string', default: '17' },
      concurrency: { type: 'string', default: '8' },
      'restart-at': { type: 'string', default: '0.5' },
      setting: { type: 'string', multiple: true, default: [] },
      verbose: { type: 'boolean', default: false },
    },
  });
  const drills = /** @type {('worker' | 'libsql')[]} */ (values.only ? [values.only] : ['worker', 'libsql']);
  if (!drills.every((d) => d === 'worker' || d === 'libsql')) throw new Error('--only takes worker or libsql');
  const sizes = { worker: Number(values.events), libsql: Number(values['libsql-events'] ?? values.events) };
  const t0 = Date.now();
  const settings = Object.fromEntries(
    values.setting.map((s) => {
      const at = s.indexOf('=');
      if (at < 1) throw new Error(`--setting takes NAME=value, got ${s}`);
      return [s.slice(0, at), s.slice(at + 1)];
    }),
  );
  const stack = await startDrillStack({ verbose: values.verbose, settings });
  console.error(
    `drill stack up in ${((Date.now() - t0) / 1000).toFixed(1)} s (worker ${stack.workerUrl}, libSQL ${stack.libsqlUrl})`,
  );
  let failed = false;
  try {
    for (const [i, restart] of drills.entries()) {
      try {
        const { summary } = await runRestartDrill(stack, {
          events: sizes[restart],
          restart,
          seed: Number(values.seed) + i * 100,
          concurrency: Number(values.concurrency),
          restartAt: Number(values['restart-at']),
        });
        console.log(JSON.stringify(summary));
      } catch (error) {
        failed = true;
        console.error(error instanceof Error ? error.message : error);
      }
    }
  } finally {
    await stack.stop();
  }
  console.error(`restart drills ${failed ? 'FAILED' : 'passed'} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  process.exitCode = failed ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
