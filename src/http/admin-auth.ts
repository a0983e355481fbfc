import { createMiddleware } from 'hono/factory';
import { timingSafeEqual } from 'hono/utils/buffer';
import { Problem } from '../lib/problem';
import type { AppEnv } from './context';

/**
 * Admin routes need `Authorization: Bearer <one of ADMIN_API_TOKEN>`. Hono's timingSafeEqual
 * compares hashes of the tokens, so neither length nor content leaks through timing; every
 * configured token is compared, so which one matched does not either.
 */
export const adminAuth = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header('authorization') ?? '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  let ok = false;
  if (match?.[1]) {
    for (const token of c.var.config.ADMIN_API_TOKEN) {
      if (await timingSafeEqual(token, match[1])) ok = true;
    }
  }
  if (!ok) {
    const problem = new Problem(
      401,
      'unauthorized',
      'Unauthorized',
      'A valid admin bearer token is required (Authorization: Bearer <ADMIN_API_TOKEN>).',
    );
    problem.headers['WWW-Authenticate'] = 'Bearer realm="newsletter-bridge admin"';
    throw problem;
  }
  await next();
});
