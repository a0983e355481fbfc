import { sha256Hex } from './encoding';

/**
 * JSON with object keys sorted, so the same event compares equal however it was serialised:
 * a single delivery and a batch item share one id space (contract §6), and the portal may
 * re-serialise an event between retries.
 *
 * Written with an explicit stack, not recursion: the digest is taken before the body's
 * schema is checked (the known-id step needs it), so it must survive any nesting a signed
 * body can hold (64 KiB of `[` is 65,536 levels). The output is the same as the recursive
 * form's, so digests stored before stay comparable.
 */
export function canonicalJson(value: unknown): string {
  let out = '';
  // Last in, first out: what is written next is on top.
  const todo: ({ text: string } | { value: unknown })[] = [{ value }];
  for (let item = todo.pop(); item !== undefined; item = todo.pop()) {
    if ('text' in item) {
      out += item.text;
      continue;
    }
    const current = item.value;
    if (Array.isArray(current)) {
      todo.push({ text: ']' });
      for (let i = current.length - 1; i >= 0; i--) {
        todo.push({ value: current[i] });
        if (i > 0) todo.push({ text: ',' });
      }
      todo.push({ text: '[' });
    } else if (current && typeof current === 'object') {
      const entries = Object.entries(current as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      todo.push({ text: '}' });
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, v] = entries[i] ?? ['', null];
        todo.push({ value: v });
        todo.push({ text: `${i > 0 ? ',' : ''}${JSON.stringify(key)}:` });
      }
      todo.push({ text: '{' });
    } else {
      out += JSON.stringify(current) ?? 'null';
    }
  }
  return out;
}

/**
 * True when arrays and objects nest deeper than `max` levels (`{"a":[1]}` is 2), found without
 * recursion and without walking past the first path that is too deep.
 */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const todo: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let item = todo.pop(); item !== undefined; item = todo.pop()) {
    const { value: current, depth } = item;
    if (!current || typeof current !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(current) ? current : Object.values(current))
      todo.push({ value: child, depth: depth + 1 });
  }
  return false;
}

/** Digest of an event's content; a batch item's own `id` is not part of its content. */
export function eventDigest(event: unknown): Promise<string> {
  if (event && typeof event === 'object' && !Array.isArray(event) && 'id' in event) {
    const { id: _id, ...content } = event as Record<string, unknown>;
    return sha256Hex(canonicalJson(content));
  }
  return sha256Hex(canonicalJson(event));
}
