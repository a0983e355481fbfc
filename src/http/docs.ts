import { Hono } from 'hono';
import { openApiDocument } from '../openapi/document';
import { renderDocs } from '../openapi/render';
import type { AppEnv } from './context';

/** The API's description: `GET /openapi.json` and its readable rendering at `GET /docs`. */

let page: string | null = null;

export const docsApp = new Hono<AppEnv>()
  .get('/openapi.json', (c) => c.json(openApiDocument(), 200, { 'cache-control': 'public, max-age=300' }))
  .get('/docs', (c) => {
    page ??= renderDocs(openApiDocument());
    return c.html(page, 200, {
      'cache-control': 'public, max-age=300',
      // No scripts, no outside resources: the page is self-contained.
      'content-security-policy':
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
      'x-content-type-options': 'nosniff',
    });
  });
