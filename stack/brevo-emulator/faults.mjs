// @ts-check
/**
 * Fault injection: what a client of the real provider meets now and then.
 *
 * - a random share of API calls (`rate`, 0..1) drawn from a seeded PRNG, so the same seed and
 *   the same sequence of calls give the same faults (a failing run can be replayed);
 * - targeted rules ("fail the next 3 PUT calls with 503"), matched by method, path prefix or
 *   regex, and e-mail, each firing a given number of times;
 * - e-mail addresses the provider refuses: a write naming one answers 400 "Invalid email
 *   address" (contacts.mjs).
 *
 * Kinds: `429` (Brevo documents no Retry-After, so none is sent; the rate-limit headers say
 * `remaining: 0`), `500`, `503`, `timeout` (wait `delayMs`, then answer normally or 503: a
 * client with a shorter timeout gives up while the write may still happen), `500_after_write`
 * (the call is carried out, then answered 500), and for rules `status` (any status and body).
 */
import { prng } from '../n2g-emulator/prng.mjs';
import { FAULT_BODIES } from './errors.mjs';

export const FAULT_KINDS = Object.freeze(['429', '500', '503', 'timeout', '500_after_write']);
const RULE_KINDS = Object.freeze([...FAULT_KINDS, 'status']);
const BODY_STYLES = Object.freeze(['json', 'html', 'empty']);

/**
 * @typedef {{ kind: string, weight: number }} WeightedKind
 * @typedef {{ rate: number, seed: number, kinds: WeightedKind[], delayMs: number,
 *   delayThen: 'normal' | '503', body: 'json' | 'html' | 'empty' }} FaultConfig
 * @typedef {{ id: number, method: string | null, pathPrefix: string | null, pathRegex: string | null,
 *   email: string | null, kind: string, remaining: number, delayMs: number, delayThen: 'normal' | '503',
 *   status: number, body: unknown, fired: number }} Rule
 * @typedef {{ kind: string, source: 'rate' | 'rule', ruleId?: number, delayMs: number,
 *   delayThen: 'normal' | '503', status?: number, body?: unknown, bodyStyle: string }} Decision
 */

/** @param {unknown} ok @param {string} message */
function need(ok, message) {
  if (!ok) throw new Error(message);
}

/** @returns {FaultConfig} */
const defaultConfig = () => ({
  rate: 0,
  seed: 1,
  kinds: FAULT_KINDS.map((kind) => ({ kind, weight: 1 })),
  delayMs: 10000,
  delayThen: 'normal',
  body: 'json',
});

export class Faults {
  /** @type {FaultConfig} */ config = defaultConfig();
  /** @type {() => number} */ random = prng(1);
  /** @type {Rule[]} */ rules = [];
  nextRuleId = 1;
  /** @type {Set<string>} lowercased addresses the provider refuses */ rejected = new Set();

  reset() {
    this.config = defaultConfig();
    this.random = prng(1);
    this.rules = [];
    this.nextRuleId = 1;
    this.rejected = new Set();
  }

  /**
   * Sets the random faults; restarts the PRNG from the seed so a run is repeatable.
   * `kinds` is a list of kind names or of `{kind, weight}`. Checked whole: a bad field changes nothing.
   * @param {Record<string, any>} input
   */
  configure(input) {
    need(input !== null && typeof input === 'object' && !Array.isArray(input), 'faults must be a JSON object');
    const known = ['rate', 'seed', 'kinds', 'delayMs', 'delayThen', 'body'];
    const unknown = Object.keys(input).find((k) => !known.includes(k));
    need(unknown === undefined, `unknown fault setting ${JSON.stringify(unknown)}; known: ${known.join(', ')}`);
    /** @type {Record<string, any>} */
    const c = { ...this.config, ...input };
    need(typeof c.rate === 'number' && c.rate >= 0 && c.rate <= 1, 'rate must be a number from 0 to 1');
    need(Number.isInteger(c.seed), 'seed must be an integer');
    need(Array.isArray(c.kinds) && c.kinds.length > 0, 'kinds must be a non-empty list');
    const kinds = c.kinds.map((/** @type {any} */ k) =>
      typeof k === 'string' ? { kind: k, weight: 1 } : { kind: k?.kind, weight: k?.weight ?? 1 },
    );
    for (const k of kinds) {
      need(
        FAULT_KINDS.includes(k.kind),
        `unknown fault kind ${JSON.stringify(k.kind)}; known: ${FAULT_KINDS.join(', ')}`,
      );
      need(typeof k.weight === 'number' && k.weight > 0, 'weights must be positive numbers');
    }
    need(Number.isInteger(c.delayMs) && c.delayMs >= 0, 'delayMs must be a whole number >= 0');
    need(c.delayThen === 'normal' || c.delayThen === '503', 'delayThen must be "normal" or "503"');
    need(BODY_STYLES.includes(c.body), `body must be one of ${BODY_STYLES.join(', ')}`);
    this.config = /** @type {FaultConfig} */ ({ ...c, kinds });
    this.random = prng(c.seed);
    return this.config;
  }

