/**
 * The one narrow interface between the sync engine and a newsletter provider.
 * It speaks of recipients in a list and of intents (subscribe, unsubscribe, erase), never of
 * how a provider stores them: Newsletter2Go keeps a per-list unsubscribe flag and matches by
 * e-mail, Brevo removes a contact from a list and identifies it by id. Every method throws a
 * `ProviderError` subclass (./errors) on failure and never returns a half-result silently.
 */

export interface RecipientData {
  email: string;
  firstName: string;
  lastName: string;
  gender: 'm' | 'f' | '';
  /** Custom attributes, e.g. the unsubscribe link. */
  attributes: Record<string, string>;
}

export interface RecipientRef {
  listId: string;
  recipientId: string;
}

/**
 * One item of an upsert: `stored` with its id; `written` when the provider took the write but
 * its id could not be read back yet (only the read-back is retried: `findByEmails`); `refused`
 * with the provider's words.
 */
export type UpsertResult =
  | { status: 'stored'; email: string; recipientId: string }
  | { status: 'written'; email: string; failure: ProviderFailure }
  | { status: 'refused'; email: string; error: ProviderFailure };

/** What making sure a list has a custom attribute took (see `ensureAttribute`). */
export type AttributeSetup =
  | { action: 'present' }
  /** The account's attribute of that name now also belongs to this list (`lists`: how many it has). */
  | { action: 'added-to-list'; attributeId: string; lists: number }
  | { action: 'created'; attributeId: string | null; lists: 1 };

/** A provider's refusal of one item, with its own words kept verbatim. */
export interface ProviderFailure {
  message: string;
  code: string | null;
  httpStatus: number | null;
}

export type RemoteStatus = 'subscribed' | 'unsubscribed' | 'blacklisted' | 'bounced';

export interface RemoteRecipient {
  recipientId: string;
  email: string;
  firstName: string;
  lastName: string;
  gender: string;
  status: RemoteStatus;
}

export interface RecipientPage {
  items: RemoteRecipient[];
  /** Offset of the next page, or null at the end. */
  next: number | null;
  total: number;
}

export interface ListInfo {
  listId: string;
  name: string | null;
}

export interface NewsletterProvider {
  readonly name: string;
  /** Logs in if needed; throws CredentialsRefusedError when the login is refused. */
  checkLogin(): Promise<void>;
  getList(listId: string): Promise<ListInfo>;
  /**
   * Creates recipients in a list, or updates the ones whose address it already holds.
   * `resubscribe` is true only for a re-subscription the portal asked for: otherwise the
   * provider's own unsubscribe state is left as it is.
   */
  upsert(listId: string, items: RecipientData[], options: { resubscribe: boolean }): Promise<UpsertResult[]>;
  /*
   * Every write that carries custom attributes may meet a list that lost one: the adapter adds it
   * back (ensureAttribute) and writes once more, or throws the refusal naming it.
   */
  /** Updates a known recipient; throws RecipientGoneError when the provider no longer has it. */
  update(ref: RecipientRef, data: RecipientData, options: { resubscribe: boolean }): Promise<void>;
  unsubscribe(ref: RecipientRef): Promise<void>;
  /** Unsubscribes and replaces personal data with dummies; `dummyEmail` is unique and undeliverable. */
  erase(ref: RecipientRef, dummyEmail: string, attributes?: Record<string, string>): Promise<void>;
  /**
   * Removes the recipient from its list: the erasure's fallback when the provider refuses the
   * dummy address, so a deleted user's data never stays behind. Throws RecipientGoneError when
   * the provider no longer has it.
   */
  remove(ref: RecipientRef): Promise<void>;
  /** Recipients of a list by address, keyed by the lower-cased address; absent ones are left out. */
  findByEmails(listId: string, emails: readonly string[]): Promise<Map<string, RecipientRef>>;
  /**
   * Makes sure the list has the custom attribute the worker writes (the unsubscribe link), adding
   * it for this list when missing. Reads before it writes, so a repeat after a failure writes only
   * what is still missing. A refusal is a PermanentError with the provider's words.
   */
  ensureAttribute(listId: string, name: string): Promise<AttributeSetup>;
  listRecipients(listId: string, offset: number, limit: number): Promise<RecipientPage>;
  /** Calls made through this instance (for reconciliation and benchmark figures). */
  readonly callCount: number;
}
