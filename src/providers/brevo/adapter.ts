import * as v from 'valibot';
import { type ProfileField, profileDiff } from '../../lib/profile-diff';
import type {
  AbsentStatus,
  AttributeSetup,
  ContactData,
  ContactRef,
  ListInfo,
  MemberPage,
  NewsletterProvider,
  RemoteContact,
  WriteResult,
} from '../../ports/provider';
import { PermanentError, ProviderError, RecipientGoneError, RetryableError } from '../../ports/provider-errors';
import type { RawResponse, Transport } from '../http/transport';
import { membership, remote, statusIn } from './consent';
import type { KeyGate } from './key-gate';
import {
  Attributes,
  type Contact,
  Contact as ContactSchema,
  ContactsPage,
  Created,
  classify,
  describeFailure,
  externalIdOf,
  isTaken,
  ListChange,
  ListItem,
  safeJson,
} from './responses';

export interface BrevoOptions {
  /** BREVO_TIMEOUT_MS; one contact per write (Brevo's bulk import answers with no ids). */
  timeoutMs: number;
  /** The link attribute of list L is `${prefix}${L}` (BREVO_LINK_ATTRIBUTE_PREFIX). */
  linkAttributePrefix: string;
}

/** A list's contacts per read: Brevo's maximum. */
const PAGE_MAX = 500;

/**
 * Brevo API v3 behind the provider port (spec: brevo-api.md, "Workflow → calls"). A contact
 * exists once per account, identified by id and by `ext_id` (the portal's user id) and by its
 * address, and belongs to lists; there is no per-list unsubscribe flag to set. So:
 * - a subscription adds the contact to the list, a cancellation removes it from that list only;
 * - consent is read before every write: a contact Brevo shows blocklisted (account-wide) or
 *   unsubscribed from the list (`listUnsubscribed`) is never added back without the portal's ask;
 * - an erasure deletes the contact: anonymising would leave the address, and a new address on a
 *   blocklisted contact lifts the block;
 * - each list has its own link attribute, since one contact carries one value per attribute.
 */
export class BrevoProvider implements NewsletterProvider {
  readonly name = 'brevo';
  readonly label = 'Brevo';
  readonly addressScope = 'account';
  readonly limits: { timeoutMs: number; bulkSize: number };

  constructor(
    private readonly transport: Transport,
    private readonly key: { value: string; gate: KeyGate },
    private readonly options: BrevoOptions,
  ) {
    this.limits = { timeoutMs: options.timeoutMs, bulkSize: 1 };
  }

  get callCount(): number {
    return this.transport.calls;
  }

  async checkLogin(): Promise<void> {
    await this.call('GET', '/contacts/lists', undefined, { limit: 1, offset: 0 });
  }

  async getList(listId: string): Promise<ListInfo> {
    const raw = await this.call('GET', `/contacts/lists/${listNumber(listId)}`);
    const list = v.safeParse(ListItem, safeJson(raw.raw));
    if (!list.success) throw unexpected(raw.status);
    return { listId: String(list.output.id), name: list.output.name };
  }

  /**
   * One contact per call. The address is looked up first: Brevo's upsert would merge another
   * portal user's contact into this one, and adding a contact that left the list inside Brevo
   * would subscribe it again.
   */
  async subscribe(listId: string, items: ContactData[], options: { resubscribe: boolean }): Promise<WriteResult[]> {
    const out: WriteResult[] = [];
    for (const item of items) out.push(await this.subscribeOne(listId, item, options.resubscribe));
    return out;
  }

  private async subscribeOne(listId: string, item: ContactData, resubscribe: boolean): Promise<WriteResult> {
    const existing = await this.byEmail(item.email);
    if (existing) return this.writeExisting(existing, listId, item, resubscribe);
    const res = await this.write('POST', '/contacts', listId, {
      email: item.email,
      ext_id: item.externalId,
      attributes: this.attributes(listId, item),
      listIds: [listNumber(listId)],
      updateEnabled: true,
    });
    if (res.status >= 400) {
      const error = describeFailure(res.status, res.raw);
      // The ext_id is this portal user's own contact under an older address (a change of
      // address still on its way): that contact is the one to subscribe, with the new address.
      const mine = isTaken(res.status, res.raw) ? await this.byExternalId(item.externalId) : null;
      if (mine) return this.writeExisting(mine, listId, item, resubscribe);
      if (res.status === 400 || res.status === 422) return { status: 'refused', email: item.email, error };
      throw classify(res.status, res.raw, res.headers);
    }
    const created = v.safeParse(Created, safeJson(res.raw));
    if (created.success) return { status: 'stored', email: item.email, contactId: String(created.output.id) };
    // 204: updateEnabled updated a contact that appeared meanwhile; its id is a second step.
    try {
      const found = await this.byExternalId(item.externalId);
      if (found) return { status: 'stored', email: item.email, contactId: String(found.id) };
      return {
        status: 'written',
        email: item.email,
        failure: { message: 'Brevo took the write but shows no contact for it yet', code: null, httpStatus: 404 },
      };
    } catch (error) {
      if (!(error instanceof ProviderError) || error.kind === 'credentials') throw error;
      return { status: 'written', email: item.email, failure: error.failure };
    }
  }

