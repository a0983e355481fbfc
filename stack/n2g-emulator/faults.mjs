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
import { FaultBook, gatewayPage, need, parseKinds, reasonOf, ruleBase } from '../emulator-kit/faults.mjs';

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

/** @extends {FaultBook<FaultConfig, Rule>} */
export class Faults extends FaultBook {
  constructor() {
    super(defaultConfig);
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
    const kinds = parseKinds(c.kinds, FAULT_KINDS);
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
    this.reseed(c.seed);
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
    const base = ruleBase(input, RULE_KINDS, this.config);
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
      ...base,
      retryAfterSeconds,
      retryAfterStyle,
      delayMs: input.delayMs ?? this.config.delayMs,
    };
    this.rules.push(rule);
    return rule;
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
    const rule = this.fire(call);
    if (rule)
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
    const c = this.config;
    const kind = this.draw(!call.isOAuth || c.includeOAuth);
    if (!kind) return null;
    return {
      kind,
      source: 'rate',
      retryAfterSeconds: c.retryAfterSeconds,
      retryAfterStyle: c.retryAfterStyle,
      delayMs: c.delayMs,
      delayThen: c.delayThen,
      bodyStyle: c.body,
    };
  }
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

/**
 * The answer for an injected error status. Real gateways often answer 5xx with an HTML
 * page or nothing, so the body style is configurable; JSON uses the spec's error shape.
 * @param {number} status @param {string} style @param {Record<string, string>} [headers]
 * @returns {import('./envelope.mjs').Reply & { raw?: string }}
 */
export function faultReply(status, style, headers = {}) {
  if (style === 'html')
    return { status, body: undefined, raw: gatewayPage(status), headers: { ...headers, 'content-type': 'text/html' } };
  if (style === 'empty') return { status, body: undefined, raw: '', headers };
  return { status, body: { status, code: status, errorMessage: reasonOf(status) }, headers };
}
