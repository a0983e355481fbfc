import type { ContactRef, NewsletterProvider, ProviderFailure, WriteResult } from '../ports/provider';
import { CredentialsRefusedError, ProviderError, RateLimitedError } from '../ports/provider-errors';
import type { Plan } from './plan';

/**
 * Carries out planned transfers against the provider and says, per subscription, how it
 * ended. Creations are grouped per list into the provider's bulk form; a rate limit or a
 * refused login stops the batch early instead of spending calls that would fail alike.
 */

export type Outcome = (
  | { kind: 'synced'; listId: string | null; recipientId: string | null; note?: string }
  /** `unsent`: refused before reaching the provider (no mapping, no address, a clash). */
  | { kind: 'failed'; failure: ProviderFailure; unsent?: true }
  /** `uncertain`: the request went unanswered (timeout, network), so its write may still land. */
  | { kind: 'retry'; failure: ProviderFailure; retryAfterMs: number | null; uncertain: boolean }
  | { kind: 'wait'; failure: ProviderFailure }
  | { kind: 'defer'; untilMs: number }
) & { learned?: Learned };

/**
 * What the first step of a two-step operation established, kept whatever the second did, so a
 * retry does only the step still missing: a recipient found by the subscription's own address
 * (adopted, or to be erased), one the provider answered 404 for, or a creation the provider took
 * whose id is still to be read back.
 */
export interface Learned {
  found?: ContactRef;
  gone?: ContactRef;
  writtenIn?: string;
}

/** How long the rest of a batch waits after a 429 that named no Retry-After. */
const RATE_LIMIT_PAUSE_MS = 5_000;

export interface Planned {
  id: string;
  plan: Plan;
}

