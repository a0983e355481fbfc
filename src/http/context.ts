import type { Config } from '../config';
import type { Db } from '../db/client';
import type { NewsletterProvider } from '../ports/provider';

/**
 * What every handler can read from `c.var`, set once per request by `createApp`. The provider
 * comes from the entry's wiring, so routes know the port, never an adapter.
 */
export interface AppEnv {
  Bindings: Env;
  Variables: { config: Config; db: Db; provider: () => NewsletterProvider; providerName: string };
}
