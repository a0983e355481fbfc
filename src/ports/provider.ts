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

export type UpsertResult =
  | { ok: true; email: string; recipientId: string }
  | { ok: false; email: string; error: ProviderFailure };

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
  findByEmail(listId: string, email: string): Promise<RecipientRef | null>;
  listRecipients(listId: string, offset: number, limit: number): Promise<RecipientPage>;
  /** Calls made through this instance (for reconciliation and benchmark figures). */
  readonly callCount: number;
}