export async function executePlans(
  provider: NewsletterProvider,
  planned: Planned[],
  bulkSize: number,
): Promise<Map<string, Outcome>> {
  const outcomes = new Map<string, Outcome>();
  const learned = new Map<string, Learned>();
  const learn = (id: string, fact: Learned) => learned.set(id, { ...learned.get(id), ...fact });
  let halt: Outcome | null = null;

  const run = async (ids: string[], work: () => Promise<void>) => {
    if (halt) {
      for (const id of ids) outcomes.set(id, halt);
      return;
    }
    try {
      await work();
    } catch (error) {
      const outcome = outcomeOf(error);
      for (const id of ids) if (!outcomes.has(id)) outcomes.set(id, { ...outcome, learned: learned.get(id) });
      // Stop spending calls that would fail alike. Items never sent are not charged an attempt:
      // after a rate limit they wait for the provider's window, after a refused login for the sweep.
      if (error instanceof CredentialsRefusedError) halt = outcome;
      if (error instanceof RateLimitedError)
        halt = { kind: 'defer', untilMs: Date.now() + (error.retryAfterMs ?? RATE_LIMIT_PAUSE_MS) };
    }
  };

  for (const { id, plan } of planned) {
    if (plan.kind === 'fail')
      outcomes.set(id, {
        kind: 'failed',
        failure: { message: plan.message, code: plan.reason, httpStatus: null },
        unsent: true,
      });
    if (plan.kind === 'nothing') outcomes.set(id, { kind: 'synced', listId: null, recipientId: null, note: plan.why });
  }

  // A creation that may already exist (an earlier write of its own, confirmed or uncertain) is
  // looked for first, all of a list's in one look-up: found, it is updated, or left alone when
  // this very version is what was written; only the rest is created.
  const creates: Creation[] = planned.flatMap(({ id, plan }) => (plan.kind === 'create' ? [{ id, plan }] : []));
  const toCreate: Creation[] = [];
  for (const [listId, group] of byList(creates.filter((c) => probeEmails(c.plan).length))) {
    await run(
      group.map((c) => c.id),
      async () => {
        const found = await provider.findContacts(listId, [...new Set(group.flatMap((c) => probeEmails(c.plan)))]);
        for (const c of group) {
          const here = found.get(c.plan.data.email.toLowerCase());
          const earlier = c.plan.adoptFrom.map((e) => found.get(e.toLowerCase())).find(Boolean);
          if (c.plan.written && here) {
            outcomes.set(c.id, { kind: 'synced', listId, recipientId: here.contactId, note: 'id read back' });
            continue;
          }
          const ref = earlier ?? here;
          if (!ref) {
            toCreate.push(c);
            continue;
          }
          learn(c.id, { found: ref });
          await run([c.id], async () => {
            await provider.updateContact(ref, c.plan.data, { resubscribe: c.plan.resubscribe });
            outcomes.set(c.id, {
              kind: 'synced',
              listId,
              recipientId: ref.contactId,
              note: earlier ? 'adopted an earlier uncertain creation' : 'id read back, then updated by id',
            });
          });
        }
      },
    );
  }
  toCreate.push(...creates.filter((c) => !probeEmails(c.plan).length));

  // Creations, in bulk per list (and per resubscribe flag: array items must share their keys).
  const groups = new Map<string, { listId: string; resubscribe: boolean; items: Creation[] }>();
  for (const c of toCreate) {
    const key = `${c.plan.listId}|${c.plan.resubscribe}`;
    const group = groups.get(key) ?? { listId: c.plan.listId, resubscribe: c.plan.resubscribe, items: [] };
    group.items.push(c);
    groups.set(key, group);
  }
  for (const group of groups.values()) {
    for (let i = 0; i < group.items.length; i += bulkSize) {
      const slice = group.items.slice(i, i + bulkSize);
      await run(
        slice.map((s) => s.id),
        async () => {
          const results = await provider.subscribe(
            group.listId,
            slice.map((s) => s.plan.data),
            { resubscribe: group.resubscribe },
          );
          slice.forEach((s, index) => {
            outcomes.set(s.id, upserted(results[index], group.listId, provider.label));
          });
        },
      );
    }
  }

  for (const { id, plan } of planned) {
    switch (plan.kind) {
      case 'update':
        await run([id], async () => {
          try {
            await provider.updateContact(plan.ref, plan.data, { resubscribe: plan.resubscribe });
            outcomes.set(id, { kind: 'synced', listId: plan.ref.listId, recipientId: plan.ref.contactId });
          } catch (error) {
            if (!(error instanceof ProviderError) || error.kind !== 'gone') throw error;
            // The stale id is dropped whatever comes next, so a retry does not ask for it again.
            const gone = plan.ref;
            learn(id, { gone });
            // Deleted inside the provider while subscribed here: create it again (contract §6),
            // unless a consent conflict stands: then the last word was "unsubscribed" (§6, consent).
            if (plan.heldIfGone) {
              outcomes.set(id, {
                kind: 'failed',
                failure: { message: plan.heldIfGone, code: 'held-for-consent', httpStatus: null },
                unsent: true,
                learned: { gone },
              });
              return;
            }
            const [created] = await provider.subscribe(plan.ref.listId, [plan.data], { resubscribe: plan.resubscribe });
            const outcome = upserted(created, plan.ref.listId, provider.label);
            outcomes.set(id, {
              ...(outcome.kind === 'synced' ? { ...outcome, note: 'recipient was gone; re-created' } : outcome),
              learned: { ...outcome.learned, gone },
            });
          }
        });
        break;
      case 'unsubscribe':
      case 'erase':
        await run([id], async () => {
          outcomes.set(id, await withdraw(provider, plan, (found) => learn(id, { found })));
        });
        break;
      default:
        break;
    }
  }
  return outcomes;
}

/**
 * A cancellation or an erasure, on every contact the subscription owns (in every list it was
 * ever in) and on one an uncertain creation of its own may have left. A contact already gone
 * at the provider is fine; how an erasure leaves no data behind is the adapter's (port: erase).
 */
