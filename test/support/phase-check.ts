import { expect } from 'vitest';
import { type EmulatedRecipient, emulator } from './emulator';
import {
  clashExpectation,
  type Held,
  type Intake,
  type Profile,
  recipientRule,
  replayIntake,
  type Sent,
  subscriptionKey,
} from './model';
import { type SubscriptionJson, subscriber } from './worker';

/**
 * The property test's checks at each settle, against the model (model.ts): what the admin JSON
 * and the emulator show for every user and newsletter of one generated scenario.
 */

export interface Observation {
  /** userId → newsletterId → that subscription's admin JSON. */
  subscriptions: Map<string, Map<string, SubscriptionJson>>;
  /** listId → its recipients at the emulator. */
  recipients: Map<string, EmulatedRecipient[]>;
}

export async function observe(users: string[], listIds: string[]): Promise<Observation> {
  const views = await Promise.all(users.map(async (u) => [u, await subscriber(u)] as const));
  const lists = await Promise.all(listIds.map(async (l) => [l, await emulator.recipients(l)] as const));
  return {
    subscriptions: new Map(
      views.map(([u, view]) => [u, new Map((view?.subscriptions ?? []).map((s) => [s.newsletterId, s]))]),
    ),
    recipients: new Map(lists),
  };
}

/** The subscription id a recipient's unsubscribe link names (the token starts with it). */
function linkedSubscription(r: EmulatedRecipient): string | null {
  const url = r.attributes.unsubscribe_url;
  return typeof url === 'string' ? (/\/u\/(sub_[a-z0-9]+)\./.exec(url)?.[1] ?? null) : null;
}

/** The recipient a subscription wrote: every push carries the subscription's unsubscribe link. */
export function recipientOf(obs: Observation, listId: string, sub: SubscriptionJson): EmulatedRecipient | undefined {
  return obs.recipients.get(listId)?.find((r) => linkedSubscription(r) === sub.subscriptionId);
}

export interface PhaseContext {
  phase: number;
  /** Every delivery so far, in order. */
  sent: Sent[];
  users: string[];
  /** newsletterId → listId. */
  lists: Record<string, string>;
  /** userId → the last name only that user sends. */
  markers: Map<string, string>;
  /** Short names for messages (u0, nl-a, …). */
  names: Map<string, string>;
  /** At the start of the phase, after the changes made inside Newsletter2Go. */
  before: Observation;
  /** The end of every earlier phase, in order. */
  history: Observation[];
  after: Observation;
}

export function checkPhase(ctx: PhaseContext): void {
  const intake = replayIntake(ctx.sent);
  checkRecipients(ctx, intake);
  // Subscriptions told nothing first: when another user's events reached their recipient, that
  // is the failure to report, rather than what it did to the other user's expectations.
  const pairs = ctx.users.flatMap((u) => Object.keys(ctx.lists).map((n) => [u, n] as const));
  const told = (u: string, n: string) => intake.told.get(subscriptionKey(u, n))?.has(ctx.phase) ?? false;
  for (const [u, n] of [...pairs.filter(([u, n]) => !told(u, n)), ...pairs.filter(([u, n]) => told(u, n))])
    checkSubscription(ctx, intake, u, n);
}

/**
 * Never two users' data on one recipient: each recipient is one subscription's (its link), at
 * most one per subscription, and carries only that subscription's user's address, last name or
 * erasure, never another's.
 */
function checkRecipients(ctx: PhaseContext, intake: Intake): void {
  const owners = new Map<string, { userId: string; newsletterId: string }>();
  for (const [userId, subs] of ctx.after.subscriptions)
    for (const [newsletterId, s] of subs) owners.set(s.subscriptionId, { userId, newsletterId });
  for (const [newsletterId, listId] of Object.entries(ctx.lists)) {
    const seen = new Set<string>();
    for (const r of ctx.after.recipients.get(listId) ?? []) {
      const id = linkedSubscription(r);
      const owner = id ? owners.get(id) : undefined;
      const what = `phase ${ctx.phase}: recipient ${JSON.stringify(r)} in the list of ${ctx.names.get(newsletterId)}`;
      expect(owner?.newsletterId, `${what} belongs to none of its subscriptions`).toBe(newsletterId);
      if (!id || !owner) continue;
      expect(seen.has(id), `${what}: a second recipient of one subscription`).toBe(false);
      seen.add(id);
      const erasedFor = /^deleted-(.+)@deleted\.invalid$/.exec(r.email)?.[1];
      if (erasedFor) expect(erasedFor, `${what}: one subscription's link, another's erasure`).toBe(id);
      else
        expect(
          [...(intake.users.get(owner.userId)?.addresses ?? [])],
          `${what}: an address its user never sent`,
        ).toContain(r.email.toLowerCase());
      expect(['', 'DELETED', ctx.markers.get(owner.userId)], `${what}: another user's last name`).toContain(
        r.last_name ?? '',
      );
    }
  }
}

