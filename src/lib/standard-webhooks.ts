import { base64ToBytes, bytesToBase64 } from './encoding';

/**
 * Standard Webhooks (standardwebhooks.com) signing and verification with WebCrypto HMAC.
 * Verification uses `crypto.subtle.verify`, which compares in constant time.
 */

export const TOLERANCE_SECONDS = 300;

export type VerifyFailure = 'missing-headers' | 'bad-timestamp' | 'stale-timestamp' | 'no-match';

export interface WebhookHeaders {
  id: string | null | undefined;
  timestamp: string | null | undefined;
  signature: string | null | undefined;
}

const keyCache = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    const raw = base64ToBytes(secret.replace(/^whsec_/, ''));
    key = crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    keyCache.set(secret, key);
  }
  return key;
}

function signedContent(id: string, timestamp: string, body: Uint8Array): Uint8Array {
  const prefix = new TextEncoder().encode(`${id}.${timestamp}.`);
  const out = new Uint8Array(prefix.length + body.length);
  out.set(prefix);
  out.set(body, prefix.length);
  return out;
}

export async function sign(secret: string, id: string, timestamp: number, body: string | Uint8Array): Promise<string> {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const mac = await crypto.subtle.sign('HMAC', await hmacKey(secret), signedContent(id, String(timestamp), bytes));
  return `v1,${bytesToBase64(new Uint8Array(mac))}`;
}

/** Headers for an outgoing signed request (the worker's notices to the portal). */
export async function signedHeaders(
  secret: string,
  id: string,
  body: string,
  nowSeconds = Math.floor(Date.now() / 1000),
) {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(nowSeconds),
    'webhook-signature': await sign(secret, id, nowSeconds, body),
  };
}

/**
 * Valid when any `v1,` entry of the signature header matches any configured secret.
 * Returns null on success, otherwise why it failed (never which secret was tried).
 */
export async function verify(
  secrets: readonly string[],
  headers: WebhookHeaders,
  body: Uint8Array,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<VerifyFailure | null> {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) return 'missing-headers';
  if (!/^\d{1,12}$/.test(timestamp)) return 'bad-timestamp';
  if (Math.abs(nowSeconds - Number(timestamp)) > TOLERANCE_SECONDS) return 'stale-timestamp';

  const candidates: Uint8Array[] = [];
  for (const entry of signature.split(' ')) {
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || !value) continue;
    try {
      candidates.push(base64ToBytes(value));
    } catch {
      // an undecodable entry simply matches nothing
    }
  }
  const content = signedContent(id, timestamp, body);
  for (const secret of secrets) {
    const key = await hmacKey(secret);
    for (const mac of candidates) {
      if (await crypto.subtle.verify('HMAC', key, mac, content)) return null;
    }
  }
  return 'no-match';
}
