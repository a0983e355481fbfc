// What `npm run bench` prints: the machine and versions, a table of medians over the runs with
// the ratio to the minimal worker and issue 17's targets, and the whole result as one JSON line.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { median } from './load.mjs';

/** Issue 17's targets, binding at 20 ms per database request. */
export const TARGETS = Object.freeze({ dbPerRequest: 2, throughputRatio: 0.7, oneSenderP50Ratio: 2.5 });

export function machine() {
  const cpus = os.cpus();
  let distro = '';
  try {
    distro = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
  } catch {
    // not Linux, or no os-release
  }
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${distro ? `${distro}, ` : ''}${os.type()} ${os.release()} ${os.arch()}`,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** @param {string} root */
export function versions(root) {
  const version = (/** @type {string[]} */ ...candidates) => {
    for (const c of candidates) {
      const path = join(root, 'node_modules', c, 'package.json');
      if (existsSync(path)) return String(JSON.parse(readFileSync(path, 'utf8')).version);
    }
    return 'unknown';
  };
  let commit = 'unknown';
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: root,
      encoding: 'utf8',
    });
    commit = dirty.trim() ? `${head} + uncommitted changes` : head;
  } catch {
    // not a git checkout
  }
  return {
    node: process.version,
    wrangler: version('wrangler'),
    workerd: version('wrangler/node_modules/workerd', 'workerd'),
    libsqlClient: version('@libsql/client'),
    commit,
  };
}

/**
 * The figures of one worker and one kind of request in one run.
 * @typedef {{
 *   dbPerRequest: number, dbAfterAnswer: number, subRequestsPerRequest: Record<string, number>,
 *   oneSender: import('./load.mjs').PhaseFigures, concurrent: import('./load.mjs').PhaseFigures,
 * }} KindFigures
 * @typedef {{
 *   events: { real: KindFigures, minimal: KindFigures },
 *   unsubscribes: { real: KindFigures, minimal: KindFigures },
 *   endToEnd: { n: number, arrived: number, p50: number, p95: number, max: number },
 * }} RunFigures
 */

/** The medians over the runs of every figure the table shows, ratios taken per run. @param {RunFigures[]} runs */
export function summarize(runs) {
  const med = (/** @type {(r: RunFigures) => number} */ pick) => median(runs.map(pick));
  const kind = (/** @type {'events' | 'unsubscribes'} */ k) => {
    const side = (/** @type {'real' | 'minimal'} */ w) => ({
      dbPerRequest: med((r) => r[k][w].dbPerRequest),
      dbAfterAnswer: med((r) => r[k][w].dbAfterAnswer),
      oneSenderP50: med((r) => r[k][w].oneSender.p50),
      oneSenderP95: med((r) => r[k][w].oneSender.p95),
      throughput: med((r) => r[k][w].concurrent.throughput),
      concurrentP50: med((r) => r[k][w].concurrent.p50),
      concurrentP95: med((r) => r[k][w].concurrent.p95),
      concurrentP99: med((r) => r[k][w].concurrent.p99),
      concurrentAnswered: med((r) => r[k][w].concurrent.ok),
      failed: runs.reduce((n, r) => n + failures(r[k][w]), 0),
    });
    const ratio = (/** @type {(f: KindFigures) => number} */ pick) => med((r) => pick(r[k].real) / pick(r[k].minimal));
    return {
      real: side('real'),
      minimal: side('minimal'),
      ratio: {
        dbPerRequest: ratio((f) => f.dbPerRequest),
        oneSenderP50: ratio((f) => f.oneSender.p50),
        throughput: ratio((f) => f.concurrent.throughput),
        concurrentP50: ratio((f) => f.concurrent.p50),
      },
    };
  };
  return {
    events: kind('events'),
    unsubscribes: kind('unsubscribes'),
    endToEnd: { p50: med((r) => r.endToEnd.p50), p95: med((r) => r.endToEnd.p95) },
  };
}

/** @param {KindFigures} f */
function failures(f) {
  return [f.oneSender, f.concurrent].reduce((n, p) => n + Object.values(p.failed).reduce((a, b) => a + b, 0), 0);
}

/**
 * @param {{ delayMs: number, sizes: Record<string, number>, machine: ReturnType<typeof machine>,
 *   versions: ReturnType<typeof versions>, runs: RunFigures[], stalls: unknown[], seconds: number }} result
 * @param {(line: string) => void} [print]
 */
export function printReport(result, print = console.log) {
  const { delayMs, sizes, runs } = result;
  const m = summarize(runs);
  const s = sizes;
  print('');
  print(`newsletter-bridge against the minimal worker, ${delayMs} ms per database request (the proxy's delay)`);
  print(
    `machine  ${result.machine.cpu}, ${result.machine.cores} cores, ${result.machine.memoryGiB} GiB, ${result.machine.os}; load ${result.machine.loadAverage.join(' ')} at start`,
  );
  const v = result.versions;
  print(
    `versions Node ${v.node}, wrangler ${v.wrangler}, workerd ${v.workerd}, @libsql/client ${v.libsqlClient}; commit ${v.commit}`,
  );
  print(
    `sizes    ${runs.length} run${runs.length === 1 ? '' : 's'}; per run and worker: events ${s.counted} counted one at a time, ${s.sequential} by one sender, ${s.concurrent} by ${s.senders} senders; ` +
      `one-click unsubscribes ${s.counted} / ${s.unsubscribeSequential} / ${s.unsubscribeConcurrent}; end to end ${s.endToEnd} events; ` +
      `a timed phase starts no request after ${s.maxPhaseSeconds} s`,
  );
  print(`took     ${Math.round(result.seconds)} s`);
  print('');

  const head = [
    '',
    'newsletter-bridge',
    'minimal',
    'ratio',
    `target${delayMs === 20 ? '' : ' (binds at 20 ms)'}`,
    'each run (bridge)',
  ];
  /** @type {string[][]} */ const rows = [];
  for (const k of /** @type {const} */ (['events', 'unsubscribes'])) {
    const f = m[k];
    rows.push([
      k === 'events' ? 'signed single events, POST /v1/events' : 'one-click unsubscribes, POST /u/{token} (RFC 8058)',
    ]);
    const each = (/** @type {(r: RunFigures) => number} */ pick, /** @type {(n: number) => string} */ fmt) =>
      runs.map((r) => fmt(pick(r))).join(' ');
    rows.push([
      '  database requests per request',
      num(f.real.dbPerRequest),
      num(f.minimal.dbPerRequest),
      `${ratio(f.ratio.dbPerRequest)}×`,
      verdict(f.real.dbPerRequest <= TARGETS.dbPerRequest, `≤ ${TARGETS.dbPerRequest}`),
      each((r) => r[k].real.dbPerRequest, num),
    ]);
    rows.push([
      '  one sender: p50 / p95',
      `${ms(f.real.oneSenderP50)} / ${ms(f.real.oneSenderP95)} ms`,
      `${ms(f.minimal.oneSenderP50)} / ${ms(f.minimal.oneSenderP95)} ms`,
      `${ratio(f.ratio.oneSenderP50)}×`,
      verdict(f.ratio.oneSenderP50 <= TARGETS.oneSenderP50Ratio, `p50 ≤ ${TARGETS.oneSenderP50Ratio}×`),
      each((r) => r[k].real.oneSender.p50, ms),
    ]);
    rows.push([
      `  ${s.senders} senders: throughput`,
      `${rate(f.real.throughput)} /s`,
      `${rate(f.minimal.throughput)} /s`,
      `${ratio(f.ratio.throughput)}×`,
      verdict(f.ratio.throughput >= TARGETS.throughputRatio, `≥ ${TARGETS.throughputRatio}×`),
      each((r) => r[k].real.concurrent.throughput, rate),
    ]);
    rows.push([
      `  ${s.senders} senders: p50 / p95 / p99`,
      `${ms(f.real.concurrentP50)} / ${ms(f.real.concurrentP95)} / ${ms(f.real.concurrentP99)} ms`,
      `${ms(f.minimal.concurrentP50)} / ${ms(f.minimal.concurrentP95)} / ${ms(f.minimal.concurrentP99)} ms`,
      `${ratio(f.ratio.concurrentP50)}×`,
      '',
      each((r) => r[k].real.concurrent.p50, ms),
    ]);
    rows.push([
      `  ${s.senders} senders: requests answered`,
      String(f.real.concurrentAnswered),
      String(f.minimal.concurrentAnswered),
      '',
      '',
      each((r) => r[k].real.concurrent.ok, String),
    ]);
    if (f.real.failed || f.minimal.failed)
      rows.push(['  refused or failed (all runs)', String(f.real.failed), String(f.minimal.failed), '', '', '']);
  }
  rows.push(['end to end, one sender: POST /v1/events → recipient at the emulator']);
  rows.push([
    '  p50 / p95',
    `${ms(m.endToEnd.p50)} / ${ms(m.endToEnd.p95)} ms`,
    '',
    '',
    '',
    runs.map((r) => ms(r.endToEnd.p50)).join(' '),
  ]);
  print(table(head, rows));
  if (result.stalls.length)
    print(
      `note: ${result.stalls.length} time(s) the bridge still had transfers or notices pending 20 s after a phase; ` +
        'the cron handler was fired (see "stalls" in the JSON)',
    );
  const after = m.events.real.dbAfterAnswer + m.unsubscribes.real.dbAfterAnswer;
  if (after > 0)
    print(`note: the bridge made database requests after answering (in the counts above): ${num(after)} per request`);
  print('');
  print(
    'medians of the runs; ratio = newsletter-bridge ÷ minimal, taken per run; "each run" lists the bridge\'s figure',
  );
  print('');
}

/** @param {string[]} head @param {string[][]} rows */
function table(head, rows) {
  const widths = head.map((h, i) =>
    Math.max(h.length, ...rows.filter((r) => r.length > 1).map((r) => (r[i] ?? '').length)),
  );
  const line = (/** @type {string[]} */ cells) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map((r) => (r.length === 1 ? (r[0] ?? '') : line(r)))].join('\n');
}

const verdict = (/** @type {boolean} */ met, /** @type {string} */ target) => `${target} ${met ? 'met' : 'MISSED'}`;
const num = (/** @type {number} */ n) => (Number.isFinite(n) ? n.toFixed(1) : '–');
const rate = (/** @type {number} */ n) => (Number.isFinite(n) ? n.toFixed(n < 100 ? 1 : 0) : '–');
const ratio = (/** @type {number} */ n) => (Number.isFinite(n) ? n.toFixed(2) : '–');
const ms = (/** @type {number} */ n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en') : '–');
