/**
 * Every problem type the API answers with. A problem's `type` is `/docs#problem-<slug>`
 * (src/lib/problem.ts); the reference page renders one anchored entry per slug here, and a
 * test checks that every slug the code uses is listed.
 */
export interface ProblemType {
  slug: string;
  status: number;
  title: string;
  description: string;
}

export const PROBLEM_TYPES: readonly ProblemType[] = [
  {
    slug: 'bad-request',
    status: 400,
    title: 'Bad request',
    description: 'The body is not valid (UTF-8) JSON, or a required body is missing.',
  },
  {
    slug: 'unauthorized',
    status: 401,
    title: 'Unauthorized',
    description:
      'Admin routes: no `Authorization: Bearer <token>` header, or a token that is not one of ADMIN_API_TOKEN (the answer carries `WWW-Authenticate`). ' +
      'Portal events: a missing webhook header, a timestamp more than 300 s from the worker clock, more than 8 `webhook-signature` entries, or no matching signature.',
  },
  {
    slug: 'not-found',
    status: 404,
    title: 'Not found',
    description: 'No route matches, or the named subscriber, subscription, mapping or notice is unknown.',
  },
  {
    slug: 'conflict',
    status: 409,
    title: 'Conflict',
    description:
      'The webhook-id (or batch id) was already used with a different body (nothing was applied), or a reconciliation run is still running (`runningRunId` names it).',
  },
  {
    slug: 'payload-too-large',
    status: 413,
    title: 'Payload too large',
    description:
      'The body exceeds 64 KiB (single event) or 1 MiB (batch), by its Content-Length or, streamed without one, once one byte more than the limit has arrived.',
  },
  {
    slug: 'unsupported-media-type',
    status: 415,
    title: 'Unsupported media type',
    description: 'The body has a content type the route does not read.',
  },
  {
    slug: 'validation',
    status: 422,
    title: 'Validation failed',
    description:
      'The body, a path or a query parameter does not match its schema. `errors` lists every violation as `{ path, message }`, `path` being a JSON Pointer.',
  },
  {
    slug: 'unprocessable',
    status: 422,
    title: 'Unprocessable request',
    description:
      "Well-formed but refused: e.g. a list the provider does not know. `provider` carries the provider's own `message`, `code` and `httpStatus`.",
  },
  {
    slug: 'internal',
    status: 500,
    title: 'Internal error',
    description:
      'Something failed inside the worker, e.g. the database was unreachable, or a write lost its race against other requests about the same user on every one of its tries. The answer holds no internals; an event is either fully stored or not at all, so sending it again is safe.',
  },
  {
    slug: 'configuration',
    status: 503,
    title: 'Worker misconfigured',
    description:
      'A required setting is missing or malformed (a secret that does not decode, one too short, …); `detail` names each such setting, never its value. Every route answers this, `/health` included, until the setting is fixed.',
  },
  {
    slug: 'http',
    status: 400,
    title: 'HTTP error',
    description: 'A request the HTTP layer refused before a handler ran; `status` says which.',
  },
  {
    slug: 'unavailable',
    status: 503,
    title: 'Service unavailable',
    description: 'A dependency is not available at the moment; try again later.',
  },
  {
    slug: 'provider-unavailable',
    status: 503,
    title: 'Provider unavailable',
    description:
      'The provider could not be asked (an outage, a rate limit, a refused login); `Retry-After` says when to try again.',
  },
];

export const problemBySlug = new Map(PROBLEM_TYPES.map((p) => [p.slug, p]));
