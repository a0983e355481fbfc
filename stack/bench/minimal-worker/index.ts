import { type Client, createClient } from '@libsql/client/web';

/**
 * The minimal worker `npm run bench` measures newsletter-bridge against: only the work an
 * accepted request cannot do without, so the ratio says what the real worker adds.
 *
 * - `POST /v1/events`: the Standard Webhooks check as src/lib/standard-webhooks.ts does it (at
 *   most 8 entries, ±300 s, one HMAC-SHA256 per configured secret, every entry compared in
 *   constant time), one `INSERT` by `execute` (the webhook-id as primary key), one
 *   `Queue.send`, `202`.
 * - `POST /u/{token}` (a one-click unsubscribe): the token's MAC as src/unsubscribe/token.ts
 *   checks it, one `INSERT`, one `Queue.send`, `200` with a small page.
 *
 * The checks are restated rather than imported: standard-webhooks.ts uses workerd's
 * `crypto.subtle.timingSafeEqual`, and tsconfig.node.json (which checks everything under
 * stack/) has Node's types. Only types both libraries have are named here. The table is made
 * by bench.mjs before the worker starts (`bench_minimal_requests`).
 */

interface Producer {
  send(body: unknown): Promise<void>;
}

interface Env {
  TURSO_DATABASE_URL: string;
  TURSO_AUTH_TOKEN?: string;
  PORTAL_SIGNING_SECRET: string;
  UNSUBSCRIBE_SIGNING_KEY: string;
  BENCH_QUEUE: Producer;
}

const TOLERANCE_SECONDS = 300;
const MAX_SIGNATURES = 8;
const MAX_EVENT_BYTES = 64 * 1024;
const MAX_FORM_BYTES = 16 * 1024;
const TOKEN_LABEL = 'newsletter-bridge/unsubscribe/v1:';
const TOKEN_ID = /^sub_[a-z0-9]{20}$/;

const subtle = crypto.subtle as typeof crypto.subtle & {
  timingSafeEqual(a: ArrayBufferView, b: ArrayBufferView): boolean;
};
const encoder = new TextEncoder();

let client: { url: string; db: Client } | undefined;
function db(env: Env): Client {
  if (client?.url !== env.TURSO_DATABASE_URL)
    client = {
      url: env.TURSO_DATABASE_URL,
      db: createClient({ url: env.TURSO_DATABASE_URL, authToken: env.TURSO_AUTH_TOKEN || undefined }),
    };
  return client.db;
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (request.method === 'POST' && pathname === '/v1/events') return event(request, env);
    if (request.method === 'POST' && pathname.startsWith('/u/')) return unsubscribe(request, env, pathname.slice(3));
    if (pathname === '/health') return Response.json({ status: 'ok' });
    return new Response('not found', { status: 404 });
  },
  async queue(batch: { ackAll(): void }): Promise<void> {
    batch.ackAll();
  },
};

async function event(request: Request, env: Env): Promise<Response> {
  const body = new Uint8Array(await request.arrayBuffer());
  if (body.length > MAX_EVENT_BYTES) return problem(413);
  const id = request.headers.get('webhook-id');
  const verdict = await verifySignature(
    env.PORTAL_SIGNING_SECRET.split(' ').filter(Boolean),
    id,
    request.headers.get('webhook-timestamp'),
    request.headers.get('webhook-signature'),
    body,
  );
  if (!verdict || !id) return problem(401);
  const text = new TextDecoder().decode(body);
  try {
    JSON.parse(text);
  } catch {
    return problem(400);
  }
  const stored = await db(env).execute({
    sql: 'INSERT INTO bench_minimal_requests (id, kind, received_at, body) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
    args: [id, 'event', Date.now(), text],
  });
  if (stored.rowsAffected === 0) return Response.json({ eventId: id, status: 'accepted' }, { status: 200 });
  await env.BENCH_QUEUE.send({ id });
  return Response.json({ eventId: id, status: 'accepted' }, { status: 202 });
}

