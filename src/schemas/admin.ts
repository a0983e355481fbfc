import * as v from 'valibot';
import { NullableTimestamp, Timestamp } from './common';
import { noticeStatuses, subscriptionStates, transferStatuses } from './states';

/**
 * The admin JSON (contract §3) as valibot schemas. The views in src/http/admin are typed by
 * them (a view that drifts does not compile) and the OpenAPI document is generated from them.
 */

const describe = <S extends v.GenericSchema>(schema: S, text: string) => v.pipe(schema, v.description(text));

export const TransferView = v.object({
  status: v.picklist(transferStatuses),
  label: describe(
    v.picklist(['Übertragung ausstehend', 'Übertragen', 'Fehler bei der Übertragung']),
    'The text the portal shows for the status',
  ),
  error: describe(
    v.nullable(
      v.object({
        message: describe(
          v.string(),
          "The provider's own message, verbatim (the portal's mouse-over), or the worker's reason when no call was made",
        ),
        code: describe(
          v.nullable(v.string()),
          "The provider's code as a string (it sends numbers and words), or the worker's reason code (unmapped, clash, no-email, held-for-consent, dead-letter)",
        ),
        httpStatus: v.nullable(v.number()),
        at: NullableTimestamp,
      }),
    ),
    'The last error; kept while a retry is pending, null once synced',
  ),
  attempts: describe(v.number(), 'Attempts of the current transfer (reset when it is re-pushed)'),
  lastAttemptAt: NullableTimestamp,
  nextAttemptAt: describe(NullableTimestamp, 'When the next attempt is due, while pending'),
  syncedAt: NullableTimestamp,
});

export const ConflictView = describe(
  v.nullable(
    v.object({
      reason: v.picklist(['unsubscribed', 'blacklisted', 'bounced']),
      foundAt: v.string(),
      runId: v.string(),
    }),
  ),
  'What the last reconciliation found against the desired state (a consent conflict), or null',
);

const subscriptionFields = {
  subscriptionId: describe(v.string(), 'Opaque id; the unsubscribe token names this, never the userId'),
  newsletterId: v.string(),
  listId: describe(v.nullable(v.string()), 'The mapped provider list, null while the newsletter is unmapped'),
  state: v.picklist(subscriptionStates),
  stateSince: describe(NullableTimestamp, 'occurredAt of the event that set the state'),
  unsubscribeUrl: describe(v.pipe(v.string(), v.url()), "The reader's unsubscribe link, also written to the recipient"),
  conflict: ConflictView,
  transfer: TransferView,
};

export const SubscriptionView = v.object(subscriptionFields);
export const SubscriptionListItem = v.object({ userId: v.string(), ...subscriptionFields });

export const SubscriptionPage = v.object({
  items: v.array(SubscriptionListItem),
  nextCursor: describe(v.nullable(v.string()), 'Pass as `cursor` for the next page; null on the last page'),
  limit: v.number(),
});

export const NoticeView = v.object({
  id: describe(v.string(), "The notice's id, also its webhook-id at the portal"),
  type: v.string(),
  subscriptionId: v.nullable(v.string()),
  status: v.picklist(noticeStatuses),
  attempts: v.number(),
  lastStatus: describe(v.nullable(v.number()), "The portal's last HTTP status, null when it did not answer"),
  lastError: v.nullable(v.string()),
  nextAttemptAt: NullableTimestamp,
  createdAt: NullableTimestamp,
  deliveredAt: NullableTimestamp,
});

export const TimelineEntry = v.object({
  at: Timestamp,
  kind: describe(
    v.string(),
    'event.received, attempt, dead-letter, notice.created, notice.attempt, reconciliation.*, …',
  ),
  outcome: describe(
    v.nullable(v.string()),
    'applied or stale for events; synced, retry, wait, failed, failed-after-retries for attempts; …',
  ),
  subscriptionId: v.nullable(v.string()),
  newsletterId: v.nullable(v.string()),
  eventId: describe(v.nullable(v.string()), 'The webhook-id (or batch id) of a received event'),
  summary: describe(v.string(), 'One readable line saying what happened'),
  detail: describe(
    v.nullable(v.record(v.string(), v.unknown())),
    'Ids, times and provider messages; never personal data',
  ),
});

export const PauseState = v.object({
  paused: v.boolean(),
  since: describe(NullableTimestamp, 'When the pause began, null while not paused'),
  reason: describe(v.nullable(v.string()), 'What the admin who paused gave as the reason'),
  pausedForSeconds: describe(v.nullable(v.number()), 'How long the pause has stood'),
  warning: describe(
    v.nullable(v.string()),
    'Past 24 hours: a pause longer than 48 hours breaks the rule Gmail and Yahoo set for honouring unsubscribes',
  ),
});

