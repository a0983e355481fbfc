import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ConfigError, getConfig } from './config';
import { createDb } from './db/client';
import { adminApp } from './http/admin';
import { adminPageApp } from './http/admin-page';
import type { AppEnv } from './http/context';
import { docsApp } from './http/docs';
import { eventsApp } from './http/events';
import { healthApp } from './http/health';
import { unsubscribeApp } from './http/unsubscribe';
import { describeError, log } from './lib/log';
import { Problem, problemResponse, problemStatus, problems } from './lib/problem';
import { createProvider } from './wiring';

/** The worker's HTTP surface: one sub-app per area, one error shape for all of them. */
export function createApp() {
  const app = new Hono<AppEnv>();

  app.use(async (c, next) => {
    c.set('config', getConfig(c.env));
    c.set('db', createDb(c.var.config));
    c.set('provider', () => createProvider(c.var.config, c.var.db));
    c.set('providerName', c.var.config.PROVIDER);
    await next();
  });

  app.route('/health', healthApp);
  app.route('/v1/events', eventsApp);
  app.route('/v1/admin', adminApp);
  app.route('/admin', adminPageApp);
  app.route('/u', unsubscribeApp);
  app.route('/', docsApp);

  app.notFound(() => problemResponse(problems.notFound('No route matches this method and path.')));
  app.onError((error, c) => {
    if (error instanceof Problem) return problemResponse(error);
    if (error instanceof ConfigError) {
      log.error('configuration invalid', { problems: error.problems });
      // 503, not 500: nothing failed inside a request; every request, /health included, says
      // which setting to fix (never its value), and the portal retries once it is fixed.
      return problemResponse(new Problem(503, 'configuration', 'Worker misconfigured', error.message));
    }
    if (error instanceof HTTPException) {
      const res = error.getResponse();
      const problem = new Problem(
        problemStatus(error.status),
        'http',
        res.statusText || 'Error',
        error.message || res.statusText || 'Request failed',
      );
      return problemResponse(problem);
    }
    // Internals stay in the log; the answer says only that something failed.
    // Unsubscribe tokens are capabilities: keep them out of logs.
    log.error('unhandled error', {
      path: c.req.path.replace(/^\/u\/[^/]+/, '/u/{token}'),
      method: c.req.method,
      error: describeError(error),
    });
    return problemResponse(problems.internal());
  });
  return app;
}
