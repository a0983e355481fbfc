import type * as v from 'valibot';
import * as admin from '../schemas/admin';
import { MappingBody, NoticesRetryBody, TransfersRetryBody } from '../schemas/admin-requests';
import * as common from '../schemas/common';
import {
  BatchBody,
  BatchEvent,
  PortalEvent,
  SubscriberUpdated,
  SubscriptionCancelled,
  SubscriptionConfirmed,
  UserDeleted,
} from '../schemas/events';
import { CancelledNotice, ConflictNotice } from '../schemas/notices';
import { FindingView, RunDetail, RunningProblem, RunPage, RunView, StartBody } from '../schemas/reconciliations';

/**
 * The schemas the document names in `components.schemas`. Wherever one of these objects
 * occurs inside another schema, the document refers to it instead of repeating it.
 */
export const NAMED_SCHEMAS: [string, v.GenericSchema][] = [
  ['PortalEvent', PortalEvent],
  ['SubscriptionConfirmed', SubscriptionConfirmed],
  ['SubscriberUpdated', SubscriberUpdated],
  ['SubscriptionCancelled', SubscriptionCancelled],
  ['UserDeleted', UserDeleted],
  ['BatchBody', BatchBody],
  ['BatchEvent', BatchEvent],
  ['EventAccepted', common.EventAccepted],
  ['BatchAnswer', common.BatchAnswer],
  ['Problem', common.Problem],
  ['FieldError', common.FieldError],
  ['Health', common.Health],
  ['MappingBody', MappingBody],
  ['TransfersRetryBody', TransfersRetryBody],
  ['NoticesRetryBody', NoticesRetryBody],
  ['SubscriberView', admin.SubscriberView],
  ['SubscriptionView', admin.SubscriptionView],
  ['SubscriptionListItem', admin.SubscriptionListItem],
  ['SubscriptionPage', admin.SubscriptionPage],
  ['TransferView', admin.TransferView],
  ['NoticeView', admin.NoticeView],
  ['TimelineEntry', admin.TimelineEntry],
  ['Stats', admin.Stats],
  ['Mapping', admin.Mapping],
  ['MappingList', admin.MappingList],
  ['MappingSaved', admin.MappingSaved],
  ['MappingRemoved', admin.MappingRemoved],
  ['RetryOne', admin.RetryOne],
  ['RetryMany', admin.RetryMany],
  ['NoticeRetryMany', admin.NoticeRetryMany],
  ['ReconciliationStart', StartBody],
  ['ReconciliationRun', RunView],
  ['ReconciliationRunPage', RunPage],
  ['ReconciliationRunDetail', RunDetail],
  ['ReconciliationFinding', FindingView],
  ['RunningProblem', RunningProblem],
  ['CancelledNotice', CancelledNotice],
  ['ConflictNotice', ConflictNotice],
];
