/// <reference types="vite/client" />
import { SELF } from 'cloudflare:test';
import { toJsonSchema } from '@valibot/to-json-schema';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { problems } from '../../src/lib/problem';
import { PROBLEM_TYPES } from '../../src/openapi/problems';
import { MappingBody } from '../../src/schemas/admin-requests';
import { SubscriptionConfirmed } from '../../src/schemas/events';

type Json = Record<string, unknown>;
const obj = (x: unknown): Json => (typeof x === 'object' && x !== null ? (x as Json) : {});
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

async function document(): Promise<Json> {
  const res = await SELF.fetch('http://bridge.test/openapi.json');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return res.json();
}

function operations(doc: Json) {
  return Object.entries(obj(doc.paths)).flatMap(([path, item]) =>
    Object.entries(obj(item))
      .filter(([m]) => METHODS.includes(m))
      .map(([method, op]) => ({ method, path, op: obj(op) })),
  );
}

/** Every `$ref` anywhere in the document. */
function refs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) {
    for (const n of node) refs(n, out);
  } else if (typeof node === 'object' && node !== null) {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

function resolve(doc: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>(
      (node, key) => (node === undefined ? undefined : obj(node)[key.replace(/~1/g, '/').replace(/~0/g, '~')]),
      doc,
    );
}

describe('GET /openapi.json', () => {
  it('is a structurally valid OpenAPI 3.1 document: every operation answers something and every $ref resolves', async () => {
    const doc = await document();
    expect(doc.openapi).toBe('3.1.0');
    expect(obj(doc.info).title).toBeTruthy();
    const ops = operations(doc);
    expect(ops.length).toBeGreaterThan(10);
    const ids = new Set<string>();
    for (const { method, path, op } of ops) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(Object.keys(obj(op.responses)).length, where).toBeGreaterThan(0);
      for (const [status, reply] of Object.entries(obj(op.responses))) {
        expect(status, where).toMatch(/^[1-5]\d\d$/);
        expect(typeof obj(reply).description, `${where} ${status}`).toBe('string');
      }
      expect(typeof op.operationId, where).toBe('string');
      expect(ids.has(String(op.operationId)), `${where}: operationId is unique`).toBe(false);
      ids.add(String(op.operationId));
      // Every {param} in the path is declared, and only those.
      const declared = ((op.parameters as Json[] | undefined) ?? [])
        .filter((p) => p.in === 'path')
        .map((p) => p.name)
        .sort();
      expect(declared, where).toEqual([...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort());
    }
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(20);
    for (const ref of all) expect(resolve(doc, ref), ref).toBeDefined();
  });

  it('documents exactly the routes the app registers, in both directions', async () => {
    const doc = await document();
    const documented = new Set(operations(doc).map((o) => `${o.method.toUpperCase()} ${o.path}`));
    const registered = new Set(
      createApp()
        .routes.filter((r) => r.method !== 'ALL')
        .map((r) => `${r.method} ${r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`),
    );
    expect(
      [...registered].filter((r) => !documented.has(r)),
      'registered but not documented',
    ).toEqual([]);
    expect(
      [...documented].filter((d) => !registered.has(d)),
      'documented but not registered',
    ).toEqual([]);
  });

  it('describes the bearer scheme on every admin operation and the webhook signature on the event routes, with a 401 problem', async () => {
    const doc = await document();
    const schemes = obj(obj(doc.components).securitySchemes);
    expect(schemes.adminBearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.standardWebhooks).toMatchObject({ type: 'apiKey', in: 'header', name: 'webhook-signature' });
    for (const { method, path, op } of operations(doc)) {
      const where = `${method.toUpperCase()} ${path}`;
      const names = (op.security as Json[]).flatMap((s) => Object.keys(s));
      if (path.startsWith('/v1/admin/')) expect(names, where).toEqual(['adminBearer']);
      else if (path.startsWith('/v1/events')) expect(names, where).toEqual(['standardWebhooks']);
      else expect(names, where).toEqual([]);
      if (names.length)
        expect(obj(obj(obj(op.responses)['401']).content)['application/problem+json'], where).toBeDefined();
    }
  });

  it('gives every API route problem+json error answers and the reader pages HTML ones', async () => {
    const doc = await document();
    for (const { method, path, op } of operations(doc)) {
      const where = `${method.toUpperCase()} ${path}`;
      const errors = Object.entries(obj(op.responses)).filter(([s]) => Number(s) >= 400);
      if (path.startsWith('/v1/')) {
        expect(errors.length, where).toBeGreaterThan(0);
        for (const [status, reply] of errors) {
          const schema = obj(obj(obj(obj(reply).content)['application/problem+json']).schema);
          // The problem, or a named problem with extension members (e.g. RunningProblem).
          expect(String(schema.$ref), `${where} ${status}`).toMatch(/^#\/components\/schemas\/\w*Problem$/);
        }
      }
      if (path.startsWith('/u/'))
        for (const [, reply] of errors) expect(Object.keys(obj(obj(reply).content)), where).toEqual(['text/html']);
    }
  });

  it('is generated from the valibot schemas that validate requests', async () => {
    const doc = await document();
    const schemas = obj(obj(doc.components).schemas);
    const { $schema: _draft, ...mapping } = toJsonSchema(MappingBody, {
      target: 'draft-2020-12',
      typeMode: 'input',
      ignoreActions: ['trim'],
    });
    expect(schemas.MappingBody).toEqual(mapping);
    expect(obj(obj(obj(schemas.MappingBody).properties).listId).pattern).toBe(
      MappingBody.entries.listId.pipe[1].requirement.source,
    );
    const confirmed = obj(schemas.SubscriptionConfirmed);
    expect(obj(obj(confirmed.properties).type)).toEqual({ const: 'subscription.confirmed' });
    expect(obj(obj(obj(confirmed.properties).data).properties).email).toMatchObject({
      type: 'string',
      maxLength: 254,
      format: 'email',
    });
    expect(obj(obj(confirmed.properties).data).required).toEqual(['userId', 'email', 'newsletterId']);
    expect(obj(schemas.PortalEvent).discriminator).toMatchObject({ propertyName: 'type' });
    expect(Object.keys(SubscriptionConfirmed.entries.data.entries).sort()).toEqual(
      Object.keys(obj(obj(obj(confirmed.properties).data).properties)).sort(),
    );
    const parameters = operations(doc).find((o) => o.path === '/v1/admin/subscriptions')?.op.parameters;
    const limit = (Array.isArray(parameters) ? parameters : []).map(obj).find((p) => p.name === 'limit');
    expect(limit).toMatchObject({
      in: 'query',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
    });
  });

  it('describes the notices the worker sends the portal as webhooks, with their body schemas', async () => {
    const doc = await document();
    const hooks = obj(doc.webhooks);
    expect(Object.keys(hooks).sort()).toEqual(['subscription.cancelled', 'subscription.conflict']);
    for (const [name, schema] of [
      ['subscription.cancelled', 'CancelledNotice'],
      ['subscription.conflict', 'ConflictNotice'],
    ] as const) {
      const post = obj(obj(hooks[name]).post);
      expect(obj(obj(obj(post.requestBody).content)['application/json']).schema).toEqual({
        $ref: `#/components/schemas/${schema}`,
      });
      expect(obj(obj(obj(obj(doc.components).schemas)[schema]).properties).type).toEqual({ const: name });
      expect(String(post.description)).toMatch(/NOTIFY_SIGNING_SECRET/);
    }
    const html = await (await SELF.fetch('http://bridge.test/docs')).text();
    expect(html).toContain('id="webhook-subscription-conflict"');
  });

  it('lists every problem type the code answers with', async () => {
    const doc = await document();
    const documented = new Set((doc['x-problem-types'] as Json[]).map((p) => p.slug));
    const used = new Set<string>();
    for (const factory of Object.values(problems))
      used.add((factory as (...a: unknown[]) => { slug: string })([], 'x').slug);
    // And every `new Problem(status, 'slug', …)` written anywhere in the worker's source.
    const sources = import.meta.glob<string>('../../src/**/*.ts', { query: '?raw', import: 'default', eager: true });
    expect(Object.keys(sources).length).toBeGreaterThan(30);
    for (const text of Object.values(sources))
      for (const m of text.matchAll(/new Problem\(\s*[\w.]+,\s*'([a-z-]+)'/g)) used.add(m[1] ?? '');
    expect(used).toContain('provider-unavailable');
    for (const slug of used) expect(documented.has(slug), slug).toBe(true);
    expect(documented.size).toBe(PROBLEM_TYPES.length);
  });
});

describe('GET /docs', () => {
  it('renders every path, method, schema and problem type as plain HTML without scripts', async () => {
    const [doc, res] = await Promise.all([document(), SELF.fetch('http://bridge.test/docs')]);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const page = await res.text();
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toMatch(/(src|href)="https?:/);
    for (const { method, path, op } of operations(doc)) {
      expect(page, path).toContain(`<code>${path.replace(/&/g, '&amp;')}</code>`);
      expect(page).toContain(`id="op-${String(op.operationId)}"`);
      expect(page).toContain(`<span class="method ${method}">${method}</span>`);
      for (const p of (op.parameters as Json[] | undefined) ?? [])
        expect(page, `${path} ${String(p.name)}`).toContain(`<code>${String(p.name)}</code>`);
    }
    for (const name of Object.keys(obj(obj(doc.components).schemas))) expect(page).toContain(`id="schema-${name}"`);
    for (const p of PROBLEM_TYPES) expect(page).toContain(`id="problem-${p.slug}"`);
    // Every link inside the page lands on an element of the page.
    const ids = new Set([...page.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]));
    for (const [, target] of page.matchAll(/href="#([^"]+)"/g)) expect(ids.has(target), `#${target}`).toBe(true);
  });

  it("is where a problem's type points", async () => {
    const res = await SELF.fetch('http://bridge.test/v1/admin/stats');
    const problem = await res.json<{ type: string }>();
    expect(problem.type).toBe('/docs#problem-unauthorized');
    const page = await (await SELF.fetch(new URL(problem.type, 'http://bridge.test'))).text();
    expect(page).toContain('id="problem-unauthorized"');
  });
});
