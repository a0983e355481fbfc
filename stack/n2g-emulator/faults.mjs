// @ts-check
/**
 * Fault injection: what a client of a real provider meets now and then.
 *
 * - a random share of calls (`rate`, 0..1) drawn from a seeded PRNG, so the same seed and
 *   the same sequence of calls give the same faults (a failing run can be replayed);
 * - targeted rules ("fail the next 3 PATCH calls with 503"), matched by method, path
 *   prefix or regex, and e-mail, each firing a given number of times;
 * - e-mail addresses the provider refuses (see recipients.mjs for where they surface).
 *
 * Kinds: `429_retry_after` (429 with Retry-After), `429` (no header), `500`, `503`,
 * `503_retry_after` (503 with Retry-After: the spec says to honour Retry-After when
 * present, without tying it to 429), `timeout` (wait `delayMs`, then answer normally or 503: a client with a shorter
 * timeout gives up while the write may still happen), `500_after_write` (the call is
 * carried out, then answered 500), and for rules `status` (any status and body).
 */
import { prng } from './prng.mjs';

export const FAULT_KINDS = Object.freeze([
  '429_retry_after',
  '429',
  '500',
  '503',
  '503_retry_after',
  'timeout',
  '500_after_write',
]);
/** Random faults draw from these unless `kinds` is given: the list from before
 * 503_retry_after existed, so a seed replays the same faults it always did. */
const DEFAULT_KINDS = Object.freeze(FAULT_KINDS.filter((k) => k !== '503_retry_after'));
/** Retry-After as delta-seconds (`7`) or as an HTTP-date (`Sun, 06 Nov 1994 08:49:37 GMT`). */
const RETRY_AFTER_STYLES = Object.freeze(['seconds', 'http-date']);
const RULE_KINDS = Object.freeze([...FAULT_KINDS, 'status']);
const BODY_STYLES = Object.freeze(['json', 'html', 'empty']);

/**
 * @typedef {{ kind: string, weight: number }} WeightedKind
 * @typedef {'seconds' | 'http-date'} RetryAfterStyle
 * @typedef {{ rate: number, seed: number, kinds: WeightedKind[], retryAfterSeconds: number,
 *   retryAfterStyle: RetryAfterStyle, delayMs: number, delayThen: 'normal' | '503', includeOAuth: boolean,
 *   body: 'json' | 'html' | 'empty' }} FaultConfig
 * @typedef {{ id: number, method: string | null, pathPrefix: string | null, pathRegex: string | null,
 *   email: string | null, kind: string, remaining: number, retryAfterSeconds: number,
 *   retryAfterStyle: RetryAfterStyle, delayMs: number, delayThen: 'normal' | '503', status: number, body: unknown,
 *   fired: number }} Rule
 * @typedef {{ kind: string, source: 'rate' | 'rule', ruleId?: number, retryAfterSeconds: number,
 *   retryAfterStyle: RetryAfterStyle, delayMs: number, delayThen: 'normal' | '503', status?: number, body?: unknown,
 *   bodyStyle: string }} Decision
 */

/** @param {unknown} ok @param {string} message */
function need(ok, message) {
  if (!ok) throw new Error(message);
}