async function withdraw(
  provider: NewsletterProvider,
  plan: Extract<Plan, { kind: 'unsubscribe' | 'erase' }>,
  onFound: (ref: ContactRef) => void,
): Promise<Outcome> {
  const found = plan.lookup ? await findFirst(provider, plan.lookup.listId, plan.lookup.emails) : null;
  if (found) onFound(found);
  const refs = found ? [...plan.targets, found] : plan.targets;
  const notes: string[] = [];
  for (const ref of refs) {
    try {
      if (plan.kind === 'unsubscribe') await provider.unsubscribe(ref);
      else {
        const { note } = await provider.erase(ref, plan);
        if (note) notes.push(note);
      }
    } catch (error) {
      if (!(error instanceof ProviderError) || error.kind !== 'gone') throw error;
      notes.push(`recipient in list ${ref.listId} was already gone`);
    }
  }
  if (!refs.length) return { kind: 'synced', listId: null, recipientId: null, note: 'no recipient at the provider' };
  const note = [
    refs.length > 1 ? `${refs.length} recipients in ${new Set(refs.map((r) => r.listId)).size} lists` : '',
    ...notes,
  ]
    .filter(Boolean)
    .join('; ');
  return {
    kind: 'synced',
    listId: found?.listId ?? null,
    recipientId: found?.contactId ?? null,
    ...(note ? { note } : {}),
  };
}

/** The contact under the first of `emails` the list holds (one look-up for all). */
async function findFirst(provider: NewsletterProvider, listId: string, emails: string[]): Promise<ContactRef | null> {
  const found = await provider.findContacts(listId, emails);
  for (const email of emails) {
    const ref = found.get(email.toLowerCase());
    if (ref) return ref;
  }
  return null;
}

type Creation = { id: string; plan: Extract<Plan, { kind: 'create' }> };

/** The addresses to look a creation up by before writing it (none: it is simply created). */
const probeEmails = (plan: Creation['plan']) => (plan.readBack ? [plan.data.email, ...plan.adoptFrom] : plan.adoptFrom);

function byList(creations: Creation[]): Map<string, Creation[]> {
  const out = new Map<string, Creation[]>();
  for (const c of creations) out.set(c.plan.listId, [...(out.get(c.plan.listId) ?? []), c]);
  return out;
}

/** One upsert item's outcome: a write the provider took without an id yet is retried as a read-back. */
function upserted(result: WriteResult | undefined, listId: string, providerLabel: string): Outcome {
  switch (result?.status) {
    case 'stored':
      return { kind: 'synced', listId, recipientId: result.contactId };
    case 'written':
      return {
        kind: 'retry',
        failure: {
          ...result.failure,
          message: `${providerLabel} took the write; reading its id back failed: ${result.failure.message}`,
        },
        retryAfterMs: null,
        uncertain: false,
        learned: { writtenIn: listId },
      };
    case 'refused':
      return { kind: 'failed', failure: result.error };
    case undefined:
      return {
        kind: 'failed',
        failure: { message: 'The provider gave no result for this recipient', code: null, httpStatus: null },
      };
  }
}

function outcomeOf(error: unknown): Outcome {
  if (!(error instanceof ProviderError)) throw error;
  switch (error.kind) {
    case 'credentials':
      return { kind: 'wait', failure: error.failure };
    case 'rate-limited': {
      const retryAfterMs = (error as RateLimitedError).retryAfterMs;
      // A 429 refused the request before doing anything: the provider's pacing, not this
      // transfer's failure, so it waits without counting an attempt (a run of them would
      // otherwise end a transfer `failed` that nothing was wrong with).
      if (error.failure.httpStatus === 429)
        return { kind: 'defer', untilMs: Date.now() + (retryAfterMs ?? RATE_LIMIT_PAUSE_MS) };
      return { kind: 'retry', failure: error.failure, retryAfterMs, uncertain: false };
    }
    case 'retryable':
      return {
        kind: 'retry',
        failure: error.failure,
        retryAfterMs: null,
        uncertain: error.failure.code === 'timeout' || error.failure.code === 'network',
      };
    case 'gone':
    case 'permanent':
      return { kind: 'failed', failure: error.failure };
  }
}