  /**
   * A contact Brevo already holds for the address or the portal user: taken over when no other
   * portal user's ext_id is on it (one imported before the mapping has none), consent read first.
   */
  private async writeExisting(
    contact: Contact,
    listId: string,
    item: ContactData,
    resubscribe: boolean,
  ): Promise<WriteResult> {
    const owner = externalIdOf(contact);
    if (owner && owner !== item.externalId)
      return {
        status: 'refused',
        email: item.email,
        error: {
          message: `Brevo holds this address under the contact of another portal user ("${owner}"); writing would merge the two`,
          code: 'clash',
          httpStatus: null,
        },
      };
    const list = listNumber(listId);
    await this.put(contact.id, {
      attributes: this.profile(contact, listId, item),
      ext_id: item.externalId,
      ...membership(contact, list, resubscribe),
    });
    try {
      if (resubscribe) await this.confirmResubscribed(contact, list);
    } catch (error) {
      if (!(error instanceof PermanentError)) throw error;
      return { status: 'refused', email: item.email, error: error.failure };
    }
    return { status: 'stored', email: item.email, contactId: String(contact.id) };
  }

  /**
   * The profile by id. The address goes only when it changed and never to a blocklisted contact
   * (a new address lifts the block). The list is added only where consent allows it: with the
   * portal's ask, or when the contact is simply not in it (removed inside Brevo, not unsubscribed).
   */
  async updateContact(ref: ContactRef, data: ContactData, options: { resubscribe: boolean }): Promise<void> {
    const contact = await this.byId(ref.contactId);
    if (!contact)
      throw new RecipientGoneError({ message: 'Contact does not exist', code: 'document_not_found', httpStatus: 404 });
    const owner = externalIdOf(contact);
    if (owner && owner !== data.externalId)
      throw new PermanentError({
        message: `The Brevo contact ${ref.contactId} belongs to another portal user ("${owner}")`,
        code: 'clash',
        httpStatus: null,
      });
    const list = listNumber(ref.listId);
    await this.put(contact.id, {
      attributes: this.profile(contact, ref.listId, data),
      ...membership(contact, list, options.resubscribe),
    });
    if (options.resubscribe) await this.confirmResubscribed(contact, list);
  }

  /**
   * Whether an API add clears a reader's own unsubscription from the list inside Brevo is
   * unconfirmed. Where it did not, the portal's re-subscription cannot take effect through the
   * API: that is said, rather than reported synced while the reader stays unsubscribed.
   */
  private async confirmResubscribed(before: Contact, list: number): Promise<void> {
    if (before.emailBlacklisted)
      throw new PermanentError({
        message: `Brevo blocks this address for every list (emailBlacklisted); the worker does not lift Brevo's block: an admin does, in Brevo, and then retries`,
        code: 'blocklisted-in-brevo',
        httpStatus: null,
      });
    if (!before.listUnsubscribed.includes(list)) return;
    const after = await this.byId(before.id);
    if (after && statusIn(after, list) !== 'subscribed')
      throw new PermanentError({
        message: `Brevo keeps the contact unsubscribed from list ${list}: the reader left it on Brevo's own page, and the API does not subscribe them again`,
        code: 'unsubscribed-in-brevo',
        httpStatus: null,
      });
  }

  async unsubscribe(ref: ContactRef): Promise<void> {
    const res = await this.send('POST', `/contacts/lists/${listNumber(ref.listId)}/contacts/remove`, {
      ids: [contactNumber(ref.contactId)],
    });
    const change = res.status < 300 ? v.safeParse(ListChange, safeJson(res.raw)) : null;
    const refused = res.status === 400 || (change?.success && (change.output.contacts?.failure ?? []).length > 0);
    if (res.status >= 300 && !refused) throw classify(res.status, res.raw, res.headers);
    // Not removed: either the contact is gone, or it was not in the list (nothing to do).
    if (refused && !(await this.byId(ref.contactId)))
      throw new RecipientGoneError({ message: 'Contact does not exist', code: 'document_not_found', httpStatus: 404 });
  }

