import * as v from 'valibot';
import type {
  ListInfo,
  NewsletterProvider,
  RecipientData,
  RecipientPage,
  RecipientRef,
  RemoteStatus,
  UpsertResult,
} from '../../ports/provider';
import {
  PermanentError,
  type ProviderError,
  RateLimitedError,
  RecipientGoneError,
  RetryableError,
} from '../../ports/provider-errors';
import { safeJson, type TokenManager } from './auth';
import { describeFailure, Envelope, IdItem, ListItem, RecipientItem, truthy } from './responses';
import type { Transport } from './transport';

/**
 * Newsletter2Go REST API v1 behind the provider port ("Workflow → calls" of the spec).
 * Recipients belong to one list and are matched by e-mail within it; the stored recipient id
 * is the only way to reach one whose address changed.
 */
export class Newsletter2GoProvider implements NewsletterProvider {
  readonly name = 'newsletter2go';

  constructor(
    private readonly transport: Transport,
    private readonly tokens: TokenManager,
  ) {}

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

  async upsert(listId: string, items: RecipientData[], options: { resubscribe: boolean }): Promise<UpsertResult[]> {
    if (items.length === 0) return [];
    const bodies = items.map((item) => ({
      list_id: listId,
      ...fields(item),
      ...(options.resubscribe ? { is_unsubscribed: false } : {}),
    }));
    // One item: the single form answers its id directly. Several: the array form (one call).
    const env = await this.call('POST', '/recipients', bodies.length === 1 ? bodies[0] : bodies);
    const rejected = rejectedEmails(env);
    const accepted = items.filter((i) => !rejected.has(i.email.toLowerCase()));
    const ids = new Map<string, string>();
    const [only] = accepted;
    if (items.length === 1 && only) {
      const id = v.safeParse(IdItem, env.value[0]);
      if (id.success) ids.set(only.email.toLowerCase(), id.output.id);
    }
    // The array answer does not say which id belongs to which address: ask the list.
    const missing = accepted.filter((i) => !ids.has(i.email.toLowerCase()));
    for (let i = 0; i < missing.length; i += LOOKUP_CHUNK) {
      for (const [email, id] of await this.idsByEmail(
        listId,
        missing.slice(i, i + LOOKUP_CHUNK).map((m) => m.email),
      ))
        ids.set(email, id);
    }
    return items.map((item): UpsertResult => {
      const key = item.email.toLowerCase();
      const id = ids.get(key);
      if (id) return { ok: true, email: item.email, recipientId: id };
      return {
        ok: false,
        email: item.email,
        error: rejected.get(key) ?? {
          message: 'Newsletter2Go accepted the address but no recipient was found for it',
          code: null,
          httpStatus: null,
        },
      };
    });
  }

  async update(ref: RecipientRef, data: RecipientData, options: { resubscribe: boolean }): Promise<void> {
    await this.patch(ref, { ...fields(data), ...(options.resubscribe ? { is_unsubscribed: false } : {}) });
  }

  async unsubscribe(ref: RecipientRef): Promise<void> {
    await this.patch(ref, { is_unsubscribed: true });
  }

  async erase(ref: RecipientRef, dummyEmail: string, attributes: Record<string, string> = {}): Promise<void> {
    await this.patch(ref, {
      ...attributes,
      is_unsubscribed: true,
      email: dummyEmail,
      first_name: 'DELETED',
      last_name: 'DELETED',
      gender: '',
    });
  }

  async remove(ref: RecipientRef): Promise<void> {
    await this.call('DELETE', `/lists/${enc(ref.listId)}/recipients/${enc(ref.recipientId)}`);
  }

  async findByEmail(listId: string, email: string): Promise<RecipientRef | null> {
    const found = await this.idsByEmail(listId, [email]);
    const id = found.get(email.toLowerCase());
    return id ? { listId, recipientId: id } : null;
  }

