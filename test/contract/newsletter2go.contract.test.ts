/**
 * The provider contract, run against the Newsletter2Go adapter and its emulator (node
 * environment). The adapter is wired as src/wiring.ts wires it; the harness reads and changes
 * the emulator only through its control API.
 */
import { Transport } from '../../src/providers/http/transport';
import { Newsletter2GoProvider } from '../../src/providers/newsletter2go/adapter';
import { TokenManager } from '../../src/providers/newsletter2go/auth';
import { startEmulator } from '../../stack/n2g-emulator/emulator.mjs';
import { type EmulatedRecipient, emulatorAt } from '../support/emulator';
import type { Fault, HeldContact, ProviderHarness } from './harness';
import { memorySessions } from './memory-sessions';
import { describeProviderContract } from './provider-contract';

const LOGIN = { authKey: 'contract_key:contract_secret', username: 'api@contract.example.com', password: 'pw-1' };
const ATTRIBUTE = 'unsubscribe_url';
const TIMEOUT_MS = 500;

const statusOf = (r: EmulatedRecipient): HeldContact['status'] =>
  r.is_blacklisted ? 'blacklisted' : r.is_bounced ? 'bounced' : r.is_unsubscribed ? 'unsubscribed' : 'subscribed';

const held = (r: EmulatedRecipient): HeldContact => ({
  contactId: r.id,
  email: r.email,
  firstName: r.first_name,
  lastName: r.last_name,
  status: statusOf(r),
  link: typeof r.attributes?.[ATTRIBUTE] === 'string' ? (r.attributes[ATTRIBUTE] as string) : null,
});

/** The emulator's rules for each neutral fault (its README, "Fault kinds"). */
const RETRY_AFTER_SECONDS = 7;
const RULES: Record<Fault['kind'], Record<string, unknown>> = {
  'server-error': { kind: '500' },
  'rate-limited': { kind: '429_retry_after', retryAfterSeconds: RETRY_AFTER_SECONDS },
  'lost-after-write': { kind: '500_after_write' },
  slow: { kind: 'timeout', delayMs: TIMEOUT_MS * 3, delayThen: 'normal' },
};

const newsletter2go: ProviderHarness = {
  name: 'newsletter2go',
  async start() {
    const emu = await startEmulator({ ...LOGIN, lists: [], attributes: [] });
    const control = emulatorAt(() => emu.url);
    const sessions = memorySessions();
    let lists = 0;
    const recipient = async (listId: string, email: string) => {
      const found = await control.find(listId, email);
      if (!found) throw new Error(`the emulator holds no ${email} in ${listId}`);
      return found;
    };
    const edit = async (listId: string, email: string, fields: Record<string, unknown>) =>
      control.edit((await recipient(listId, email)).id, fields);
    return {
      timeoutMs: TIMEOUT_MS,
      provider(options = {}) {
        const transport = new Transport({
          label: 'Newsletter2Go',
          baseUrl: emu.url,
          timeoutMs: TIMEOUT_MS,
          maxRequestsPerSecond: 1000,
        });
        const refused = options.credentials === 'refused';
        const tokens = new TokenManager(
          transport,
          refused ? memorySessions() : sessions,
          refused ? { ...LOGIN, password: 'wrong' } : LOGIN,
          { loginRetryAfterMs: 0 },
        );
        return new Newsletter2GoProvider(transport, tokens, {
          limits: { timeoutMs: TIMEOUT_MS, bulkSize: 100 },
          linkAttribute: ATTRIBUTE,
        });
      },
      async newList() {
        lists++;
        return (await control.createList({ name: `Contract ${lists}` })).id;
      },
      unknownList: () => 'zz000000',
      contactsIn: async (listId) => (await control.recipients(listId)).map(held),
      async traces(person) {
        const everywhere = emu.control.state().recipients as EmulatedRecipient[];
        return everywhere
          .filter(
            (r) =>
              r.email.toLowerCase() === person.email.toLowerCase() ||
              r.first_name === person.firstName ||
              r.last_name === person.lastName,
          )
          .map(held);
      },
      inside: {
        unsubscribe: (listId, email) => edit(listId, email, { is_unsubscribed: true }),
        block: (listId, email) => edit(listId, email, { is_blacklisted: true }),
        bounce: (listId, email) => edit(listId, email, { is_bounced: true }),
        remove: async (listId, email) => control.remove((await recipient(listId, email)).id),
        add: async (listId, p) =>
          void (await control.insert({
            list_id: listId,
            email: p.email,
            first_name: p.firstName,
            last_name: p.lastName,
          })),
      },
      async fault(on, fault) {
        // API calls only: the token endpoint has its own tests (test/unit/n2g-auth.test.ts).
        await control.rule({
          ...RULES[fault.kind],
          pathRegex: on === 'write' ? '^/recipients' : '^/(lists|recipients)',
          ...(on === 'write' ? { method: 'POST' } : {}),
          times: 1,
        });
        // Retry-After: 7, in seconds.
        const wait = RETRY_AFTER_SECONDS * 1000;
        return fault.kind === 'rate-limited' ? { waitMs: { min: wait, max: wait } } : {};
      },
      clearFaults: async () => {
        await control.clearFaults();
        await fetch(`${emu.url}/_emulator/rules`, { method: 'DELETE' });
      },
      close: () => emu.close(),
    };
  },
};

describeProviderContract(newsletter2go);