async function unsubscribe(request: Request, env: Env, token: string): Promise<Response> {
  const subscriptionId = await verifyToken(env.UNSUBSCRIBE_SIGNING_KEY.split(' ').filter(Boolean), token);
  if (!subscriptionId) return page(404, 'Link ungültig');
  const form = await request.text();
  if (form.length > MAX_FORM_BYTES) return page(413, 'Zu groß');
  const id = `unsub_${crypto.randomUUID()}`;
  await db(env).execute({
    sql: 'INSERT INTO bench_minimal_requests (id, kind, received_at, body) VALUES (?, ?, ?, ?)',
    args: [id, 'unsubscribe', Date.now(), subscriptionId],
  });
  await env.BENCH_QUEUE.send({ id, subscriptionId });
  return page(200, 'Abgemeldet');
}

/** True when any `v1,` entry matches any secret (src/lib/standard-webhooks.ts, `verify`). */
async function verifySignature(
  secrets: string[],
  id: string | null,
  timestamp: string | null,
  signature: string | null,
  body: Uint8Array,
): Promise<boolean> {
  if (!id || !timestamp || !signature) return false;
  const entries = signature.split(' ').filter(Boolean);
  if (entries.length > MAX_SIGNATURES) return false;
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(Math.floor(Date.now() / 1000) - Number(timestamp)) > TOLERANCE_SECONDS) return false;
  const candidates = entries.map(candidateMac).filter((m): m is Uint8Array => m !== null);
  if (!candidates.length) return false;
  const prefix = encoder.encode(`${id}.${timestamp}.`);
  const content = new Uint8Array(prefix.length + body.length);
  content.set(prefix);
  content.set(body, prefix.length);
  for (const secret of secrets) {
    const raw = base64ToBytes(secret.replace(/^whsec_/, ''));
    if (!raw) continue;
    const expected = new Uint8Array(await subtle.sign('HMAC', await hmacKey(`webhook:${secret}`, raw), content));
    let matched = false;
    for (const candidate of candidates) matched = subtle.timingSafeEqual(expected, candidate) || matched;
    if (matched) return true;
  }
  return false;
}

function candidateMac(entry: string): Uint8Array | null {
  const [version, value] = entry.split(',', 2);
  if (version !== 'v1' || !value || value.length > 44) return null;
  const bytes = base64ToBytes(value);
  return bytes?.length === 32 ? bytes : null;
}

/** The subscription id of a valid `<id>.<MAC>` token (src/unsubscribe/token.ts, `verifyToken`). */
async function verifyToken(keys: string[], token: string): Promise<string | null> {
  const [id, sig, ...rest] = token.split('.');
  if (!id || !sig || rest.length || !TOKEN_ID.test(id)) return null;
  const given = base64ToBytes(sig.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (sig.length % 4)) % 4));
  if (given?.length !== 16) return null;
  let matched = false;
  for (const key of keys) {
    const full = await subtle.sign(
      'HMAC',
      await hmacKey(`token:${key}`, encoder.encode(key)),
      encoder.encode(TOKEN_LABEL + id),
    );
    matched = subtle.timingSafeEqual(new Uint8Array(full).slice(0, 16), given) || matched;
  }
  return matched ? id : null;
}

/** CryptoKey, named the way both type libraries allow (Node's declares it as a value). */
type Key = Awaited<ReturnType<typeof crypto.subtle.importKey>>;
const keys = new Map<string, Promise<Key>>();
function hmacKey(name: string, raw: Uint8Array): Promise<Key> {
  let key = keys.get(name);
  if (!key) {
    key = subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    keys.set(name, key);
  }
  return key;
}

function base64ToBytes(b64: string): Uint8Array | null {
  try {
    const binary = atob(b64);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

function problem(status: number): Response {
  return Response.json(
    { type: 'about:blank', title: 'refused', status, detail: 'refused' },
    { status, headers: { 'content-type': 'application/problem+json' } },
  );
}

function page(status: number, text: string): Response {
  return new Response(`<!doctype html><title>${text}</title><p>${text}</p>`, {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
  });
}