  async listRecipients(listId: string, offset: number, limit: number): Promise<RecipientPage> {
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
        recipientId: r.id,
        email: r.email ?? '',
        firstName: r.first_name ?? '',
        lastName: r.last_name ?? '',
        gender: r.gender ?? '',
        status: statusOf(r),
      };
    });
    const total = env.info?.count ?? offset + items.length;
    const hasNext = env.info?.links ? Boolean(env.info.links._next) : offset + items.length < total;
    return { items, next: hasNext && items.length > 0 ? offset + items.length : null, total };
  }

  private async idsByEmail(listId: string, emails: string[]): Promise<Map<string, string>> {
    const [single] = emails;
    const filter =
      emails.length === 1 && single ? `email==${quote(single)}` : `email=in=(${emails.map(quote).join(',')})`;
    const env = await this.call('GET', `/lists/${enc(listId)}/recipients`, undefined, {
      _expand: 'true',
      _fields: 'id,email',
      _filter: filter,
      _limit: Math.max(emails.length, 1),
    });
    const out = new Map<string, string>();
    for (const raw of env.value) {
      const r = v.safeParse(RecipientItem, raw);
      if (r.success && r.output.email) out.set(r.output.email.toLowerCase(), r.output.id);
    }
    return out;
  }

  private async patch(ref: RecipientRef, body: Record<string, unknown>): Promise<void> {
    await this.call('PATCH', `/lists/${enc(ref.listId)}/recipients/${enc(ref.recipientId)}`, body);
  }

  /** One authenticated call; a refused token is renewed once, then the error is classified. */
  private async call(
    method: string,
    path: string,
    body?: unknown,
    query?: Record<string, string | number>,
  ): Promise<Envelope> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.tokens.token();
      const res = await this.transport.send(method, path, {
        headers: { authorization: `Bearer ${token}` },
        body,
        query,
      });
      if (res.status >= 200 && res.status < 300) {
        const env = v.safeParse(Envelope, safeJson(res.raw));
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

const LOOKUP_CHUNK = 50;

function fields(item: RecipientData): Record<string, string> {
  return {
    email: item.email,
    first_name: item.firstName,
    last_name: item.lastName,
    gender: item.gender,
    ...item.attributes,
  };
}

function statusOf(r: v.InferOutput<typeof RecipientItem>): RemoteStatus {
  if (truthy(r.is_blacklisted)) return 'blacklisted';
  if (truthy(r.is_bounced)) return 'bounced';
  if (truthy(r.is_unsubscribed)) return 'unsubscribed';
  return 'subscribed';
}

/** `invalid_recipients` entries may be addresses or objects naming one; both are read. */
function rejectedEmails(
  env: Envelope,
): Map<string, { message: string; code: string | null; httpStatus: number | null }> {
  const out = new Map<string, { message: string; code: string | null; httpStatus: number | null }>();
  for (const entry of env.info?.additional?.invalid_recipients ?? []) {
    const parsed = v.safeParse(
      v.union([
        v.string(),
        v.looseObject({
          email: v.string(),
          message: v.optional(v.string()),
          errorMessage: v.optional(v.string()),
          reason: v.optional(v.string()),
        }),
      ]),
      entry,
    );
    if (!parsed.success) continue;
    const email = typeof parsed.output === 'string' ? parsed.output : parsed.output.email;
    const reason =
      typeof parsed.output === 'string'
        ? undefined
        : (parsed.output.message ?? parsed.output.errorMessage ?? parsed.output.reason);
    out.set(email.toLowerCase(), {
      message: reason ?? `Newsletter2Go rejected the address as invalid (invalid_recipients)`,
      code: 'invalid_recipient',
      httpStatus: env.status ?? null,
    });
  }
  return out;
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
/** A FIQL value in double quotes; a backslash or double quote inside is escaped. */
const quote = (s: string) => `"${s.replace(/["\\]/g, '\\$&')}"`;
