/**
 * The provider contract, run against the Brevo adapter and its emulator (node environment),
 * under each reading of the points Brevo's material leaves unconfirmed that the adapter's
 * behaviour depends on. The adapter is wired as src/wiring.ts wires it; the harness reads and
 * changes the emulator only through its control object.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrevoProvider } from '../../src/providers/brevo/adapter';
import { KeyGate } from '../../src/providers/brevo/key-gate';
import { Transport } from '../../src/providers/http/transport';
import { startEmulator } from '../../stack/brevo-emulator/emulator.mjs';
import type { BrevoContact as EmulatedContact } from '../support/brevo-emulator';
import type { Fault, HeldContact, ProviderHarness } from './harness';
import { memorySessions } from './memory-sessions';
import { describeProviderContract } from './provider-contract';

const API_KEY = `xkeysib-${'c'.repeat(64)}-contract00000001`;
const PREFIX = 'UNSUB_URL_';
const TIMEOUT_MS = 500;

const RULES: Record<Exclude<Fault['kind'], 'rate-limited'>, Record<string, unknown>> = {
  'server-error': { kind: '500' },
  'lost-after-write': { kind: '500_after_write' },
  slow: { kind: 'timeout', delayMs: TIMEOUT_MS * 3, delayThen: 'normal' },
};

/** The readings (stack/brevo-emulator/README.md, "Switchable readings") the adapter must pass under. */
const READINGS: Record<string, Record<string, string>> = {
  'documented readings': {},
  'ext_id at the top level, codes in capitals, addresses stored as sent': {
    extIdField: 'top-level',
    codeCase: 'upper',
    storedEmailCase: 'as-sent',
  },
  'a reader who left a list is taken out of it, and an API add would subscribe them again': {
    apiAddClearsUnsubscribed: 'true',
  },
  'a reader who left a list stays in it; an API add clears the unsubscription': {
    unsubscribedMembership: 'kept',
    apiAddClearsUnsubscribed: 'true',
  },
  'unknown attributes refused; a second attribute create answers 201; removing a non-member answers 201': {
    unknownAttribute: 'refuse',
    attributeExists: '201',
    removeNotMember: '201',
    duplicateCreateCode: 'invalid_parameter',
    duplicateUpdateCode: 'invalid_parameter',
  },
};

function brevo(settings: Record<string, string>): ProviderHarness {
  return {
    name: 'brevo',
    async start() {
      const typed = Object.fromEntries(
        Object.entries(settings).map(([k, v]) => [
          k,
          v === 'true' ? true : v === 'false' ? false : /^\d+$/.test(v) ? Number(v) : v,
        ]),
      );
      // No rate limit of the emulator's own here: the suite trips it on purpose (fault below).
      const emu = await startEmulator({
        apiKey: API_KEY,
        lists: [],
        rateLimits: { perSecond: null, perHour: null },
        ...typed,
      });
      const control = emu.control;
      const sessions = memorySessions();
      let lists = 0;
      const contact = (email: string): EmulatedContact => {
        const found = control.findContact({ email }) as EmulatedContact | null;
        if (!found) throw new Error(`the emulator holds no ${email}`);
        return found;
      };
      const held = (c: EmulatedContact, list: number): HeldContact => ({
        contactId: String(c.id),
        email: c.email ?? '',
        firstName: String(c.attributes.FIRSTNAME ?? ''),
        lastName: String(c.attributes.LASTNAME ?? ''),
        status: c.emailBlacklisted ? 'blacklisted' : c.listUnsubscribed.includes(list) ? 'unsubscribed' : 'subscribed',
        link:
          typeof c.attributes[`${PREFIX}${list}`] === 'string' ? (c.attributes[`${PREFIX}${list}`] as string) : null,
      });
      const all = () => (control.state() as { contacts: EmulatedContact[] }).contacts;
      return {
        timeoutMs: TIMEOUT_MS,
        provider(options = {}) {
          const transport = new Transport({
            label: 'Brevo',
            baseUrl: `${emu.url}/v3`,
            timeoutMs: TIMEOUT_MS,
            maxRequestsPerSecond: 1000,
          });
          const refused = options.credentials === 'refused';
          const gate = new KeyGate(refused ? memorySessions() : sessions, 60_000);
          return new BrevoProvider(
            transport,
            { value: refused ? `${API_KEY}-revoked` : API_KEY, gate },
            { timeoutMs: TIMEOUT_MS, linkAttributePrefix: PREFIX },
          );
        },
        async newList() {
          lists++;
          return String((control.createList({ name: `Contract ${lists}` }) as { id: number }).id);
        },
        unknownList: () => '999999',
        async contactsIn(listId) {
          const list = Number(listId);
          return all()
            .filter((c) => c.listIds.includes(list) || c.listUnsubscribed.includes(list))
            .map((c) => held(c, list));
        },
        async traces(person) {
          return all()
            .filter(
              (c) =>
                (c.email ?? '').toLowerCase() === person.email.toLowerCase() ||
                c.attributes.FIRSTNAME === person.firstName ||
                c.attributes.LASTNAME === person.lastName,
            )
            .map((c) => held(c, c.listIds[0] ?? 0));
        },
        inside: {
          async unsubscribe(listId, email) {
            const c = contact(email);
            control.editContact(c.id, { listUnsubscribed: [...c.listUnsubscribed, Number(listId)] });
          },
          async block(_listId, email) {
            control.editContact(contact(email).id, { emailBlacklisted: true });
          },
          // A hard bounce is a blocklisting in Brevo: `block` covers it.
          bounce: null,
          async remove(_listId, email) {
            control.deleteContact(contact(email).id);
          },
          async add(listId, p) {
            control.createContact({
              email: p.email,
              attributes: { FIRSTNAME: p.firstName, LASTNAME: p.lastName },
              listIds: [Number(listId)],
            });
          },
        },
        async fault(on, fault) {
          if (fault.kind === 'rate-limited') {
            // The limiter itself: one call an hour, spent here, so the adapter's next call is a 429
            // whose x-sib-ratelimit-reset is the hour's time left, in seconds.
            control.setRateLimits({ perSecond: null, perHour: 1 });
            await fetch(`${emu.url}/v3/contacts/lists?limit=1`, { headers: { 'api-key': API_KEY } });
            return { waitMs: { min: 3_500_000, max: 3_600_000 } };
          }
          control.addRule({
            ...RULES[fault.kind],
            pathRegex: on === 'write' ? '^/v3/contacts(\\?|$)' : '^/v3/',
            ...(on === 'write' ? { method: 'POST' } : {}),
            times: 1,
          });
          return {};
        },
        async clearFaults() {
          control.clearFaults();
          control.clearRules();
          control.setRateLimits({ perSecond: null, perHour: null });
        },
        close: () => emu.close(),
      };
    },
  };
}

