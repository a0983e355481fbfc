/** The Brevo emulator's control interface (`/_emulator/…`), seen from a test in workerd. */

export interface BrevoContact {
  id: number;
  email: string | null;
  ext_id: string | null;
  attributes: Record<string, unknown>;
  listIds: number[];
  listUnsubscribed: number[];
  emailBlacklisted: boolean;
}

async function call<T>(base: () => string, method: string, path: string, body?: unknown): Promise<T | null> {
  const res = await fetch(`${base()}/_emulator${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`brevo emulator ${method} ${path} → ${res.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

export function brevoAt(base: () => string) {
  const must = async <T>(p: Promise<T | null>, what: string): Promise<T> => {
    const value = await p;
    if (value === null) throw new Error(`brevo emulator: no ${what}`);
    return value;
  };
  return {
    url: base,
    createList: (name: string) => must(call<{ id: number }>(base, 'POST', '/lists', { name }), 'list'),
    contact: (email: string) => call<BrevoContact>(base, 'GET', `/contacts?email=${encodeURIComponent(email)}`),
    contactByExtId: (extId: string) => call<BrevoContact>(base, 'GET', `/contacts?ext_id=${encodeURIComponent(extId)}`),
    insert: (contact: Record<string, unknown>) =>
      must(call<BrevoContact>(base, 'POST', '/contacts', contact), 'contact'),
    edit: (id: number, patch: Record<string, unknown>) => call<BrevoContact>(base, 'PATCH', `/contacts/${id}`, patch),
    remove: (id: number) => call(base, 'DELETE', `/contacts/${id}`),
    contacts: async () => (await must(call<{ contacts: BrevoContact[] }>(base, 'GET', '/state'), 'state')).contacts,
    attributes: async () =>
      (await must(call<{ attributes: { name: string }[] }>(base, 'GET', '/state'), 'state')).attributes,
    rule: (rule: Record<string, unknown>) => must(call<{ id: number }>(base, 'POST', '/rules', rule), 'rule'),
    clearRules: () => call(base, 'DELETE', '/rules'),
    log: async () =>
      (
        await must(
          call<{ entries: { method: string; path: string; status: number; fault: string | null }[] }>(
            base,
            'GET',
            '/log',
          ),
          'log',
        )
      ).entries,
    rateLimits: (limits: { perSecond?: number | null; perHour?: number | null }) =>
      call(base, 'PUT', '/rate-limits', limits),
  };
}
