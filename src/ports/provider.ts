import type { ProfileField } from '../lib/profile-diff';
import type { ProviderFailure } from './provider-errors';

export type { ProfileField } from '../lib/profile-diff';
export type { ProviderFailure } from './provider-errors';

/**
 * The one narrow interface between the sync engine and a newsletter provider.
 *
 * The core speaks of what the portal knows: a subscription of one portal user (`externalId`) to
 * a newsletter, mapped to one provider list, and the intents it sends for it (subscribe, update
 * the profile, unsubscribe from that list, erase the person, read a list's members, make a list
 * able to carry the unsubscribe link). How the provider stores them is each adapter's business:
 * Newsletter2Go keeps one recipient per list with per-list flags and matches by e-mail within the
 * list; Brevo keeps one contact per account, identified by id or external id, in many lists.
 *
 * Every method throws a `ProviderError` subclass (./provider-errors) on failure, classified so the
 * engine decides by class, and never returns a half-result silently. test/contract/ is the suite
 * every adapter passes against its emulator; its README says how to add a provider.
 */

/** The person behind one subscription, as the portal sees them, and the link for this list. */
export interface ContactData {
  /** The portal's user id: a provider that stores an external id keeps it there. */
  externalId: string;
  email: string;
  firstName: string;
  lastName: string;
  gender: 'm' | 'f' | '';
  /** This subscription's unsubscribe link; the adapter decides where it goes (linkAttribute). */
  unsubscribeUrl: string;
}

/**
 * The handle of a subscription's contact: the list it was written for and the provider's id.
 * The engine stores it and never reads meaning into the id; two refs of one person in two lists
 * may carry the same id (account-wide contacts) or different ones (per-list recipients).
 */
export interface ContactRef {
  listId: string;
  contactId: string;
}

/**
 * One item of a subscribe. Two-step operations are part of the contract: a write the provider
 * took but whose id is not known yet (a 204 without a body, an array answer without ids, a
 * read-back that failed) is `written`, never `refused` and never `stored` with a guess. The engine
 * keeps that state and later asks `findContacts` for the id, never writing the creation again.
 */
export type WriteResult =
  | { status: 'stored'; email: string; contactId: string }
  | { status: 'written'; email: string; failure: ProviderFailure }
  | { status: 'refused'; email: string; error: ProviderFailure };

/** What making sure a list can carry the unsubscribe link took (see `ensureLinkAttribute`). */
export type AttributeSetup =
  | { action: 'present' }
  /** The account's attribute of that name now also belongs to this list (`lists`: how many it has). */
  | { action: 'added-to-list'; attributeId: string; lists: number }
  | { action: 'created'; attributeId: string | null; lists: 1 };

/**
 * A contact's standing in one list as the provider shows it. Anything but `subscribed` is the
 * provider's word against sending: the engine never changes it on its own (consent).
 */
export type RemoteStatus = 'subscribed' | 'unsubscribed' | 'blacklisted' | 'bounced';

export interface RemoteContact {
  contactId: string;
  email: string;
  firstName: string;
  lastName: string;
  /** null when the provider stores no gender (Brevo): nothing to compare. */
  gender: string | null;
  status: RemoteStatus;
}

export interface MemberPage {
  items: RemoteContact[];
  /** Offset of the next page, or null at the end. */
  next: number | null;
  total: number;
}

/**
 * What the provider says of a contact the engine holds for a list but did not find among the
 * list's members: `gone` (deleted, or simply not in the list: the engine may write it again), or
 * the status that keeps it out (a consent conflict: never written again on the engine's own).
 */
export type AbsentStatus = 'gone' | Exclude<RemoteStatus, 'subscribed'>;

export interface ListInfo {
  listId: string;
  name: string | null;
}

/** Names the engine shows admins and uses in its messages. */
export interface ProviderIdentity {
  /** The configuration value (PROVIDER). */
  readonly name: 'newsletter2go' | 'brevo';
  /** How people call it: "Newsletter2Go", "Brevo". */
  readonly label: string;
  /**
   * Where one e-mail address names one contact: `list` when every list keeps its own (two portal
   * users with one address clash only within a list), `account` when the provider identifies
   * contacts by address across lists (they clash wherever they are).
   */
  readonly addressScope: 'list' | 'account';
}

export interface NewsletterProvider extends ProviderIdentity {
  /**
   * `timeoutMs`: how long one call may take (the engine's leases outlast a batch of them);
   * `bulkSize`: how many items one `subscribe` call may carry.
   */
  readonly limits: { timeoutMs: number; bulkSize: number };
  /** Logs in if needed; throws CredentialsRefusedError when the login or key is refused. */
  checkLogin(): Promise<void>;
  getList(listId: string): Promise<ListInfo>;
  /**
   * Subscribes each person to the list: creates their contact, or updates the one the provider
   * already holds under the address. `resubscribe` is true only for a re-subscription the portal
   * asked for; otherwise the provider's own unsubscribe, block and bounce state is left as it is.
   * One result per item, in order.
   */
  subscribe(listId: string, items: ContactData[], options: { resubscribe: boolean }): Promise<WriteResult[]>;
  /**
   * Writes a known contact's profile and link; `resubscribe` as above. Throws RecipientGoneError
   * when the provider no longer has it (the engine decides whether to subscribe anew).
   */
  updateContact(ref: ContactRef, data: ContactData, options: { resubscribe: boolean }): Promise<void>;
  /** Ends the subscription to `ref.listId` only. A contact already gone is RecipientGoneError. */
  unsubscribe(ref: ContactRef): Promise<void>;
  /**
   * Leaves none of the person's data for this subscription at the provider, never sending them
   * mail again, however the provider does it (anonymise with dummies, remove, delete). `note`
   * says how when it was not the adapter's usual way. A contact already gone is RecipientGoneError.
   */
  erase(ref: ContactRef, subject: { subscriptionId: string; unsubscribeUrl: string }): Promise<{ note?: string }>;
  /**
   * The second step of a two-step write: the contacts a subscription's own earlier writes left in
   * the list under these addresses, keyed by the lower-cased address; absent ones are left out.
   */
  findContacts(listId: string, emails: readonly string[]): Promise<Map<string, ContactRef>>;
  /** Where this list's unsubscribe links are written (an attribute name), shown to admins. */
  linkAttribute(listId: string): string;
  /**
   * Makes sure the list can carry the unsubscribe links before any push writes one. Reads before
   * it writes, so a repeat after a failure writes only what is still missing. A refusal is a
   * PermanentError with the provider's words.
   */
  ensureLinkAttribute(listId: string): Promise<AttributeSetup>;
  /** One page of the list's members for reconciliation, with each one's status in the list. */
  readMembers(listId: string, offset: number, limit: number): Promise<MemberPage>;
  /** For contacts held for the list but not among its members: why not (see AbsentStatus). */
  explainAbsent(listId: string, contactIds: readonly string[]): Promise<Map<string, AbsentStatus>>;
  /**
   * The profile fields of a listed contact that still differ from what `erase` leaves for this
   * subscription (none: erased). Pure: reconciliation checks deleted users' contacts with it.
   */
  erasureLeftovers(subscriptionId: string, contact: RemoteContact): ProfileField[];
  /** Calls made through this instance (for reconciliation and benchmark figures). */
  readonly callCount: number;
}
