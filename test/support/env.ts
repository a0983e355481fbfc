/**
 * The generated `Env` (src/worker-configuration.d.ts) says what wrangler.toml declares. A real
 * deployment can hold anything (a setting missing, misspelt, extra tuning values), and that is
 * what config parsing exists for: these helpers let tests hand such objects to the worker.
 */
export function asWorkerEnv(settings: Record<string, unknown>): Env {
  return settings as unknown as Env;
}

/** A setting the tests read that Env does not declare (PROPERTY_RUNS and the like). */
export function extraSetting(env: Env, name: string): unknown {
  return (env as unknown as Record<string, unknown>)[name];
}
