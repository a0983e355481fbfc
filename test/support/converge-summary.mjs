import { createServer } from 'node:http';

/**
 * The convergence drill's summary over its seeds (test/slow/converge.drill.test.ts). Each seed
 * runs in a project of its own (servers of its own, all seeds at once), so no test sees the
 * others' figures: this global setup, one per seed project, shares one collector through
 * `globalThis` (every project's global setup runs in vitest's own process), which each seed's
 * test POSTs its figures to. The last teardown prints one `convergeSummary` line and closes it.
 * Vitest runs every setup before the first test and every teardown after the last.
 */

const KEY = Symbol.for('newsletter-bridge.converge-summary');

/** @returns {{ users: number, results: Record<string, any>[], url: string, close: () => Promise<void> } | undefined} */
const shared = () => /** @type {any} */ (globalThis)[KEY];

async function start() {
  /** @type {Record<string, any>[]} */
  const results = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      try {
        if (req.method !== 'POST') throw new Error('POST figures');
        results.push(JSON.parse(body));
        res.writeHead(204).end();
      } catch (error) {
        res.writeHead(400).end(String(error));
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const state = {
    users: 0,
    results,
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve(undefined))),
  };
  /** @type {any} */ (globalThis)[KEY] = state;
  return state;
}

/** @param {number[]} xs */
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? null : s.length % 2 ? s[mid] : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};
/** @param {number[]} xs */
const mean = (xs) => (xs.length ? Number((xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(3)) : null);
/** @param {Record<string, any>[]} rs @param {string} key */
const sum = (rs, key) => rs.reduce((s, r) => s + (r[key] ?? 0), 0);

/** @param {Record<string, any>[]} unordered */
export function summary(unordered) {
  const results = [...unordered].sort((a, b) => a.seed - b.seed);
  const settle = results.flatMap((r) => (typeof r.secondsToSettle === 'number' ? [r.secondsToSettle] : []));
  return {
    seeds: results.map((r) => r.seed),
    creations: sum(results, 'creations'),
    allSynced: results.length > 0 && results.every((r) => r.synced === r.creations),
    synced: sum(results, 'synced'),
    failed: sum(results, 'failed'),
    pending: sum(results, 'pending'),
    duplicates: sum(results, 'duplicates'),
    medianSecondsToSettle: median(settle),
    maxSecondsToSettle: settle.length ? Math.max(...settle) : null,
    meanUpsertRequestsPerCreation: mean(results.map((r) => r.upsertRequestsPerCreation)),
    meanUpsertsWrittenPerCreation: mean(results.map((r) => r.upsertsWrittenPerCreation)),
    meanCallsPerEvent: mean(results.map((r) => r.callsPerEvent)),
    maxAttempts: Math.max(0, ...results.map((r) => r.maxAttempts ?? 0)),
  };
}

/** @param {import('vitest/node').TestProject} project */
export default async function setup(project) {
  const state = shared() ?? (await start());
  state.users++;
  project.provide('convergeUrl', state.url);
  return async () => {
    state.users--;
    if (state.users > 0) return;
    /** @type {any} */ (globalThis)[KEY] = undefined;
    await state.close();
    if (state.results.length) console.log(JSON.stringify({ convergeSummary: summary(state.results) }));
  };
}
