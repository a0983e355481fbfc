import * as v from 'valibot';
import type { ProfileField } from '../../lib/profile-diff';
import type {
  AbsentStatus,
  AttributeSetup,
  ContactData,
  ContactRef,
  ListInfo,
  MemberPage,
  NewsletterProvider,
  ProviderFailure,
  RemoteContact,
  RemoteStatus,
  WriteResult,
} from '../../ports/provider';
import {
  PermanentError,
  ProviderError,
  RateLimitedError,
  RecipientGoneError,
  RetryableError,
} from '../../ports/provider-errors';
import type { Transport } from '../http/transport';
import { ensureAttribute, refusedAttributes } from './attributes';
import { safeJson, type TokenManager } from './auth';
import { DEFAULT_DELETED_EMAIL_DOMAIN, dummyEmailFor, ERASED_NAME, erasureLeftovers } from './erasure';
import { anyOf, chunkByUrlLength } from './filters';
import { readRejections } from './invalid-recipients';
import { describeFailure, Envelope, hasMore, IdItem, ListItem, RecipientItem, truthy } from './responses';

export interface Newsletter2GoOptions {
  /** N2G_TIMEOUT_MS and N2G_BULK_SIZE. */
  limits: { timeoutMs: number; bulkSize: number };
  /** The custom attribute the unsubscribe link is written to (UNSUBSCRIBE_ATTRIBUTE), on every list. */
  linkAttribute: string;
  /** The domain of an erased recipient's dummy address (DELETED_EMAIL_DOMAIN). */
  deletedEmailDomain?: string;
}

/**
 * Newsletter2Go REST API v1 behind the provider port ("Workflow → calls" of the spec).
 * Recipients belong to one list and are matched by e-mail within it; the stored recipient id
 * is the only way to reach one whose address changed. The portal's user id is not stored there:
 * the engine keeps the recipient ids.
 */
export class Newsletter2GoProvider implements NewsletterProvider {
  readonly name = 'newsletter2go';
  readonly label = 'Newsletter2Go';
  readonly addressScope = 'list';
  readonly limits: { timeoutMs: number; bulkSize: number };

  constructor(
    private readonly transport: Transport,
    private readonly tokens: TokenManager,
    private readonly options: Newsletter2GoOptions,
  ) {
    this.limits = options.limits;
  }

  get callCount(): number {
    return this.transport.calls;
  }

  async checkLogin(): Promise<void> {
    await this.tokens.token();
  }

  async getList(listId: string): Promise<ListInfo> {
    // Without `_fields` (or `_expand`) Newsletter2Go answers with `{_href, id}` only.
    const env = await this.call('GET', `/lists/${enc(listId)}`, undefined, { _fields: 'id,name' });
    const item = v.safeParse(ListItem, env.value[0]);
    if (!item.success)
      throw new RecipientGoneError({ message: `List ${listId} not found`, code: null, httpStatus: 404 });
    return { listId: item.output.id, name: item.output.name ?? null };
  }

  async subscribe(listId: string, items: ContactData[], options: { resubscribe: boolean }): Promise<WriteResult[]> {
    if (items.length === 0) return [];
    const bodies = items.map((item) => ({
      list_id: listId,
      ...this.fields(item),
      ...(options.resubscribe ? { is_unsubscribed: false } : {}),
    }));
    // One item: the single form answers its id directly. Several: the array form (one call).
    let env: Envelope | null;
    try {
      env = await this.healing(listId, () =>
        this.call('POST', '/recipients', bodies.length === 1 ? bodies[0] : bodies, undefined, { written: true }),
      );
    } catch (error) {
      if (!(error instanceof WrittenUnreadable)) throw error;
      env = null;
    }
    const emails = items.map((i) => i.email);
    // A 2xx whose body cannot be read still wrote: look every address up rather than write again.
    const rejected = env
      ? readRejections(env.info?.additional?.invalid_recipients, emails, env.status ?? null)
      : { byIndex: new Map(), unreadable: true };
    const ids = new Map<string, string>();
    const returned = (env?.value ?? []).flatMap((raw) => {
      const id = v.safeParse(IdItem, raw);
      return id.success ? [id.output.id] : [];
    });
    const [only] = items;
    const [onlyId] = returned;
    try {
      if (items.length === 1 && only && onlyId && !rejected.byIndex.size) ids.set(only.email.toLowerCase(), onlyId);
      // The array answer does not say which id belongs to which address: read the ids back
      // (one filter on ids fits a whole batch in one URL), then any address still without one.
      else if (returned.length) for (const [email, id] of await this.byIds(listId, returned)) ids.set(email, id);
      const missing = items.filter((item, i) => !rejected.byIndex.has(i) && !ids.has(item.email.toLowerCase()));
      for (const [email, ref] of await this.findContacts(
        listId,
        missing.map((m) => m.email),
      ))
        ids.set(email, ref.contactId);
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      // The write stands: only the read-back is owed, and is retried on its own.
      return upsertResults(items, ids, rejected.byIndex, error.failure);
    }
    return upsertResults(items, ids, rejected.byIndex, null);
  }

