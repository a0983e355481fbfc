import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { configDefaults, defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { N2G_CREDENTIALS, TEST_SECRETS } from './support/settings.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Projects:
 * - node: the local-stack tooling (libSQL server, emulator, receiver) and pure logic, in Node;
 * - worker: the worker inside workerd, files in parallel over one emulator and one database that
 *   the global setup starts; each test owns its lists, users and rules, and a test that changes
 *   what is account-wide opens a lane (test/lanes.ts) with an account and a database of its own;
 * - worker-serial: the files whose work reaches the whole database (SERIAL below): they run one
 *   after another over servers of their own;
 * - slow (`npm run test:slow`): the fault drill, the property test's and the fuzz files' long runs,
 *   the bulk load;
 * - converge-1 … converge-5 (also `npm run test:slow`; `npm run drill:converge` alone): the
 *   convergence drill, one project per seed, with the deployed timeouts and retry settings
 *   instead of the test tuning.
 * `npm test` runs the first three; each worker project's global setup starts its own servers.
 */
/**
 * wrangler.toml's queue consumers, as wrangler hands them to Miniflare, with another batch wait:
 * the pool's `queueConsumers` replaces the file's whole, so the rest is read from the file.
 */
function consumersWithBatchTimeout(seconds: number) {
  const { queueConsumers } = unstable_getMiniflareWorkerOptions(join(root, 'wrangler.toml')).workerOptions;
  if (!queueConsumers || Array.isArray(queueConsumers))
    throw new Error('wrangler.toml: expected named queue consumers');
  return Object.fromEntries(
    Object.entries(queueConsumers).map(([queue, consumer]) => [queue, { ...consumer, maxBatchTimeout: seconds }]),
  );
}

/**
 * The worker projects' tuning: a short provider timeout, no client-side rate limit, and retries
 * in whole seconds keep the queue tests quick but real. A project with `defaultTuning` leaves
 * all of it out, so the worker runs with src/config.ts's defaults, as deployed.
 */
const TEST_TUNING = {
  N2G_TIMEOUT_MS: '2000',
  N2G_MAX_REQUESTS_PER_SECOND: '1000',
  N2G_LOGIN_RETRY_SECONDS: '1',
  SYNC_BACKOFF_BASE_SECONDS: '1',
  SYNC_BACKOFF_MAX_SECONDS: '2',
  SYNC_MAX_ATTEMPTS: '25',
};

interface ProjectOptions {
  parallel: boolean;
  /** Leave TEST_TUNING out: timeouts, rate limit and retries are the deployed defaults. */
  defaultTuning?: boolean;
  /** Run beside the other projects of the same group order, up to `maxWorkers` files at once. */
  group?: { order: number; maxWorkers: number };
  /** Global setup files after test/global-setup.ts. */
  globalSetup?: string[];
  exclude?: string[];
  bindings?: Record<string, string>;
  timeoutMs?: number;
  /**
   * The queues' batch wait in seconds (wrangler.toml: 1 for the sync queue). Tests that do not
   * measure batching need none: every hop from intake to the consumer would otherwise wait for
   * more messages that never come.
   */
  batchTimeoutSeconds?: number;
}

function workerProject(name: string, include: string[], options: ProjectOptions): TestProjectInlineConfiguration {
  return {
    plugins: [
      cloudflareTest(({ inject }) => ({
        main: './src/index.ts',
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          bindings: {
            TURSO_DATABASE_URL: inject('libsqlUrl'),
            N2G_BASE_URL: inject('n2gUrl'),
            PORTAL_WEBHOOK_URL: `${inject('portalUrl')}/portal/webhooks`,
            PUBLIC_BASE_URL: 'http://bridge.test',
            N2G_AUTH_KEY: N2G_CREDENTIALS.authKey,
            N2G_USERNAME: N2G_CREDENTIALS.username,
            N2G_PASSWORD: N2G_CREDENTIALS.password,
            ...(options.defaultTuning ? {} : TEST_TUNING),
            PORTAL_SIGNING_SECRET: `${TEST_SECRETS.PORTAL_SIGNING_SECRET} ${TEST_SECRETS.PORTAL_SIGNING_SECRET_ROTATED}`,
            NOTIFY_SIGNING_SECRET: TEST_SECRETS.NOTIFY_SIGNING_SECRET,
            ADMIN_API_TOKEN: `${TEST_SECRETS.ADMIN_API_TOKEN} ${TEST_SECRETS.ADMIN_API_TOKEN_2}`,
            UNSUBSCRIBE_SIGNING_KEY: `${TEST_SECRETS.UNSUBSCRIBE_SIGNING_KEY} ${TEST_SECRETS.UNSUBSCRIBE_SIGNING_KEY_OLD}`,
            ...options.bindings,
          },
          ...(options.batchTimeoutSeconds === undefined
            ? {}
            : { queueConsumers: consumersWithBatchTimeout(options.batchTimeoutSeconds) }),
        },
      })),
    ],
    test: {
      name,
      root,
      include,
      exclude: [...configDefaults.exclude, ...(options.exclude ?? [])],
      globalSetup: ['./test/global-setup.ts', ...(options.globalSetup ?? [])],
      // Worker tests mostly wait on queues and servers, not on a core: more files than cores.
      ...(options.group
        ? { maxWorkers: options.group.maxWorkers, sequence: { groupOrder: options.group.order } }
        : options.parallel
          ? { maxWorkers: 4 }
          : { fileParallelism: false }),
      testTimeout: options.timeoutMs ?? 30_000,
      hookTimeout: 30_000,
    },
  };
}