for (const [reading, settings] of Object.entries(READINGS))
  describe(reading, () => {
    describeProviderContract(brevo(settings));
  });

describe('Brevo beyond the contract', () => {
  let emu: Awaited<ReturnType<typeof startEmulator>>;
  beforeAll(async () => {
    emu = await startEmulator({ apiKey: API_KEY, lists: [{ id: 5, name: 'Weekly' }] });
  });
  afterAll(() => emu?.close());

  const adapter = (maxRequestsPerSecond: number) =>
    new BrevoProvider(
      new Transport({
        label: 'Brevo',
        baseUrl: `${emu.url}/v3`,
        timeoutMs: 2_000,
        maxRequestsPerSecond,
        pacing: { windowGuardMs: 150 },
      }),
      { value: API_KEY, gate: new KeyGate(memorySessions(), 60_000) },
      { timeoutMs: 2_000, linkAttributePrefix: PREFIX },
    );
  const data = (n: string) => ({
    externalId: `user-${n}`,
    email: `brevo.${n}@contract.example.com`,
    firstName: 'F',
    lastName: 'L',
    gender: '' as const,
    unsubscribeUrl: `https://bridge.example.com/u/${n}`,
  });

  it('an upsert answered 204 (the address appeared meanwhile) has no id: it is read by ext_id as a second step', async () => {
    const provider = adapter(1000);
    await provider.ensureLinkAttribute('5');
    const person = data('race');
    // The look-up before the write misses the contact another request is creating meanwhile.
    emu.control.createContact({ email: person.email, listIds: [] });
    emu.control.addRule({
      kind: 'status',
      status: 404,
      method: 'GET',
      pathRegex: '^/v3/contacts/brevo\\.race',
      times: 1,
    });
    const [result] = await provider.subscribe('5', [person], { resubscribe: false });
    const held = emu.control.findContact({ email: person.email }) as { id: number; ext_id: string; listIds: number[] };
    expect(result).toEqual({ status: 'stored', email: person.email, contactId: String(held.id) });
    expect(held).toMatchObject({ ext_id: 'user-race', listIds: [5] });
    const calls = (emu.control.log() as { method: string; route: string; status: number }[]).map(
      (e) => `${e.method} ${e.route} ${e.status}`,
    );
    expect(calls.slice(-3)).toEqual([
      'GET GET /contacts/{identifier} 404',
      'POST POST /contacts 204',
      'GET GET /contacts/{identifier} 200',
    ]);
  });

  it('stays under the account limit it is configured for: 25 calls at 10/s meet no 429', async () => {
    const provider = adapter(10);
    emu.control.setRateLimits({ perSecond: 10, perHour: 36_000 });
    await new Promise((r) => setTimeout(r, 1_100));
    const results = await Promise.allSettled(Array.from({ length: 25 }, () => provider.getList('5')));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const refused = (emu.control.log() as { status: number }[]).filter((e) => e.status === 429);
    expect(refused).toEqual([]);
  });
});
