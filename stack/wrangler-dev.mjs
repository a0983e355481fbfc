import { stripVTControlCharacters } from 'node:util';
// How the local stack runs `wrangler dev`: local mode on 127.0.0.1, settings from one merged
// env file (never on the command line, where `ps` would show secrets), state under the stack's
// own directory so two stacks (npm start and a test) do not share it.

/** @param {{ workerPort: number, inspectorPort: number, envFile: string, stateDir: string }} o */
export function wranglerArgs({ workerPort, inspectorPort, envFile, stateDir }) {
  return [
    'dev',
    '--local',
    '--ip',
    '127.0.0.1',
    '--port',
    String(workerPort),
    // A fixed inspector port (9229) would clash between two stacks.
    '--inspector-port',
    String(inspectorPort),
    '--env-file',
    envFile,
    '--persist-to',
    stateDir,
    '--show-interactive-dev-session=false',
  ];
}

/**
 * The environment wrangler runs in. With `--env-file` wrangler ignores .dev.vars; it would
 * also add the whole process environment as worker secrets if CLOUDFLARE_INCLUDE_PROCESS_ENV
 * were set, so that is pinned off: the env file is the single source.
 * @param {NodeJS.ProcessEnv} env @param {string} logDir
 */
export function wranglerEnv(env, logDir) {
  return {
    ...env,
    // wrangler's debug log file (under ~/.config/.wrangler/logs by default) keeps what it
    // printed, so it stays with the stack's other state and goes with an ephemeral stack.
    WRANGLER_LOG_PATH: logDir,
    CLOUDFLARE_INCLUDE_PROCESS_ENV: 'false',
    CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: 'true',
    WRANGLER_SEND_METRICS: 'false',
    // The worker reads no `request.cf`; fetching its sample is a network call that fails offline.
    CLOUDFLARE_CF_FETCH_ENABLED: env.CLOUDFLARE_CF_FETCH_ENABLED ?? 'false',
    // Plain lines: start.mjs prefixes them.
    FORCE_COLOR: '0',
    NO_COLOR: '1',
  };
}

/**
 * One line of wrangler's output as the stack shows it: colours removed (wrangler colours some
 * lines regardless), and in wrangler's own request log the token of an unsubscribe link, a
 * reader's capability, replaced by `{token}`: `[wrangler:info] GET /u/{token} 200 OK (21ms)`.
 * @param {string} raw
 */
export function wranglerLine(raw) {
  const plain = stripVTControlCharacters(raw); // wrangler colours some lines regardless
  return plain.replace(/^(\[wrangler:info\] [A-Z]+ \/u\/)\S+/, '$1{token}');
}

/** The cron the timer fires: the worker's every-5-minutes schedule (sweep, notices, pruning). */
export const SCHEDULED_CRON = '*/5 * * * *';

/**
 * `wrangler dev` never fires cron triggers; this timer calls the scheduled handler the way
 * wrangler documents (`/cdn-cgi/handler/scheduled?cron=…`), skipping a tick while one runs.
 * @param {string} workerUrl @param {number} seconds 0: no timer, `fire` still works
 * @param {(line: string) => void} say
 */
export function cronTimer(workerUrl, seconds, say) {
  const fire = async (cron = SCHEDULED_CRON) =>
    (await fetch(`${workerUrl}/cdn-cgi/handler/scheduled?${new URLSearchParams({ cron })}`)).status;
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    fire()
      .then((status) => status !== 200 && say(`scheduled run answered ${status}`))
      .catch((error) => say(`scheduled run failed: ${error.message}`))
      .finally(() => (running = false));
  };
  const timer = seconds > 0 ? setInterval(tick, seconds * 1000) : undefined;
  timer?.unref();
  return { fire, stop: () => clearInterval(timer) };
}
