import { base64ToBytes } from './encoding';

/**
 * Standard Webhooks secrets (`whsec_<base64>`), as configured. Apart from the signing code so
 * the settings check (config.ts) can use it without WebCrypto's workerd-only parts.
 */

/** Standard Webhooks asks for secrets of 24 to 64 bytes; shorter ones are refused at start. */
export const MIN_SECRET_BYTES = 24;

/** Why a configured secret is unusable, or null: config.ts refuses it at start with this. */
export function secretProblem(secret: string): string | null {
  if (!secret.startsWith('whsec_')) return 'is not of the form whsec_<base64>';
  const bytes = decodeSecret(secret);
  if (!bytes) return 'does not decode as base64';
  if (bytes.length < MIN_SECRET_BYTES) return `decodes to fewer than ${MIN_SECRET_BYTES} bytes`;
  return null;
}

/** The key bytes of a `whsec_` secret, or null when the rest is not base64. */
export function decodeSecret(secret: string): Uint8Array | null {
  const b64 = secret.replace(/^whsec_/, '');
  // atob alone would also take whitespace inside the value; missing padding it may take.
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return null;
  try {
    return base64ToBytes(b64);
  } catch {
    return null;
  }
}
