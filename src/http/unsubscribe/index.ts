import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { describeError, log } from '../../lib/log';
import { verifyToken } from '../../unsubscribe/token';
import { findLinkTarget, type Scope, unsubscribeByLink } from '../../unsubscribe/unsubscribe';
import type { AppEnv } from '../context';
import { type Language, pickLanguage } from './language';
import { choicePage, donePage, errorPage, notFoundPage } from './pages';

/**
 * The reader's unsubscribe link (contract §2). GET (and HEAD) only shows a page: mail
 * scanners open links, so nothing a GET does may change state. POST unsubscribes; it is also
 * the RFC 8058 one-click target, so it needs no cookie, no session and answers 200, never a
 * redirect. Reader pages answer HTML, errors included; no cookie is ever set.
 */

/** One-click bodies are a few dozen bytes; a form a few more. */
const BODY_LIMIT = 16 * 1024;

export const unsubscribeApp = new Hono<AppEnv>()
  .get('/:token', async (c) => {
    const lang = language(c);
    const target = await resolve(c);
    if (!target) return notFound(c, lang);
    return page(
      c,
      lang,
      200,
      choicePage(lang, {
        newsletterName: target.newsletterName,
        subscribed: target.subscription.state === 'subscribed',
      }),
    );
  })
  .post(
    '/:token',
    bodyLimit({ maxSize: BODY_LIMIT, onError: (c) => page(c, language(c), 413, errorPage(language(c))) }),
    async (c) => {
      const lang = language(c);
      const id = await verifyToken(c.var.config.UNSUBSCRIBE_SIGNING_KEY, c.req.param('token') ?? '');
      if (!id) return notFound(c, lang);
      const form = await readForm(c.req.raw);
      // One-click names exactly this subscription; "all" only ever comes from our own form.
      const scope: Scope = !form.oneClick && form.scope === 'all' ? 'all' : 'one';
      // The look-up of the token's subscription is part of the unsubscribe's own read.
      const result = await unsubscribeByLink(c.var.config, c.var.db, id, scope);
      if (!result) return notFound(c, lang);
      const { target } = result;
      log.info('unsubscribe by link', {
        subscriptionId: target.subscription.id,
        scope,
        oneClick: form.oneClick,
        cancelled: result.cancelled,
        notices: result.notices,
        dbRoundTrips: c.var.db.roundTrips(),
      });
      return page(c, lang, 200, donePage(lang, { newsletterName: target.newsletterName, scope }));
    },
  )
  .all('*', (c) => notFound(c, language(c)))
  .onError((error, c) => {
    // The driver's cause only: a failed query's own text carries its parameters.
    log.error('unsubscribe page failed', {
      method: c.req.method,
      error: describeError(error instanceof Error && error.cause instanceof Error ? error.cause : error),
    });
    return page(c, language(c), 500, errorPage(language(c)));
  });

const language = (c: Context<AppEnv>): Language => pickLanguage(c.req.header('accept-language'));

/** The subscription a genuine token names; null for a bad, forged or unknown one alike. */
async function resolve(c: Context<AppEnv>) {
  const id = await verifyToken(c.var.config.UNSUBSCRIBE_SIGNING_KEY, c.req.param('token') ?? '');
  return id ? findLinkTarget(c.var.db, id) : null;
}

async function readForm(req: Request): Promise<{ oneClick: boolean; scope: string | null }> {
  const type = (req.headers.get('content-type') ?? '').toLowerCase();
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data'))
    return { oneClick: false, scope: null };
  try {
    const form = await req.formData();
    const field = (name: string) => {
      const value = form.get(name);
      return typeof value === 'string' ? value.trim() : null;
    };
    return { oneClick: field('List-Unsubscribe') === 'One-Click', scope: field('scope') };
  } catch {
    // A body we cannot read is still a POST to the link: it unsubscribes this newsletter.
    return { oneClick: false, scope: null };
  }
}

function notFound(c: Context<AppEnv>, lang: Language) {
  return page(c, lang, 404, notFoundPage(lang));
}

const HEADERS = {
  'cache-control': 'no-store',
  // The token is in the URL: no other site may see it as a referrer.
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-robots-tag': 'noindex, nofollow',
  vary: 'Accept-Language',
};

async function page(
  c: Context<AppEnv>,
  lang: Language,
  status: ContentfulStatusCode,
  body: HtmlEscapedString | Promise<HtmlEscapedString>,
) {
  return c.html(await body, status, { ...HEADERS, 'content-language': lang });
}
