import { sha256Hex } from './encoding';

/**
 * JSON with object keys sorted, so the same event compares equal however it was serialised:
 * a single delivery and a batch item share one id space (contract §6), and the portal may
 * re-serialise an event between retries.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Digest of an event's content; a batch item's own `id` is not part of its content. */
export function eventDigest(event: unknown): Promise<string> {
  if (event && typeof event === 'object' && !Array.isArray(event) && 'id' in event) {
    const { id: _id, ...content } = event as Record<string, unknown>;
    return sha256Hex(canonicalJson(content));
  }
  return sha256Hex(canonicalJson(event));
}
