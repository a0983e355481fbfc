// The one-command local stack: libSQL server (migrated), Newsletter2Go emulator, portal receiver
// and `wrangler dev`, plus a timer standing in for the cron trigger, which `wrangler dev` never
// fires. Used by `npm start` (stack/start.mjs) and by tests, drills and benchmarks.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULTS as BREVO, startEmulator as startBrevoEmulator } from './brevo-emulator/emulator.mjs';
import { first, provide, readDevVars, resolveSettings, writeEnvFile } from './dev-vars.mjs';
import { startLibsqlServer } from './libsql-server/server.mjs';
import { migrateDatabase } from './migrate.mjs';
import { DEFAULTS as EMULATOR, startEmulator } from './n2g-emulator/emulator.mjs';
import { startPortalReceiver } from './portal-receiver.mjs';
import { checkPorts } from './ports.mjs';
import { freePort, killGroup, killGroupNow, spawnGroup, stopGroup, waitForHttp } from './processes.mjs';
import { cronTimer, wranglerArgs, wranglerEnv, wranglerLine } from './wrangler-dev.mjs';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export { SCHEDULED_CRON } from './wrangler-dev.mjs';

/**
 * @typedef {{
 *   root?: string,
 *   ephemeral?: boolean,
 *   isolated?: boolean,
 *   ports?: Partial<Record<'worker' | 'libsql' | 'emulator' | 'receiver', number>>,
 *   dbFile?: string,
 *   settings?: Record<string, string | number | undefined>,
 *   env?: Record<string, string | undefined>,
 *   scheduleSeconds?: number,
 *   readyTimeoutMs?: number,
 *   libsqlProcess?: boolean,
 *   quiet?: boolean,
 *   log?: (source: string, line: string) => void,
 * }} StackOptions
 *   `ephemeral`: free ports, and database, env file and wrangler state in a temp dir removed on
 *   stop (tests). `isolated`: ignore the process environment and .dev.vars, so a test never
 *   reaches a real account someone configured. `ports`: 0 picks a free port. `settings`: extra
 *   worker settings, above every other source. `scheduleSeconds`: 0 turns the cron timer off.
 *   `libsqlProcess`: run the libSQL server as a child process (its cli.mjs) in a process group of
 *   its own instead of inside this process, so `restartLibsql()` can kill it for real (drills).
 */

