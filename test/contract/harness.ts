import type { NewsletterProvider, RemoteStatus } from '../../src/ports/provider';

/**
 * What a provider's contract test gives the suite (provider-contract.ts): its adapter, wired as
 * src/wiring.ts wires it, over an emulator that follows the provider's published behaviour, and
 * a provider-neutral way to look at the emulator's state, to act inside the provider as its users
 * do, and to inject faults. Nothing here goes through the adapter under test: the suite checks
 * the adapter's answers against what the emulator holds.
 */
export interface ProviderHarness {
  /** As in PROVIDER. */
  name: string;
  /** Starts the emulator; the suite calls it once per file and `close` after. */
  start(): Promise<ProviderWorld>;
}

/** A contact as the emulator holds it for one list, in the suite's words. */
export interface HeldContact {
  contactId: string;
  email: string;
  firstName: string;
  lastName: string;
  /** The contact's standing in the list, by the provider's own flags or memberships. */
  status: RemoteStatus;
  /** The unsubscribe link the contact carries for this list, or null. */
  link: string | null;
}

export type Fault =
  /** The next matching call answers a server error, without doing anything. */
  | { kind: 'server-error' }
  /** The next matching call is refused for the rate limit, in the provider's own way. */
  | { kind: 'rate-limited' }
  /** The next matching write is carried out, then answered with a server error. */
  | { kind: 'lost-after-write' }
  /** The next matching call answers later than the adapter's timeout. */
  | { kind: 'slow' };

export interface ProviderWorld {
  /** A new adapter instance, as each request or queue batch gets one. `refused`: a bad login or key. */
  provider(options?: { credentials?: 'refused' }): NewsletterProvider;
  /** A new, empty list this test owns. Whether it can carry links already is the provider's default. */
  newList(): Promise<string>;
  /** A list id the provider does not know. */
  unknownList(): string;
  /** What the list holds now (every member, whatever its status). */
  contactsIn(listId: string): Promise<HeldContact[]>;
  /** Every contact anywhere in the account that still carries this address or these names. */
  traces(person: { email: string; firstName: string; lastName: string }): Promise<HeldContact[]>;
  /** What the provider's own users do, by the contact's address in the list. */
  inside: {
    /** The reader leaves the list on the provider's own unsubscribe page. */
    unsubscribe(listId: string, email: string): Promise<void>;
    /** The address is blocked for every mailing (an admin, a complaint). */
    block(listId: string, email: string): Promise<void>;
    /** The address bounced hard. Null when the provider shows bounces as a block (then `block` covers it). */
    bounce: ((listId: string, email: string) => Promise<void>) | null;
    /** An admin deletes the contact. */
    remove(listId: string, email: string): Promise<void>;
    /** A contact that was there before the worker (a list mapped late), subscribed. */
    add(listId: string, person: { email: string; firstName: string; lastName: string }): Promise<void>;
  };
  /**
   * Injects one fault into the next call of the given kind of operation. For a rate limit, says
   * how long the provider will tell the client to wait (its header, as it will be sent).
   */
  fault(on: 'write' | 'any', fault: Fault): Promise<{ waitMs?: { min: number; max: number } }>;
  clearFaults(): Promise<void>;
  /** The adapter's per-call timeout in this world (for the `slow` fault). */
  timeoutMs: number;
  close(): Promise<void>;
}
