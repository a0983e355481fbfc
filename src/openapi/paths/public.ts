import { Health } from '../../schemas/common';
import type { Operation } from '../operation';

/** Reader pages (contract §2), health and this documentation: no authentication. */

const html = {
  'text/html': { type: 'string', description: 'An HTML page (German by default, English by Accept-Language).' },
};
const token = { token: { type: 'string' } } as const;

const unsubscribeForm = {
  type: 'object',
  properties: {
    'List-Unsubscribe': {
      const: 'One-Click',
      description: 'RFC 8058 one-click: unsubscribes exactly the newsletter the link names.',
    },
    scope: {
      enum: ['one', 'all'],
      description: "The page's own form: `all` unsubscribes every newsletter of the user; anything else only this one.",
    },
  },
};

export const publicOperations: Operation[] = [
  {
    method: 'get',
    path: '/u/{token}',
    operationId: 'unsubscribePage',
    tag: 'Reader pages',
    security: 'none',
    summary: 'The unsubscribe page',
    description:
      'Shows the newsletter by name with a button. A GET (or HEAD) never changes state: mail scanners follow links. The token names one subscription by an opaque id, is signed (UNSUBSCRIBE_SIGNING_KEY), carries no personal data and does not expire. ' +
      'Reader pages answer HTML, errors included: a bad or forged token gets a 404 page that reveals nothing.',
    pathParams: token,
    responses: {
      '200': { description: 'The page.', content: html },
      '404': { description: 'Unknown, bad or forged token.', content: html },
    },
  },
  {
    method: 'post',
    path: '/u/{token}',
    operationId: 'unsubscribe',
    tag: 'Reader pages',
    security: 'none',
    summary: 'Unsubscribe (also the RFC 8058 one-click target)',
    description:
      'Unsubscribes and shows a confirmation page; idempotent. With the body `List-Unsubscribe=One-Click` (form-urlencoded or multipart, no cookie, no other authentication) it answers 200, never a redirect. ' +
      'The worker then tells the portal with a signed `subscription.cancelled` notice (`"source": "unsubscribe-link"`).',
    pathParams: token,
    body: {
      required: false,
      content: { 'application/x-www-form-urlencoded': unsubscribeForm, 'multipart/form-data': unsubscribeForm },
    },
    responses: {
      '200': { description: 'Unsubscribed; the confirmation page.', content: html },
      '404': { description: 'Unknown, bad or forged token.', content: html },
      '413': { description: 'Body larger than 16 KiB.', content: html },
      '500': { description: 'Something failed; nothing to retry for the reader but the button.', content: html },
    },
  },
  {
    method: 'get',
    path: '/health',
    operationId: 'health',
    tag: 'Service',
    security: 'none',
    summary: 'Can the worker do its job?',
    description:
      "Checks that the database answers and that the provider login (or Brevo's key) works (a stored token counts until it is refused), and reports the oldest pending transfer's age. " +
      'A refused login is named in `checks.provider.detail`; transfers then wait (pending, not failed) and resume once the login works. No personal data, no configuration values.',
    responses: {
      '200': { description: 'Everything works.', content: { 'application/json': Health } },
      '503': { description: 'Degraded: `checks` says which part and why.', content: { 'application/json': Health } },
    },
    problems: ['internal', 'configuration'],
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'openapi',
    tag: 'Service',
    security: 'none',
    summary: 'This OpenAPI 3.1 document',
    responses: { '200': { description: 'The document.', content: { 'application/json': { type: 'object' } } } },
    problems: ['configuration'],
  },
  {
    method: 'get',
    path: '/docs',
    operationId: 'docs',
    tag: 'Service',
    security: 'none',
    summary: 'The API reference as an HTML page',
    description:
      'Rendered on the server from this document; no scripts. Problem types have anchors `#problem-<slug>`, which the `type` of every problem points at.',
    responses: { '200': { description: 'The page.', content: { 'text/html': { type: 'string' } } } },
    problems: ['configuration'],
  },
  {
    method: 'get',
    path: '/admin',
    operationId: 'adminPage',
    tag: 'Service',
    security: 'none',
    summary: 'The status page for the people who run the worker',
    description:
      "An HTML page rendered by the worker, its style and script inline (nothing loaded from elsewhere), German or English (`Accept-Language`, or `?lang=de|en`). It holds no data: after sign-in with the admin token (kept in the tab's sessionStorage, sent as the bearer header, never a cookie) it uses only this API: the stats, failed transfers grouped by the provider's message with a retry per group and per subscriber, one subscriber's subscriptions and timeline, the pause switch and the latest reconciliations.",
    responses: { '200': { description: 'The page.', content: { 'text/html': { type: 'string' } } } },
    problems: ['configuration'],
  },
];
