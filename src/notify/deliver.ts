import type { Config } from '../config';
import type { Db } from '../db/client';
import { claimNotices, dueNoticeIds, logNotice, noticeSchedules, recordNoticeAttempt } from '../db/notices';
import type { Notice } from '../db/schema';
import type { Statement } from '../db/write-batch';
import { describeError, log } from '../lib/log';
import { sign, signedHeaders } from '../lib/standard-webhooks';
import { afterFailure, LEASE_MS, waitSeconds } from './policy';

/**
 * Sends stored notices to PORTAL_WEBHOOK_URL, signed the Standard Webhooks way with
 * NOTIFY_SIGNING_SECRET (never the inbound secret: a notice replayed at /v1/events fails).
 * A 2xx marks the notice delivered; anything else (a redirect, a timeout) is retried later.
 * An attempt first claims the notice with a lease, so the queue, the scheduled run and an
 * admin retry never send one notice twice at the same moment.
 */

export type Disposition = { ack: true } | { ack: false; delaySeconds: number };
export type DeliveryConfig = Pick<
  Config,
  | 'PORTAL_WEBHOOK_URL'
  | 'NOTIFY_SIGNING_SECRET'
  | 'ALERT_WEBHOOK_URL'
  | 'ALERT_SIGNING_SECRET'
  | 'NOTICE_TIMEOUT_MS'
  | 'NOTICE_RETRY_HOURS'
  | 'NOTICE_BACKOFF_BASE_SECONDS'
  | 'NOTICE_BACKOFF_MAX_SECONDS'
>;

/** Longer waits than this are left to the scheduled run (every 5 min), not the queue. */
const QUEUE_WAIT_LIMIT_SECONDS = 600;

/** Delivers one notice if it is due; says what to do with the queue message that named it. */
export async function deliverNotice(
  config: DeliveryConfig,
  db: Db,
  id: string,
  now = Date.now(),
): Promise<Disposition> {
  return (await deliverBatch(config, db, [id], now)).get(id) ?? { ack: true };
}

/**
 * The queue consumer's `notice` handler. Two database round trips whatever the batch's size:
 * one claims every due notice and reads when the others are due (with `alongside`, the
 * consumer's own writes), one records every attempt.
 * A database failure leaves each notice as stored (a claimed one due again after its lease):
 * the messages come back shortly, and the scheduled run delivers what is due in any case.
 */
export async function deliverNotices(
  config: DeliveryConfig,
  db: Db,
  ids: string[],
  alongside: Statement[] = [],
): Promise<Map<string, Disposition>> {
  return guarded(ids, () => deliverBatch(config, db, ids, Date.now(), alongside));
}

/** The scheduled run: every pending notice whose time has come, whatever its queue message did. */
export async function deliverDueNotices(
  config: DeliveryConfig,
  db: Db,
  now = Date.now(),
  limit = 100,
): Promise<number> {
  const due = await dueNoticeIds(db, now, limit);
  await guarded(due, () => deliverBatch(config, db, due, now));
  return due.length;
}

async function deliverBatch(
  config: DeliveryConfig,
  db: Db,
  ids: string[],
  now: number,
  alongside: Statement[] = [],
): Promise<Map<string, Disposition>> {
  const out = new Map<string, Disposition>();
  const unique = [...new Set(ids)];
  if (!unique.length) return out;
  // The claim first: a batch whose first statement writes takes the write lock at once (and
  // waits for it), where a read first would fail as busy when it must upgrade. The read after
  // it sees the claimed rows leased; they are told apart by what the claim returned.
  const [claimed, schedules] = await db.batch([
    claimNotices(db, unique, now, now + LEASE_MS),
    noticeSchedules(db, unique),
    ...alongside,
  ]);
  for (const row of schedules) {
    if (claimed.some((c) => c.id === row.id)) continue;
    out.set(
      row.id,
      row.status === 'pending' && row.nextAttemptAt != null
        ? queueWait(waitSeconds(row.nextAttemptAt, now))
        : { ack: true },
    );
  }
  const attempts: Attempt[] = [];
  await inParallel(
    claimed,
    async (notice) => void attempts.push(attemptOf(db, config, notice, await send(config, notice), now)),
  );
  const statements = attempts.flatMap((a) => a.statements);
  const [firstWrite, ...otherWrites] = statements;
  // Every outcome and its timeline entry in one round trip and one transaction.
  if (firstWrite) await db.batch([firstWrite, ...otherWrites]);
  for (const a of attempts) {
    log[a.ok ? 'info' : 'warn'](a.alert ? 'alert attempt' : 'portal notice attempt', a.logFields);
    out.set(a.id, a.disposition);
  }
  return out;
}

interface Attempt {
  id: string;
  ok: boolean;
  /** An alert to the operators (destination `alerts`), not a notice to the portal. */
  alert: boolean;
  disposition: Disposition;
  logFields: Record<string, string | number | null>;
  statements: Statement[];
}

