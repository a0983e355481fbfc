import * as v from 'valibot';

/**
 * Response shapes outside the admin area, as valibot schemas: the OpenAPI document is
 * generated from them, and the tests parse real answers with them, so the two cannot drift.
 */

export const Timestamp = v.pipe(
  v.string(),
  v.isoTimestamp(),
  v.description('ISO 8601 time in UTC, e.g. 2026-11-28T10:00:00.000Z'),
);
export const NullableTimestamp = v.nullable(Timestamp);

export const FieldError = v.object({
  path: v.pipe(v.string(), v.description('JSON Pointer to the offending value, "/" for the whole body')),
  message: v.string(),
});

export const Problem = v.pipe(
  v.looseObject({
    type: v.pipe(
      v.string(),
      v.description('URI of the problem type; it resolves to its entry in /docs (#problem-<slug>)'),
    ),
    title: v.string(),
    status: v.pipe(v.number(), v.integer()),
    detail: v.string(),
    errors: v.optional(
      v.pipe(v.array(FieldError), v.description('Every violation, for status 422 validation problems')),
    ),
  }),
  v.description('RFC 9457 problem details (application/problem+json): the one error shape of every API route.'),
);

export const EventAccepted = v.object({
  eventId: v.pipe(v.string(), v.description('The webhook-id of the delivery')),
  status: v.literal('accepted'),
});

export const BatchAnswer = v.object({
  results: v.pipe(
    v.array(
      v.object({
        id: v.string(),
        status: v.picklist(['accepted', 'duplicate', 'rejected']),
        errors: v.optional(v.array(FieldError)),
      }),
    ),
    v.description('One result per event, in request order'),
  ),
});

const Check = v.object({ ok: v.boolean(), detail: v.optional(v.string()) });

export const Health = v.object({
  status: v.pipe(
    v.picklist(['ok', 'degraded', 'paused']),
    v.description('`paused`: everything works, but an admin paused the transfers (see `pause`)'),
  ),
  checks: v.object({ database: Check, provider: Check }),
  pause: v.pipe(
    v.nullable(v.object({ since: v.string(), reason: v.string(), pausedForSeconds: v.number() })),
    v.description('The pause standing (PUT /v1/admin/transfers/pause), or null'),
  ),
  oldestPendingAgeSeconds: v.pipe(
    v.nullable(v.number()),
    v.description('Age of the oldest pending transfer; null when none is pending'),
  ),
});
