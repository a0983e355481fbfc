// @ts-check
/**
 * The list routes: `GET /contacts/lists`, `GET /contacts/lists/{listId}`, a list's contacts,
 * and adding or removing existing contacts (`/contacts/add`, `/contacts/remove`).
 *
 * Add and remove take exactly one of `emails`, `ids`, `extIds` (1 to 150 entries); remove
 * also `{"all": true}`. Each entry lands in `success` or `failure` as sent; an add that adds
 * no one is the spec's 400, a remove that removes no one a 400 too or a 201 with every entry
 * in `failure` (`removeNotMember`).
 */
import { apiAdd, contactPage } from './contacts.mjs';
import { ERR } from './errors.mjs';
import { isObject } from './http-io.mjs';
import { byCreation, readPaging } from './paging.mjs';

/**
 * @typedef {import('./contacts.mjs').Ctx} Ctx
 * @typedef {import('./errors.mjs').Reply} Reply
 * @typedef {import('./store.mjs').Contact} Contact
 */

const MAX_ENTRIES = 150;
const KINDS = /** @type {const} */ (['emails', 'ids', 'extIds']);

/** @param {Ctx} ctx @returns {{ list: import('./store.mjs').List } | { reply: Reply }} */
function resolveList(ctx) {
  const raw = String(ctx.params.listId);
  const list = /^\d+$/.test(raw) ? ctx.store.lists.get(Number(raw)) : undefined;
  return list ? { list } : { reply: ERR.listNotFound() };
}

/** @param {Ctx} ctx @returns {Reply} `GET /contacts/lists` (limit default 10, at most 50) */
export function getLists(ctx) {
  const paging = readPaging(ctx.url, { defaultLimit: 10, maxLimit: 50, modifiedSince: false });
  if ('reply' in paging) return paging.reply;
  const { limit, offset, sort } = paging.ok;
  const all = [...ctx.store.lists.values()];
  const page = byCreation(all, sort).slice(offset, offset + limit);
  return { status: 200, body: { lists: page.map((l) => ctx.store.listView(l, false)), count: all.length } };
}

/** @param {Ctx} ctx @returns {Reply} `GET /contacts/lists/{listId}` */
export function getList(ctx) {
  const found = resolveList(ctx);
  if ('reply' in found) return found.reply;
  return { status: 200, body: ctx.store.listView(found.list, true) };
}

/** @param {Ctx} ctx @returns {Reply} `GET /contacts/lists/{listId}/contacts` (limit at most 500) */
export function getListContacts(ctx) {
  const found = resolveList(ctx);
  if ('reply' in found) return found.reply;
  return contactPage(ctx, ctx.store.membersOf(found.list.id), 500);
}

/**
 * The entries of an add or remove body: exactly one of emails / ids / extIds.
 * @param {Ctx} ctx @param {'added' | 'removed'} verb
 * @returns {{ kind: 'emails' | 'ids' | 'extIds', entries: unknown[] } | { all: true } | { reply: Reply }}
 */
export function readEntries(ctx, verb) {
  if (ctx.bodyError) return { reply: ERR.badJson() };
  const body = ctx.body ?? {};
  if (!isObject(body)) return { reply: ERR.badJson() };
  const given = KINDS.filter((k) => body[k] !== undefined);
  const all = verb === 'removed' && body.all === true;
  if (given.length + Number(all) > 1)
    return {
      reply: ERR.invalid(
        `Pass only one of ${verb === 'removed' ? 'emails, ids, extIds or all' : 'emails, ids or extIds'}`,
      ),
    };
  if (all) return { all: true };
  const kind = given[0];
  if (kind === undefined)
    return {
      reply: ERR.missing(
        verb === 'removed' ? 'Please provide emails, ids, extIds or all' : 'Please provide emails, ids or extIds',
      ),
    };
  const entries = body[kind];
  if (!Array.isArray(entries) || entries.length === 0)
    return { reply: ERR.invalid(`${kind} must be a non-empty list`) };
  if (entries.length > MAX_ENTRIES)
    return { reply: ERR.outOfRange(`A maximum of ${MAX_ENTRIES} contacts can be ${verb} at once`) };
  const fits =
    kind === 'ids'
      ? entries.every((x) => Number.isInteger(x) && x > 0)
      : entries.every((x) => typeof x === 'string' && x !== '');
  if (!fits)
    return {
      reply: ERR.invalid(kind === 'ids' ? 'ids must be contact ids (whole numbers)' : `${kind} must be strings`),
    };
  return { kind, entries };
}

/**
 * @param {Ctx} ctx @param {'emails' | 'ids' | 'extIds'} kind @param {unknown} entry
 * @returns {Contact | undefined}
 */
function find(ctx, kind, entry) {
  if (kind === 'emails') return ctx.store.findByEmail(entry);
  if (kind === 'ids') return ctx.store.contacts.get(/** @type {number} */ (entry));
  return ctx.store.findByExtId(entry);
}

/** @param {Ctx} ctx @returns {Reply} `POST /contacts/lists/{listId}/contacts/add` */
export function addToList(ctx) {
  const found = resolveList(ctx);
  if ('reply' in found) return found.reply;
  const read = readEntries(ctx, 'added');
  if ('reply' in read) return read.reply;
  if (!('kind' in read)) return ERR.invalid('all is only for remove');
  /** @type {unknown[]} */ const success = [];
  /** @type {unknown[]} */ const failure = [];
  for (const entry of read.entries) {
    const c = find(ctx, read.kind, entry);
    if (c && apiAdd(ctx.store, ctx.settings, c, found.list.id)) {
      ctx.store.touch(c);
      success.push(entry);
    } else failure.push(entry);
  }
  if (success.length === 0) return ERR.noneAdded();
  return { status: 201, body: { contacts: { success, failure } } };
}

/**
 * `POST /contacts/lists/{listId}/contacts/remove`. `{"all": true}` is a background process in
 * Brevo; the emulator removes everyone at once and answers `{contacts: {total, processId}}`.
 * @param {Ctx} ctx @returns {Reply}
 */
export function removeFromList(ctx) {
  const found = resolveList(ctx);
  if ('reply' in found) return found.reply;
  const listId = found.list.id;
  const read = readEntries(ctx, 'removed');
  if ('reply' in read) return read.reply;
  if (!('kind' in read)) {
    const members = ctx.store.membersOf(listId);
    for (const c of members) {
      ctx.store.leave(c, listId);
      ctx.store.touch(c);
    }
    return { status: 201, body: { contacts: { total: members.length, processId: ctx.store.nextProcessId++ } } };
  }
  /** @type {unknown[]} */ const success = [];
  /** @type {unknown[]} */ const failure = [];
  for (const entry of read.entries) {
    const c = find(ctx, read.kind, entry);
    if (c && ctx.store.leave(c, listId)) {
      ctx.store.touch(c);
      success.push(entry);
    } else failure.push(entry);
  }
  if (success.length === 0 && ctx.settings.removeNotMember === 400) return ERR.noneRemoved();
  return { status: 201, body: { contacts: { success, failure } } };
}
