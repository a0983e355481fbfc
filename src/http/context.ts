import type { Config } from '../config';
import type { Db } from '../db/client';

/** What every handler can read from `c.var`, set once per request by `createApp`. */
export interface AppEnv {
  Bindings: Record<string, unknown>;
  Variables: { config: Config; db: Db };
}
