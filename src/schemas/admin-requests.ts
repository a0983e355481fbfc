import * as v from 'valibot';
import { NewsletterId, UserId } from './events';
import { subscriptionStates, transferStatuses } from './states';

/**
 * What the admin routes accept (paths, queries, bodies) as valibot schemas: the routes parse by
 * them and the OpenAPI document is generated from them, so both import them from here.
 */

export const NoticeId = v.pipe(
  v.string('noticeId must be a string'),
  v.minLength(1, 'noticeId must not be empty'),
  v.maxLength(64, 'noticeId must be at most 64 characters'),
);

/** `POST /v1/admin/notices/retry` body. */
export const NoticesRetryBody = v.object({ userId: v.optional(UserId) });

/** `PUT /v1/admin/newsletters/{newsletterId}` body. */
export const MappingBody = v.object({
  listId: v.pipe(
    v.string('listId must be a string'),
    v.regex(/^[A-Za-z0-9_-]{1,64}$/, 'listId must be a provider list id (letters, digits, _ or -)'),
  ),
  name: v.optional(
    v.pipe(
      v.string('name must be a string'),
      v.trim(),
      v.minLength(1, 'name must not be empty'),
      v.maxLength(200, 'name must be at most 200 characters'),
    ),
  ),
});

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 500;

/** `GET /v1/admin/subscriptions` query; the OpenAPI parameters are generated from it. */
export const SubscriptionsQuery = v.object({
  status: v.optional(
    v.pipe(
      v.picklist(transferStatuses, `status must be one of ${transferStatuses.join(', ')}`),
      v.description('Transfer status'),
    ),
  ),
  state: v.optional(
    v.pipe(
      v.picklist(subscriptionStates, `state must be one of ${subscriptionStates.join(', ')}`),
      v.description('Desired state'),
    ),
  ),
  newsletterId: v.optional(
    v.pipe(
      v.string(),
      v.minLength(1, 'newsletterId must not be empty'),
      v.maxLength(128, 'newsletterId must be at most 128 characters'),
    ),
  ),
  email: v.optional(
    v.pipe(
      v.string(),
      v.maxLength(255, 'email must be at most 255 characters'),
      v.regex(/^[^*]+\*?$/, 'email must be an address, or the start of one followed by *'),
      v.description(
        "The subscriber's current address, compared case-insensitively: exact, or a prefix when it ends with * (anna* finds anna@example.com)",
      ),
    ),
  ),
  limit: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,4}$/, `limit must be a whole number from 1 to ${MAX_PAGE}`),
      v.toNumber(),
      v.integer(),
      v.minValue(1, `limit must be a whole number from 1 to ${MAX_PAGE}`),
      v.maxValue(MAX_PAGE, `limit must be a whole number from 1 to ${MAX_PAGE}`),
      v.description('Page size'),
    ),
    String(DEFAULT_PAGE),
  ),
  cursor: v.optional(
    v.pipe(
      v.string(),
      v.maxLength(512, 'cursor is not one this API issued'),
      v.description('nextCursor of the previous page'),
    ),
  ),
});

/** `POST /v1/admin/transfers/retry` body; the OpenAPI request schema is generated from it. */
export const TransfersRetryBody = v.object({ newsletterId: v.optional(NewsletterId) });

export const PauseBody = v.object({
  reason: v.pipe(
    v.string('reason must be a string'),
    v.trim(),
    v.nonEmpty('reason is required: say why transfers are paused'),
    v.maxLength(500, 'reason is at most 500 characters'),
  ),
});
