import * as v from 'valibot';
import { describeError, log } from '../lib/log';

/**
 * Queue bodies are triggers only: an id to look up. The database holds the work, so a
 * duplicate, late or lost message changes nothing that the sweep would not repair.
 */
export const QueueMessage = v.variant('kind', [
  v.object({ kind: v.literal('sync'), subscriptionId: v.pipe(v.string(), v.nonEmpty()) }),
  v.object({ kind: v.literal('notice'), noticeId: v.pipe(v.string(), v.nonEmpty()) }),
  v.object({ kind: v.literal('reconcile'), runId: v.pipe(v.string(), v.nonEmpty()) }),
]);
export type QueueMessage = v.InferOutput<typeof QueueMessage>;

/** Queues take at most 100 messages per sendBatch. */
const SEND_BATCH = 100;

export async function enqueue(queue: Queue<unknown>, messages: QueueMessage[], delaySeconds?: number): Promise<void> {
  for (let i = 0; i < messages.length; i += SEND_BATCH) {
    await queue.sendBatch(
      messages.slice(i, i + SEND_BATCH).map((body) => ({ body, ...(delaySeconds ? { delaySeconds } : {}) })),
    );
  }
}

export const syncMessages = (ids: string[]): QueueMessage[] =>
  ids.map((subscriptionId) => ({ kind: 'sync', subscriptionId }));

/**
 * Enqueues after a commit. A failure here is logged and swallowed on purpose: the rows are
 * already stored as pending, and the sweep re-sends whatever a lost message left behind.
 */
export async function enqueueAfterCommit(queue: Queue<unknown>, messages: QueueMessage[]): Promise<boolean> {
  try {
    await enqueue(queue, messages);
    return true;
  } catch (error) {
    log.error('enqueue failed; the sweep will re-send', { count: messages.length, error: describeError(error) });
    return false;
  }
}
