import * as v from 'valibot';
import type { ProviderFailure } from '../../ports/provider';

/**
 * `info.additional.invalid_recipients` of a 2xx upsert. Newsletter2Go has only ever published it
 * empty, so each plausible reading is accepted: an array of addresses, an array of objects naming
 * one (`email`, with a reason under `message`, `errorMessage`, `error_message` or `reason`), or an
 * object keyed by the item's index in the request, whose values are either of those or anything
 * at all. What cannot be tied to an item is reported as `unreadable`: the caller then looks the
 * affected addresses up at the provider instead of trusting the write or repeating it.
 */

export interface Rejections {
  /** Rejected items by index in the request. */
  byIndex: Map<number, ProviderFailure>;
  /** Entries (or the whole value) that named no item this reader could identify. */
  unreadable: boolean;
}

const Described = v.looseObject({
  email: v.optional(v.string()),
  message: v.optional(v.string()),
  errorMessage: v.optional(v.string()),
  error_message: v.optional(v.string()),
  reason: v.optional(v.string()),
});

export function readRejections(raw: unknown, emails: readonly string[], httpStatus: number | null): Rejections {
  const out: Rejections = { byIndex: new Map(), unreadable: false };
  if (raw === undefined || raw === null) return out;
  const indexOf = new Map<string, number[]>();
  emails.forEach((email, i) => {
    const key = email.toLowerCase();
    indexOf.set(key, [...(indexOf.get(key) ?? []), i]);
  });

  const reject = (index: number, reason: string | undefined) =>
    out.byIndex.set(index, {
      message: reason ?? 'Newsletter2Go rejected the address as invalid (invalid_recipients)',
      code: 'invalid_recipient',
      httpStatus,
    });
  /** One entry; `at` is its index key when the value is keyed by index. */
  const read = (entry: unknown, at: number | null) => {
    const described = typeof entry === 'string' ? null : v.safeParse(Described, entry);
    const d = described?.success ? described.output : null;
    const email = typeof entry === 'string' ? entry : (d?.email ?? null);
    const reason = d ? (d.message ?? d.errorMessage ?? d.error_message ?? d.reason) : undefined;
    const byEmail = email === null ? undefined : indexOf.get(email.toLowerCase());
    if (at !== null && at >= 0 && at < emails.length && (byEmail === undefined || byEmail.includes(at)))
      return void reject(at, reason);
    if (byEmail) for (const i of byEmail) reject(i, reason);
    else out.unreadable = true;
  };

  if (Array.isArray(raw)) for (const entry of raw) read(entry, null);
  else if (typeof raw === 'object')
    for (const [key, entry] of Object.entries(raw)) read(entry, /^\d+$/.test(key) ? Number(key) : null);
  else out.unreadable = true;
  return out;
}
