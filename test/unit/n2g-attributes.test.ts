import { describe, expect, it } from 'vitest';
import { PermanentError, RetryableError } from '../../src/ports/provider-errors';
import { type Call, ensureAttribute, refusedAttributes } from '../../src/providers/newsletter2go/attributes';
import { POSTMAN_ATTRIBUTE_BODY } from '../support/n2g-postman';

/**
 * Making sure a list has the attribute the worker writes (Postman collection, "Attributes"),
 * against a fake account: lists with their attributes, every call recorded.
 */

type Account = Record<string, { id: string; name: string }[]>;

function fake(account: Account, fail: (method: string, path: string) => Error | null = () => null) {
  const calls: { method: string; path: string; body?: unknown }[] = [];
  const call: Call = async (method, path, body) => {
    calls.push({ method, path, ...(body === undefined ? {} : { body }) });
    const error = fail(method, path);
    if (error) throw error;
    if (method === 'GET' && path === '/lists')
      return {
        status: 200,
        info: { count: Object.keys(account).length },
        value: Object.keys(account).map((id) => ({ id })),
      };
    const attrs = /^\/lists\/([^/]+)\/attributes$/.exec(path);
    if (method === 'GET' && attrs) {
      const list = account[attrs[1] ?? ''] ?? [];
      return { status: 200, info: { count: list.length }, value: list };
    }
    if (method === 'PATCH') return { status: 200, info: { count: 1 }, value: [] };
    if (method === 'POST') return { status: 201, info: { count: 1 }, value: [{ _href: 'x', id: 'new00001' }] };
    throw new Error(`unexpected ${method} ${path}`);
  };
  return { call, calls };
}

const link = { id: 'attr0001', name: 'unsubscribe_url' };
const other = { id: 'attr0002', name: 'city' };

describe('ensureAttribute', () => {
  it('present on the list: one read, nothing written', async () => {
    const { call, calls } = fake({ list0001: [other, link] });
    expect(await ensureAttribute(call, 'list0001', 'unsubscribe_url')).toEqual({ action: 'present' });
    expect(calls.map((c) => c.method)).toEqual(['GET']);
  });

  it('the account has it for other lists: PATCH with the union of their lists and this one', async () => {
    const { call, calls } = fake({ list0001: [other], list0002: [link], list0003: [], list0004: [link] });
    expect(await ensureAttribute(call, 'list0001', 'unsubscribe_url')).toEqual({
      action: 'added-to-list',
      attributeId: 'attr0001',
      lists: 3,
    });
    const writes = calls.filter((c) => c.method !== 'GET');
    expect(writes).toEqual([
      { method: 'PATCH', path: '/attributes/attr0001', body: { list_ids: ['list0002', 'list0004', 'list0001'] } },
    ]);
  });

  it('nowhere in the account: POST /attributes with the Postman body for this list', async () => {
    const { call, calls } = fake({ list0001: [other], list0002: [] });
    expect(await ensureAttribute(call, 'list0001', 'unsubscribe_url')).toEqual({
      action: 'created',
      attributeId: 'new00001',
      lists: 1,
    });
    expect(calls.filter((c) => c.method !== 'GET')).toEqual([
      {
        method: 'POST',
        path: '/attributes',
        body: { ...POSTMAN_ATTRIBUTE_BODY, list_ids: ['list0001'], name: 'unsubscribe_url' },
      },
    ]);
  });

  it('a refusal of the POST is thrown with the provider’s words', async () => {
    const refusal = new PermanentError({
      message: 'Duplicate value "unsubscribe_url" for column "name"',
      code: '1062',
      httpStatus: 400,
    });
    const { call } = fake({ list0001: [] }, (method) => (method === 'POST' ? refusal : null));
    await expect(ensureAttribute(call, 'list0001', 'unsubscribe_url')).rejects.toBe(refusal);
  });

  it('repeated after a lost answer, it writes only what is still missing', async () => {
    const account: Account = { list0001: [], list0002: [link] };
    let lost = true;
    const { call, calls } = fake(account, (method) => {
      if (method !== 'PATCH' || !lost) return null;
      lost = false;
      account.list0001 = [link]; // the write landed, its answer did not
      return new RetryableError({ message: 'HTTP 500', code: null, httpStatus: 500 });
    });
    await expect(ensureAttribute(call, 'list0001', 'unsubscribe_url')).rejects.toBeInstanceOf(RetryableError);
    expect(await ensureAttribute(call, 'list0001', 'unsubscribe_url')).toEqual({ action: 'present' });
    expect(calls.filter((c) => c.method === 'PATCH')).toHaveLength(1);
  });
});

describe('refusedAttributes', () => {
  const refused = (message: string, httpStatus = 422) => new PermanentError({ message, code: '10003', httpStatus });

  it('names the written attributes a 400/422 names', () => {
    const error = refused('Error during input validation: unsubscribe_url Attribute "unsubscribe_url" does not exist');
    expect(refusedAttributes(error, ['unsubscribe_url', 'city'])).toEqual(['unsubscribe_url']);
  });

  it('anything else is no attribute refusal', () => {
    expect(refusedAttributes(refused('Invalid email address'), ['unsubscribe_url'])).toEqual([]);
    expect(refusedAttributes(refused('unsubscribe_url', 403), ['unsubscribe_url'])).toEqual([]);
    expect(
      refusedAttributes(new RetryableError({ message: 'unsubscribe_url', code: null, httpStatus: 500 }), [
        'unsubscribe_url',
      ]),
    ).toEqual([]);
  });
});
