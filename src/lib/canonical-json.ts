import { sha256Hex } from './encoding';

/**
 * JSON with object keys sorted, so the same event compares equal however it was serialised:
 * a single delivery and a batch item share one id space (contract §6), and the portal may
 * re-serialise an event between retries. Written with a stack of its own, not recursion: a
 * body within the size limit may nest arrays 30 000 deep (64 KiB) or 500 000 deep (1 MiB),
 * far past the call stack.
 */
export function canonicalJson(value: unknown): string {
  // Pending work, last first: text to write as it is, or a value still to serialise.
  const work: Piece[] = [{ value }];
  let out = '';
  for (let piece = work.pop(); piece; piece = work.pop()) {
    if ('text' in piece) {
      out += piece.text;
      continue;
    }
    const v = piece.value;
    if (!v || typeof v !== 'object') {
      out += JSON.stringify(v) ?? 'null';
      continue;
    }
    // Pushed in reverse, so they come off the stack in order (a loop: an array may be wide).
    if (Array.isArray(v)) {
      work.push({ text: ']' });
      for (let i = v.length - 1; i >= 0; i--) work.push({ value: v[i] }, { text: i ? ',' : '' });
      work.push({ text: '[' });
      continue;
    }
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    work.push({ text: '}' });
    for (let i = entries.length - 1; i >= 0; i--) {
      const [k, x] = entries[i] as [string, unknown];
      work.push({ value: x }, { text: `${i ? ',' : ''}${JSON.stringify(k)}:` });
    }
    work.push({ text: '{' });
  }
  return out;
}

type Piece = { text: string } | { value: unknown };

/** Digest of an event's content; a batch item's own `id` is not part of its content. */
export function eventDigest(event: unknown): Promise<string> {
  if (event && typeof event === 'object' && !Array.isArray(event) && 'id' in event) {
    const { id: _id, ...content } = event as Record<string, unknown>;
    return sha256Hex(canonicalJson(content));
  }
  return sha256Hex(canonicalJson(event));
}