/** @returns {FaultConfig} */
const defaultConfig = () => ({
  rate: 0,
  seed: 1,
  kinds: DEFAULT_KINDS.map((kind) => ({ kind, weight: 1 })),
  retryAfterSeconds: 2,
  retryAfterStyle: 'seconds',
  delayMs: 10000,
  delayThen: 'normal',
  includeOAuth: false,
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
   * `kinds` is a list of kind names or of `{kind, weight}`.
   * @param {Record<string, any>} input
   */
  configure(input) {
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
    need(
      Number.isInteger(c.retryAfterSeconds) && c.retryAfterSeconds >= 0,
      'retryAfterSeconds must be a whole number >= 0',
    );
    need(
      RETRY_AFTER_STYLES.includes(c.retryAfterStyle),
      `retryAfterStyle must be one of ${RETRY_AFTER_STYLES.join(', ')}`,
    );
    need(Number.isInteger(c.delayMs) && c.delayMs >= 0, 'delayMs must be a whole number >= 0');
    need(c.delayThen === 'normal' || c.delayThen === '503', 'delayThen must be "normal" or "503"');
    need(typeof c.includeOAuth === 'boolean', 'includeOAuth must be a boolean');
    need(BODY_STYLES.includes(c.body), `body must be one of ${BODY_STYLES.join(', ')}`);
    this.config = /** @type {FaultConfig} */ ({ ...c, kinds });
    this.random = prng(c.seed);
    return this.config;
  }

  /** Random faults off; rules and rejected addresses stay. */
  clearRandom() {
    this.config = { ...this.config, rate: 0 };
  }

  /**
   * @param {Record<string, any>} input
   * @returns {Rule}
   */
  addRule(input) {
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
    const retryAfterSeconds = input.retryAfterSeconds ?? this.config.retryAfterSeconds;
    need(
      Number.isInteger(retryAfterSeconds) && retryAfterSeconds >= 0,
      'retryAfterSeconds must be a whole number >= 0',
    );
    const retryAfterStyle = input.retryAfterStyle ?? this.config.retryAfterStyle;
    need(
      RETRY_AFTER_STYLES.includes(retryAfterStyle),
      `retryAfterStyle must be one of ${RETRY_AFTER_STYLES.join(', ')}`,
    );
    /** @type {Rule} */
    const rule = {
      id: this.nextRuleId++,
      method: input.method ? String(input.method).toUpperCase() : null,
      pathPrefix: input.pathPrefix ?? null,
      pathRegex: input.pathRegex ?? null,
      email: input.email ? String(input.email).toLowerCase() : null,
      kind,
      remaining: times,
      retryAfterSeconds,
      retryAfterStyle,
      delayMs: input.delayMs ?? this.config.delayMs,
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
   * Decides whether this call is answered with a fault. Rules come first and fire
   * regardless of the rate; the PRNG is drawn only for calls the rate covers
   * (API calls, and the token endpoint when `includeOAuth`), so control calls never
   * shift the sequence.
   * @param {{ method: string, pathWithQuery: string, emails: string[], isOAuth: boolean }} call
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
        retryAfterSeconds: rule.retryAfterSeconds,
        retryAfterStyle: rule.retryAfterStyle,
        delayMs: rule.delayMs,
        delayThen: rule.delayThen,
        status: rule.status,
        body: rule.body,
        bodyStyle: this.config.body,
      };
    }
    const c = this.config;
    if (c.rate <= 0 || (call.isOAuth && !c.includeOAuth)) return null;
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
    return {
      kind: chosen.kind,
      source: 'rate',
      retryAfterSeconds: c.retryAfterSeconds,
      retryAfterStyle: c.retryAfterStyle,
      delayMs: c.delayMs,
      delayThen: c.delayThen,
      bodyStyle: c.body,
    };
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

/**
 * The Retry-After value of a decision. An HTTP-date counts from the real clock (the
 * client compares it with its own, not with the emulator's advanced one) and is rounded
 * up to the next whole second, since the format has no fractions: the client never
 * waits less than `retryAfterSeconds`.
 * @param {Pick<Decision, 'retryAfterSeconds' | 'retryAfterStyle'>} d
 */
export function retryAfter(d) {
  if (d.retryAfterStyle !== 'http-date') return String(d.retryAfterSeconds);
  return new Date(Math.ceil(Date.now() / 1000) * 1000 + d.retryAfterSeconds * 1000).toUTCString();
}

const REASONS = /** @type {Record<number, string>} */ ({
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
});

/**
 * The answer for an injected error status. Real gateways often answer 5xx with an HTML
 * page or nothing, so the body style is configurable; JSON uses the spec's error shape.
 * @param {number} status @param {string} style @param {Record<string, string>} [headers]
 * @returns {import('./envelope.mjs').Reply & { raw?: string }}
 */
export function faultReply(status, style, headers = {}) {
  const reason = REASONS[status] ?? 'Error';
  if (style === 'html') {
    return {
      status,
      body: undefined,
      raw: `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`,
      headers: { ...headers, 'content-type': 'text/html' },
    };
  }
  if (style === 'empty') return { status, body: undefined, raw: '', headers };
  return { status, body: { status, code: status, errorMessage: reason }, headers };
}
