import { sql } from 'drizzle-orm';
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import {
  noticeStatuses,
  type SubscriptionState,
  subscriptionStates,
  type TransferStatus,
  transferStatuses,
} from '../schemas/states';

/**
 * The worker's whole state. Times are Unix milliseconds (integers sort and compare cheaply,
 * and stay below 2^53). Queue messages are only triggers: everything needed to finish a
 * transfer lives here, so a lost message loses nothing.
 */

/** Portal newsletter → provider list. */
export const newsletters = sqliteTable('newsletters', {
  newsletterId: text('newsletter_id').primaryKey(),
  listId: text('list_id').notNull(),
  name: text('name'),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/** A portal user's profile, ordered by its own `occurredAt` clock. */
export const subscribers = sqliteTable(
  'subscribers',
  {
    userId: text('user_id').primaryKey(),
    email: text('email'),
    firstName: text('first_name').notNull().default(''),
    lastName: text('last_name').notNull().default(''),
    gender: text('gender', { enum: ['m', 'f', ''] })
      .notNull()
      .default(''),
    /** occurredAt of the profile applied last; 0 = never set. */
    profileAt: integer('profile_at').notNull().default(0),
    /**
     * occurredAt of the profile that gave the current e-mail (compared case-insensitively): of two
     * users with one address in one newsletter, the one who took it later fails (contract §6).
     */
    emailSince: integer('email_since').notNull().default(0),
    /** Set once by `user.deleted`, never cleared: a deleted user stays deleted. */
    deletedAt: integer('deleted_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('subscribers_email_idx').on(sql`lower(${t.email})`)],
);

export { type SubscriptionState, subscriptionStates, type TransferStatus, transferStatuses };

/** See subscriptions.written. */
export interface WrittenCreation {
  listId: string;
  version: number;
}

/** One row per (user, newsletter): desired state plus where its transfer stands. */
export const subscriptions = sqliteTable(
  'subscriptions',
  {
    /** Opaque random id; the unsubscribe token names this, never the userId. */
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    newsletterId: text('newsletter_id').notNull(),
    state: text('state', { enum: subscriptionStates }).notNull(),
    /** occurredAt of the state-changing event applied last. */
    stateAt: integer('state_at').notNull(),
    /** The event kind that set `state`, for the equal-time rule. */
    stateBy: text('state_by').notNull(),
    /**
     * True only while a confirmation newer than a cancellation the worker applied waits to be
     * pushed: the single case in which `is_unsubscribed: false` may be sent.
     */
    resubscribe: integer('resubscribe', { mode: 'boolean' }).notNull().default(false),
    /** Bumped on every change of desired state; a push only marks the version it pushed. */
    version: integer('version').notNull().default(1),
    syncedVersion: integer('synced_version').notNull().default(0),

    listId: text('list_id'),
    recipientId: text('recipient_id'),
    /**
     * The addresses the provider may know this recipient by while its id is unknown (JSON list):
     * each creation's address is added before it is sent (its outcome may stay uncertain: a
     * timeout, a 5xx after the write) and, for a deleted user, the last address; cleared once the
     * id is known or the erasure is done. It keeps uncertain writes from leaving a second
     * recipient behind.
     */
    lookupEmails: text('lookup_email', { mode: 'json' }).$type<string[]>(),
    /**
     * A creation the provider took (a 2xx) whose recipient id could not be read back yet: the list
     * and the version written (JSON, no personal data; the address is in lookupEmails). The next
     * attempt reads the id back instead of writing again; cleared once synced.
     */
    written: text('written', { mode: 'json' }).$type<WrittenCreation | null>(),
    /**
     * One consumer at a time works on a subscription: it holds this lease while it talks to the
     * provider. After a request went unanswered (a timeout) the lease is kept for a while, so no
     * newer push can overtake a write that may still land at the provider.
     */
    leaseUntil: integer('lease_until'),

    transferStatus: text('transfer_status', { enum: transferStatuses }).notNull().default('pending'),
    /** When the current version became pending: the age /health and the stats report. */
    pendingSince: integer('pending_since'),
    attempts: integer('attempts').notNull().default(0),
    lastAttemptAt: integer('last_attempt_at'),
    nextAttemptAt: integer('next_attempt_at'),
    syncedAt: integer('synced_at'),
    errorMessage: text('error_message'),
    errorCode: text('error_code'),
    errorHttpStatus: integer('error_http_status'),
    errorAt: integer('error_at'),

    /** JSON of what the last reconciliation found, or null. */
    conflict: text('conflict', { mode: 'json' }).$type<ConflictInfo | null>(),

    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('subscriptions_user_newsletter_uq').on(t.userId, t.newsletterId),
    index('subscriptions_newsletter_idx').on(t.newsletterId, t.id),
    index('subscriptions_transfer_idx').on(t.transferStatus, t.nextAttemptAt),
    index('subscriptions_recipient_idx').on(t.listId, t.recipientId),
  ],
);

/**
 * Every recipient a subscription created or adopted, per list: the only recipients the worker
 * writes to for it. A mapping change leaves the old list's recipient here, so a cancellation or
 * an erasure still reaches it; a recipient found by an address another user holds never gets a
 * row, so nothing the worker does for one user touches another's recipient.
 */
export const recipients = sqliteTable(
  'recipients',
  {
    subscriptionId: text('subscription_id').notNull(),
    listId: text('list_id').notNull(),
    recipientId: text('recipient_id').notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'recipients_pk', columns: [t.subscriptionId, t.listId] }),
    index('recipients_list_idx').on(t.listId, t.recipientId),
  ],
);

export interface ConflictInfo {
  reason: 'unsubscribed' | 'blacklisted' | 'bounced';
  foundAt: string;
  runId: string;
}

/** Idempotency: one row per accepted `webhook-id` (single and batch ids share this space). */
export const receivedEvents = sqliteTable(
  'received_events',
  {
    eventId: text('event_id').primaryKey(),
    /** SHA-256 of the raw body: tells a redelivery (same body) from a conflicting reuse of the id. */
    bodyHash: text('body_hash').notNull(),
    userId: text('user_id'),
    responseStatus: integer('response_status').notNull(),
    responseBody: text('response_body').notNull(),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [index('received_events_user_idx').on(t.userId), index('received_events_at_idx').on(t.receivedAt)],
);

/**
 * One counter per portal user, raised by every request that changes the user's desired state
 * (intake, unsubscribe links). A request reads it with the rows it decides on and commits only
 * if it is unchanged (db/write-batch.ts): concurrent requests about one user never hold a lock
 * across the network, and the loser of a race re-reads and decides again.
 */
export const userVersions = sqliteTable(
  'user_versions',
  {
    userId: text('user_id').primaryKey(),
    version: integer('version').notNull(),
  },
  // A claim whose version was not the one read writes 0 (db/write-batch.ts claimUsers): refused.
  (t) => [check('stale_read', sql`${t.version} >= 1`)],
);

/**
 * Never holds a row. A guard in a write batch inserts a 0 here when what the batch was decided
 * on has changed since it was read; the CHECK refuses it, and the whole batch rolls back.
 * SQLite has no RAISE outside triggers: this is how a plain statement makes a batch fail.
 */
export const writeGuards = sqliteTable('write_guards', { ok: integer('ok').notNull() }, (t) => [
  check('stale_read', sql`${t.ok} = 1`),
]);

/**
 * The pause switch (PUT/DELETE /v1/admin/transfers/pause): at most one row. While it exists no
 * transfer is written to the provider; every isolate reads it with the batch it works on.
 */
export const transferPause = sqliteTable(
  'transfer_pause',
  {
    id: integer('id').primaryKey(),
    reason: text('reason').notNull(),
    pausedAt: integer('paused_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [check('single_pause', sql`${t.id} = 1`)],
);
export type TransferPause = typeof transferPause.$inferSelect;

/**
 * Which alert conditions stand (notify/alerts.ts): an alert goes out when one starts and when it
 * ends, never in between. `detail` is what the start message said (counts and ids only).
 */
export const alertStates = sqliteTable('alert_states', {
  condition: text('condition').primaryKey(),
  since: integer('since').notNull(),
  detail: text('detail', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
});

/**
 * Append-only timeline: events received or ignored as stale, transfer attempts, portal
 * notices, reconciliation findings, dead letters. Pruned after LOG_RETENTION_DAYS; `detail`
 * is scrubbed of personal data when the user is deleted.
 */
export const eventLog = sqliteTable(
  'event_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at').notNull(),
    kind: text('kind').notNull(),
    userId: text('user_id'),
    subscriptionId: text('subscription_id'),
    eventId: text('event_id'),
    outcome: text('outcome'),
    detail: text('detail', { mode: 'json' }).$type<Record<string, unknown>>(),
  },
  (t) => [
    index('event_log_user_idx').on(t.userId, t.id),
    index('event_log_at_idx').on(t.at),
    index('event_log_kind_idx').on(t.kind, t.at),
  ],
);

/** Provider login shared by all isolates; `lockUntil` lets one caller refresh at a time. */
export const providerSessions = sqliteTable('provider_sessions', {
  provider: text('provider').primaryKey(),
  accessToken: text('access_token'),
  refreshToken: text('refresh_token'),
  expiresAt: integer('expires_at'),
  lockUntil: integer('lock_until'),
  /** Why the last password login was refused (credentials wrong), null when it works. */
  loginError: text('login_error'),
  loginErrorAt: integer('login_error_at'),
  updatedAt: integer('updated_at').notNull(),
});

export { noticeStatuses };

/** Worker → portal notices (section 4 of the contract). */
export const notices = sqliteTable(
  'notices',
  {
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    /** `portal` (PORTAL_WEBHOOK_URL) or `alerts` (ALERT_WEBHOOK_URL: operators' alerts, no user). */
    destination: text('destination', { enum: ['portal', 'alerts'] })
      .notNull()
      .default('portal'),
    userId: text('user_id').notNull(),
    subscriptionId: text('subscription_id'),
    body: text('body').notNull(),
    status: text('status', { enum: noticeStatuses }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at'),
    lastError: text('last_error'),
    lastStatus: integer('last_status'),
    createdAt: integer('created_at').notNull(),
    deliveredAt: integer('delivered_at'),
  },
  (t) => [index('notices_status_idx').on(t.status, t.nextAttemptAt), index('notices_user_idx').on(t.userId)],
);

export const reconciliationRuns = sqliteTable(
  'reconciliation_runs',
  {
    id: text('id').primaryKey(),
    mode: text('mode', { enum: ['report', 'heal'] }).notNull(),
    status: text('status', { enum: ['running', 'completed', 'failed'] }).notNull(),
    trigger: text('trigger').notNull(),
    /** JSON: which list is being paged and the next offset; a restart resumes here. */
    cursor: text('cursor', { mode: 'json' }).$type<Record<string, unknown>>(),
    counts: text('counts', { mode: 'json' }).$type<Record<string, number>>().notNull(),
    providerCalls: integer('provider_calls').notNull().default(0),
    error: text('error'),
    startedAt: integer('started_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    finishedAt: integer('finished_at'),
  },
  (t) => [
    index('reconciliation_runs_started_idx').on(t.startedAt),
    // One run at a time, decided by the database: a second start conflicts here, even in a race.
    uniqueIndex('reconciliation_runs_one_running_uq').on(t.status).where(sql`${t.status} = 'running'`),
  ],
);

export const reconciliationFindings = sqliteTable(
  'reconciliation_findings',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    runId: text('run_id').notNull(),
    driftClass: text('drift_class').notNull(),
    newsletterId: text('newsletter_id'),
    userId: text('user_id'),
    subscriptionId: text('subscription_id'),
    recipientId: text('recipient_id'),
    email: text('email'),
    detail: text('detail', { mode: 'json' }).$type<Record<string, unknown>>(),
  },
  (t) => [index('reconciliation_findings_run_idx').on(t.runId, t.driftClass, t.id)],
);

/**
 * Subscriptions a run has matched to a recipient at the provider. After a list is paged, its
 * subscribed rows not in here are the `missing` ones. Kept apart from `subscriptions` so a
 * report run writes nothing there; deleted when the run ends.
 */
export const reconciliationSeen = sqliteTable(
  'reconciliation_seen',
  {
    runId: text('run_id').notNull(),
    subscriptionId: text('subscription_id').notNull(),
  },
  (t) => [primaryKey({ name: 'reconciliation_seen_pk', columns: [t.runId, t.subscriptionId] })],
);

export type Newsletter = typeof newsletters.$inferSelect;
export type Subscription = typeof subscriptions.$inferSelect;
export type EventLogEntry = typeof eventLog.$inferInsert;
export type Notice = typeof notices.$inferSelect;
export type ReconciliationRun = typeof reconciliationRuns.$inferSelect;
export type ReconciliationFinding = typeof reconciliationFindings.$inferSelect;
