import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { Language } from './language';

/**
 * The reader's pages: plain HTML forms (no JavaScript), one inline stylesheet, laid out for
 * a phone first. Every value goes through `html`, which escapes it.
 */

const TEXT = {
  de: {
    title: 'Newsletter abbestellen',
    ask: (name: string) => html`Möchten Sie den Newsletter <strong>„${name}“</strong> abbestellen?`,
    already: 'Sie erhalten diesen Newsletter bereits nicht mehr.',
    one: 'Von diesem Newsletter abmelden',
    all: 'Von allen meinen Newslettern abmelden',
    note: 'Ihr Konto bleibt bestehen. Sie können Newsletter jederzeit wieder im Portal bestellen.',
    doneTitle: 'Abmeldung bestätigt',
    doneOne: (name: string) =>
      html`Sie haben den Newsletter <strong>„${name}“</strong> abbestellt und erhalten ihn nicht mehr.`,
    doneAll: 'Sie haben alle Ihre Newsletter abbestellt und erhalten keine weiteren Ausgaben.',
    notFoundTitle: 'Link ungültig',
    notFound:
      'Dieser Abmeldelink ist nicht gültig. Bitte verwenden Sie den Link aus einer Ausgabe des Newsletters oder melden Sie sich im Portal ab.',
    errorTitle: 'Vorübergehender Fehler',
    error:
      'Ihre Abmeldung konnte gerade nicht gespeichert werden. Bitte versuchen Sie es in einigen Minuten noch einmal.',
  },
  en: {
    title: 'Unsubscribe from the newsletter',
    ask: (name: string) => html`Do you want to unsubscribe from the newsletter <strong>“${name}”</strong>?`,
    already: 'You no longer receive this newsletter.',
    one: 'Unsubscribe from this newsletter',
    all: 'Unsubscribe from all my newsletters',
    note: 'Your account stays as it is. You can subscribe again on the portal at any time.',
    doneTitle: 'Unsubscribe confirmed',
    doneOne: (name: string) =>
      html`You have unsubscribed from the newsletter <strong>“${name}”</strong> and will not receive it any more.`,
    doneAll: 'You have unsubscribed from all your newsletters and will not receive further issues.',
    notFoundTitle: 'Invalid link',
    notFound:
      'This unsubscribe link is not valid. Please use the link in an issue of the newsletter, or unsubscribe on the portal.',
    errorTitle: 'Temporary error',
    error: 'Your unsubscribe could not be saved just now. Please try again in a few minutes.',
  },
} as const;

// A constant, inserted raw: escaping would break the quotes inside <style>.
const STYLE = `
*{box-sizing:border-box}
body{margin:0;padding:1.25rem;font:1.0625rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#f4f5f7}
main{max-width:32rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:.75rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.375rem;line-height:1.3;margin:0 0 1rem}
p{margin:0 0 1rem}
form{display:flex;flex-direction:column;gap:.75rem;margin:1.5rem 0 1rem}
button{font:inherit;font-weight:600;min-height:3rem;padding:.75rem 1rem;border-radius:.5rem;border:2px solid #0b5cad;cursor:pointer}
.primary{background:#0b5cad;color:#fff}
.secondary{background:#fff;color:#0b5cad}
button:focus-visible{outline:3px solid #f0b400;outline-offset:2px}
.note{font-size:.9375rem;color:#57606a}
`;

function layout(lang: Language, title: string, body: HtmlEscapedString | Promise<HtmlEscapedString>) {
  return html`<!doctype html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${title}</title>
<style>${raw(STYLE)}</style>
</head>
<body>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>
`;
}

/**
 * The page a GET shows: what will happen, and the two buttons that make it happen. The form
 * has no action: it posts back to the very URL it came from, behind any proxy or prefix.
 */
export function choicePage(lang: Language, options: { newsletterName: string; subscribed: boolean }) {
  const t = TEXT[lang];
  return layout(
    lang,
    t.title,
    html`<p>${t.ask(options.newsletterName)}</p>
${options.subscribed ? '' : html`<p>${t.already}</p>`}
<form method="post">
<button class="primary" type="submit" name="scope" value="one">${t.one}</button>
<button class="secondary" type="submit" name="scope" value="all">${t.all}</button>
</form>
<p class="note">${t.note}</p>`,
  );
}

export function donePage(lang: Language, options: { newsletterName: string; scope: 'one' | 'all' }) {
  const t = TEXT[lang];
  return layout(
    lang,
    t.doneTitle,
    html`<p>${options.scope === 'all' ? t.doneAll : t.doneOne(options.newsletterName)}</p>
<p class="note">${t.note}</p>`,
  );
}

/** One page for every bad, forged or unknown token: it names nothing. */
export function notFoundPage(lang: Language) {
  const t = TEXT[lang];
  return layout(lang, t.notFoundTitle, html`<p>${t.notFound}</p>`);
}

export function errorPage(lang: Language) {
  const t = TEXT[lang];
  return layout(lang, t.errorTitle, html`<p>${t.error}</p>`);
}