function checkSubscription(ctx: PhaseContext, intake: Intake, userId: string, newsletterId: string): void {
  const where = `phase ${ctx.phase}, ${ctx.names.get(userId)} in ${ctx.names.get(newsletterId)}`;
  const user = intake.users.get(userId);
  const desired = user?.subscriptions.get(newsletterId);
  const sub = ctx.after.subscriptions.get(userId)?.get(newsletterId);
  if (!desired) {
    expect(sub, `${where}: a subscription no delivered event created`).toBeUndefined();
    return;
  }
  if (!sub) return void expect.fail(`${where}: no subscription`);
  expect(sub.state, `desired state of ${where}`).toBe(desired.state);
  expect(sub.transfer.status, `${where} still pending`).not.toBe('pending');
  const key = subscriptionKey(userId, newsletterId);
  const listId = ctx.lists[newsletterId] ?? '';
  const before = recipientOf(ctx.before, listId, sub);
  const after = recipientOf(ctx.after, listId, sub);
  const outcome = sub.transfer.status === 'failed' ? 'failed' : 'synced';
  const rule = recipientRule({
    state: desired.state,
    profile: user?.profile ?? null,
    told: intake.told.get(key)?.has(ctx.phase) ?? false,
    resubscribed:
      (intake.resubscribed.get(key)?.has(ctx.phase) ?? false) || owedResubscription(ctx, intake, userId, newsletterId),
    outcome,
    before: before ? held(before) : null,
  });
  if (rule === 'unchanged') {
    // No event of this subscription's own had to reach the provider: no other user's events,
    // nothing the worker does on its own, may change its recipient or its transfer.
    const prior = ctx.before.subscriptions.get(userId)?.get(newsletterId);
    expect(prior?.transfer.status, `transfer of ${where}, told nothing`).toBe(sub.transfer.status);
    expect(prior?.transfer.error?.code ?? null, `transfer error of ${where}, told nothing`).toBe(
      sub.transfer.error?.code ?? null,
    );
    expect(after, `recipient of ${where}, told nothing, was changed`).toEqual(before);
    return;
  }
  expect(sub.transfer.status, `transfer of ${where}`).toBe(outcome);
  if (outcome === 'failed') {
    // The only failure a scenario without provider faults can end in is a shared address.
    expect(sub.transfer.error?.code, `${where} failed: ${sub.transfer.error?.message}`).toBe('clash');
    expect(desired.state, `${where} failed with clash while not subscribed`).toBe('subscribed');
    const named = /portal user "([^"]+)"/.exec(sub.transfer.error?.message ?? '')?.[1] ?? '';
    expect(named, `${where} clashes with itself`).not.toBe(userId);
    expect(
      intake.users.get(named)?.addresses.has(user?.profile?.email.toLowerCase() ?? ''),
      `${where} clashes with ${ctx.names.get(named) ?? named}, who never sent the address`,
    ).toBe(true);
  }
  if (desired.state === 'subscribed') {
    const clash = clashExpectation(intake, userId, newsletterId);
    if (clash !== 'either')
      expect(
        outcome === 'failed' ? 'clash' : 'no-clash',
        `clash of ${where}: ${JSON.stringify(sub.transfer.error)}; recipients: ${JSON.stringify(ctx.after.recipients.get(listId))}`,
      ).toBe(clash);
  }
  const what = `recipient of ${where}: ${JSON.stringify(after)}, before: ${JSON.stringify(before)}`;
  if (rule.present !== 'either') expect(Boolean(after), what).toBe(rule.present);
  if (!after) return;
  if (rule.unsubscribed !== 'either')
    expect(after.is_unsubscribed, `is_unsubscribed of ${what}`).toBe(rule.unsubscribed);
  expect(after.is_blacklisted, `is_blacklisted of ${what}`).toBe(rule.blacklisted);
  if (rule.profile === 'erased')
    expect(after, `erasure of ${what}`).toMatchObject({
      email: `deleted-${sub.subscriptionId}@deleted.invalid`,
      first_name: 'DELETED',
      last_name: 'DELETED',
    });
  else if (rule.profile !== 'own') expect(fieldsOf(after), `profile of ${what}`).toEqual(fieldsOf(rule.profile));
}

const held = (r: EmulatedRecipient): Held => ({ unsubscribed: r.is_unsubscribed, blacklisted: r.is_blacklisted });

function fieldsOf(p: Profile | EmulatedRecipient) {
  return 'first_name' in p
    ? { email: p.email, firstName: p.first_name ?? '', lastName: p.last_name ?? '', gender: p.gender ?? '' }
    : { email: p.email, firstName: p.firstName ?? '', lastName: p.lastName ?? '', gender: p.gender ?? '' };
}

/**
 * A re-subscription the portal sent in an earlier phase that never reached the provider: every
 * phase since ended with the transfer failed (a clash sends nothing), so it is still owed and
 * the next push that gets through delivers it (README "Consent").
 */
function owedResubscription(ctx: PhaseContext, intake: Intake, userId: string, newsletterId: string): boolean {
  const resubscribed = intake.resubscribed.get(subscriptionKey(userId, newsletterId)) ?? new Set<number>();
  for (let p = ctx.phase - 1; p >= 0; p--) {
    if (ctx.history[p]?.subscriptions.get(userId)?.get(newsletterId)?.transfer.status !== 'failed') return false;
    if (resubscribed.has(p)) return true;
  }
  return false;
}

/** One settle's state in a line per subscription and recipient, for a failure's story. */
export function summarize(obs: Observation, names: Map<string, string>): string[] {
  const bySubscription = new Map<string, string>();
  const lines: string[] = [];
  for (const [userId, subs] of obs.subscriptions)
    for (const [newsletterId, s] of subs) {
      const name = `${names.get(userId)}/${names.get(newsletterId)}`;
      bySubscription.set(s.subscriptionId, name);
      const error = s.transfer.error ? ` ${s.transfer.error.code}: ${s.transfer.error.message}` : '';
      lines.push(`  ${name}: ${s.state}, ${s.transfer.status}${error}`);
    }
  for (const recipients of obs.recipients.values())
    for (const r of recipients) {
      const id = linkedSubscription(r);
      const flags = ['is_unsubscribed', 'is_blacklisted'].filter((f) => r[f as keyof EmulatedRecipient] === true);
      lines.push(
        `  recipient ${r.id} of ${(id && bySubscription.get(id)) ?? id}: ${r.email} ${r.first_name ?? ''} ${r.last_name ?? ''} ${r.gender ?? ''} ${flags.join(' ')}`,
      );
    }
  return lines;
}
