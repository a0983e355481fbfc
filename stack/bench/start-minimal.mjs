// Starts the minimal worker (stack/bench/minimal-worker/) with `wrangler dev`, as the local stack
// starts the real one: local mode, its own process group, settings from an owner-only env file,
// state and logs in a temp directory removed on stop.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeEnvFile } from '../dev-vars.mjs';
import { freePort, killGroupNow, spawnGroup, stopGroup, waitForHttp } from '../processes.mjs';
import { wranglerArgs, wranglerEnv, wranglerLine } from '../wrangler-dev.mjs';

/**
 * @param {{ root: string, settings: Record<string, string>, log?: (line: string) => void, readyTimeoutMs?: number }} options
 *   `settings`: TURSO_DATABASE_URL, PORTAL_SIGNING_SECRET, UNSUBSCRIBE_SIGNING_KEY.
 */
export async function startMinimalWorker({ root, settings, log = () => {}, readyTimeoutMs = 120_000 }) {
  const workDir = mkdtempSync(join(tmpdir(), 'newsletter-bridge-bench-minimal-'));
  const envFile = join(workDir, 'worker.env');
  writeEnvFile(envFile, settings);
  const workerPort = await freePort();
  const url = `http://127.0.0.1:${workerPort}`;
  /** @type {string[]} */ const tail = [];
  const wrangler = spawnGroup(
    join(root, 'node_modules', '.bin', 'wrangler'),
    [
      ...wranglerArgs({ workerPort, inspectorPort: await freePort(), envFile, stateDir: join(workDir, 'state') }),
      '--config',
      join(root, 'stack', 'bench', 'minimal-worker', 'wrangler.toml'),
    ],
    {
      cwd: root,
      env: wranglerEnv(process.env, join(workDir, 'wrangler-logs')),
      onLine: (raw) => {
        const line = wranglerLine(raw);
        tail.push(line);
        if (tail.length > 30) tail.shift();
        log(line);
      },
    },
  );
  const pgid = wrangler.pid;
  const lastResort = () => killGroupNow(pgid);
  process.on('exit', lastResort);
  const stop = async () => {
    const stopped = await stopGroup(pgid);
    process.off('exit', lastResort);
    rmSync(workDir, { recursive: true, force: true });
    if (!stopped) log(`wrangler's process group ${pgid} did not stop`);
  };
  try {
    const answer = await waitForHttp(`${url}/health`, readyTimeoutMs, wrangler.exited);
    if (answer.status !== 200) throw new Error(`the minimal worker answered /health with ${answer.status}`);
  } catch (error) {
    await stop();
    throw new Error(
      `${error instanceof Error ? error.message : error}\n--- wrangler's last lines ---\n${tail.join('\n')}`,
    );
  }
  return { url, pid: pgid, stop };
}
