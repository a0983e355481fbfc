/**
 * Whether the database refused a write as busy (another writer held the single write lock too
 * long). A refused batch stored nothing, so commitWithRetries (write-batch.ts) simply decides
 * it again. drizzle wraps the driver's error: SQLite's code is on the cause (or on the error).
 */
export function isBusy(error: unknown): boolean {
  const codeOf = (e: unknown) =>
    typeof e === 'object' && e !== null && 'code' in e ? (e as { code: unknown }).code : undefined;
  const cause = error instanceof Error ? error.cause : undefined;
  return codeOf(cause) === 'SQLITE_BUSY' || codeOf(error) === 'SQLITE_BUSY';
}
