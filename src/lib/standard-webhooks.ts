import { base64ToBytes, bytesToBase64 } from './encoding';
import { decodeSecret } from './webhook-secret';

/**
 * Standard Webhooks (standardwebhooks.com) signing and verification with WebCrypto HMAC.
 * Verification computes the expected MAC once per configured secret and compares it with
 * each entry of the header in constant time (workerd's `crypto.subtle.timingSafeEqual`), so
 * the work is bounded by the secrets, never by what a caller puts in the header.
 */

export const TOLERANCE_SECONDS = 300;
/** Entries a `webhook-signature` may hold (contract §1): enough for any rotation. */
export const MAX_SIGNATURES = 8;
const MAC_BYTES = 32;

export type VerifyFailure =
  | 'missing-headers'
  | 'too-many-signatures'
  | 'bad-timestamp'
  | 'stale-timestamp'
  | 'no-match';

export interface WebhookHeaders {
  id: string | null | undefined;
  timestamp: string | null | undefined;
  signature: string | null | undefined;
}

const keyCache = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    const raw = decodeSecret(secret);
    // Unreachable with a parsed config (config.ts checks every secret); a clear message if not.
    if (!raw) throw new Error('a Standard Webhooks secret does not decode as base64');
    key = crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    keyCache.set(secret, key);
  }
  return key;
}

async function mac(secret: string, content: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret), content));
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
  return `v1,${bytesToBase64(await mac(secret, signedContent(id, String(timestamp), bytes)))}`;
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
 * Cost: one HMAC per secret over the body, and at most MAX_SIGNATURES comparisons each; a
 * header with more entries is refused before any MAC is computed.
 */
export async function verify(
  secrets: readonly string[],
  headers: WebhookHeaders,
  body: Uint8Array,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<VerifyFailure | null> {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) return 'missing-headers';
  const entries = signature.split(' ').filter(Boolean);
  if (entries.length > MAX_SIGNATURES) return 'too-many-signatures';
  if (!/^\d{1,12}$/.test(timestamp)) return 'bad-timestamp';
  if (Math.abs(nowSeconds - Number(timestamp)) > TOLERANCE_SECONDS) return 'stale-timestamp';

  const candidates = entries.map(candidateMac).filter((m): m is Uint8Array => m !== null);
  if (!candidates.length) return 'no-match';
  const content = signedContent(id, timestamp, body);
  for (const secret of secrets) {
    const expected = await mac(secret, content);
    // Every candidate is compared, so the time says nothing about which one matched.
    let matched = false;
    for (const candidate of candidates) matched = crypto.subtle.timingSafeEqual(expected, candidate) || matched;
    if (matched) return null;
  }
  return 'no-match';
}

/** The MAC bytes of a `v1,<base64>` entry; null for another version or anything not 32 bytes. */
function candidateMac(entry: string): Uint8Array | null {
  const [version, value] = entry.split(',', 2);
  // 44 characters is 32 bytes in padded base64: a longer entry is not decoded at all.
  if (version !== 'v1' || !value || value.length > 44) return null;
  try {
    const bytes = base64ToBytes(value);
    // timingSafeEqual throws on different lengths; a wrong length cannot match anyway.
    return bytes.length === MAC_BYTES ? bytes : null;
  } catch {
    return null;
  }
}
