import type * as v from 'valibot';
import { CancelledNotice, ConflictNotice } from '../schemas/notices';
import { CHOICES, INTRO, TITLE } from './about';
import { NAMED_SCHEMAS } from './components';
import { type JsonSchema, schemaConverter } from './from-valibot';
import { isValibot, type Operation, type SchemaSource } from './operation';
import { adminOperations } from './paths/admin';
import { eventOperations } from './paths/events';
import { publicOperations } from './paths/public';
import { reconciliationOperations } from './paths/reconciliations';
import { PROBLEM_TYPES, problemBySlug } from './problems';

/** The served OpenAPI 3.1 document, built once per isolate from the operations and schemas. */

export const OPERATIONS: readonly Operation[] = [
  ...eventOperations,
  ...adminOperations,
  ...reconciliationOperations,
  ...publicOperations,
];

const SCHEMAS = schemaConverter(NAMED_SCHEMAS);
const schemaOf = (s: SchemaSource): JsonSchema => (isValibot(s) ? SCHEMAS.schema(s) : s);
const PROBLEM_JSON = 'application/problem+json';

/** Every route answers these besides its own. */
const ALWAYS: Record<Operation['security'], string[]> = {
  admin: ['unauthorized', 'internal', 'configuration'],
  webhook: ['unauthorized', 'internal', 'configuration'],
  none: [],
};

let cached: JsonSchema | null = null;

export function openApiDocument(): JsonSchema {
  cached ??= build();
  return cached;
}

function build(): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const op of OPERATIONS) {
    const item = paths[op.path] ?? {};
    item[op.method] = operation(op);
    paths[op.path] = item;
  }
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    info: {
      title: TITLE,
      version: '1',
      description: `${INTRO}\n\n## Choices where the contract leaves things open\n\n${CHOICES.map((c) => `- **${c.topic}.** ${c.text}`).join('\n')}`,
    },
    tags: [
      {
        name: 'Portal events',
        description: 'The portal tells the worker what changed (Standard Webhooks signatures).',
      },
      { name: 'Admin', description: 'Sync status and operations for portal admins (bearer token).' },
      { name: 'Reader pages', description: 'The unsubscribe link in every newsletter (HTML).' },
      { name: 'Service', description: 'Health and this documentation.' },
    ],
    paths,
    webhooks: noticeWebhooks(),
    components: {
      schemas: SCHEMAS.components(),
      securitySchemes: {
        adminBearer: {
          type: 'http',
          scheme: 'bearer',
          description:
            '`Authorization: Bearer <token>`, one of the space-separated ADMIN_API_TOKEN values (compared in constant time).',
        },
        standardWebhooks: {
          type: 'apiKey',
          in: 'header',
          name: 'webhook-signature',
          description:
            'Standard Webhooks (standardwebhooks.com): `webhook-signature` is `v1,<base64 HMAC-SHA256>` over `{webhook-id}.{webhook-timestamp}.{raw body}` with a PORTAL_SIGNING_SECRET (`whsec_<base64>`, several allowed for rotation). The timestamp must be within 300 s of the worker clock.',
        },
      },
    },
    'x-problem-types': PROBLEM_TYPES,
    'x-choices': CHOICES,
  };
}

/**
 * The worker's own calls to the portal (contract §4), as OpenAPI 3.1 `webhooks`: the portal
 * implements these at PORTAL_WEBHOOK_URL.
 */