/** @param {StackOptions} [options] */
export async function startStack(options = {}) {
  const { root = ROOT, ephemeral = false, isolated = false, scheduleSeconds = 30, readyTimeoutMs = 120_000 } = options;
  const say = options.log ?? (options.quiet ? () => {} : (source, line) => console.log(`[${source}] ${line}`));
  const env = isolated ? {} : (options.env ?? process.env);
  const workDir = ephemeral ? mkdtempSync(join(tmpdir(), 'newsletter-bridge-stack-')) : join(root, '.stack');
  mkdirSync(workDir, { recursive: true, mode: 0o700 });
  const resolved = resolveSettings({
    env,
    devVars: isolated ? {} : readDevVars(root),
    overrides: options.settings,
    localN2gLogin: { N2G_AUTH_KEY: EMULATOR.authKey, N2G_USERNAME: EMULATOR.username, N2G_PASSWORD: EMULATOR.password },
  });
  const { settings, sources } = resolved;
  /** @type {(() => Promise<unknown> | void)[]} run in reverse on stop or a failed start */
  const cleanups = [];
  /** @type {string[]} */ const notes = [];
  const elsewhere = (/** @type {string} */ name, /** @type {string} */ what) =>
    notes.push(`${name} is set (${sources[name]}): ${what}`);
  const cleanUp = async () => {
    for (const step of cleanups.reverse())
      await Promise.resolve()
        .then(step)
        .catch((e) => say('stack', `cleanup: ${e.message}`));
    if (ephemeral) rmSync(workDir, { recursive: true, force: true });
  };

  try {
    const ports = await checkPorts(options.ports, env, ephemeral, settings);

    let libsqlUrl = null,
      dbFile = null;
    /** @type {{ restart: () => Promise<{ killedAt: number, exitedAt: number, upAt: number }> } | null} */
    let libsqlChild = null;
    if (!('TURSO_DATABASE_URL' in settings)) {
      dbFile = resolve(root, options.dbFile ?? join(workDir, 'local.db'));
      let libsql;
      if (options.libsqlProcess) {
        const child = await startLibsqlProcess({ root, file: dbFile, port: ports.libsql, readyTimeoutMs, say });
        cleanups.push(() => child.stop());
        libsqlChild = child;
        libsql = child;
      } else {
        libsql = await startLibsqlServer({ file: dbFile, port: ports.libsql });
        cleanups.push(() => libsql.close());
      }
      await migrateDatabase(libsql.url);
      libsqlUrl = libsql.url;
      provide(resolved, 'TURSO_DATABASE_URL', libsql.url);
    } else elsewhere('TURSO_DATABASE_URL', 'no local libSQL server, no migrations (run `npm run migrate` against it)');

    let emulatorUrl = null;
    const provider = settings.PROVIDER ?? 'newsletter2go';
    if (provider === 'brevo') emulatorUrl = await brevoEmulator();
    else if (!('N2G_BASE_URL' in settings)) {
      const emulator = await startEmulator({
        port: ports.emulator,
        authKey: settings.N2G_AUTH_KEY,
        username: settings.N2G_USERNAME,
        password: settings.N2G_PASSWORD,
        lists: EMULATOR.lists,
        attributes: [settings.UNSUBSCRIBE_ATTRIBUTE ?? 'unsubscribe_url'],
        // Paths only: a query may carry a recipient's e-mail (FIQL filters).
        log: (e) =>
          say(
            'n2g',
            `${e.method} ${e.path.split('?')[0]} → ${e.status} ${e.durationMs} ms${e.fault ? ` (fault ${e.fault})` : ''}`,
          ),
      });
      cleanups.push(() => emulator.close());
      emulatorUrl = emulator.url;
      provide(resolved, 'N2G_BASE_URL', emulator.url);
    } else {
      const missing = ['N2G_AUTH_KEY', 'N2G_USERNAME', 'N2G_PASSWORD'].filter((n) => !(n in settings));
      if (missing.length)
        throw new Error(
          `N2G_BASE_URL points at ${settings.N2G_BASE_URL} (${sources.N2G_BASE_URL}) but ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not set`,
        );
      elsewhere(
        'N2G_BASE_URL',
        `the emulator is not started; the worker talks to ${new URL(settings.N2G_BASE_URL).origin}`,
      );
    }

    /** PROVIDER=brevo: the Brevo emulator, unless BREVO_BASE_URL names a real account. */
    async function brevoEmulator() {
      if ('BREVO_BASE_URL' in settings) {
        if (!('BREVO_API_KEY' in settings))
          throw new Error(
            `BREVO_BASE_URL points at ${settings.BREVO_BASE_URL} (${sources.BREVO_BASE_URL}) but BREVO_API_KEY is not set`,
          );
        elsewhere(
          'BREVO_BASE_URL',
          `the Brevo emulator is not started; the worker talks to ${new URL(settings.BREVO_BASE_URL).origin}`,
        );
        return null;
      }
      const port = ephemeral ? 0 : Number(env.BREVO_EMULATOR_PORT || 8789);
      const emulator = await startBrevoEmulator({
        port,
        apiKey: settings.BREVO_API_KEY ?? BREVO.apiKey,
        lists: BREVO.lists,
        // Paths only: a contact's path may carry its address.
        log: (e) =>
          say(
            'brevo',
            `${e.method} ${e.route} → ${e.status} ${e.durationMs} ms${e.fault ? ` (fault ${e.fault})` : ''}`,
          ),
      });
      cleanups.push(() => emulator.close());
      provide(resolved, 'BREVO_BASE_URL', `${emulator.url}/v3`);
      if (!('BREVO_API_KEY' in settings)) {
        settings.BREVO_API_KEY = BREVO.apiKey;
        sources.BREVO_API_KEY = 'local default';
      }
      return emulator.url;
    }

    let portalUrl = null;
    if (!('PORTAL_WEBHOOK_URL' in settings)) {
      const receiver = await startPortalReceiver({
        port: ports.receiver,
        secret: first(settings.NOTIFY_SIGNING_SECRET),
        log: (line) => say('portal', line),
      });
      cleanups.push(() => receiver.close());
      portalUrl = receiver.url;
      provide(resolved, 'PORTAL_WEBHOOK_URL', `${receiver.url}/portal/webhooks`);
    } else elsewhere('PORTAL_WEBHOOK_URL', 'no local portal receiver; notices go there');

    const workerPort = ports.worker || (await freePort());
    const workerUrl = `http://127.0.0.1:${workerPort}`;
    provide(resolved, 'PUBLIC_BASE_URL', `http://localhost:${workerPort}`);
    const envFile = join(workDir, 'worker.env');
    writeEnvFile(envFile, settings);
    cleanups.push(() => rmSync(envFile, { force: true }));

    /** @type {string[]} the last lines, shown when wrangler gives up */ const tail = [];
    const wranglerLogDir = join(workDir, 'wrangler-logs');
    const stateDir = join(workDir, 'wrangler-state');
    const spawnWrangler = async () =>
      spawnGroup(
        join(root, 'node_modules', '.bin', 'wrangler'),
        wranglerArgs({ workerPort, inspectorPort: await freePort(), envFile, stateDir }),
        {
          cwd: root,
          env: wranglerEnv(process.env, wranglerLogDir),
          onLine: (raw) => {
            const line = wranglerLine(raw);
            tail.push(line);
            if (tail.length > 30) tail.shift();
            say('worker', line);
          },
        },
      );
    // `restartWorker()` replaces it; the stop and the last resort always reach the current one.
    let wrangler = await spawnWrangler();
    const lastResort = () => killGroupNow(wrangler.pid);
    process.on('exit', lastResort);
    cleanups.push(async () => {
      if (!(await stopGroup(wrangler.pid))) say('stack', `wrangler's process group ${wrangler.pid} did not stop`);
      process.off('exit', lastResort);
    });
    const workerReady = () =>
      waitForHttp(`${workerUrl}/health`, readyTimeoutMs, wrangler.exited).catch((error) => {
        throw new Error(`${error.message}\n--- wrangler's last lines ---\n${tail.join('\n')}`);
      });

    const answer = await workerReady();
    const health = { status: answer.status, body: parseJson(answer.body) };
    // A setting the worker refuses is a 503 like a degraded dependency, but no waiting fixes it.
    const misconfigured = String(health.body?.type ?? '').endsWith('#problem-configuration');
    if (misconfigured || (answer.status >= 500 && answer.status !== 503))
      throw new Error(`the worker refuses to run: ${health.body?.detail ?? answer.body}`);

    const cron = cronTimer(workerUrl, scheduleSeconds, (line) => say('cron', line));
    cleanups.push(() => cron.stop());

    /** @type {Promise<void> | undefined} */ let stopping;
    return {
      workerUrl,
      libsqlUrl,
      emulatorUrl,
      portalUrl,
      dbFile,
      settings,
      sources,
      notes,
      health,
      /** wrangler's process group (a new one after `restartWorker()`). */
      get wranglerPid() {
        return wrangler.pid;
      },
      /** Where wrangler writes its debug log file (removed on stop when ephemeral). */
      wranglerLogDir,
      scheduleSeconds,
      /** Settles when wrangler exits, by stop() or on its own (the current one's, after a restart). */
      get workerExited() {
        return wrangler.exited;
      },
      fireScheduled: cron.fire,
      /**
       * A crash and a restart of the worker, for drills: SIGKILL to wrangler's whole process group
       * (wrangler, its node child, workerd: local Queues lose what they held), then `wrangler dev`
       * again on the same port with the same env file and state directory, until /health answers.
       * The cron timer keeps running (its ticks fail while the worker is down).
       */
      async restartWorker() {
        const killedAt = Date.now();
        if (!(await killGroup(wrangler.pid)))
          throw new Error(`wrangler's process group ${wrangler.pid} survived SIGKILL`);
        await wrangler.exited;
        const exitedAt = Date.now();
        wrangler = await spawnWrangler();
        await workerReady();
        return { killedAt, exitedAt, upAt: Date.now() };
      },
      /**
       * A crash and a restart of the libSQL server (only with `libsqlProcess`): SIGKILL to its
       * process group, then the server again on the same port and file, until it answers.
       */
      async restartLibsql() {
        if (!libsqlChild) throw new Error('restartLibsql() needs startStack({ libsqlProcess: true })');
        return libsqlChild.restart();
      },
      /** Stops the timer, wrangler's whole process group, then the servers; safe to call twice. */
      stop: () => (stopping ??= cleanUp()),
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

function parseJson(/** @type {string} */ text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The libSQL server as a child process (`stack/libsql-server/cli.mjs`) leading a process group of
 * its own, on a fixed port so that a restart comes back where the worker looks for it.
 * @param {{ root: string, file: string, port: number, readyTimeoutMs: number,
 *   say: (source: string, line: string) => void }} options
 */
async function startLibsqlProcess({ root, file, port: given, readyTimeoutMs, say }) {
  const port = given || (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const spawnServer = async () => {
    const child = spawnGroup(
      process.execPath,
      [join(root, 'stack', 'libsql-server', 'cli.mjs'), '--file', file, '--port', String(port)],
      { cwd: root, env: process.env, onLine: (line) => say('libsql', line) },
    );
    try {
      await waitForHttp(`${url}/health`, readyTimeoutMs, child.exited);
    } catch (error) {
      killGroupNow(child.pid);
      throw error;
    }
    return child;
  };
  let child = await spawnServer();
  const lastResort = () => killGroupNow(child.pid);
  process.on('exit', lastResort);
  return {
    url,
    port,
    get pid() {
      return child.pid;
    },
    async restart() {
      const killedAt = Date.now();
      if (!(await killGroup(child.pid)))
        throw new Error(`the libSQL server's process group ${child.pid} survived SIGKILL`);
      await child.exited;
      const exitedAt = Date.now();
      child = await spawnServer();
      return { killedAt, exitedAt, upAt: Date.now() };
    },
    async stop() {
      if (!(await stopGroup(child.pid))) say('stack', `the libSQL server's process group ${child.pid} did not stop`);
      process.off('exit', lastResort);
    },
  };
}
