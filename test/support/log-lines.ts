import { vi } from 'vitest';

/**
 * The worker runs in the test's isolate, so a spy on console.log reads its structured lines
 * (src/lib/log.ts: one JSON object per line). Starts listening; the returned function stops and
 * answers the lines logged since whose `msg` is one of `msgs`, in order.
 */
export function logLines<T extends { msg: string }>(...msgs: string[]): () => T[] {
  const spy = vi.spyOn(console, 'log');
  return () => {
    const lines = spy.mock.calls
      .map(([line]) => (typeof line === 'string' && line.startsWith('{') ? (JSON.parse(line) as T) : null))
      .filter((l): l is T => l !== null && msgs.includes(l.msg));
    spy.mockRestore();
    return lines;
  };
}
