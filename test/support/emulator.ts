import { inject } from 'vitest';
import { defaultSettings } from '../../stack/n2g-emulator/settings.mjs';

/** The Newsletter2Go emulator's control interface (`/_emulator/…`), seen from a test. */

async function call<T>(base: () => string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base()}/_emulator${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok && res.status !== 404) throw new Error(`emulator ${method} ${path} → ${res.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

export interface EmulatedRecipient {
  id: string;
  list_id: string;
  email: string;
  first_name: string;
  last_name: string;
  gender: string;
  is_unsubscribed: boolean;
  is_blacklisted: boolean;
  is_bounced: boolean;
  attributes: Record<string, unknown>;
}

/** The emulator's switches (its own definition: settings.mjs has no imports, so workerd loads it). */
export type EmulatorSettings = ReturnType<typeof defaultSettings>;

/** What the emulator starts with, to put back after a test switched a reading. */
export const DEFAULT_SETTINGS: EmulatorSettings = defaultSettings();

/** The control interface of the emulator at `base()`: the shared one, or a lane's own. */
export function emulatorAt(base: () => string) {
  return {
    url: base,
    reset: () => call(base, 'POST', '/reset'),
    recipients: async (listId: string) =>
      (await call<{ recipients: EmulatedRecipient[] }>(base, 'GET', `/state?list_id=${listId}`)).recipients,
    find: async (listId: string, email: string) => {
      const res = await fetch(`${base()}/_emulator/recipients?list_id=${listId}&email=${encodeURIComponent(email)}`);
      return res.status === 404 ? null : ((await res.json()) as EmulatedRecipient);
    },
    get: async (id: string) => {
      const res = await fetch(`${base()}/_emulator/recipients/${id}`);
      return res.status === 404 ? null : ((await res.json()) as EmulatedRecipient);
    },
    insert: (recipient: Record<string, unknown>) => call<EmulatedRecipient>(base, 'POST', '/recipients', recipient),
    edit: (id: string, fields: Record<string, unknown>) => call(base, 'PATCH', `/recipients/${id}`, fields),
    remove: (id: string) => call(base, 'DELETE', `/recipients/${id}`),
    log: () =>
      call<{ entries: { method: string; path: string; status: number; fault?: string | null }[]; counters: unknown }>(
        base,
        'GET',
        '/log',
      ),
    clearLog: () => call(base, 'DELETE', '/log'),
    faults: (settings: Record<string, unknown>) => call(base, 'PUT', '/faults', settings),
    clearFaults: () => call(base, 'DELETE', '/faults'),
    rule: (rule: Record<string, unknown>) => call<{ id: number }>(base, 'POST', '/rules', rule),
    removeRule: (id: number) => call(base, 'DELETE', `/rules/${id}`),
    rejectEmails: (emails: string[]) => call(base, 'POST', '/rejected-emails', { emails }),
    /** Expires exactly the kinds named (the control API itself defaults each kind to true). */
    expireTokens: (which: { access?: boolean; refresh?: boolean } = { access: true }) =>
      call(base, 'POST', '/tokens/expire', { access: which.access ?? false, refresh: which.refresh ?? false }),
    /** `attributes`: existing attributes the new list has from the start. */
    createList: (list: { id?: string; name: string; attributes?: string[] }) =>
      call<{ id: string }>(base, 'POST', '/lists', list),
    createAttribute: (attribute: { name: string; list_ids?: string[]; is_global?: boolean }) =>
      call<{ id: string; list_ids: string[] }>(base, 'POST', '/attributes', attribute),
    /** Puts an attribute on exactly these lists, as a UI user may. */
    editAttribute: (id: string, patch: { list_ids: string[] }) => call(base, 'PATCH', `/attributes/${id}`, patch),
    attributes: async () =>
      (
        await call<{ attributes: { id: string; name: string; list_ids: string[]; is_global: boolean }[] }>(
          base,
          'GET',
          '/state',
        )
      ).attributes,
    /** Switches between the readings the spec leaves unconfirmed (see the emulator's README). */
    settings: (patch: Partial<EmulatorSettings>) => call<EmulatorSettings>(base, 'PUT', '/settings', patch),
  };
}

/** The emulator every worker test file shares: per-test lists, users and rules only. */
export const emulator = emulatorAt(() => inject('n2gUrl'));
