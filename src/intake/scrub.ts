import type { Executor } from '../db/client';
import { scrubStatements } from '../db/scrub';

/**
 * Removes what could still identify a deleted user locally. The timeline never stores
 * profiles, but provider error messages may quote an address ("Duplicate value …") and
 * reconciliation findings name addresses. Transfer statuses stay readable. Received events
 * keep only a SHA-256 digest of their body, which is kept: it holds no readable data, and a
 * redelivery of an old event must still get its first answer (contract §1) for as long as the
 * record lives (LOG_RETENTION_DAYS, see retention.ts).
 */
export async function scrubUser(tx: Executor, userId: string, email: string | null): Promise<void> {
  for (const statement of scrubStatements(tx, userId, email)) await statement;
}
