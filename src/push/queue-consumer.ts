import * as v from 'valibot';
import type { Config } from '../config';
import { createDb, type Db } from '../db/client';
import { type EventLogEntry, insertLogEntries } from '../db/event-log';
import { markDeadLettered, usersOf } from '../db/subscriptions-transfer';
import type { Statement } from '../db/write-batch';
import { log } from '../lib/log';
import type { NewsletterProvider } from '../ports/provider';
import { QueueMessage } from '../schemas/queue';
import { syncSubscriptions } from './push-subscriptions';

/**
 * What the entry's wiring hands the consumer: the provider adapter (the core knows only the
 * port) and the handlers for the other message kinds.
 */
export interface MessageHandlers {
  provider: (config: Config, db: Db) => NewsletterProvider;
  /** `alongside`: the consumer's own writes, carried in the handler's first batch. */
  notice?: (
    config: Config,
    db: Db,
    noticeIds: string[],
    alongside: Statement[],
  ) => Promise<Map<string, { ack: true } | { ack: false; delaySeconds: number }>>;
  reconcile?: (config: Config, db: Db, runId: string) => Promise<void>;
}

/**
 * The sync queue's consumer. Each message gets its own fate: acked when done or failed for
 * good, retried with backoff when the provider may recover. An unexpected error (a bug, the
 * database down) retries the whole batch; past the queue's limit it dead-letters.
 *
 * Database round trips are budgeted per batch, not per message (each is 10–100 ms in
 * production): the sync messages at most four (see syncSubscriptions), the notice messages two
 * (see notify/deliver.ts), so at most six for a batch of both; a token renewal and a
 * reconciliation message cost their own. The timeline entries of rejected bodies ride in the
 * first of those batches.
 */
export async function consumeBatch(
  config: Config,
  batch: MessageBatch<unknown>,
  handlers: MessageHandlers,
): Promise<void> {
  const db = createDb(config);
  const syncMsgs = new Map<string, Message<unknown>[]>();
  const noticeMsgs = new Map<string, Message<unknown>[]>();
  const rejected: EventLogEntry[] = [];
  const rejectedMsgs: Message<unknown>[] = [];
  for (const msg of batch.messages) {
    const parsed = v.safeParse(QueueMessage, msg.body);
    if (!parsed.success) {
      // A body that is not ours cannot become valid by retrying: record it and let it go.
      const issues = parsed.issues.map((i) => i.message);
      log.warn('queue message rejected', { queue: batch.queue, issues });
      rejected.push({
        at: Date.now(),
        kind: 'queue.invalid-message',
        outcome: 'dropped',
        detail: { queue: batch.queue, issues },
      });
      rejectedMsgs.push(msg);
      continue;
    }
    const body = parsed.output;
    if (body.kind === 'sync') push(syncMsgs, body.subscriptionId, msg);
    else if (body.kind === 'notice') push(noticeMsgs, body.noticeId, msg);
    else if (handlers.reconcile) {
      await handlers.reconcile(config, db, body.runId);
      msg.ack();
    } else msg.retry();
  }

  // Recorded in the first batch that is written anyway, or alone when there is none.
  let alongside = rejected.length ? [insertLogEntries(db, rejected)] : [];
  const carried = () => {
    const out = alongside;
    alongside = [];
    return out;
  };
  if (syncMsgs.size) {
    const before = db.roundTrips();
    const provider = handlers.provider(config, db);
    const dispositions = await syncSubscriptions(config, db, provider, [...syncMsgs.keys()], carried());
    // A wait that was no attempt goes back as a new message, so it never counts toward the DLQ.
    const requeued = [...dispositions].filter(([, d]) => !d.ack && d.requeue);
    for (const [id, d] of requeued) {
      if (!d.ack) await config.SYNC_QUEUE.send({ kind: 'sync', subscriptionId: id }, { delaySeconds: d.delaySeconds });
      dispositions.set(id, { ack: true });
    }
    settle(syncMsgs, dispositions);
    log.info('sync batch', {
      messages: batch.messages.length,
      subscriptions: syncMsgs.size,
      providerCalls: provider.callCount,
      dbRoundTrips: db.roundTrips() - before,
    });
  }
  if (noticeMsgs.size && handlers.notice) {
    const before = db.roundTrips();
    settle(noticeMsgs, await handlers.notice(config, db, [...noticeMsgs.keys()], carried()));
    log.info('notice batch', { notices: noticeMsgs.size, dbRoundTrips: db.roundTrips() - before });
  } else for (const msgs of noticeMsgs.values()) for (const m of msgs) m.retry();
  const [unwritten] = carried();
  if (unwritten) await unwritten;
  for (const m of rejectedMsgs) m.ack();
}

function push(map: Map<string, Message<unknown>[]>, key: string, msg: Message<unknown>) {
  map.set(key, [...(map.get(key) ?? []), msg]);
}

function settle(
  messages: Map<string, Message<unknown>[]>,
  dispositions: Map<string, { ack: true } | { ack: false; delaySeconds: number }>,
) {
  for (const [id, msgs] of messages) {
    const d = dispositions.get(id) ?? { ack: true as const };
    for (const m of msgs) {
      if (d.ack) m.ack();
      else m.retry({ delaySeconds: d.delaySeconds });
    }
  }
}

/**
 * The dead-letter queue's consumer: whatever reaches it is recorded, and a transfer it
 * carried is marked failed so an admin sees it and can retry, instead of it looping forever.
 */
export async function consumeDeadLetters(config: Config, batch: MessageBatch<unknown>): Promise<void> {
  const db = createDb(config);
  const now = Date.now();
  const bodies = batch.messages.map((msg) => {
    const parsed = v.safeParse(QueueMessage, msg.body);
    return { msg, body: parsed.success ? parsed.output : null };
  });
  const subscriptionIds = bodies.flatMap(({ body }) => (body?.kind === 'sync' ? [body.subscriptionId] : []));
  // One round trip reads the owners, one writes everything.
  const owners = new Map(
    (subscriptionIds.length ? await usersOf(db, subscriptionIds) : []).map((r) => [r.id, r.userId]),
  );
  const entries: EventLogEntry[] = bodies.map(({ msg, body }) => {
    const subscriptionId = body?.kind === 'sync' ? body.subscriptionId : null;
    return {
      at: now,
      kind: 'dead-letter',
      userId: (subscriptionId && owners.get(subscriptionId)) ?? null,
      subscriptionId,
      outcome: 'recorded',
      detail: { queue: batch.queue, attempts: msg.attempts, body: body ?? 'unparseable' },
    };
  });
  const failed = bodies.flatMap(({ msg, body }) =>
    body?.kind === 'sync' ? [markDeadLettered(db, body.subscriptionId, msg.attempts, now)] : [],
  );
  if (entries.length) await db.batch([insertLogEntries(db, entries), ...failed]);
  for (const { msg, body } of bodies) {
    log.warn('dead letter recorded', { kind: body?.kind ?? 'unparseable', attempts: msg.attempts });
    msg.ack();
  }
}
