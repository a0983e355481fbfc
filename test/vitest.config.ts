import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { TEST_SECRETS, N2G_CREDENTIALS } from './support/settings';

const root = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  test: {
    root,
    projects: [
      {
        // The local-stack tooling (libSQL server, emulator, receiver) and pure logic, in Node.
        test: {
          name: 'node',
          root,
          include: ['test/stack/**/*.test.ts', 'test/unit/**/*.test.ts', 'test/browser/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        // The worker itself, inside workerd, against the real servers the global setup starts.
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
                N2G_TIMEOUT_MS: '2000',
                N2G_MAX_REQUESTS_PER_SECOND: '1000',
                N2G_LOGIN_RETRY_SECONDS: '1',
                PORTAL_SIGNING_SECRET: `${TEST_SECRETS.PORTAL_SIGNING_SECRET} ${TEST_SECRETS.PORTAL_SIGNING_SECRET_ROTATED}`,
                NOTIFY_SIGNING_SECRET: TEST_SECRETS.NOTIFY_SIGNING_SECRET,
                ADMIN_API_TOKEN: `${TEST_SECRETS.ADMIN_API_TOKEN} ${TEST_SECRETS.ADMIN_API_TOKEN_2}`,
                UNSUBSCRIBE_SIGNING_KEY: `${TEST_SECRETS.UNSUBSCRIBE_SIGNING_KEY} ${TEST_SECRETS.UNSUBSCRIBE_SIGNING_KEY_OLD}`,
                // Retries in whole seconds keep the queue tests quick but real.
                SYNC_BACKOFF_BASE_SECONDS: '1',
                SYNC_BACKOFF_MAX_SECONDS: '2',
                SYNC_MAX_ATTEMPTS: '25',
                // The fault drill's size and seed (npm run drill raises the size).
                DRILL_EVENTS: process.env.DRILL_EVENTS ?? '300',
                DRILL_SEED: process.env.DRILL_SEED ?? '30',
                LOAD_SUBSCRIBERS: process.env.LOAD_SUBSCRIBERS ?? '300',
                // The property test's runs and seed (fixed in npm test; vary them to explore).
                PROPERTY_RUNS: process.env.PROPERTY_RUNS ?? '40',
                PROPERTY_SEED: process.env.PROPERTY_SEED ?? '20261129',
              },
            },
          })),
        ],
        test: {
          name: 'worker',
          root,
          include: ['test/worker/**/*.test.ts'],
          globalSetup: ['./test/global-setup.ts'],
          // One database and one emulator serve every file: run files one after another.
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
    ],
  },
});
