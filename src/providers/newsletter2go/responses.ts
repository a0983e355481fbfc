import * as v from 'valibot';
import type { ProviderFailure } from '../../ports/provider';

/** Newsletter2Go's answers, parsed rather than trusted (spec: "Envelope and ids"). */

export const Envelope = v.object({
  status: v.optional(v.number()),
  info: v.optional(
    v.looseObject({
      count: v.optional(v.number()),
      links: v.optional(v.looseObject({ _next: v.optional(v.nullable(v.string())) })),
      // Its shape is unconfirmed (an array, or an object keyed by index): read in invalid-recipients.ts.
      additional: v.optional(v.looseObject({ invalid_recipients: v.optional(v.unknown()) })),
    }),
  ),
  value: v.optional(v.array(v.unknown()), []),
});
export type Envelope = v.InferOutput<typeof Envelope>;

/** Whether a collection page read at `offset` has more after it: `info.links._next`, else the count. */
export function hasMore(env: Envelope, offset: number): boolean {
  if (env.info?.links) return Boolean(env.info.links._next);
  return env.value.length > 0 && offset + env.value.length < (env.info?.count ?? 0);
}

export const IdItem = v.looseObject({ id: v.string() });

const flag = v.optional(v.nullable(v.union([v.boolean(), v.number(), v.string()])));
const str = v.optional(v.nullable(v.string()), '');

export const RecipientItem = v.looseObject({
  id: v.string(),
  email: v.optional(v.nullable(v.string()), ''),
  first_name: str,
  last_name: str,
  gender: str,
  is_unsubscribed: flag,
  is_blacklisted: flag,
  is_bounced: flag,
});

export const ListItem = v.looseObject({ id: v.string(), name: v.optional(v.nullable(v.string())) });

export const TokenResponse = v.looseObject({
  access_token: v.pipe(v.string(), v.nonEmpty()),
  refresh_token: v.optional(v.string()),
  expires_in: v.optional(v.number(), 7200),
});

/** Newsletter2Go sends flags as booleans, 0/1 or "0"/"1" depending on the endpoint. */
export function truthy(x: unknown): boolean {
  return x === true || x === 1 || x === '1' || x === 'true';
}

const ErrorBody = v.looseObject({
  code: v.optional(v.union([v.number(), v.string()])),
  error: v.optional(v.unknown()),
  errorMessage: v.optional(v.string()),
  error_message: v.optional(v.string()),
  error_description: v.optional(v.string()),
  message: v.optional(v.string()),
  moreInfo: v.optional(v.unknown()),
});

/**
 * The provider's own words for the admin JSON: `errorMessage` (its examples), `error_message`
 * (its Swagger model) or `error_description` (OAuth), verbatim; the code kept as a string.
 */
export function describeFailure(httpStatus: number, rawBody: string): ProviderFailure {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    parsed = undefined;
  }
  const body = v.safeParse(ErrorBody, parsed);
  if (!body.success) {
    const text = rawBody.trim().slice(0, 500);
    return { message: text || `HTTP ${httpStatus} without a body`, code: null, httpStatus };
  }
  const b = body.output;
  const detail = validationDetail(b.moreInfo);
  const message =
    b.errorMessage ??
    b.error_message ??
    b.error_description ??
    b.message ??
    (typeof b.error === 'string' ? b.error : undefined);
  const code = b.code ?? (typeof b.error === 'string' ? b.error : undefined);
  // The field-level reasons name what was refused (an attribute the list lacks, say): kept after
  // a general message such as "Error during input validation".
  return {
    message: message && detail ? `${message}: ${detail}` : (message ?? detail ?? `HTTP ${httpStatus}`),
    code: code === undefined ? null : String(code),
    httpStatus,
  };
}

/** 422 bodies carry field-level reasons in moreInfo.errors. */
function validationDetail(moreInfo: unknown): string | undefined {
  const parsed = v.safeParse(
    v.looseObject({
      errors: v.array(v.looseObject({ fieldName: v.optional(v.string()), message: v.optional(v.string()) })),
    }),
    moreInfo,
  );
  if (!parsed.success) return undefined;
  const parts = parsed.output.errors.map((e) => [e.fieldName, e.message].filter(Boolean).join(' ')).filter(Boolean);
  return parts.length ? parts.join('; ') : undefined;
}
