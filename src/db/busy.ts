/**
 * Runs a database write again when it was refused as busy (another transaction held the
 * single writer too long). Only for work that is all-or-nothing, so a refused try left nothing
 * behind: an intake transaction, an unsubscribe. A portal delivery or a reader's click should
 * not fail for a moment of contention.
 */
export async function retryOnBusy<T>(work: () => Promise<T>, tries = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= tries || !isBusy(error)) throw error;
      await new Promise((r) => setTimeout(r, 100 * attempt + Math.random() * 200));
    }
  }
}

/** drizzle wraps the driver's error: SQLite's code is on the cause (or on the error itself). */
export function isBusy(error: unknown): boolean {
  const codeOf = (e: unknown) =>
    typeof e === 'object' && e !== null && 'code' in e ? (e as { code: unknown }).code : undefined;
  const cause = error instanceof Error ? error.cause : undefined;
  return codeOf(cause) === 'SQLITE_BUSY' || codeOf(error) === 'SQLITE_BUSY';
}
