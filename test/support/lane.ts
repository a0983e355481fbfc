import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  env,
  getQueueResult,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { inject } from 'vitest';
import { getConfig } from '../../src/config';
import worker from '../../src/index';
import { brevoAt } from './brevo-emulator';
import { type EmulatorSettings, emulatorAt } from './emulator';
import { asWorkerEnv } from './env';
import { ALERT_TEST_SECRET, BREVO_TEST_KEY } from './settings';
import { clientFor, type SubscriberJson } from './worker';

/**
 * A lane: the worker with an env of its own, over a private emulator account and a private
 * database (test/lanes.ts starts them), for tests that change what is account-wide or need
 * other settings (a small SYNC_MAX_ATTEMPTS, a longer backoff) while other files run beside it.
 *
 * The worker is driven through its exported handlers, as the Workers test fixtures do: requests
 * through `fetch`, cron through `scheduled` with `createScheduledController`, and the sync queue
 * through `drain`, which hands what the worker sent to `queue` in batches made with
 * `createMessageBatch` and reads back with `getQueueResult` which messages were acked and which
 * retried with what delay. Time is the test's: a retry is delivered on the next round, whatever
 * delay it asked for, and the delay is recorded for the test to check.
 */

/** wrangler.toml's sync queue: its name, `max_retries` and `max_batch_size` (workerd cannot read the file). */
const SYNC_QUEUE = 'newsletter-bridge-sync';
const MAX_RETRIES = 30;
const MAX_BATCH = 100;
/** A transfer that keeps asking to wait takes a round per retry; past this, something loops. */
const MAX_ROUNDS = 100;

export interface LaneOptions {
  /** Worker settings over the project's (strings, as bindings are). */
  settings?: Record<string, string>;
  /** The emulator's readings for this account (see the emulator's README). */
  emulator?: Partial<EmulatorSettings>;
  /**
   * A Brevo account (stack/brevo-emulator, these its options and readings) and the worker on it:
   * PROVIDER=brevo, its key and base URL.
   */
  brevo?: Record<string, unknown>;
  /** An alert endpoint of its own (a receiver checking ALERT_TEST_SECRET), and the worker's ALERT_* set to it. */
  alerts?: boolean;
}

interface Queued {
  id: string;
  body: unknown;
  attempts: number;
  /** What the worker asked for when it sent or retried the message. */
  delaySeconds: number;
}

/** One delivery round: what the consumer was given and what it decided. */
export interface Delivery {
  queue: string;
  messages: { id: string; body: unknown; attempts: number }[];
  acked: string[];
  retried: { id: string; delaySeconds: number | undefined }[];
  /** The handler threw: the whole batch goes back, as on Cloudflare. */
  threw: boolean;
}

export interface DrainOptions {
  /** Messages per batch (the queue's 100 by default); several drains at once share the queue. */
  batchSize?: number;
}

let laneMessages = 0;

