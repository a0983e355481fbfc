/**
 * The layering of src/, checked by `npm run lint:deps` (and CI). Each layer may import only the
 * layers listed for it, type-only imports included: see the README's "Layout" section.
 *
 *   entry        index.ts, app.ts, handlers.ts, wiring.ts: wires everything below
 *   http         routes, pages and route text
 *   openapi      the API document, generated from schemas
 *   reconcile    portal-led reconciliation                      ┐
 *   push         desired state → provider (queue, sweep, retry) │ the core: no Hono, no http/,
 *   unsubscribe  the unsubscribe itself and its tokens          │ no adapter (only the port)
 *   intake       portal event → desired state                   │
 *   notify       notices to the portal                          ┘
 *   providers    adapters behind the port; no database, no HTTP layer
 *   db           tables, client, statements per table; knows no adapter
 *   schemas      request/response/queue schemas and stored states
 *   ports        interfaces the core and the adapters share (provider port, token store)
 *   config       settings, parsed once
 *   lib          small pure helpers
 */
const layers = {
  entry: '^src/(index|app|handlers|wiring)\\.ts$',
  http: '^src/http/',
  openapi: '^src/openapi/',
  reconcile: '^src/reconcile/',
  push: '^src/push/',
  unsubscribe: '^src/unsubscribe/',
  intake: '^src/intake/',
  notify: '^src/notify/',
  providers: '^src/providers/',
  db: '^src/db/',
  schemas: '^src/schemas/',
  ports: '^src/ports/',
  config: '^src/config\\.ts$',
  lib: '^src/lib/',
};

/** What each layer may import besides itself. */
const allowed = {
  http: ['openapi', 'reconcile', 'push', 'unsubscribe', 'intake', 'notify', 'db', 'schemas', 'ports', 'config', 'lib'],
  openapi: ['schemas', 'lib'],
  reconcile: ['push', 'intake', 'notify', 'db', 'schemas', 'ports', 'config', 'lib'],
  push: ['unsubscribe', 'db', 'schemas', 'ports', 'config', 'lib'],
  unsubscribe: ['intake', 'notify', 'db', 'schemas', 'config', 'lib'],
  intake: ['db', 'schemas', 'config', 'lib'],
  notify: ['db', 'schemas', 'config', 'lib'],
  providers: ['ports', 'lib'],
  db: ['schemas', 'ports', 'config', 'lib'],
  schemas: ['lib'],
  ports: ['lib'],
  config: ['lib'],
  lib: [],
};

const alternation = (names) => names.map((n) => `(${layers[n]})`).join('|');

const layerRules = Object.entries(allowed).map(([layer, may]) => ({
  name: `layer-${layer}`,
  comment: `${layer} may import only ${may.length ? may.join(', ') : 'itself'} (README, Layout)`,
  severity: 'error',
  from: { path: layers[layer] },
  to: { path: '^src/', pathNot: alternation([layer, ...may]) },
}));

/** Third-party packages that belong to one layer. */
const packageRules = [
  {
    name: 'hono-only-in-http',
    comment: 'Hono is the HTTP layer: only the routes and the app that mounts them import it',
    from: { path: '^src/', pathNot: `(${layers.http})|(^src/app\\.ts$)` },
    to: { path: '^node_modules/hono/' },
  },
  {
    name: 'drizzle-only-in-db',
    comment: 'database access lives in src/db/, grouped per table; the areas call its functions',
    from: { path: '^src/', pathNot: layers.db },
    to: { path: '^node_modules/drizzle-orm/' },
  },
  {
    name: 'libsql-only-in-db',
    comment: 'the libSQL client is made in one place (db/client.ts)',
    from: { path: '^src/', pathNot: layers.db },
    to: { path: '^node_modules/@libsql/' },
  },
].map((r) => ({ severity: 'error', ...r }));

module.exports = {
  forbidden: [
    ...layerRules,
    ...packageRules,
    {
      name: 'no-circular',
      comment: 'modules import each other in one direction only',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
    {
      name: 'src-not-to-test-or-stack',
      comment: 'the worker never imports its tests or the local-stack tooling',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|stack)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports are dependencies too: a layer may not even name another's types.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'workerd', 'worker', 'browser', 'default'] },
  },
};
