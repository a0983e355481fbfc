import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ContactData, NewsletterProvider, WriteResult } from '../../src/ports/provider';
import {
  CredentialsRefusedError,
  PermanentError,
  type ProviderError,
  RateLimitedError,
  RecipientGoneError,
  RetryableError,
} from '../../src/ports/provider-errors';
import type { HeldContact, ProviderHarness, ProviderWorld } from './harness';

/**
 * The provider contract: what the sync engine relies on from every adapter behind the port
 * (src/ports/provider.ts), checked against the provider's emulator. A provider passes it before
 * the worker may be configured for it (test/contract/README.md says how to add one).
 */
export function describeProviderContract(harness: ProviderHarness) {
  describe(`provider contract: ${harness.name}`, () => {
    let world: ProviderWorld;
    let provider: NewsletterProvider;
    let n = 0;
    beforeAll(async () => {
      world = await harness.start();
      provider = world.provider();
    });
    afterAll(() => world?.close());
    afterEach(() => world.clearFaults());

    /** A person no other test uses, and a list of their own with its link attribute in place. */
    const person = (over: Partial<ContactData> = {}): ContactData => {
      n++;
      return {
        externalId: `user-${harness.name}-${n}`,
        email: `reader.${n}@contract.example.com`,
        firstName: `First${n}`,
        lastName: `Last${n}`,
        gender: 'f',
        unsubscribeUrl: `https://bridge.example.com/u/token-${n}`,
        ...over,
      };
    };
    const readyList = async () => {
      const listId = await world.newList();
      await provider.ensureLinkAttribute(listId);
      return listId;
    };
    const held = async (listId: string, email: string): Promise<HeldContact | undefined> =>
      (await world.contactsIn(listId)).find((c) => c.email.toLowerCase() === email.toLowerCase());
    const stored = (result: WriteResult | undefined) => {
      expect(result?.status).toBe('stored');
      return result?.status === 'stored' ? result.contactId : '';
    };
    const subscribeOne = async (listId: string, data: ContactData, resubscribe = false) =>
      stored((await provider.subscribe(listId, [data], { resubscribe }))[0]);
    const failureOf = (p: Promise<unknown>) =>
      p.then(
        () => {
          throw new Error('expected the call to fail');
        },
        (e: ProviderError) => e,
      );

    describe('identity and login', () => {
      it('names itself as configured and declares where an address names one contact', () => {
        expect(provider.name).toBe(harness.name);
        expect(provider.label).not.toBe('');
        expect(['list', 'account']).toContain(provider.addressScope);
        expect(provider.limits.timeoutMs).toBeGreaterThan(0);
        expect(provider.limits.bulkSize).toBeGreaterThan(0);
      });

      it('logs in, and a refused login or key is CredentialsRefusedError for the check and for every write', async () => {
        await provider.checkLogin();
        const refused = world.provider({ credentials: 'refused' });
        expect(await failureOf(refused.checkLogin())).toBeInstanceOf(CredentialsRefusedError);
        const listId = await world.newList();
        expect(await failureOf(refused.subscribe(listId, [person()], { resubscribe: false }))).toBeInstanceOf(
          CredentialsRefusedError,
        );
        expect(await world.contactsIn(listId)).toEqual([]);
      });

      it('reads a list it knows, and an unknown list is RecipientGoneError', async () => {
        const listId = await world.newList();
        expect(await provider.getList(listId)).toMatchObject({ listId });
        expect(await failureOf(provider.getList(world.unknownList()))).toBeInstanceOf(RecipientGoneError);
      });
    });

    describe('the link attribute', () => {
      it('is set up once per list, and a repeat reads before it writes', async () => {
        const listId = await world.newList();
        const first = await provider.ensureLinkAttribute(listId);
        expect(['created', 'added-to-list', 'present']).toContain(first.action);
        expect(await provider.ensureLinkAttribute(listId)).toEqual({ action: 'present' });
        expect(provider.linkAttribute(listId)).toMatch(/^[A-Za-z0-9_]+$/);
      });
    });

    describe('the four workflows', () => {
      it('subscribe: a subscribed contact with the profile and the link, its id returned', async () => {
        const listId = await readyList();
        const data = person();
        const id = await subscribeOne(listId, data);
        expect(await held(listId, data.email)).toEqual({
          contactId: id,
          email: data.email,
          firstName: data.firstName,
          lastName: data.lastName,
          status: 'subscribed',
          link: data.unsubscribeUrl,
        });
      });

      it('subscribe in bulk: one result per item, in order, each with its own id', async () => {
        const listId = await readyList();
        const people = [person(), person(), person()];
        const results = await provider.subscribe(listId, people, { resubscribe: false });
        expect(results.map((r) => r.email)).toEqual(people.map((p) => p.email));
        const ids = results.map(stored);
        expect(new Set(ids).size).toBe(3);
        for (const [i, p] of people.entries()) expect((await held(listId, p.email))?.contactId).toBe(ids[i]);
      });

      it("subscribe: an address the provider refuses is that item's refusal in the provider's words; the rest are stored", async () => {
        const listId = await readyList();
        const good = person();
        const bad = person({ email: 'not-an-address' });
        const [a, b] = await provider.subscribe(listId, [good, bad], { resubscribe: false });
        stored(a);
        expect(b).toMatchObject({ status: 'refused', email: 'not-an-address' });
        expect(b?.status === 'refused' && b.error.message).not.toBe('');
        expect((await world.contactsIn(listId)).map((c) => c.email)).toEqual([good.email]);
      });

      it('updateContact: a new name and address reach the same contact by its id', async () => {
        const listId = await readyList();
        const data = person();
        const id = await subscribeOne(listId, data);
        const changed = { ...data, email: `changed.${n}@contract.example.com`, firstName: 'Renamed' };
        await provider.updateContact({ listId, contactId: id }, changed, { resubscribe: false });
        const now = await world.contactsIn(listId);
        expect(now).toHaveLength(1);
        expect(now[0]).toMatchObject({
          contactId: id,
          email: changed.email,
          firstName: 'Renamed',
          status: 'subscribed',
        });
      });

      it('updateContact: a contact deleted inside the provider is RecipientGoneError', async () => {
        const listId = await readyList();
        const data = person();
        const id = await subscribeOne(listId, data);
        await world.inside.remove(listId, data.email);
        expect(
          await failureOf(provider.updateContact({ listId, contactId: id }, data, { resubscribe: false })),
        ).toBeInstanceOf(RecipientGoneError);
      });

      it("unsubscribe: ends that list's subscription only", async () => {
        const [a, b] = [await readyList(), await readyList()];
        const data = person();
        const inA = await subscribeOne(a, data);
        await subscribeOne(b, data);
        await provider.unsubscribe({ listId: a, contactId: inA });
        expect((await held(a, data.email))?.status ?? 'gone').not.toBe('subscribed');
        expect((await held(b, data.email))?.status).toBe('subscribed');
      });

      it("erase: nothing of the person stays anywhere in the account, and reconciliation's check agrees", async () => {
        const listId = await readyList();
        const data = person();
        const id = await subscribeOne(listId, data);
        const subject = { subscriptionId: `sub_contract_${n}`, unsubscribeUrl: data.unsubscribeUrl };
        await provider.erase({ listId, contactId: id }, subject);
        expect(await world.traces(data)).toEqual([]);
        const left = await world.contactsIn(listId);
        for (const c of left) expect(c.status).not.toBe('subscribed');
        const page = await provider.readMembers(listId, 0, 50);
        for (const c of page.items) expect(provider.erasureLeftovers(subject.subscriptionId, c)).toEqual([]);
      });

      it('erase and unsubscribe: a contact already gone is RecipientGoneError (the engine counts it done)', async () => {
        const listId = await readyList();
        const data = person();
        const id = await subscribeOne(listId, data);
        await world.inside.remove(listId, data.email);
        const ref = { listId, contactId: id };
        expect(await failureOf(provider.unsubscribe(ref))).toBeInstanceOf(RecipientGoneError);
        const subject = { subscriptionId: `sub_contract_${n}`, unsubscribeUrl: data.unsubscribeUrl };
        expect(await failureOf(provider.erase(ref, subject))).toBeInstanceOf(RecipientGoneError);
      });

      it('erasureLeftovers names the fields of a listed contact that still carry personal data', async () => {
        const listId = await readyList();
        const data = person();
        await subscribeOne(listId, data);
        const page = await provider.readMembers(listId, 0, 50);
        const [contact] = page.items;
        expect(contact && provider.erasureLeftovers('sub_other', contact)).toEqual(
          expect.arrayContaining(['email', 'firstName', 'lastName']),
        );
      });
    });

    describe('consent: the provider’s word against sending stands', () => {
      const statuses = () =>
        [
          ['unsubscribed', world.inside.unsubscribe],
          ['blacklisted', world.inside.block],
          ...(world.inside.bounce ? [['bounced', world.inside.bounce] as const] : []),
        ] as const;

      it('a subscribe or an update that the portal did not ask to re-subscribe leaves every such contact unsubscribed', async () => {
        for (const [status, act] of statuses()) {
          const listId = await readyList();
          const data = person();
          const id = await subscribeOne(listId, data);
          await act(listId, data.email);
          await provider.subscribe(listId, [{ ...data, firstName: 'Again' }], { resubscribe: false });
          await provider.updateContact(
            { listId, contactId: id },
            { ...data, lastName: 'Again' },
            { resubscribe: false },
          );
          const now = await held(listId, data.email);
          expect(now?.status ?? 'gone', status).not.toBe('subscribed');
          const page = await provider.readMembers(listId, 0, 50);
          const listed = page.items.find((c) => c.contactId === id);
          if (listed) expect(listed.status, status).toBe(status);
          else expect((await provider.explainAbsent(listId, [id])).get(id), status).toBe(status);
        }
      });

      it('a re-subscription the portal asked for subscribes a reader who left on the provider’s page, or fails saying why', async () => {
        const listId = await readyList();
        const data = person();
        const id = await subscribeOne(listId, data);
        await world.inside.unsubscribe(listId, data.email);
        const outcome = await provider.updateContact({ listId, contactId: id }, data, { resubscribe: true }).then(
          () => null,
          (error: ProviderError) => error,
        );
        // Never reported done while the reader stays unsubscribed.
        if (outcome === null) expect((await held(listId, data.email))?.status).toBe('subscribed');
        else {
          expect(outcome).toBeInstanceOf(PermanentError);
          expect((await held(listId, data.email))?.status ?? 'not listed').not.toBe('subscribed');
        }
      });
    });

    it('a re-subscription the portal asked for never lifts the provider’s block', async () => {
      const listId = await readyList();
      const data = person();
      const id = await subscribeOne(listId, data);
      await world.inside.block(listId, data.email);
      await provider.updateContact({ listId, contactId: id }, data, { resubscribe: true }).catch(() => undefined);
      await provider.subscribe(listId, [data], { resubscribe: true }).catch(() => undefined);
      expect((await held(listId, data.email))?.status).toBe('blacklisted');
    });

    describe('the shared-address rule', () => {
      it('two portal users with one address: within the declared scope the provider merges them or the adapter refuses the later one, never two contacts', async () => {
        const [a, b] = [await readyList(), await readyList()];
        const first = person();
        const second = person({ email: first.email.toUpperCase() });
        const inA = await subscribeOne(a, first);
        const merged = (result: WriteResult | undefined) =>
          result?.status === 'refused' || (result?.status === 'stored' && result.contactId === inA);
        expect(merged((await provider.subscribe(a, [second], { resubscribe: false }))[0])).toBe(true);
        expect(await world.contactsIn(a)).toHaveLength(1);
        const [inB] = await provider.subscribe(b, [second], { resubscribe: false });
        if (provider.addressScope === 'account') expect(merged(inB)).toBe(true);
        else {
          // Per list: the other list's contact is another one, and changing it leaves the first as it was.
          const other = stored(inB);
          expect(other).not.toBe(inA);
          const renamed = { ...second, lastName: 'Other' };
          await provider.updateContact({ listId: b, contactId: other }, renamed, { resubscribe: false });
          expect((await held(a, first.email))?.lastName).not.toBe('Other');
        }
      });
    });

    describe('errors are classified, with the provider’s own words kept', () => {
      it('a server error is RetryableError with its status and message', async () => {
        const listId = await readyList();
        await world.fault('write', { kind: 'server-error' });
        const error = await failureOf(provider.subscribe(listId, [person()], { resubscribe: false }));
        expect(error).toBeInstanceOf(RetryableError);
        expect(error.failure.httpStatus).toBeGreaterThanOrEqual(500);
      });

      it('a call slower than the timeout is RetryableError marked as a timeout (its write may still land)', async () => {
        const listId = await readyList();
        await world.fault('any', { kind: 'slow' });
        const started = Date.now();
        const error = await failureOf(provider.getList(listId));
        expect(error).toBeInstanceOf(RetryableError);
        expect(error.failure.code).toBe('timeout');
        expect(Date.now() - started).toBeLessThan(world.timeoutMs * 3);
      });

      it("a rate limit is RateLimitedError carrying the provider's wait", async () => {
        const listId = await readyList();
        const { waitMs } = await world.fault('any', { kind: 'rate-limited' });
        const error = await failureOf(provider.subscribe(listId, [person()], { resubscribe: false }));
        expect(error).toBeInstanceOf(RateLimitedError);
        expect(error.failure.httpStatus).toBe(429);
        const wait = (error as RateLimitedError).retryAfterMs;
        expect(wait).toBeGreaterThanOrEqual(waitMs?.min ?? Number.NaN);
        expect(wait).toBeLessThanOrEqual(waitMs?.max ?? Number.NaN);
      });
    });

    describe('two-step operations', () => {
      it('a write whose answer is lost is never reported refused or stored with a guess; the id is read back, and a repeat makes no second contact', async () => {
        const listId = await readyList();
        const data = person();
        await world.fault('write', { kind: 'lost-after-write' });
        const outcome = await provider.subscribe(listId, [data], { resubscribe: false }).then(
          ([result]) => result,
          (error: ProviderError) => error,
        );
        if (outcome instanceof Error) expect(outcome).toBeInstanceOf(RetryableError);
        else expect(outcome?.status).toBe('written');
        const there = await held(listId, data.email);
        expect(there?.status).toBe('subscribed');
        const found = await provider.findContacts(listId, [data.email.toUpperCase(), 'absent@contract.example.com']);
        expect([...found.keys()]).toEqual([data.email.toLowerCase()]);
        expect(found.get(data.email.toLowerCase())).toEqual({ listId, contactId: there?.contactId });
        expect(await subscribeOne(listId, data)).toBe(there?.contactId);
        expect(await world.contactsIn(listId)).toHaveLength(1);
      });
    });

    describe('what reconciliation reads', () => {
      it('pages through every member exactly once, to the end; one that left is listed so or explained', async () => {
        const listId = await readyList();
        const people = Array.from({ length: 7 }, () => person());
        for (const p of people) await world.inside.add(listId, p);
        const left = people[1]?.email.toLowerCase() ?? '';
        await world.inside.unsubscribe(listId, left);
        const seen: string[] = [];
        let offset: number | null = 0;
        let pages = 0;
        let total = -1;
        while (offset !== null && pages < 10) {
          const page = await provider.readMembers(listId, offset, 3);
          total = page.total;
          seen.push(...page.items.map((c) => c.email.toLowerCase()));
          offset = page.next;
          pages++;
        }
        expect(new Set(seen).size).toBe(seen.length);
        expect(seen.length).toBe(total);
        expect(pages).toBe(Math.ceil(total / 3));
        const others = people.map((p) => p.email.toLowerCase()).filter((e) => e !== left);
        expect(seen.filter((e) => e !== left).sort()).toEqual(others.sort());
        const page = await provider.readMembers(listId, 0, 10);
        const listed = (email: string) => page.items.find((c) => c.email.toLowerCase() === email.toLowerCase());
        expect(listed(people[0]?.email ?? '')?.status).toBe('subscribed');
        expect(listed(people[2]?.email ?? '')).toMatchObject({
          firstName: people[2]?.firstName,
          lastName: people[2]?.lastName,
        });
        const gone = listed(left);
        if (gone) expect(gone.status).toBe('unsubscribed');
        else {
          const id = (await held(listId, left))?.contactId ?? '';
          expect((await provider.explainAbsent(listId, [id])).get(id)).toBe('unsubscribed');
        }
      });

      it('says a contact deleted inside the provider is gone', async () => {
        const listId = await readyList();
        const data = person();
        const id = await subscribeOne(listId, data);
        await world.inside.remove(listId, data.email);
        expect((await provider.readMembers(listId, 0, 50)).items).toEqual([]);
        expect(await provider.explainAbsent(listId, [id])).toEqual(new Map([[id, 'gone']]));
      });
    });
  });
}