export async function openLane(options: LaneOptions = {}) {
  const res = await fetch(`${inject('lanesUrl')}/lanes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      emulator: options.emulator ?? {},
      ...(options.brevo ? { brevo: options.brevo } : {}),
      ...(options.alerts ? { alerts: true } : {}),
    }),
  });
  if (res.status !== 201) throw new Error(`opening a lane: ${res.status} ${await res.text()}`);
  const lane = (await res.json()) as {
    id: string;
    n2gUrl: string;
    libsqlUrl: string;
    brevoUrl: string | null;
    alertsUrl: string | null;
  };

  const waiting: Queued[] = [];
  const dead: Queued[] = [];
  const sent: Queued[] = [];
  const enqueue = (body: unknown, delaySeconds = 0) => {
    const message = { id: `lane${lane.id}-${++laneMessages}`, body, attempts: 1, delaySeconds };
    sent.push(message);
    waiting.push(message);
  };
  const queue: Queue<unknown> = {
    async send(body, opts) {
      enqueue(structuredClone(body), opts?.delaySeconds ?? 0);
      return {
        metadata: { metrics: { backlogCount: waiting.length, backlogBytes: 0 } },
      } as unknown as QueueSendResponse;
    },
    async sendBatch(messages, opts) {
      for (const m of messages) enqueue(structuredClone(m.body), m.delaySeconds ?? opts?.delaySeconds ?? 0);
      return {
        metadata: { metrics: { backlogCount: waiting.length, backlogBytes: 0 } },
      } as unknown as QueueSendBatchResponse;
    },
    metrics: async () => ({ backlogCount: waiting.length, backlogBytes: 0 }),
  } as Queue<unknown>;

  const laneEnv = {
    ...env,
    TURSO_DATABASE_URL: lane.libsqlUrl,
    N2G_BASE_URL: lane.n2gUrl,
    SYNC_QUEUE: queue,
    ...(lane.brevoUrl
      ? {
          PROVIDER: 'brevo',
          BREVO_API_KEY: BREVO_TEST_KEY,
          BREVO_BASE_URL: `${lane.brevoUrl}/v3`,
          BREVO_TIMEOUT_MS: '2000',
          BREVO_MAX_REQUESTS_PER_SECOND: '1000',
          BREVO_KEY_RETRY_SECONDS: '1',
        }
      : {}),
    ...(lane.alertsUrl
      ? { ALERT_WEBHOOK_URL: `${lane.alertsUrl}/portal/webhooks`, ALERT_SIGNING_SECRET: ALERT_TEST_SECRET }
      : {}),
    ...(options.settings ?? {}),
  };

  async function workerFetch(request: Request): Promise<Response> {
    const ctx = createExecutionContext();
    const response = await worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, laneEnv, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  }

  /** Hands one batch to the consumer, as the queue would. */
  async function deliver(queueName: string, messages: Queued[]): Promise<Delivery> {
    const batch = createMessageBatch(
      queueName,
      messages.map((m) => ({ id: m.id, timestamp: new Date(), attempts: m.attempts, body: m.body })),
    );
    // getQueueResult says which messages were retried, not with what delay (vitest-plugin 1.5.0
    // drops retry()'s options), so the delay is noted on the way in.
    const delays = new Map<string, number | undefined>();
    for (const message of batch.messages) {
      const retry = message.retry.bind(message);
      message.retry = (retryOptions?: QueueRetryOptions) => {
        delays.set(message.id, retryOptions?.delaySeconds);
        retry(retryOptions);
      };
    }
    const ctx = createExecutionContext();
    let threw = false;
    try {
      await worker.queue(batch, laneEnv);
    } catch {
      threw = true;
    }
    const result = await getQueueResult(batch, ctx);
    const acked = new Set(result.explicitAcks);
    const retried = new Map(result.retryMessages.map((r) => [r.msgId, r.delaySeconds ?? delays.get(r.msgId)]));
    for (const m of messages) {
      // As on Cloudflare: an explicit ack wins, then an explicit retry; a batch whose handler
      // threw (or called retryAll) goes back whole; anything else was acked when the handler returned.
      if (acked.has(m.id)) continue;
      const again = retried.has(m.id) || ((threw || result.retryBatch.retry) && !result.ackAll);
      // The dead-letter queue has no queue of its own behind it here: what it retries is dropped.
      if (!again || queueName !== SYNC_QUEUE) continue;
      const next = {
        ...m,
        attempts: m.attempts + 1,
        delaySeconds: retried.get(m.id) ?? result.retryBatch.delaySeconds ?? 0,
      };
      if (m.attempts >= MAX_RETRIES) dead.push(next);
      else waiting.push(next);
    }
    return {
      queue: queueName,
      messages: messages.map(({ id, body, attempts }) => ({ id, body, attempts })),
      acked: [...acked],
      retried: [...retried].map(([id, delaySeconds]) => ({ id, delaySeconds })),
      threw,
    };
  }

  /** Delivers what the worker sent, round after round, until nothing waits. */
  async function drain(opts: DrainOptions = {}): Promise<Delivery[]> {
    const rounds: Delivery[] = [];
    while (waiting.length || dead.length) {
      if (rounds.length >= MAX_ROUNDS)
        throw new Error(
          `lane ${lane.id}: ${waiting.length + dead.length} messages still queued after ${MAX_ROUNDS} rounds`,
        );
      if (dead.length) rounds.push(await deliver(getConfig(laneEnv).DEAD_LETTER_QUEUE, dead.splice(0, dead.length)));
      if (waiting.length) rounds.push(await deliver(SYNC_QUEUE, waiting.splice(0, opts.batchSize ?? MAX_BATCH)));
    }
    return rounds;
  }

  /** One delivery round (a batch of what waits), for a test that acts between rounds; null when none waits. */
  async function round(opts: DrainOptions = {}): Promise<Delivery | null> {
    if (!waiting.length) return null;
    return deliver(SYNC_QUEUE, waiting.splice(0, opts.batchSize ?? MAX_BATCH));
  }

  /** A cron run, with createScheduledController; `withEnv` for one run with other settings. */
  async function scheduled(cron = '*/5 * * * *', withEnv: Record<string, unknown> = laneEnv): Promise<void> {
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron, scheduledTime: Date.now() }), asWorkerEnv(withEnv), ctx);
    await waitOnExecutionContext(ctx);
  }

  const client = clientFor(workerFetch);

  /** Drains the queue, then answers the user's admin view (every transfer settled, or it throws). */
  async function settled(userId: string, opts: DrainOptions = {}): Promise<SubscriberJson> {
    await drain(opts);
    const view = await client.subscriber(userId);
    if (!view?.subscriptions.length) throw new Error(`lane ${lane.id}: ${userId} has no subscriptions`);
    const pending = view.subscriptions.filter((s) => s.transfer.status === 'pending');
    if (pending.length)
      throw new Error(
        `lane ${lane.id}: transfers of ${userId} still pending with an empty queue: ${JSON.stringify(pending.map((s) => s.transfer))}`,
      );
    return view;
  }

  return {
    env: laneEnv,
    emulator: emulatorAt(() => lane.n2gUrl),
    /** What the lane's alert endpoint received, each with whether its signature checked out. */
    alertsReceived: async () => {
      if (!lane.alertsUrl) throw new Error('this lane has no alert endpoint: openLane({ alerts: true })');
      const got = (await (await fetch(`${lane.alertsUrl}/_receiver/received`)).json()) as {
        received: { id: string; verified: boolean | null; status: number; body: unknown }[];
      };
      return got.received;
    },
    /** The lane's Brevo account (throws when the lane has none). */
    brevo: brevoAt(() => {
      if (!lane.brevoUrl) throw new Error('this lane has no Brevo account: openLane({ brevo: {} })');
      return lane.brevoUrl;
    }),
    fetch: workerFetch,
    ...client,
    drain,
    round,
    settled,
    scheduled,
    /** Every message the worker sent to the sync queue, in order, with the delay it asked for. */
    sent: () => sent.map(({ id, body, delaySeconds }) => ({ id, body, delaySeconds })),
    async close() {
      await fetch(`${inject('lanesUrl')}/lanes/${lane.id}`, { method: 'DELETE' });
    },
  };
}

export type Lane = Awaited<ReturnType<typeof openLane>>;