  async updateContact(ref: ContactRef, data: ContactData, options: { resubscribe: boolean }): Promise<void> {
    await this.healing(ref.listId, () =>
      this.patch(ref, { ...this.fields(data), ...(options.resubscribe ? { is_unsubscribed: false } : {}) }),
    );
  }

  async unsubscribe(ref: ContactRef): Promise<void> {
    await this.patch(ref, { is_unsubscribed: true });
  }

  /**
   * Unsubscribed, names `DELETED`, a unique dummy address, and this subscription's own link
   * written back (a creation Newsletter2Go merged into this recipient may have left another's).
   * A dummy the provider refuses removes the recipient from the list instead, so no name or
   * address stays behind.
   */
  async erase(
    ref: ContactRef,
    subject: { subscriptionId: string; unsubscribeUrl: string },
  ): Promise<{ note?: string }> {
    try {
      await this.healing(ref.listId, () =>
        this.patch(ref, {
          [this.options.linkAttribute]: subject.unsubscribeUrl,
          is_unsubscribed: true,
          email: dummyEmailFor(subject.subscriptionId, this.options.deletedEmailDomain ?? DEFAULT_DELETED_EMAIL_DOMAIN),
          first_name: ERASED_NAME,
          last_name: ERASED_NAME,
          gender: '',
        }),
      );
      return {};
    } catch (error) {
      if (!(error instanceof ProviderError) || error.kind !== 'permanent') throw error;
      await this.call('DELETE', `/lists/${enc(ref.listId)}/recipients/${enc(ref.contactId)}`);
      return {
        note: `recipient in list ${ref.listId} removed from the list: the provider refused the anonymisation (${error.failure.message})`,
      };
    }
  }

  async findContacts(listId: string, emails: readonly string[]): Promise<Map<string, ContactRef>> {
    const out = new Map<string, ContactRef>();
    // Matched case-insensitively by the provider: each address once, as spelled first.
    const unique = [...new Map(emails.map((e) => [e.toLowerCase(), e] as const)).values()];
    for (const [email, id] of await this.lookup(listId, 'email', unique)) out.set(email, { listId, contactId: id });
    return out;
  }

  linkAttribute(_listId: string): string {
    return this.options.linkAttribute;
  }

  async ensureLinkAttribute(listId: string): Promise<AttributeSetup> {
    return this.ensureAttribute(listId, this.options.linkAttribute);
  }

  /** A list's recipients include the unsubscribed, blacklisted and bounced: one absent is gone. */
  async explainAbsent(_listId: string, contactIds: readonly string[]): Promise<Map<string, AbsentStatus>> {
    return new Map(contactIds.map((id) => [id, 'gone' as const]));
  }

  erasureLeftovers(subscriptionId: string, contact: RemoteContact): ProfileField[] {
    return erasureLeftovers(subscriptionId, contact);
  }

  async readMembers(listId: string, offset: number, limit: number): Promise<MemberPage> {
    const env = await this.call('GET', `/lists/${enc(listId)}/recipients`, undefined, {
      _expand: 'true',
      _fields: 'id,email,first_name,last_name,gender,is_unsubscribed,is_blacklisted,is_bounced',
      _limit: limit,
      _offset: offset,
    });
    const items = env.value.map((raw) => {
      const parsed = v.safeParse(RecipientItem, raw);
      if (!parsed.success)
        throw new RetryableError({
          message: 'Newsletter2Go listed a recipient in an unexpected shape',
          code: null,
          httpStatus: 200,
        });
      const r = parsed.output;
      return {
        contactId: r.id,
        email: r.email ?? '',
        firstName: r.first_name ?? '',
        lastName: r.last_name ?? '',
        gender: r.gender ?? '',
        status: statusOf(r),
      };
    });
    const total = env.info?.count ?? offset + items.length;
    return { items, next: hasMore(env, offset) && items.length > 0 ? offset + items.length : null, total };
  }

  /** email → id of the recipients with these ids (the read-back after an array upsert). */
  private async byIds(listId: string, ids: string[]): Promise<Map<string, string>> {
    return this.lookup(listId, 'id', ids);
  }

  /**
   * Recipients whose `field` is one of `values`, as email → id: `field=="a",field=="b"` (the docs'
   * OR), in as few requests as fit in a 4,096-byte URL each.
   */
  private async lookup(listId: string, field: 'email' | 'id', values: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    if (!values.length) return out;
    const path = `/lists/${enc(listId)}/recipients`;
    const query = (filter: string, limit: number) => ({
      _expand: 'true',
      _fields: 'id,email',
      _filter: filter,
      _limit: Math.max(limit, 1),
    });
    const runs = chunkByUrlLength(field, values, (f) => this.transport.url(path, query(f, values.length)).href, {
      maxPerRun: LOOKUP_MAX,
    });
    for (const run of runs) {
      // A look-up is a read: one hiccup is tried again at once rather than costing the round.
      const env = await this.call('GET', path, undefined, query(anyOf(field, run), run.length), { retryOnce: true });
      for (const raw of env.value) {
        const r = v.safeParse(RecipientItem, raw);
        if (r.success && r.output.email) out.set(r.output.email.toLowerCase(), r.output.id);
      }
    }
    return out;
  }

