import type { Db } from '../db/client';
import { insertLogEntries } from '../db/event-log';
import { disownRecipient, ownRecipient } from '../db/recipients';
import {
  forgetRecipient,
  keepRecipient,
  markTransferFailed,
  markTransferSynced,
  postponeAttempt,
  scheduleRetry,
  setLease,
  setLookupEmails,
  setWritten,
} from '../db/subscriptions-transfer';
import type { Statement } from '../db/write-batch';
import { withAddress } from '../lib/addresses';
import { backoffSeconds } from '../lib/backoff';
import type { Outcome } from './call-provider';
import type { WorkItem } from './lease';
import type { Plan } from './plan';

export interface RetryPolicy {
  maxAttempts: number;
  baseSeconds: number;
  maxSeconds: number;
  /** How long a write whose outcome is unknown may still land at the provider. */
  uncertainWindowMs: number;
}

/**
 * What the queue should do with the message that carried a subscription: ack, retry it (an
 * attempt was made; the queue counts it toward max_retries), or requeue it as a fresh message
 * (no attempt was made, e.g. another consumer held the row, so nothing may count toward
 * dead-lettering).
 */
export type Disposition = { ack: true } | { ack: false; delaySeconds: number; requeue?: boolean };

/**
 * The statements that store how each transfer ended, for the caller's one atomic batch, and
 * what to do with each message. A result only lands on the version it was computed for: if the
 * portal changed the desired state meanwhile, the row stays pending and its own message pushes
 * the news.
 */
export function outcomeStatements(
  db: Db,
  items: WorkItem[],
  outcomes: Map<string, Outcome>,
  policy: RetryPolicy,
  now = Date.now(),
): { statements: Statement[]; dispositions: Map<string, Disposition> } {
  const dispositions = new Map<string, Disposition>();
  const statements: Statement[] = [];
  for (const item of items) {
    const outcome = outcomes.get(item.id);
    if (!outcome) continue;
    const attempts = item.attempts + 1;
    let logOutcome: string = outcome.kind;
    let lease: number | null = null;
    // What a first step established stands, whatever the second did (see Learned).
    const { found, gone, writtenIn } = outcome.learned ?? {};
    if (gone) {
      statements.push(forgetRecipient(db, item.id, gone.contactId));
      statements.push(
        disownRecipient(db, { subscriptionId: item.id, listId: gone.listId, recipientId: gone.contactId }),
      );
    }
    if (found && outcome.kind !== 'synced') {
      statements.push(keepRecipient(db, item.id, found.listId, found.contactId));
      statements.push(
        ownRecipient(db, { subscriptionId: item.id, listId: found.listId, recipientId: found.contactId }, now),
      );
    }
    switch (outcome.kind) {
      case 'synced':
        // The recipient id is kept whatever the version: it is the only handle on a recipient
        // whose address changes later, and losing it would leave a stray recipient behind.
        if (outcome.recipientId) statements.push(keepRecipient(db, item.id, outcome.listId, outcome.recipientId));
        // ...and recorded as this subscription's own, so later cancellations and erasures reach
        // it in whatever list the newsletter is mapped to by then.
        if (outcome.recipientId && outcome.listId)
          statements.push(
            ownRecipient(
              db,
              { subscriptionId: item.id, listId: outcome.listId, recipientId: outcome.recipientId },
              now,
            ),
          );
        // An erased recipient leaves no address to look up.
        statements.push(markTransferSynced(db, item, attempts, now, item.input.state === 'deleted'));
        dispositions.set(item.id, { ack: true });
        break;
      case 'failed':
        // A re-subscription Newsletter2Go refused is over: an admin retry, the sweep or a later
        // profile push re-sends the profile, never the consent (contract §6); the portal must
        // confirm again. One that never reached the provider is still owed to it.
        statements.push(
          markTransferFailed(db, item, attempts, outcome.failure, now, { keepResubscribe: outcome.unsent === true }),
        );
        dispositions.set(item.id, { ack: true });
        break;
      case 'retry': {
        if (attempts >= policy.maxAttempts) {
          // Retries end: the last provider message is what the admin sees. A write the provider
          // took is remembered still, so an admin retry reads its id back before writing by id.
          statements.push(markTransferFailed(db, item, attempts, outcome.failure, now, { keepResubscribe: false }));
          if (writtenIn) statements.push(setWritten(db, item, { listId: writtenIn, version: item.version }));
          dispositions.set(item.id, { ack: true });
          logOutcome = 'failed-after-retries';
          break;
        }
        // After an uncertain outcome the lease is kept until the write could have landed, so the
        // retry (or a newer version's push) cannot be overtaken by it.
        const holdMs = outcome.uncertain ? policy.uncertainWindowMs : 0;
        const delaySeconds = backoffSeconds(attempts, {
          baseSeconds: policy.baseSeconds,
          maxSeconds: policy.maxSeconds,
          retryAfterMs: Math.max(outcome.retryAfterMs ?? 0, holdMs),
        });
        statements.push(
          scheduleRetry(
            db,
            item,
            attempts,
            outcome.failure,
            now + delaySeconds * 1000,
            now,
            writtenIn ? { listId: writtenIn, version: item.version } : undefined,
          ),
        );
        lease = holdMs ? now + holdMs : null;
        dispositions.set(item.id, { ack: false, delaySeconds });
        break;
      }
      case 'defer': {
        // Not an attempt: the provider asked to slow down before this item was sent.
        const delaySeconds = Math.max(1, Math.ceil((outcome.untilMs - now) / 1000));
        statements.push(postponeAttempt(db, item, outcome.untilMs, now));
        dispositions.set(item.id, { ack: false, delaySeconds, requeue: true });
        logOutcome = 'deferred';
        break;
      }
      case 'wait':
        // The login was refused: not this subscriber's fault, so no attempt is counted and the
        // status stays pending; the sweep resumes the transfer once the login works.
        statements.push(postponeAttempt(db, item, now, now));
        dispositions.set(item.id, { ack: true });
        break;
    }
    // Released whatever the version: a newer version's own message is waiting for it.
    statements.push(setLease(db, item.id, lease));
    statements.push(
      insertLogEntries(db, [
        {
          at: now,
          kind: 'attempt',
          userId: item.userId,
          subscriptionId: item.id,
          outcome: logOutcome,
          detail: {
            version: item.version,
            state: item.input.state,
            ...(outcome.kind === 'synced'
              ? { recipientId: outcome.recipientId, ...(outcome.note ? { note: outcome.note } : {}) }
              : {}),
            ...('failure' in outcome ? { error: outcome.failure } : {}),
          },
        },
      ]),
    );
  }
  return { statements, dispositions };
}

/**
 * Write-ahead for creations: before a recipient is created, the address it is sent under is
 * stored, so a later attempt knows a recipient may exist under it and looks there first, even
 * if this consumer dies before it can record the outcome.
 */
export async function recordCreateIntents(
  db: Db,
  items: WorkItem[],
  planned: { id: string; plan: Plan }[],
): Promise<void> {
  const known = new Map(items.map((i) => [i.id, i.input.lookupEmails]));
  const statements = planned.flatMap(({ id, plan }) =>
    plan.kind === 'create' ? [setLookupEmails(db, id, withAddress(known.get(id), plan.data.email))] : [],
  );
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
}
