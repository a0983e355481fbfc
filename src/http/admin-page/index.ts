import { Hono } from 'hono';
import { html, raw } from 'hono/html';
import type { AppEnv } from '../context';
import { type Language, pickLanguage } from '../unsubscribe/language';
import { SCRIPT } from './script';
import { STYLE } from './style';
import { TEXTS } from './texts';

/**
 * `GET /admin`: the status page for the people who run the worker. Rendered here, with its
 * style and script inline under a per-response nonce, and nothing loaded from elsewhere. The
 * page holds no data: after sign-in it reads and writes through the documented admin API with
 * the token as bearer header, so it can do nothing the API cannot.
 */
export const adminPageApp = new Hono<AppEnv>().get('/', (c) => {
  const asked = c.req.query('lang');
  const lang: Language = asked === 'en' || asked === 'de' ? asked : pickLanguage(c.req.header('accept-language'));
  const nonce = crypto.randomUUID().replaceAll('-', '');
  return c.html(page(lang, nonce), 200, {
    'cache-control': 'no-store',
    'content-language': lang,
    'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'`,
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-robots-tag': 'noindex, nofollow',
    vary: 'Accept-Language',
  });
});

function page(lang: Language, nonce: string) {
  const t = TEXTS[lang];
  const other: Language = lang === 'de' ? 'en' : 'de';
  // The texts travel as JSON in a non-executing script element; "<" is escaped so no value can end it.
  const texts = JSON.stringify(t).replaceAll('<', '\\u003c');
  return html`<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t.title}</title>
<style nonce="${nonce}">${raw(STYLE)}</style>
</head>
<body>
<header><h1>${t.title}</h1><a href="?lang=${other}" hreflang="${other}">${other.toUpperCase()}</a></header>
<main>
<section id="signin">
  <h2>${t.signInHeading}</h2>
  <p>${t.signInHint}</p>
  <form id="signin-form">
    <label for="token">${t.token}</label>
    <input id="token" name="token" type="password" autocomplete="off" required>
    <button type="submit">${t.signIn}</button>
  </form>
  <p id="signin-error" class="error" role="alert"></p>
</section>
<div id="app" hidden>
  <nav><button type="button" id="refresh">${t.refresh}</button> <button type="button" id="signout">${t.signOut}</button></nav>
  <section><h2>${t.counts}</h2><div id="counts"></div></section>
  <section><h2>${t.pauseHeading}</h2>
    <p id="pause-state" role="status"></p>
    <p id="pause-warning" class="error"></p>
    <form id="pause-form">
      <label for="reason">${t.reason}</label>
      <input id="reason" name="reason" required maxlength="500">
      <button type="submit">${t.pause}</button>
    </form>
    <button type="button" id="resume" hidden>${t.resume}</button>
  </section>
  <section><h2>${t.failedHeading}</h2><div id="failed"></div></section>
  <section><h2>${t.subscriberHeading}</h2>
    <form id="subscriber-form">
      <label for="user">${t.userId}</label>
      <input id="user" name="user" required>
      <button type="submit">${t.show}</button>
    </form>
    <div id="subscriber"></div>
  </section>
  <section><h2>${t.reconciliationsHeading}</h2><div id="runs"></div></section>
</div>
</main>
<script id="texts" type="application/json">${raw(texts)}</script>
<script nonce="${nonce}">${raw(SCRIPT)}</script>
</body>
</html>`;
}
