import type { Config } from '../config';
import { base64UrlToBytes, bytesToBase64Url } from '../lib/encoding';

/**
 * Unsubscribe tokens: `<subscription id>.<MAC>`, the MAC an HMAC-SHA256 over a fixed label and
 * the id, truncated to 128 bits. The id is random and opaque (no userId, no address); tokens
 * do not expire and stay valid after use. The first configured key signs; every configured
 * key verifies, so links keep working through a key rotation.
 */

const LABEL = 'newsletter-bridge/unsubscribe/v1:';
const MAC_BYTES = 16;
const ID_PATTERN = /^sub_[a-z0-9]{20}$/;

const keys = new Map<string, Promise<CryptoKey>>();
function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ]);
    keys.set(secret, key);
  }
  return key;
}

async function mac(secret: string, subscriptionId: string): Promise<Uint8Array> {
  const full = await crypto.subtle.sign(
    'HMAC',
    await hmacKey(secret),
    new TextEncoder().encode(LABEL + subscriptionId),
  );
  return new Uint8Array(full).slice(0, MAC_BYTES);
}

export async function createToken(signingKeys: readonly string[], subscriptionId: string): Promise<string> {
  const [key] = signingKeys;
  if (!key) throw new Error('UNSUBSCRIBE_SIGNING_KEY is empty');
  return `${subscriptionId}.${bytesToBase64Url(await mac(key, subscriptionId))}`;
}

/** The subscription id a token names, or null for anything forged, truncated or altered. */
export async function verifyToken(signingKeys: readonly string[], token: string): Promise<string | null> {
  const [id, sig, ...rest] = token.split('.');
  if (!id || !sig || rest.length || !ID_PATTERN.test(id)) return null;
  const given = base64UrlToBytes(sig);
  if (!given || given.length !== MAC_BYTES) return null;
  let match = false;
  // Every key is tried, and every byte compared, whatever matched: the time taken says nothing.
  for (const key of signingKeys) match = constantTimeEqual(await mac(key, id), given) || match;
  return match ? id : null;
}

/**
 * Plain constant-time comparison. workerd's `crypto.subtle.timingSafeEqual` is not in Node,
 * and the token code runs in both (the unit tests, the local stack's tooling).
 */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

export async function unsubscribeUrl(
  config: Pick<Config, 'PUBLIC_BASE_URL' | 'UNSUBSCRIBE_SIGNING_KEY'>,
  subscriptionId: string,
): Promise<string> {
  return new URL(
    `/u/${await createToken(config.UNSUBSCRIBE_SIGNING_KEY, subscriptionId)}`,
    config.PUBLIC_BASE_URL,
  ).toString();
}
