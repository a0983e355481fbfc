// Child processes and ports for the local stack. wrangler starts a node child which starts
// workerd; killing only the process we spawned would leave those running. So wrangler gets its
// own process group (`detached`) and stopping it signals the whole group.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

/** A port nothing listens on right now (the OS picks it). */
export async function freePort(host = '127.0.0.1') {
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve(undefined));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise((resolve) => server.close(() => resolve(undefined)));
  return port;
}

/**
 * Starts a command as the leader of a new process group, its output read line by line.
 * @param {string} command @param {string[]} args
 * @param {{ cwd: string, env: NodeJS.ProcessEnv, onLine: (line: string) => void }} options
 */
export function spawnGroup(command, args, { cwd, env, onLine }) {
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', onLine);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, pid: child.pid, exited };
}

/** True while any process of the group is alive (signal 0 only checks). @param {number} pgid */
export function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
  }
}

/**
 * SIGTERM to the group, SIGKILL to whatever is left after `graceMs`; resolves once the group
 * is empty (or after the SIGKILL wait, reporting what was left).
 * @param {number | undefined} pgid
 */
export async function stopGroup(pgid, graceMs = 5000) {
  if (!pgid || !groupAlive(pgid)) return true;
  signalGroup(pgid, 'SIGTERM');
  if (await waitUntil(() => !groupAlive(pgid), graceMs)) return true;
  signalGroup(pgid, 'SIGKILL');
  return waitUntil(() => !groupAlive(pgid), 2000);
}

/**
 * SIGKILL to the whole group at once, no grace (a crash, as drills need it); resolves true once
 * the group is empty, false if something was still alive after `timeoutMs`.
 * @param {number | undefined} pgid
 */
export async function killGroup(pgid, timeoutMs = 5000) {
  if (!pgid || !groupAlive(pgid)) return true;
  signalGroup(pgid, 'SIGKILL');
  return waitUntil(() => !groupAlive(pgid), timeoutMs);
}

/** Synchronous last resort for process 'exit' handlers, where nothing can be awaited. */
export function killGroupNow(/** @type {number | undefined} */ pgid) {
  if (pgid && groupAlive(pgid)) signalGroup(pgid, 'SIGKILL');
}

function signalGroup(/** @type {number} */ pgid, /** @type {NodeJS.Signals} */ signal) {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/** Polls `check` every 100 ms until it holds or the time is up. @param {() => boolean | Promise<boolean>} check */
export async function waitUntil(check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Waits until `url` answers at all (any HTTP status), or fails early when `gaveUp` settles first.
 * @param {string} url @param {number} timeoutMs @param {Promise<unknown>} gaveUp
 */
export async function waitForHttp(url, timeoutMs, gaveUp) {
  let stopped = false;
  gaveUp.then(
    () => (stopped = true),
    () => (stopped = true),
  );
  const deadline = Date.now() + timeoutMs;
  while (!stopped) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      return { status: res.status, body: await res.text() };
    } catch {
      if (Date.now() > deadline) throw new Error(`no answer from ${url} within ${Math.round(timeoutMs / 1000)} s`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`the process serving ${url} exited before it answered`);
}
