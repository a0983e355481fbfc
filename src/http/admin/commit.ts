import { isBusy } from '../../db/busy';
import { isStaleRead, RetriesExhausted } from '../../db/write-batch';

/**
 * `commitWithRetries` (db/write-batch.ts) for a write whose answer needs what its batch returns
 * (the subscriptions a repush marked, the row as it was before): `attempt` reads what the
 * decision needs and returns the commit, one `db.batch` that maps its own results. A commit
 * refused by a guard or as busy stored nothing, so it is decided again, a bounded number of
 * times; after that the app answers 500.
 */
export async function commitAnswering<T>(attempt: () => Promise<() => Promise<T>>, tries = 6): Promise<T> {
  for (let n = 1; ; n++) {
    const commit = await attempt();
    try {
      return await commit();
    } catch (error) {
      if (!isStaleRead(error) && !isBusy(error)) throw error;
      if (n >= tries) throw new RetriesExhausted(tries, error);
      // As commitWithRetries: a short, growing, jittered pause lets the winner's commit land.
      await new Promise((r) => setTimeout(r, 5 * n + Math.random() * 20 * n));
    }
  }
}
