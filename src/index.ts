import { createApp } from './app';
import { getConfig } from './config';
import { handleQueue, handleScheduled } from './handlers';

/**
 * The worker: wiring only. The work lives in the areas the handlers name. Queue bodies stay
 * `unknown` until the consumer parses them.
 */
const app = createApp();

export default {
  fetch: app.fetch,
  queue: (batch, env) => handleQueue(getConfig(env), batch),
  scheduled: (controller, env, ctx) => ctx.waitUntil(handleScheduled(getConfig(env), controller)),
} satisfies ExportedHandler<Env, unknown>;
