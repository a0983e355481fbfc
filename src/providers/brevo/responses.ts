import * as v from 'valibot';
import type { ProviderFailure } from '../../ports/provider';
import {
  CredentialsRefusedError,
  PermanentError,
  type ProviderError,
  RateLimitedError,
  RecipientGoneError,
  RetryableError,
} from '../../ports/provider-errors';

/** Brevo's answers, parsed rather than trusted (spec: brevo-api.md). */

const ids = v.optional(
  v.pipe(
    v.nullable(v.array(v.number())),
    v.transform((x) => x ?? []),
  ),
  [],
);

export const Contact = v.looseObject({
  id: v.number(),
  email: v.optional(v.nullable(v.string()), ''),
  emailBlacklisted: v.optional(v.nullable(v.boolean()), false),
  listIds: ids,
  listUnsubscribed: ids,
  attributes: v.optional(
    v.pipe(
      v.nullable(v.record(v.string(), v.unknown())),
      v.transform((x) => x ?? {}),
    ),
    {},
  ),
  ext_id: v.optional(v.unknown()),
});
export type Contact = v.InferOutput<typeof Contact>;

export const ContactsPage = v.looseObject({
  contacts: v.optional(v.nullable(v.array(v.unknown())), []),
  count: v.optional(v.number(), 0),
});

export const Created = v.looseObject({ id: v.number() });

export const ListItem = v.looseObject({ id: v.number(), name: v.optional(v.nullable(v.string()), null) });

export const Attributes = v.looseObject({
  attributes: v.optional(v.nullable(v.array(v.looseObject({ name: v.string() }))), []),
});

export const ListChange = v.looseObject({
  contacts: v.optional(
    v.looseObject({
      success: v.optional(v.array(v.unknown()), []),
      failure: v.optional(v.array(v.unknown()), []),
    }),
  ),
});

const ErrorBody = v.looseObject({
  code: v.optional(v.unknown()),
  message: v.optional(v.unknown()),
  metadata: v.optional(v.unknown()),
});

/**
 * The portal user a contact belongs to. Where Brevo shows `ext_id` on a read is unconfirmed (the
 * reference calls it the EXT_ID attribute, the response models have no field): both are read.
 */
export function externalIdOf(contact: Contact): string | null {
  const raw = contact.ext_id ?? contact.attributes?.EXT_ID;
  return typeof raw === 'string' && raw ? raw : typeof raw === 'number' ? String(raw) : null;
}

export function text(contact: Contact, attribute: string): string {
  const value = contact.attributes?.[attribute];
  return typeof value === 'string' ? value : '';
}

export function safeJson(raw: string): unknown {
  try {
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

/** Brevo's own words: `{code, message}`, else the status line. */
export function describeFailure(status: number, raw: string): ProviderFailure {
  const body = v.safeParse(ErrorBody, safeJson(raw));
  const code = body.success && typeof body.output.code === 'string' ? body.output.code : null;
  const message = body.success && typeof body.output.message === 'string' ? body.output.message : null;
  return { message: message ?? `Brevo answered HTTP ${status}`, code, httpStatus: status };
}

/** Whether a 400 says the address (or ext_id) belongs to another contact. */
export function isTaken(status: number, raw: string): boolean {
  const body = v.safeParse(ErrorBody, safeJson(raw));
  if (status !== 400 || !body.success) return false;
  const { code, message, metadata } = body.output;
  return isDuplicate(typeof code === 'string' ? code : null, typeof message === 'string' ? message : null, metadata);
}

/**
 * An address (or ext_id) another contact holds. Brevo moved this case from `duplicate_parameter`
 * to `invalid_parameter` in 2026, so it is told by its metadata and message, the code only as one
 * sign among them, compared case-insensitively.
 */
function isDuplicate(code: string | null, message: string | null, metadata: unknown): boolean {
  const named = v.safeParse(v.looseObject({ duplicate_identifiers: v.array(v.unknown()) }), metadata);
  if (named.success && named.output.duplicate_identifiers.length) return true;
  if (message && /already (associated|exist)/i.test(message)) return true;
  return code?.toLowerCase() === 'duplicate_parameter';
}

export function classify(status: number, raw: string, headers: Headers): ProviderError {
  const failure = describeFailure(status, raw);
  if (status === 401) return new CredentialsRefusedError(failure);
  // Brevo sends no Retry-After: x-sib-ratelimit-reset is the time left in the window, in seconds.
  if (status === 429) return new RateLimitedError(failure, resetMs(headers));
  if (status >= 500 || status === 408 || status === 425) return new RetryableError(failure);
  if (status === 404) return new RecipientGoneError(failure);
  return new PermanentError(failure);
}

function resetMs(headers: Headers): number | null {
  const reset = Number(headers.get('x-sib-ratelimit-reset'));
  return headers.has('x-sib-ratelimit-reset') && Number.isFinite(reset) && reset >= 0 ? reset * 1000 : null;
}
