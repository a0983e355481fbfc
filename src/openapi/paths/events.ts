import { BatchAnswer, EventAccepted } from '../../schemas/common';
import { PortalEvent } from '../../schemas/events';
import type { Operation } from '../operation';

/** `POST /v1/events` and `/v1/events/batch` (contract §1, decisions in §6). */

const webhookHeaders: Operation['headers'] = [
  {
    name: 'webhook-id',
    required: true,
    description:
      'Unique id of this delivery: the idempotency key (single and batch ids share one id space). Over 256 characters it is a 422 at `/webhook-id`.',
    schema: { type: 'string', minLength: 1, maxLength: 256 },
  },
  {
    name: 'webhook-timestamp',
    required: true,
    description: 'Unix seconds; refused when more than 300 s from the worker clock.',
    schema: { type: 'string', pattern: '^[0-9]+$' },
  },
  {
    name: 'webhook-signature',
    required: true,
    description:
      'Space-separated `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{raw body}")>`; valid when any entry matches any configured PORTAL_SIGNING_SECRET. At most 8 entries: more is a 401 before any MAC is computed.',
    schema: { type: 'string' },
  },
];

const json = 'application/json';

export const eventOperations: Operation[] = [
  {
    method: 'post',
    path: '/v1/events',
    operationId: 'postEvent',
    tag: 'Portal events',
    summary: 'Deliver one portal event',
    description: [
      'Intake order (contract §6): size (413) → signature (401) → known webhook-id (200 with the first answer, or 409) → JSON (400) → schema (422) → stored and enqueued (202). Only accepted events are stored.',
      '',
      'Limits: 64 KiB with or without Content-Length (a streamed body is refused after at most 64 KiB + 1 byte); a webhook-id of at most 256 characters; a body nested at most 32 levels deep (an event has 2), deeper is a 422 at `/`.',
      '',
      'Events may arrive late, twice or out of order: `occurredAt` orders them per subscription (state) and per user (profile). An older event is recorded in the timeline as `stale` and changes nothing; on equal times a cancellation or deletion wins over a confirmation. Every event that carries a profile carries all of it: an absent optional field means empty.',
      '',
      'An event for a newsletter without a mapped list is accepted; its subscription shows transfer status `failed` (code `unmapped`) until a mapping is added.',
    ].join('\n'),
    security: 'webhook',
    headers: webhookHeaders,
    body: {
      required: true,
      description: 'One event, at most 64 KiB, nested at most 32 levels.',
      content: { [json]: PortalEvent },
    },
    responses: {
      '202': { description: 'Accepted for sync.', content: { [json]: EventAccepted } },
      '200': {
        description: 'The same webhook-id with the same body again: the first answer; nothing is applied twice.',
        content: { [json]: EventAccepted },
      },
    },
    problems: ['bad-request', 'unauthorized', 'conflict', 'payload-too-large', 'validation', 'internal'],
  },
  {
    method: 'post',
    path: '/v1/events/batch',
    operationId: 'postEventBatch',
    tag: 'Portal events',
    summary: 'Deliver up to 500 events at once (initial load)',
    description: [
      "Signed as one request (the headers sign the whole body), at most 500 events and 1 MiB. Each event carries its own `id`, its idempotency key in the same id space as single deliveries' webhook-ids.",
      '',
      'Each event is checked on its own: one that fails its schema is `rejected` with its `errors` and does not stop the others; an id seen before with the same content is `duplicate`, with different content `rejected`. The answer lists a result per event, in request order. A body that is not `{ "events": [...] }`, or one nested deeper than 32 levels (a batch has 4), is a 422 for the whole batch.',
    ].join('\n'),
    security: 'webhook',
    headers: webhookHeaders,
    body: {
      required: true,
      // BatchBody reads `events` as an array of anything, so one bad event cannot fail the
      // batch; each item is then parsed as a BatchEvent. The document says both.
      content: {
        [json]: {
          allOf: [
            { $ref: '#/components/schemas/BatchBody' },
            { properties: { events: { items: { $ref: '#/components/schemas/BatchEvent' } } } },
          ],
        },
      },
    },
    responses: { '200': { description: 'One result per event, in request order.', content: { [json]: BatchAnswer } } },
    problems: ['bad-request', 'unauthorized', 'payload-too-large', 'validation', 'internal'],
  },
];
