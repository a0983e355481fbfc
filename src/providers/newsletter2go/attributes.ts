import * as v from 'valibot';
import type { AttributeSetup } from '../../ports/provider';
import { PermanentError, ProviderError } from '../../ports/provider-errors';
import { type Envelope, hasMore } from './responses';

/**
 * Custom attributes are defined per list (Postman collection, "Attributes"): a recipient field
 * the list lacks is refused or, by the other reading, dropped without a word. So before the
 * worker writes one to a list it makes sure the list has it: read the list's attributes; when
 * missing, add the account's attribute of that name to this list too (`PATCH /attributes/{id}`
 * with the union of the lists that hold it: a second `POST` with the same name would clash), or
 * create it for this list (`POST /attributes`). Every step reads before it writes, so repeating
 * the whole after any failure writes only what is still missing.
 */

export type Call = (
  method: string,
  path: string,
  body?: unknown,
  query?: Record<string, string | number>,
) => Promise<Envelope>;

const PAGE = 500;
const Named = v.looseObject({ id: v.string(), name: v.optional(v.nullable(v.string())) });
const Id = v.looseObject({ id: v.string() });
const enc = encodeURIComponent;

export async function ensureAttribute(call: Call, listId: string, name: string): Promise<AttributeSetup> {
  if (await attributeOf(call, listId, name)) return { action: 'present' };
  // Which other lists hold an attribute of this name (the account's names are unique).
  let found: string | null = null;
  const holders: string[] = [];
  for (const other of await allLists(call)) {
    if (other === listId) continue;
    const id = await attributeOf(call, other, name);
    if (!id) continue;
    found ??= id;
    if (id === found) holders.push(other);
  }
  if (found) {
    await call('PATCH', `/attributes/${enc(found)}`, { list_ids: [...holders, listId] });
    return { action: 'added-to-list', attributeId: found, lists: holders.length + 1 };
  }
  try {
    const env = await call('POST', '/attributes', creation(listId, name));
    const created = v.safeParse(Id, env.value[0]);
    return { action: 'created', attributeId: created.success ? created.output.id : null, lists: 1 };
  } catch (error) {
    // Created by an earlier try whose answer was lost: it is on this list now.
    if (error instanceof ProviderError && error.kind !== 'retryable' && (await attributeOf(call, listId, name)))
      return { action: 'present' };
    throw error;
  }
}

/** The Postman collection's body, for a text attribute on one list. */
function creation(listId: string, name: string) {
  return {
    list_ids: [listId],
    name,
    display: 'all',
    type: 'text',
    sub_type: 'text',
    is_enum: false,
    is_public: false,
    is_multiselect: false,
    html_element_type: 'input',
    is_global: false,
    default_value: '',
  };
}

/** The id of the list's attribute called `name`, or null. */
async function attributeOf(call: Call, listId: string, name: string): Promise<string | null> {
  for (let offset = 0; ; offset += PAGE) {
    const env = await call('GET', `/lists/${enc(listId)}/attributes`, undefined, {
      _expand: 'true',
      _fields: 'id,name',
      _limit: PAGE,
      _offset: offset,
    });
    for (const raw of env.value) {
      const item = v.safeParse(Named, raw);
      if (!item.success) continue;
      // An answer without names (only `{_href, id}`) is read one by one.
      const itemName = item.output.name ?? (await nameOf(call, item.output.id));
      if (itemName === name) return item.output.id;
    }
    if (!hasMore(env, offset)) return null;
  }
}

async function nameOf(call: Call, attributeId: string): Promise<string | null> {
  const env = await call('GET', `/attributes/${enc(attributeId)}`, undefined, { _fields: 'id,name' });
  const item = v.safeParse(Named, env.value[0]);
  return item.success ? (item.output.name ?? null) : null;
}

async function allLists(call: Call): Promise<string[]> {
  const ids: string[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const env = await call('GET', '/lists', undefined, { _limit: PAGE, _offset: offset });
    for (const raw of env.value) {
      const item = v.safeParse(Id, raw);
      if (item.success) ids.push(item.output.id);
    }
    if (!hasMore(env, offset)) return ids;
  }
}

/**
 * Whether a refused write names one of the attributes it carried: the list lacks it (today's
 * answer is a 422 naming the field; the wording is the provider's).
 */
export function refusedAttributes(error: unknown, names: readonly string[]): string[] {
  if (!(error instanceof PermanentError)) return [];
  const { message, httpStatus } = error.failure;
  if (httpStatus !== 400 && httpStatus !== 422) return [];
  return names.filter((n) => message.includes(n));
}