  /**
   * Deletes the contact. Brevo refuses to delete the account's own address (405): that contact is
   * taken out of the list with its names and link cleared instead, and the note says so.
   */
  async erase(
    ref: ContactRef,
    _subject: { subscriptionId: string; unsubscribeUrl: string },
  ): Promise<{ note?: string }> {
    const res = await this.send('DELETE', `/contacts/${contactNumber(ref.contactId)}`, undefined, {
      identifierType: 'contact_id',
    });
    if (res.status < 300) return {};
    if (res.status !== 405) throw classify(res.status, res.raw, res.headers);
    await this.put(contactNumber(ref.contactId), {
      attributes: { FIRSTNAME: '', LASTNAME: '', [this.linkAttribute(ref.listId)]: '' },
      unlinkListIds: [listNumber(ref.listId)],
    });
    return {
      note: `Brevo refused to delete the contact (${describeFailure(res.status, res.raw).message}); it was removed from list ${ref.listId} and its names cleared`,
    };
  }

  async findContacts(listId: string, emails: readonly string[]): Promise<Map<string, ContactRef>> {
    const list = listNumber(listId);
    const out = new Map<string, ContactRef>();
    for (const email of new Set(emails.map((e) => e.toLowerCase()))) {
      const contact = await this.byEmail(email);
      if (contact && (contact.listIds.includes(list) || contact.listUnsubscribed.includes(list)))
        out.set(email, { listId, contactId: String(contact.id) });
    }
    return out;
  }

  linkAttribute(listId: string): string {
    return `${this.options.linkAttributePrefix}${listId}`.toUpperCase();
  }

  /** Attributes belong to the account: one per list, created when the list is mapped. */
  async ensureLinkAttribute(listId: string): Promise<AttributeSetup> {
    listNumber(listId);
    const name = this.linkAttribute(listId);
    if (await this.hasAttribute(name)) return { action: 'present' };
    const res = await this.send('POST', `/contacts/attributes/normal/${encodeURIComponent(name)}`, { type: 'text' });
    if (res.status < 300) return { action: 'created', attributeId: null, lists: 1 };
    // The answer to a name that exists already is unconfirmed: read again before calling it a refusal.
    if (res.status === 400 && (await this.hasAttribute(name))) return { action: 'present' };
    throw classify(res.status, res.raw, res.headers);
  }

  async readMembers(listId: string, offset: number, limit: number): Promise<MemberPage> {
    const list = listNumber(listId);
    const raw = await this.call('GET', `/contacts/lists/${list}/contacts`, undefined, {
      limit: Math.min(Math.max(limit, 1), PAGE_MAX),
      offset,
      sort: 'asc',
    });
    const page = v.safeParse(ContactsPage, safeJson(raw.raw));
    if (!page.success) throw unexpected(raw.status);
    const items = (page.output.contacts ?? []).map((item) => {
      const contact = v.safeParse(ContactSchema, item);
      if (!contact.success) throw unexpected(raw.status);
      return remote(contact.output, list);
    });
    const total = page.output.count;
    const next = items.length > 0 && offset + items.length < total ? offset + items.length : null;
    return { items, next, total };
  }

  /** Blocklisted contacts may stay in their lists or not; one that left is asked about by id. */
  async explainAbsent(listId: string, contactIds: readonly string[]): Promise<Map<string, AbsentStatus>> {
    const list = listNumber(listId);
    const out = new Map<string, AbsentStatus>();
    for (const id of contactIds) {
      const contact = await this.byId(id);
      const status = contact ? statusIn(contact, list) : 'gone';
      out.set(id, status === 'subscribed' ? 'gone' : status);
    }
    return out;
  }

  /** An erasure deletes the contact: whatever is still listed carries what it shows. */
  erasureLeftovers(_subscriptionId: string, contact: RemoteContact): ProfileField[] {
    return profileDiff({ email: '', firstName: '', lastName: '', gender: contact.gender }, contact);
  }

  private attributes(listId: string, item: ContactData): Record<string, string> {
    return { FIRSTNAME: item.firstName, LASTNAME: item.lastName, [this.linkAttribute(listId)]: item.unsubscribeUrl };
  }

