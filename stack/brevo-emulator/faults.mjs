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
import { FaultBook, gatewayPage, need, parseKinds, reasonOf, ruleBase } from '../emulator-kit/faults.mjs';
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

/** @returns {FaultConfig} */
const defaultConfig = () => ({
  rate: 0,
  seed: 1,
  kinds: FAULT_KINDS.map((kind) => ({ kind, weight: 1 })),
  delayMs: 10000,
  delayThen: 'normal',
  body: 'json',
});

/** @extends {FaultBook<FaultConfig, Rule>} */
export class Faults extends FaultBook {
  constructor() {
    super(defaultConfig);
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
    const kinds = parseKinds(c.kinds, FAULT_KINDS);
    need(Number.isInteger(c.delayMs) && c.delayMs >= 0, 'delayMs must be a whole number >= 0');
    need(c.delayThen === 'normal' || c.delayThen === '503', 'delayThen must be "normal" or "503"');
    need(BODY_STYLES.includes(c.body), `body must be one of ${BODY_STYLES.join(', ')}`);
    this.config = /** @type {FaultConfig} */ ({ ...c, kinds });
    this.reseed(c.seed);
    return this.config;
  }

  /**
   * @param {Record<string, any>} input
   * @returns {Rule}
   */
  addRule(input) {
    need(input !== null && typeof input === 'object' && !Array.isArray(input), 'a rule must be a JSON object');
    const base = ruleBase(input, RULE_KINDS, this.config);
    const delayMs = input.delayMs ?? this.config.delayMs;
    need(Number.isInteger(delayMs) && delayMs >= 0, 'delayMs must be a whole number >= 0');
    /** @type {Rule} */
    const rule = { id: this.nextRuleId++, ...base, delayMs };
    this.rules.push(rule);
    return rule;
  }

  /**
   * Whether this call is answered with a fault. Rules come first and fire regardless of the
   * rate; the PRNG is drawn only for API calls (control calls never reach here), so the
   * sequence depends on the API calls alone.
   * @param {{ method: string, pathWithQuery: string, emails: string[] }} call
   * @returns {Decision | null}
   */
  decide(call) {
    const rule = this.fire(call);
    if (rule)
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
    const c = this.config;
    const kind = this.draw();
    if (!kind) return null;
    return { kind, source: 'rate', delayMs: c.delayMs, delayThen: c.delayThen, bodyStyle: c.body };
  }
}

/**
 * The answer for an injected error status. Gateways often answer 5xx with an HTML page or
 * nothing, so the body style is configurable; JSON uses Brevo's error shape.
 * @param {number} status @param {string} style
 * @returns {import('./errors.mjs').Reply}
 */
export function faultReply(status, style) {
  if (style === 'html') return { status, raw: gatewayPage(status), headers: { 'content-type': 'text/html' } };
  if (style === 'empty') return { status, raw: '' };
  return { status, body: FAULT_BODIES[status] ?? { code: 'error', message: reasonOf(status) }, apiError: true };
}
