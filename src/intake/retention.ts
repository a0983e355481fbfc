import type { Config } from '../config';
import type { Db } from '../db/client';
import { deleteLogEntriesBefore } from '../db/event-log';
import { deleteReceivedBefore } from '../db/received-events';

/** Rows one statement deletes: keeps each write short, so intake never waits long behind it. */
const CHUNK = 5000;
/** Chunks per run; a backlog larger than this is finished by the next scheduled runs. */
const MAX_CHUNKS = 20;

/**
 * Retention (contract §6): the event and attempt log and the idempotency records of received
 * events are kept LOG_RETENTION_DAYS, then deleted by the scheduled run. A redelivery of an
 * event older than that is accepted again, and the occurredAt ordering makes it change nothing.
 */
export async function pruneLogs(config: Pick<Config, 'LOG_RETENTION_DAYS'>, db: Db, now = Date.now()) {
  const cutoff = now - config.LOG_RETENTION_DAYS * 86_400_000;
  const eventLogRows = await inChunks(() => deleteLogEntriesBefore(db, cutoff, CHUNK));
  const receivedRows = await inChunks(() => deleteReceivedBefore(db, cutoff, CHUNK));
  return { eventLog: eventLogRows, receivedEvents: receivedRows };
}

async function inChunks(run: () => Promise<{ rowsAffected: number }>): Promise<number> {
  let total = 0;
  for (let i = 0; i < MAX_CHUNKS; i++) {
    const { rowsAffected } = await run();
    total += rowsAffected;
    if (rowsAffected < CHUNK) break;
  }
  return total;
}