  /** The attributes of a write to a known contact: the address only when it changed and the contact is not blocklisted. */
  private profile(contact: Contact, listId: string, item: ContactData): Record<string, string> {
    const attributes = this.attributes(listId, item);
    if ((contact.email ?? '').toLowerCase() !== item.email.toLowerCase() && !contact.emailBlacklisted)
      attributes.EMAIL = item.email;
    return attributes;
  }

  private async hasAttribute(name: string): Promise<boolean> {
    const raw = await this.call('GET', '/contacts/attributes');
    const parsed = v.safeParse(Attributes, safeJson(raw.raw));
    if (!parsed.success) throw unexpected(raw.status);
    return (parsed.output.attributes ?? []).some((a) => a.name.toUpperCase() === name);
  }

  private async byEmail(email: string): Promise<Contact | null> {
    return this.contact(`/contacts/${encodeURIComponent(email)}`, 'email_id');
  }

  private async byId(id: string | number): Promise<Contact | null> {
    return this.contact(`/contacts/${contactNumber(String(id))}`, 'contact_id');
  }

  private async byExternalId(externalId: string): Promise<Contact | null> {
    return this.contact(`/contacts/${encodeURIComponent(externalId)}`, 'ext_id');
  }

  /** A contact by one of its identifiers, or null when Brevo says it does not exist. */
  private async contact(path: string, identifierType: string): Promise<Contact | null> {
    const res = await this.send('GET', path, undefined, { identifierType }, { retryOnce: true });
    if (res.status === 404) return null;
    if (res.status >= 300) throw classify(res.status, res.raw, res.headers);
    const contact = v.safeParse(ContactSchema, safeJson(res.raw));
    if (!contact.success) throw unexpected(res.status);
    return contact.output;
  }

  private async put(id: number, body: Record<string, unknown>): Promise<void> {
    const res = await this.write('PUT', `/contacts/${id}`, null, body, { identifierType: 'contact_id' });
    if (res.status >= 300) throw classify(res.status, res.raw, res.headers);
  }

  /**
   * A contact write. One that Brevo refuses for a link attribute missing (deleted inside Brevo
   * after the mapping) gets the attribute back and is sent once more.
   */
  private async write(
    method: string,
    path: string,
    listId: string | null,
    body: Record<string, unknown>,
    query?: Record<string, string>,
  ): Promise<RawResponse> {
    const res = await this.send(method, path, body, query);
    const attributes = (body.attributes ?? {}) as Record<string, unknown>;
    const link = Object.keys(attributes).find((k) => k.startsWith(this.options.linkAttributePrefix.toUpperCase()));
    if (res.status !== 400 || !link || !describeFailure(res.status, res.raw).message.includes(link)) return res;
    await this.ensureLinkAttribute(listId ?? link.slice(this.options.linkAttributePrefix.length));
    return this.send(method, path, body, query);
  }

  /** A call whose every non-2xx answer is a classified error. */
  private async call(
    method: string,
    path: string,
    body?: unknown,
    query?: Record<string, string | number>,
  ): Promise<RawResponse> {
    const res = await this.send(method, path, body, query);
    if (res.status >= 300) throw classify(res.status, res.raw, res.headers);
    return res;
  }

  /** One request with the key; a refused key is recorded for every isolate (KeyGate). */
  private async send(
    method: string,
    path: string,
    body?: unknown,
    query?: Record<string, string | number>,
    options: { retryOnce?: boolean } = {},
  ): Promise<RawResponse> {
    await this.key.gate.before();
    const res = await this.transport.send(method, path, {
      headers: { 'api-key': this.key.value },
      body,
      query,
      retryOnce: options.retryOnce,
    });
    if (res.status === 401) {
      const error = classify(res.status, res.raw, res.headers);
      await this.key.gate.refused(error.failure.message);
      throw error;
    }
    await this.key.gate.accepted();
    return res;
  }
}

/** Brevo's list ids are integers; the portal's mapping keeps them as strings ("12"). */
function listNumber(listId: string): number {
  if (!/^\d{1,18}$/.test(listId))
    throw new RecipientGoneError({
      message: `List ${listId} not found: Brevo list ids are numbers`,
      code: null,
      httpStatus: null,
    });
  return Number(listId);
}

function contactNumber(contactId: string): number {
  if (!/^\d{1,18}$/.test(contactId))
    throw new RecipientGoneError({ message: `Contact ${contactId} does not exist`, code: null, httpStatus: null });
  return Number(contactId);
}

const unexpected = (status: number) =>
  new RetryableError({ message: 'Brevo answered with an unexpected body', code: null, httpStatus: status });
