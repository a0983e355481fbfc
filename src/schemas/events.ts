import * as v from 'valibot';
import type { FieldError } from '../lib/problem';
import { toFieldErrors } from '../lib/valibot';

/**
 * The portal's events (contract §1): the schemas that validate `/v1/events` bodies are the
 * same ones the OpenAPI document is generated from.
 */

export const FUTURE_TOLERANCE_MS = 5 * 60 * 1000;

/**
 * JSON can carry an unpaired UTF-16 surrogate (`"\ud800"`), the database's UTF-8 text cannot: it
 * would store U+FFFD instead, so the stored id would differ from the one given and two ids
 * could become one.
 */
const wellFormed = (what: string) =>
  v.check((s: string) => !/\p{Cs}/u.test(s), `${what} must be well-formed Unicode (no unpaired surrogate)`);

/** A non-empty, well-formed string id of at most `max` characters. */
const boundedId = (what: string, max: number) =>
  v.pipe(
    v.string(`${what} must be a string`),
    v.minLength(1, `${what} must not be empty`),
    v.maxLength(max, `${what} must be at most ${max} characters`),
    wellFormed(what),
  );
const opaqueId = (what: string) => boundedId(what, 128);
const eventId = (what: string) => boundedId(what, 256);

export const UserId = opaqueId('userId');

/** A batch item's id: the same id space as a single delivery's `webhook-id` (contract §6). */
export const EventId = eventId('id');
/** A single delivery's `webhook-id` header, held to the same limit. */
export const WebhookId = eventId('webhook-id');
export const NewsletterId = opaqueId('newsletterId');

export const Email = v.pipe(
  v.string('email must be a string'),
  v.maxLength(254, 'email must be at most 254 characters'),
  v.email('email must be an e-mail address'),
);

const name = (what: string) =>
  v.optional(
    v.pipe(
      v.string(`${what} must be a string`),
      v.maxLength(256, `${what} must be at most 256 characters`),
      wellFormed(what),
    ),
  );

const profileFields = {
  userId: UserId,
  email: Email,
  firstName: name('firstName'),
  lastName: name('lastName'),
  gender: v.optional(v.picklist(['m', 'f'], 'gender must be "m" or "f" or absent')),
};

export const OccurredAt = v.pipe(
  v.string('occurredAt must be a string'),
  v.isoTimestamp('occurredAt must be an ISO 8601 timestamp'),
  v.check((s) => !Number.isNaN(Date.parse(s)), 'occurredAt must be a valid date'),
);

const envelope = <T extends string, D extends v.ObjectEntries>(type: T, data: D) =>
  v.object({
    type: v.literal(type),
    occurredAt: OccurredAt,
    data: v.object(data, 'data must be an object'),
  });

export const SubscriptionConfirmed = envelope('subscription.confirmed', {
  ...profileFields,
  newsletterId: NewsletterId,
});
export const SubscriberUpdated = envelope('subscriber.updated', profileFields);
export const SubscriptionCancelled = envelope('subscription.cancelled', { userId: UserId, newsletterId: NewsletterId });
export const UserDeleted = envelope('user.deleted', { userId: UserId });

export const eventTypes = [
  'subscription.confirmed',
  'subscriber.updated',
  'subscription.cancelled',
  'user.deleted',
] as const;

const schemaByType = {
  'subscription.confirmed': SubscriptionConfirmed,
  'subscriber.updated': SubscriberUpdated,
  'subscription.cancelled': SubscriptionCancelled,
  'user.deleted': UserDeleted,
} as const;

/** The documented union (for OpenAPI); parsing goes through `parsePortalEvent`. */
export const PortalEvent = v.variant('type', [
  SubscriptionConfirmed,
  SubscriberUpdated,
  SubscriptionCancelled,
  UserDeleted,
]);
export type PortalEvent = v.InferOutput<typeof PortalEvent>;

export const BatchEvent = v.intersect([v.object({ id: EventId }), PortalEvent]);

export const BatchBody = v.object({
  events: v.pipe(
    v.array(v.unknown(), 'events must be an array'),
    v.minLength(1, 'events must not be empty'),
    v.maxLength(500, 'events must hold at most 500 events'),
  ),
});

export type ParseResult = { ok: true; event: PortalEvent } | { ok: false; errors: FieldError[] };

/**
 * Parses one event, reporting every violation: an unknown `type` is one error beside the
 * envelope's others; a known type's own schema lists all of its problems (a variant would
 * stop at the first).
 */
export function parsePortalEvent(input: unknown, now = Date.now()): ParseResult {
  const typeCheck = v.safeParse(
    v.object({ type: v.picklist(eventTypes, `type must be one of ${eventTypes.join(', ')}`) }),
    input,
  );
  if (!typeCheck.success) {
    const rest = v.safeParse(
      v.object({ occurredAt: OccurredAt, data: v.record(v.string(), v.unknown(), 'data must be an object') }),
      input,
      { abortEarly: false },
    );
    return { ok: false, errors: toFieldErrors([...typeCheck.issues, ...(rest.success ? [] : rest.issues)]) };
  }
  const result = v.safeParse(schemaByType[typeCheck.output.type], input, { abortEarly: false });
  const errors = result.success ? [] : toFieldErrors(result.issues);
  const occurredAt = result.success ? result.output.occurredAt : undefined;
  if (occurredAt && Date.parse(occurredAt) > now + FUTURE_TOLERANCE_MS) {
    errors.push({ path: '/occurredAt', message: 'occurredAt must not be more than 5 minutes in the future' });
  }
  if (!result.success || errors.length) return { ok: false, errors };
  return { ok: true, event: result.output };
}
