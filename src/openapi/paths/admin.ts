import {
  MappingList,
  MappingRemoved,
  MappingSaved,
  NoticeRetryMany,
  NoticeView,
  PauseState,
  Resumed,
  RetryMany,
  RetryOne,
  Stats,
  SubscriberView,
  SubscriptionPage,
} from '../../schemas/admin';
import {
  MappingBody,
  NoticeId,
  NoticesRetryBody,
  PauseBody,
  SubscriptionsQuery,
  TransfersRetryBody,
} from '../../schemas/admin-requests';
import { NewsletterId, UserId } from '../../schemas/events';
import type { Operation } from '../operation';

/** `/v1/admin/*` (contract §3): every operation needs the admin bearer token. */

const json = 'application/json';
const admin = { tag: 'Admin', security: 'admin' } as const;

export const adminOperations: Operation[] = [
  {
    ...admin,
    method: 'get',
    path: '/v1/admin/subscribers/{userId}',
    operationId: 'getSubscriber',
    summary: "A user's subscriptions, notices and timeline",
    description:
      "Each subscription with its desired `state`, mapped `listId`, `unsubscribeUrl`, reconciliation `conflict` and `transfer` (status, the portal's label, the provider's own error message). " +
      '`timeline` is the event log, newest first (at most 200 entries): events received with their outcome (`applied` or `stale`, with notes), transfer attempts, dead letters, notices and reconciliation findings, each with a readable `summary`.',
    pathParams: { userId: UserId },
    responses: { '200': { description: 'The subscriber.', content: { [json]: SubscriberView } } },
    problems: ['not-found', 'validation'],
  },
  {
    ...admin,
    method: 'post',
    path: '/v1/admin/subscribers/{userId}/subscriptions/{newsletterId}/retry',
    operationId: 'retrySubscription',
    summary: 'Retry one transfer',
    description:
      'Marks the subscription pending with a new version (attempts start again) and enqueues it: the desired state is pushed again, whatever the current status. ' +
      'A retry never re-subscribes a recipient the provider shows as unsubscribed or blacklisted (contract §6): only a newer confirmation from the portal may.',
    pathParams: { userId: UserId, newsletterId: NewsletterId },
    responses: { '202': { description: 'What was done.', content: { [json]: RetryOne } } },
    problems: ['not-found', 'validation'],
  },
  {
    ...admin,
    method: 'get',
    path: '/v1/admin/subscriptions',
    operationId: 'listSubscriptions',
    summary: 'Every subscription, filtered and paged',
    description:
      'Ordered by `subscriptionId` and paged by keyset: `nextCursor` names the last id shown and the next page starts after it, so paging stays stable while data changes. ' +
      'Every row that existed when paging began and still matches the filters is returned exactly once; rows created meanwhile appear only if their (random) id sorts after the cursor. ' +
      "Filters combine with AND. `email` compares the subscriber's current address case-insensitively, exactly, or as a prefix when it ends with `*`.",
    query: SubscriptionsQuery,
    responses: { '200': { description: 'One page.', content: { [json]: SubscriptionPage } } },
    problems: ['validation'],
  },
  {
    ...admin,
    method: 'get',
    path: '/v1/admin/stats',
    operationId: 'getStats',
    summary: 'Counts, the oldest pending transfer, the provider login',
    description:
      'Counts per desired state and per transfer status, the age of the oldest pending transfer, transfer attempts in the last hour by outcome, dead letters in the log, portal notices by status, ' +
      'and the provider login: when the provider refuses the credentials, transfers stay pending (not failed) and `provider.reason` says why. Read from the database only.',
    responses: { '200': { description: 'The figures.', content: { [json]: Stats } } },
  },
  {
    ...admin,
    method: 'post',
    path: '/v1/admin/transfers/retry',
    operationId: 'retryFailedTransfers',
    summary: 'Retry every failed transfer',
    description:
      'Every failed transfer (of one newsletter when `newsletterId` is given) is pushed again as a fresh transfer of its desired state; the body may be empty. It never re-subscribes anyone the provider shows as unsubscribed. ' +
      'Up to 5000 are enqueued at once; the sweep sends the rest within SWEEP_PENDING_AFTER_SECONDS.',
    body: { required: false, content: { [json]: TransfersRetryBody } },
    responses: { '202': { description: 'How many were retried.', content: { [json]: RetryMany } } },
    problems: ['bad-request', 'validation'],
  },
  {
    ...admin,
    method: 'get',
    path: '/v1/admin/transfers/pause',
    operationId: 'getPause',
    summary: 'Whether transfers to the provider are paused',
    responses: { '200': { description: 'The pause, or `paused: false`.', content: { [json]: PauseState } } },
  },
  {
    ...admin,
    method: 'put',
    path: '/v1/admin/transfers/pause',
    operationId: 'pauseTransfers',
    summary: 'Pause every write to the provider',
    description:
      "Stored in the database, so every isolate obeys it with its next batch: the queue consumer leases and sends nothing, the sweep re-sends nothing, admin retries and reconciliation heal only mark transfers pending. Intake, unsubscribe links and notices to the portal go on; transfers stay `pending` without counting attempts. Mapping a newsletter still sets up the list's link attribute. " +
      'A second PUT changes the reason and keeps the start. Past 24 hours `warning` says that a pause longer than 48 hours breaks the rule Gmail and Yahoo set for honouring unsubscribes.',
    body: { required: true, content: { [json]: PauseBody } },
    responses: { '200': { description: 'The pause as stored.', content: { [json]: PauseState } } },
    problems: ['bad-request', 'validation'],
  },
  {
    ...admin,
    method: 'delete',
    path: '/v1/admin/transfers/pause',
    operationId: 'resumeTransfers',
    summary: 'Resume: send what waited, unsubscribes first',
    description:
      'Clears the pause and enqueues up to 5000 pending transfers at once, cancellations and erasures first, each kind oldest first; the sweep sends the rest. Resuming when nothing is paused changes nothing.',
    responses: { '200': { description: 'What was resumed.', content: { [json]: Resumed } } },
  },
  {
    ...admin,
    method: 'get',
    path: '/v1/admin/newsletters',
    operationId: 'listNewsletters',
    summary: 'The newsletter → list mapping',
    responses: { '200': { description: 'Every mapping, by newsletterId.', content: { [json]: MappingList } } },
  },
  {
    ...admin,
    method: 'put',
    path: '/v1/admin/newsletters/{newsletterId}',
    operationId: 'putNewsletter',
    summary: 'Map a newsletter to a provider list',
    description:
      'A list serves one newsletter: a list another newsletter is mapped to is a 422 naming it (`mappedTo`), since providers merge contacts by address (Newsletter2Go within a list, Brevo across the account); of two PUTs mapping two newsletters to one list at the same moment, one is stored and the other is that 422. ' +
      "The list is checked at the provider first (Newsletter2Go `GET /lists/{id}`, Brevo `GET /contacts/lists/{id}`): an unknown list is a 422 carrying the provider's message. " +
      'A new mapping or a changed list pushes every subscription of the newsletter to the list (a subscription with an open consent conflict is not created there: `held-for-consent`); the previous list is left as it is at the provider and named in `previousListId`, and its recipients stay on record, so later cancellations and erasures reach them. ' +
      'Changing only `name` (what the unsubscribe page shows) pushes nothing.',
    pathParams: { newsletterId: NewsletterId },
    body: { required: true, content: { [json]: MappingBody } },
    responses: {
      '201': { description: 'Mapping created.', content: { [json]: MappingSaved } },
      '200': { description: 'Mapping changed (or unchanged).', content: { [json]: MappingSaved } },
    },
    problems: ['bad-request', 'validation', 'unprocessable', 'provider-unavailable'],
  },
  {
    ...admin,
    method: 'delete',
    path: '/v1/admin/newsletters/{newsletterId}',
    operationId: 'deleteNewsletter',
    summary: 'Remove a mapping',
    description:
      "Nothing is deleted at the provider. The newsletter's subscriptions show failed (code `unmapped`) until a mapping returns, which pushes them again.",
    pathParams: { newsletterId: NewsletterId },
    responses: { '200': { description: 'Removed.', content: { [json]: MappingRemoved } } },
    problems: ['not-found', 'validation'],
  },
  {
    ...admin,
    method: 'post',
    path: '/v1/admin/notices/{noticeId}/retry',
    operationId: 'retryNotice',
    summary: 'Deliver one portal notice again, now',
    description:
      'One more delivery attempt right away; the answer is the notice afterwards. A delivered notice is left as it is.',
    pathParams: { noticeId: NoticeId },
    responses: { '200': { description: 'The notice after the attempt.', content: { [json]: NoticeView } } },
    problems: ['not-found', 'validation'],
  },
  {
    ...admin,
    method: 'post',
    path: '/v1/admin/notices/retry',
    operationId: 'retryFailedNotices',
    summary: 'Retry every failed portal notice',
    description:
      'Every failed notice (of one user when `userId` is given) becomes pending and is delivered by the queue; the body may be empty.',
    body: { required: false, content: { [json]: NoticesRetryBody } },
    responses: { '202': { description: 'How many were retried.', content: { [json]: NoticeRetryMany } } },
    problems: ['bad-request', 'validation'],
  },
];