  /**
   * @param {Record<string, any>} input
   * @returns {Rule}
   */
  addRule(input) {
    need(input !== null && typeof input === 'object' && !Array.isArray(input), 'a rule must be a JSON object');
    const kind = input.kind;
    need(RULE_KINDS.includes(kind), `unknown rule kind ${JSON.stringify(kind)}; known: ${RULE_KINDS.join(', ')}`);
    const times = input.times ?? 1;
    need(Number.isInteger(times) && times > 0, 'times must be a whole number > 0');
    if (input.pathRegex != null) new RegExp(input.pathRegex); // throws on a bad pattern
    if (kind === 'status')
      need(
        Number.isInteger(input.status) && input.status >= 100 && input.status <= 599,
        'a status rule needs status 100..599',
      );
    const delayThen = input.delayThen ?? this.config.delayThen;
    need(delayThen === 'normal' || delayThen === '503', 'delayThen must be "normal" or "503"');
    const delayMs = input.delayMs ?? this.config.delayMs;
    need(Number.isInteger(delayMs) && delayMs >= 0, 'delayMs must be a whole number >= 0');
    /** @type {Rule} */
    const rule = {
      id: this.nextRuleId++,
      method: input.method ? String(input.method).toUpperCase() : null,
      pathPrefix: input.pathPrefix ?? null,
      pathRegex: input.pathRegex ?? null,
      email: input.email ? String(input.email).toLowerCase() : null,
      kind,
      remaining: times,
      delayMs,
      delayThen,
      status: input.status ?? 0,
      body: input.body,
      fired: 0,
    };
    this.rules.push(rule);
    return rule;
  }

  /** @param {number} id */
  removeRule(id) {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length < before;
  }

  /** @param {string[]} emails */
  reject(emails) {
    for (const e of emails) this.rejected.add(String(e).toLowerCase());
  }

  /** @param {unknown} email */
  isRejected(email) {
    return typeof email === 'string' && this.rejected.has(email.toLowerCase());
  }

  /**
   * Whether this call is answered with a fault. Rules come first and fire regardless of the
   * rate; the PRNG is drawn only for API calls (control calls never reach here), so the
   * sequence depends on the API calls alone.
   * @param {{ method: string, pathWithQuery: string, emails: string[] }} call
   * @returns {Decision | null}
   */
  decide(call) {
    const rule = this.rules.find((r) => r.remaining > 0 && ruleMatches(r, call));
    if (rule) {
      rule.remaining--;
      rule.fired++;
      if (rule.remaining === 0) this.rules = this.rules.filter((r) => r !== rule);
      return {
        kind: rule.kind,
        source: 'rule',
        ruleId: rule.id,
        delayMs: rule.delayMs,
        delayThen: rule.delayThen,
        status: rule.status,
        body: rule.body,
        bodyStyle: this.config.body,
      };
    }
    const c = this.config;
    if (c.rate <= 0) return null;
    if (this.random() >= c.rate) return null;
    const total = c.kinds.reduce((s, k) => s + k.weight, 0);
    let x = this.random() * total;
    let chosen = /** @type {WeightedKind} */ (c.kinds[c.kinds.length - 1]);
    for (const k of c.kinds) {
      if (x < k.weight) {
        chosen = k;
        break;
      }
      x -= k.weight;
    }
    return { kind: chosen.kind, source: 'rate', delayMs: c.delayMs, delayThen: c.delayThen, bodyStyle: c.body };
  }
}

/** @param {Rule} r @param {{ method: string, pathWithQuery: string, emails: string[] }} call */
function ruleMatches(r, call) {
  if (r.method && r.method !== call.method) return false;
  if (r.pathPrefix && !call.pathWithQuery.startsWith(r.pathPrefix)) return false;
  if (r.pathRegex && !new RegExp(r.pathRegex).test(call.pathWithQuery)) return false;
  if (r.email && !call.emails.some((e) => e.toLowerCase() === r.email)) return false;
  return true;
}

const REASONS = /** @type {Record<number, string>} */ ({
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
});

/**
 * The answer for an injected error status. Gateways often answer 5xx with an HTML page or
 * nothing, so the body style is configurable; JSON uses Brevo's error shape.
 * @param {number} status @param {string} style
 * @returns {import('./errors.mjs').Reply}
 */
export function faultReply(status, style) {
  const reason = REASONS[status] ?? 'Error';
  if (style === 'html') {
    return {
      status,
      raw: `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
      headers: { 'content-type': 'text/html' },
    };
  }
  if (style === 'empty') return { status, raw: '' };
  return { status, body: FAULT_BODIES[status] ?? { code: 'error', message: reason }, apiError: true };
}
