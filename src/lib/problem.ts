/**
 * RFC 9457 problem details: the one error shape of every API route. Handlers throw a
 * Problem; `onError` renders it. `type` URIs are relative to the served API documentation.
 */
export interface FieldError {
  path: string;
  message: string;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** 4xx and 5xx statuses: a problem always has a body, so never 1xx, 204, 205 or 304. */
const problemStatuses = [
  400, 401, 403, 404, 405, 406, 408, 409, 410, 411, 412, 413, 415, 422, 429, 500, 502, 503, 504,
] as const;
export type ProblemStatus = (typeof problemStatuses)[number];

/** A status from elsewhere (a Hono HTTPException) as a problem status; anything else is a 500. */
export function problemStatus(status: number): ProblemStatus {
  return problemStatuses.find((s) => s === status) ?? 500;
}

export class Problem extends Error {
  /** Extra response headers, e.g. WWW-Authenticate on a 401 or Retry-After on a 503. */
  readonly headers: Record<string, string> = {};

  constructor(
    readonly status: ProblemStatus,
    readonly slug: string,
    readonly title: string,
    readonly detail: string,
    readonly errors?: FieldError[],
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'Problem';
  }

  toBody(): ProblemBody {
    return {
      type: `/docs#problem-${this.slug}`,
      title: this.title,
      status: this.status,
      detail: this.detail,
      ...(this.errors ? { errors: this.errors } : {}),
      ...this.extensions,
    };
  }
}

export const problems = {
  badRequest: (detail: string) => new Problem(400, 'bad-request', 'Bad request', detail),
  unauthorized: (detail: string) => new Problem(401, 'unauthorized', 'Unauthorized', detail),
  notFound: (detail: string) => new Problem(404, 'not-found', 'Not found', detail),
  conflict: (detail: string) => new Problem(409, 'conflict', 'Conflict', detail),
  tooLarge: (limit: number) =>
    new Problem(413, 'payload-too-large', 'Payload too large', `The body exceeds the limit of ${limit} bytes.`),
  unsupportedMedia: (detail: string) => new Problem(415, 'unsupported-media-type', 'Unsupported media type', detail),
  invalid: (errors: FieldError[], detail = 'The request does not match the schema.') =>
    new Problem(422, 'validation', 'Validation failed', detail, errors),
  unprocessable: (detail: string, extensions: Record<string, unknown> = {}) =>
    new Problem(422, 'unprocessable', 'Unprocessable request', detail, undefined, extensions),
  internal: () => new Problem(500, 'internal', 'Internal error', 'The worker could not complete the request.'),
  unavailable: (detail: string) => new Problem(503, 'unavailable', 'Service unavailable', detail),
};

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problemResponse(problem: Problem): Response {
  return new Response(JSON.stringify(problem.toBody()), {
    status: problem.status,
    headers: { ...problem.headers, 'content-type': PROBLEM_CONTENT_TYPE },
  });
}
