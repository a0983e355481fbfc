// @ts-check
/**
 * What both emulators' fault injection shares: the rule book (targeted rules and refused
 * addresses), the seeded draw of a random fault, the checks every rule and fault list passes, and
 * the gateway page a 5xx may come as. Each emulator's faults.mjs adds its own kinds, fields
 * (Newsletter2Go's Retry-After) and error bodies.
 */
import { prng } from './prng.mjs';

/** @param {unknown} ok @param {string} message */
export function need(ok, message) {
  if (!ok) throw new Error(message);
}

/**
 * `kinds` as given (names, or `{kind, weight}`), checked against the known kinds.
 * @param {any[]} kinds @param {readonly string[]} known
 * @returns {{ kind: string, weight: number }[]}
 */
export function parseKinds(kinds, known) {
  need(Array.isArray(kinds) && kinds.length > 0, 'kinds must be a non-empty list');
  const parsed = kinds.map((k) =>
    typeof k === 'string' ? { kind: k, weight: 1 } : { kind: k?.kind, weight: k?.weight ?? 1 },
  );
  for (const k of parsed) {
    need(known.includes(k.kind), `unknown fault kind ${JSON.stringify(k.kind)}; known: ${known.join(', ')}`);
    need(typeof k.weight === 'number' && k.weight > 0, 'weights must be positive numbers');
  }
  return parsed;
}

/**
 * The checks every rule passes, in this order: its kind, `times`, a valid `pathRegex`, a status
 * for a `status` rule, `delayThen`; and the fields every rule has.
 * @param {Record<string, any>} input @param {readonly string[]} ruleKinds
 * @param {{ delayThen: string }} config what a rule takes when it names none
 */
export function ruleBase(input, ruleKinds, config) {
  const kind = input.kind;
  need(ruleKinds.includes(kind), `unknown rule kind ${JSON.stringify(kind)}; known: ${ruleKinds.join(', ')}`);
  const times = input.times ?? 1;
  need(Number.isInteger(times) && times > 0, 'times must be a whole number > 0');
  if (input.pathRegex != null) new RegExp(input.pathRegex); // throws on a bad pattern
  if (kind === 'status')
    need(
      Number.isInteger(input.status) && input.status >= 100 && input.status <= 599,
      'a status rule needs status 100..599',
    );
  const delayThen = input.delayThen ?? config.delayThen;
  need(delayThen === 'normal' || delayThen === '503', 'delayThen must be "normal" or "503"');
  return {
    method: input.method ? String(input.method).toUpperCase() : null,
    pathPrefix: input.pathPrefix ?? null,
    pathRegex: input.pathRegex ?? null,
    email: input.email ? String(input.email).toLowerCase() : null,
    kind,
    remaining: times,
    delayThen: /** @type {'normal' | '503'} */ (delayThen),
    status: input.status ?? 0,
    body: input.body,
    fired: 0,
  };
}

/**
 * @typedef {{ method: string | null, pathPrefix: string | null, pathRegex: string | null,
 *   email: string | null, remaining: number, fired: number, id: number }} BookRule
 * @typedef {{ method: string, pathWithQuery: string, emails: string[] }} Call
 */

/**
 * Rules, refused addresses and the random draw, for a config of type C and rules of type R.
 * @template {{ rate: number, kinds: { kind: string, weight: number }[] }} C
 * @template {BookRule} R
 */
export class FaultBook {
  /** @param {() => C} defaults */
  constructor(defaults) {
    this.defaults = defaults;
    /** @type {C} */ this.config = defaults();
    /** @type {() => number} */ this.random = prng(1);
    /** @type {R[]} */ this.rules = [];
    this.nextRuleId = 1;
    /** @type {Set<string>} lowercased addresses the provider refuses */ this.rejected = new Set();
  }

  reset() {
    this.config = this.defaults();
    this.random = prng(1);
    this.rules = [];
    this.nextRuleId = 1;
    this.rejected = new Set();
  }

  /** Restarts the PRNG from a seed, so a run with the same calls draws the same faults. @param {number} seed */
  reseed(seed) {
    this.random = prng(seed);
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
   * The first rule this call matches, fired once (and dropped when spent), or null. Rules come
   * first and fire regardless of the rate.
   * @param {Call} call @returns {R | null}
   */
  fire(call) {
    const rule = this.rules.find((r) => r.remaining > 0 && ruleMatches(r, call));
    if (!rule) return null;
    rule.remaining--;
    rule.fired++;
    if (rule.remaining === 0) this.rules = this.rules.filter((r) => r !== rule);
    return rule;
  }

  /**
   * A random fault's kind, or null: the PRNG is drawn only for calls the rate covers, so calls
   * it does not cover never shift the sequence.
   * @param {boolean} [covered]
   */
  draw(covered = true) {
    const c = this.config;
    if (c.rate <= 0 || !covered) return null;
    if (this.random() >= c.rate) return null;
    const total = c.kinds.reduce((s, k) => s + k.weight, 0);
    let x = this.random() * total;
    let chosen = /** @type {{ kind: string, weight: number }} */ (c.kinds[c.kinds.length - 1]);
    for (const k of c.kinds) {
      if (x < k.weight) {
        chosen = k;
        break;
      }
      x -= k.weight;
    }
    return chosen.kind;
  }
}

/** @param {BookRule} r @param {Call} call */
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

/** The reason phrase of an injected status. @param {number} status */
export const reasonOf = (status) => REASONS[status] ?? 'Error';

/** What a gateway in front of the provider answers a 5xx with: nginx's page. @param {number} status */
export function gatewayPage(status) {
  const reason = reasonOf(status);
  return `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}