function noticeWebhooks(): Record<string, JsonSchema> {
  const signed =
    'POSTed to `PORTAL_WEBHOOK_URL`, signed the Standard Webhooks way (`webhook-id`, `webhook-timestamp`, `webhook-signature`) with `NOTIFY_SIGNING_SECRET`, never the inbound secret. ' +
    '`webhook-id` is the notice id and stays the same on every retry: de-duplicate by it. Retried with exponential backoff (`NOTICE_BACKOFF_BASE_SECONDS` … `NOTICE_BACKOFF_MAX_SECONDS`) until the portal answers 2xx, ' +
    'for at least `NOTICE_RETRY_HOURS` (72 h); then marked failed, visible in the admin JSON and retryable there.';
  const hook = (operationId: string, summary: string, body: v.GenericSchema): JsonSchema => ({
    post: {
      operationId,
      summary,
      description: signed,
      requestBody: { required: true, content: { 'application/json': { schema: SCHEMAS.schema(body) } } },
      responses: {
        '2XX': {
          description:
            'Received: the notice is marked delivered. Any other answer, or none within `NOTICE_TIMEOUT_MS`, is retried.',
        },
      },
    },
  });
  return {
    'subscription.cancelled': hook('noticeSubscriptionCancelled', 'A reader unsubscribed by link', CancelledNotice),
    'subscription.conflict': hook(
      'noticeSubscriptionConflict',
      'Reconciliation found a consent conflict',
      ConflictNotice,
    ),
  };
}

function operation(op: Operation): JsonSchema {
  const parameters = [
    ...Object.entries(op.pathParams ?? {}).map(([name, s]) => parameter(name, 'path', true, s)),
    ...Object.entries(op.query?.entries ?? {}).map(([name, s]) => parameter(name, 'query', s.type !== 'optional', s)),
    ...(op.headers ?? []).map((h) => ({
      name: h.name,
      in: 'header',
      required: h.required,
      description: h.description,
      schema: h.schema,
    })),
  ];
  return {
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    security:
      op.security === 'admin' ? [{ adminBearer: [] }] : op.security === 'webhook' ? [{ standardWebhooks: [] }] : [],
    ...(parameters.length ? { parameters } : {}),
    ...(op.body
      ? {
          requestBody: {
            required: op.body.required,
            ...(op.body.description ? { description: op.body.description } : {}),
            content: content(op.body.content),
          },
        }
      : {}),
    responses: { ...replies(op), ...problemReplies([...(op.problems ?? []), ...ALWAYS[op.security]], op) },
  };
}

function parameter(name: string, where: 'path' | 'query', required: boolean, source: SchemaSource): JsonSchema {
  // A schema's own description reads better on the parameter.
  const { description, ...schema } = schemaOf(source);
  return { name, in: where, required, ...(typeof description === 'string' ? { description } : {}), schema };
}

function content(map: Record<string, SchemaSource>): JsonSchema {
  return Object.fromEntries(Object.entries(map).map(([type, s]) => [type, { schema: schemaOf(s) }]));
}

function replies(op: Operation): Record<string, JsonSchema> {
  return Object.fromEntries(
    Object.entries(op.responses).map(([status, r]) => [
      status,
      {
        description: r.description,
        ...(r.headers ? { headers: r.headers } : {}),
        ...(r.content ? { content: content(r.content) } : {}),
      },
    ]),
  );
}

/** One response per status, naming each problem type it may carry. */
function problemReplies(slugs: string[], op: Operation): Record<string, JsonSchema> {
  const byStatus = new Map<number, string[]>();
  for (const slug of new Set(slugs)) {
    const p = problemBySlug.get(slug);
    if (!p) throw new Error(`${op.operationId}: unknown problem type ${slug}`);
    if (op.responses[String(p.status)]) continue;
    byStatus.set(p.status, [...(byStatus.get(p.status) ?? []), slug]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => {
      const reply: JsonSchema = {
        description: list.map((s) => `[${problemBySlug.get(s)?.title}](/docs#problem-${s})`).join(', '),
        content: { [PROBLEM_JSON]: { schema: { $ref: '#/components/schemas/Problem' } } },
      };
      if (status === 401 && op.security === 'admin')
        reply.headers = {
          'WWW-Authenticate': { description: 'Bearer realm="newsletter-bridge admin"', schema: { type: 'string' } },
        };
      if (status === 503)
        reply.headers = { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'string' } } };
      return [String(status), reply];
    }),
  );
}