/**
 * Files whose work reaches the whole database: reconciliation (one run at a time; the daily run
 * reads every newsletter), notice delivery and retries (they send every due notice, other files'
 * too) and retention (the scheduled run does both).
 */
/**
 * How many cases the property test (test/worker/scenario.property.test.ts) and the fuzz files
 * (test/support/fuzz.ts) generate, with fixed seeds; the environment overrides either to explore.
 */
function generatedRuns(runs: { property: string; fuzz: string }): Record<string, string> {
  return {
    PROPERTY_RUNS: process.env.PROPERTY_RUNS ?? runs.property,
    PROPERTY_SEED: process.env.PROPERTY_SEED ?? '20261129',
    FUZZ_RUNS: process.env.FUZZ_RUNS ?? runs.fuzz,
    FUZZ_SEED: process.env.FUZZ_SEED ?? '20261130',
  };
}

const SERIAL = [
  'test/worker/reconcile.*.test.ts',
  'test/worker/notices.*.test.ts',
  'test/worker/admin.retention.happy.test.ts',
  'test/worker/scheduled.*.test.ts',
];

/** The long runs: the drill and the bulk load, and the property test's and the fuzz files' long runs. */
const SLOW = ['test/slow/**/*.test.ts', 'test/worker/scenario.property.test.ts', 'test/worker/fuzz.*.test.ts'];

/**
 * The convergence drill, which must see the deployed retry settings (backoff from 5 s, 8
 * attempts): one project per seed, each over servers of its own (the emulator's faults and call
 * log are account-wide), all at once, since each seed spends minutes waiting on its backoffs.
 */
const CONVERGE = ['test/slow/converge.drill.test.ts'];
const CONVERGE_SEEDS = (process.env.CONVERGE_SEEDS ?? '1,2,3,4,5')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);

export default defineConfig({
  test: {
    root,
    projects: [
      {
        // The restart drills (stack/restart-drill.mjs): wrangler's process group and the libSQL
        // server SIGKILLed mid-run. In the slow suite, not `npm test`: today a killed worker's
        // write lock holds for the libSQL stream expiry (30 s), which no short run can hide.
        test: {
          name: 'slow-node',
          root,
          include: ['test/slow-node/**/*.test.ts'],
          environment: 'node',
          env: { RESTART_DRILL_EVENTS: process.env.RESTART_DRILL_EVENTS ?? '300' },
        },
      },
      {
        test: {
          name: 'node',
          root,
          include: [
            'test/stack/**/*.test.ts',
            'test/unit/**/*.test.ts',
            'test/contract/**/*.test.ts',
            'test/browser/**/*.test.ts',
          ],
          environment: 'node',
        },
      },
      workerProject('worker', ['test/worker/**/*.test.ts'], {
        parallel: true,
        exclude: SERIAL,
        batchTimeoutSeconds: 0,
        // The property test's and the fuzz files' short runs; the slow project runs them long.
        bindings: generatedRuns({ property: '8', fuzz: '100' }),
      }),
      workerProject('worker-serial', SERIAL, { parallel: false, batchTimeoutSeconds: 0 }),
      workerProject('slow', SLOW, {
        parallel: false,
        exclude: CONVERGE,
        timeoutMs: 60_000,
        bindings: {
          // The fault drill's size and seed (npm run drill raises the size).
          DRILL_EVENTS: process.env.DRILL_EVENTS ?? '300',
          DRILL_SEED: process.env.DRILL_SEED ?? '30',
          LOAD_SUBSCRIBERS: process.env.LOAD_SUBSCRIBERS ?? '2000',
          // The property test's and the fuzz files' long runs, with the same fixed seeds.
          ...generatedRuns({ property: '40', fuzz: '1000' }),
        },
      }),
      // The worker as deployed (no TEST_TUNING); the seeds run together, before the slow
      // project's files (group order 1 comes before the one-file-at-a-time group), never beside
      // them. converge-summary.mjs collects each seed's figures and prints the summary at the end.
      ...CONVERGE_SEEDS.map((seed) =>
        workerProject(`converge-${seed}`, CONVERGE, {
          parallel: false,
          defaultTuning: true,
          group: { order: 1, maxWorkers: CONVERGE_SEEDS.length },
          globalSetup: ['./test/support/converge-summary.mjs'],
          timeoutMs: 900_000,
          bindings: { CONVERGE_SEED: seed },
        }),
      ),
    ],
  },
});