export const SubscriberView = v.object({
  userId: v.string(),
  deleted: v.boolean(),
  transfers: describe(
    v.object({ pause: PauseState }),
    'Whether transfers to the provider are paused (PUT /v1/admin/transfers/pause): then pending ones wait',
  ),
  subscriptions: v.array(SubscriptionView),
  notices: describe(v.array(NoticeView), 'Notices to the portal about this user, newest first'),
  timeline: describe(v.array(TimelineEntry), 'Newest first, at most 200 entries, kept LOG_RETENTION_DAYS'),
});

export const Stats = v.object({
  generatedAt: Timestamp,
  subscriptions: v.object({
    total: v.number(),
    byState: v.object({ subscribed: v.number(), unsubscribed: v.number(), deleted: v.number() }),
    byTransferStatus: v.object({ pending: v.number(), synced: v.number(), failed: v.number() }),
  }),
  oldestPendingAgeSeconds: describe(
    v.nullable(v.number()),
    'Seconds since the oldest pending transfer became pending; null when none is',
  ),
  attemptsLastHour: v.object({ total: v.number(), byOutcome: v.record(v.string(), v.number()) }),
  deadLettered: describe(v.number(), 'Dead-letter entries in the log (it keeps LOG_RETENTION_DAYS)'),
  notices: v.object({ pending: v.number(), delivered: v.number(), failed: v.number() }),
  alerts: describe(
    v.object({ pending: v.number(), delivered: v.number(), failed: v.number() }),
    'Alerts to ALERT_WEBHOOK_URL by delivery status (retried like the notices)',
  ),
  transfers: v.object({ pause: PauseState }),
  provider: v.object({
    name: v.string(),
    login: describe(v.picklist(['ok', 'refused', 'unknown']), 'unknown: no login attempted yet'),
    error: describe(v.nullable(v.string()), "The provider's answer to the refused login or key"),
    since: NullableTimestamp,
    transfersWaiting: v.boolean(),
    reason: describe(
      v.nullable(v.string()),
      'Why transfers wait, e.g. "transfers wait because the login is refused: …"',
    ),
  }),
});

export const Mapping = v.object({
  newsletterId: v.string(),
  listId: v.string(),
  name: describe(v.nullable(v.string()), 'What the unsubscribe page shows'),
  displayName: describe(v.string(), 'name, or the newsletterId when no name is set'),
  updatedAt: Timestamp,
});

export const MappingList = v.object({ newsletters: v.array(Mapping) });

export const MappingSaved = v.object({
  ...Mapping.entries,
  previousListId: describe(
    v.nullable(v.string()),
    'The list the newsletter was mapped to before, left as it is at the provider',
  ),
  repushed: describe(v.number(), 'Subscriptions pushed to the (new) list; 0 when the list did not change'),
  attribute: describe(
    v.object({
      name: describe(v.string(), 'The custom attribute the unsubscribe link is written to (UNSUBSCRIBE_ATTRIBUTE)'),
      action: describe(
        v.picklist(['present', 'added-to-list', 'created']),
        '`present`: the list had it; `added-to-list`: the account had it for other lists and it now belongs to this one too (PATCH /attributes/{id} with the union of its lists); `created`: a new text attribute for this list (POST /attributes)',
      ),
      attributeId: describe(v.nullable(v.string()), "The provider's id of the attribute, when it was added or created"),
    }),
    'What making sure the list has the unsubscribe attribute took: Newsletter2Go defines custom attributes per list, Brevo one link attribute per list in the account; a field the list lacks is refused or dropped',
  ),
});

export const MappingRemoved = v.object({
  newsletterId: v.string(),
  removedListId: v.string(),
  affectedSubscriptions: describe(v.number(), 'Subscriptions that now show failed (unmapped) until a mapping returns'),
});

export const RetryOne = v.object({
  subscriptionId: v.string(),
  previousStatus: v.picklist(transferStatuses),
  status: v.literal('pending'),
  enqueued: describe(
    v.boolean(),
    'false: the queue refused the message; the sweep sends it within SWEEP_PENDING_AFTER_SECONDS',
  ),
});

export const Resumed = v.object({
  ...PauseState.entries,
  resumedAfterSeconds: describe(v.nullable(v.number()), 'How long the pause had stood; null when none did'),
  enqueued: describe(
    v.number(),
    'Pending transfers sent at once, cancellations and erasures first, oldest first; the sweep sends the rest',
  ),
});

export const RetryMany = v.object({
  retried: describe(v.number(), 'Failed transfers marked pending again'),
  enqueued: describe(v.number(), 'Of those, how many were enqueued at once; the sweep sends the rest'),
});

export const NoticeRetryMany = v.object({ retried: v.number(), ids: v.array(v.string()) });