/** What one send leaves on its notice and in the timeline, and what its queue message does next. */
function attemptOf(db: Db, config: DeliveryConfig, claimed: Notice, outcome: SendOutcome, now: number): Attempt {
  const id = claimed.id;
  const after = outcome.ok ? null : afterFailure(config, claimed, now);
  const result = outcome.ok ? 'delivered' : after?.status === 'pending' ? 'retry' : 'failed';
  const alert = claimed.destination === 'alerts';
  return {
    id,
    ok: outcome.ok,
    alert,
    disposition: after?.status === 'pending' ? queueWait(after.delaySeconds) : { ack: true },
    logFields: {
      noticeId: id,
      type: claimed.type,
      attempt: claimed.attempts,
      httpStatus: outcome.status,
      outcome: result,
    },
    statements: [
      recordNoticeAttempt(
        db,
        id,
        outcome.ok
          ? { status: 'delivered', deliveredAt: now, nextAttemptAt: null, lastStatus: outcome.status, lastError: null }
          : {
              status: after?.status ?? 'failed',
              nextAttemptAt: after?.status === 'pending' ? after.nextAttemptAt : null,
              lastStatus: outcome.status,
              lastError: outcome.error,
            },
      ),
      // Alerts belong to no user: they stay out of the users' timelines.
      ...(alert
        ? []
        : [
            logNotice(db, {
              at: now,
              kind: 'notice.attempt',
              userId: claimed.userId,
              subscriptionId: claimed.subscriptionId,
              outcome: result,
              // The portal's answer text stays on the notice row (admin JSON), out of the timeline.
              detail: {
                noticeId: id,
                type: claimed.type,
                attempt: claimed.attempts,
                httpStatus: outcome.status,
                ...(!outcome.ok && outcome.status === null ? { error: outcome.error } : {}),
              },
            }),
          ]),
    ],
  };
}

/** Where a notice goes and what signs it: the portal's endpoint, or the operators' alerts. */
function targetOf(config: DeliveryConfig, notice: Notice) {
  return notice.destination === 'alerts'
    ? { url: config.ALERT_WEBHOOK_URL, secrets: config.ALERT_SIGNING_SECRET ?? [], who: 'The alert webhook' }
    : { url: config.PORTAL_WEBHOOK_URL, secrets: config.NOTIFY_SIGNING_SECRET, who: 'The portal' };
}

type SendOutcome = { ok: true; status: number } | { ok: false; status: number | null; error: string };

async function send(config: DeliveryConfig, notice: Notice): Promise<SendOutcome> {
  const target = targetOf(config, notice);
  const [first, ...others] = target.secrets;
  if (!first || !target.url) return { ok: false, status: null, error: `${target.who} is not configured` };
  // The real clock signs, whatever `now` the caller schedules by: the portal checks it.
  const headers = await signedHeaders(first, notice.id, notice.body);
  // Every configured secret signs, so the portal can switch secrets in either order.
  for (const secret of others)
    headers['webhook-signature'] +=
      ` ${await sign(secret, notice.id, Number(headers['webhook-timestamp']), notice.body)}`;
  try {
    const res = await fetch(target.url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'user-agent': 'newsletter-bridge' },
      body: notice.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(config.NOTICE_TIMEOUT_MS),
    });
    if (res.status >= 200 && res.status < 300) {
      await res.body?.cancel();
      return { ok: true, status: res.status };
    }
    const text = (await res.text().catch(() => '')).slice(0, 300);
    return {
      ok: false,
      status: res.status,
      error: `${target.who} answered HTTP ${res.status}${text ? `: ${text}` : ''}`,
    };
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    return {
      ok: false,
      status: null,
      error: timedOut
        ? `No answer from ${target.who.toLowerCase()} within ${config.NOTICE_TIMEOUT_MS} ms`
        : `${target.who} could not be reached: ${describeError(error)}`,
    };
  }
}

/**
 * The database's trouble (busy a moment) must not fail the queue batch's other messages: these
 * notices' messages come back shortly, and the stored rows say when each is due in any case.
 */
async function guarded(
  ids: string[],
  work: () => Promise<Map<string, Disposition>>,
): Promise<Map<string, Disposition>> {
  try {
    return await work();
  } catch (error) {
    log.warn('portal notices not processed', {
      notices: ids.length,
      error: describeError(error instanceof Error && error.cause instanceof Error ? error.cause : error),
    });
    return new Map(ids.map((id) => [id, { ack: false, delaySeconds: 10 }]));
  }
}

function queueWait(delaySeconds: number): Disposition {
  // Past this the queue would only burn its retry budget (and dead-letter the message).
  return delaySeconds <= QUEUE_WAIT_LIMIT_SECONDS ? { ack: false, delaySeconds } : { ack: true };
}

/** Workers allow six connections at once per request. */
async function inParallel<T>(items: T[], work: (item: T) => Promise<void>, width = 6): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(width, queue.length) }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    }),
  );
}