  /**
   * A write carrying custom attributes that the list refuses for lacking one: the attribute is
   * added back to the list and the write made once more; still refused, the refusal names it.
   */
  private async healing<T>(listId: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      const missing = refusedAttributes(error, [this.options.linkAttribute]);
      if (!missing.length) throw error;
      let added = false;
      for (const name of missing) added = (await this.ensureAttribute(listId, name)).action !== 'present' || added;
      if (!added) throw error;
      return write();
    }
  }

  private async ensureAttribute(listId: string, name: string): Promise<AttributeSetup> {
    return ensureAttribute((method, path, body, query) => this.call(method, path, body, query), listId, name);
  }

  private async patch(ref: ContactRef, body: Record<string, unknown>): Promise<void> {
    await this.call('PATCH', `/lists/${enc(ref.listId)}/recipients/${enc(ref.contactId)}`, body);
  }

  private fields(item: ContactData): Record<string, string> {
    return {
      email: item.email,
      first_name: item.firstName,
      last_name: item.lastName,
      gender: item.gender,
      [this.options.linkAttribute]: item.unsubscribeUrl,
    };
  }

  /** One authenticated call; a refused token is renewed once, then the error is classified. */
  private async call(
    method: string,
    path: string,
    body?: unknown,
    query?: Record<string, string | number>,
    options: { written?: boolean; retryOnce?: boolean } = {},
  ): Promise<Envelope> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.tokens.token();
      const res = await this.transport.send(method, path, {
        headers: { authorization: `Bearer ${token}` },
        body,
        query,
        retryOnce: options.retryOnce,
      });
      if (res.status >= 200 && res.status < 300) {
        const env = v.safeParse(Envelope, safeJson(res.raw));
        if (!env.success && options.written) throw new WrittenUnreadable(res.status);
        if (!env.success)
          throw new RetryableError({
            message: 'Newsletter2Go answered with an unexpected body',
            code: null,
            httpStatus: res.status,
          });
        return env.output;
      }
      if (attempt === 0 && isTokenRefused(res.status, res.raw)) {
        await this.tokens.refused(token);
        continue;
      }
      throw classify(res.status, res.raw, res.headers);
    }
  }
}

/** Addresses or ids per look-up: a page's worth, well under the 5,000 clients have used. */
const LOOKUP_MAX = 500;

/** A 2xx answer to a write whose body could not be read: the write happened, its result is unknown. */
class WrittenUnreadable extends Error {
  constructor(readonly status: number) {
    super(`Newsletter2Go answered ${status} with a body that could not be read`);
  }
}

/**
 * Each item's result once the ids that could be read are known. `readBackFailure`: the read-back
 * failed after the provider took the write, so an item without an id is `written`, not refused.
 */
function upsertResults(
  items: ContactData[],
  ids: Map<string, string>,
  refusals: Map<number, ProviderFailure>,
  readBackFailure: ProviderFailure | null,
): WriteResult[] {
  return items.map((item, i): WriteResult => {
    const id = ids.get(item.email.toLowerCase());
    const refusal = refusals.get(i);
    if (id && (!refusal || readBackFailure)) return { status: 'stored', email: item.email, contactId: id };
    if (refusal) return { status: 'refused', email: item.email, error: refusal };
    if (readBackFailure) return { status: 'written', email: item.email, failure: readBackFailure };
    return {
      status: 'refused',
      email: item.email,
      error: {
        message: 'Newsletter2Go accepted the address but no recipient was found for it',
        code: null,
        httpStatus: null,
      },
    };
  });
}

function statusOf(r: v.InferOutput<typeof RecipientItem>): RemoteStatus {
  if (truthy(r.is_blacklisted)) return 'blacklisted';
  if (truthy(r.is_bounced)) return 'bounced';
  if (truthy(r.is_unsubscribed)) return 'unsubscribed';
  return 'subscribed';
}

/** Newsletter2Go's clients re-authenticate on 401 and on a body saying `invalid_grant`. */
function isTokenRefused(status: number, raw: string): boolean {
  if (status === 401) return true;
  const body = safeJson(raw);
  return typeof body === 'object' && body !== null && (body as { error?: unknown }).error === 'invalid_grant';
}

export function classify(status: number, raw: string, headers: Headers): ProviderError {
  const failure = describeFailure(status, raw);
  const retryAfter = retryAfterMs(headers.get('retry-after'));
  // A 5xx that says when to come back is honoured like a rate limit (the spec: honour
  // Retry-After when present), so the rest of the batch waits too.
  if (status === 429 || (status >= 500 && retryAfter !== null)) return new RateLimitedError(failure, retryAfter);
  // A token refused again right after it was renewed is the login's trouble, not the recipient's.
  if (status >= 500 || status === 408 || isTokenRefused(status, raw)) return new RetryableError(failure);
  if (status === 404) return new RecipientGoneError(failure);
  return new PermanentError(failure);
}

function retryAfterMs(header: string | null): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

const enc = encodeURIComponent;
