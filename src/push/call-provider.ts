import type { NewsletterProvider, ProviderFailure, RecipientData, RecipientRef } from '../ports/provider';
import { CredentialsRefusedError, ProviderError, RateLimitedError } from '../ports/provider-errors';
import type { Plan } from './plan';

/**
 * Carries out planned transfers against the provider and says, per subscription, how it
 * ended. Creations are grouped per list into the provider's bulk form; a rate limit or a
 * refused login stops the batch early instead of spending calls that would fail alike.
 */

export type Outcome =
  | { kind: 'synced'; listId: string | null; recipientId: string | null; note?: string }
  /** `unsent`: refused before reaching the provider (no mapping, no address, a clash). */
  | { kind: 'failed'; failure: ProviderFailure; unsent?: true }
  /** `uncertain`: the request went unanswered (timeout, network), so its write may still land. */
  | { kind: 'retry'; failure: ProviderFailure; retryAfterMs: number | null; uncertain: boolean }
  | { kind: 'wait'; failure: ProviderFailure }
  | { kind: 'defer'; untilMs: number };

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
      for (const id of ids) if (!outcomes.has(id)) outcomes.set(id, outcome);
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

  // An earlier creation whose outcome was uncertain may exist under another address: find it
  // and update it rather than create a second recipient.
  const creates: { id: string; plan: Extract<Plan, { kind: 'create' }> }[] = [];
  for (const { id, plan } of planned) {
    if (plan.kind !== 'create') continue;
    if (!plan.adoptFrom.length) {
      creates.push({ id, plan });
      continue;
    }
    await run([id], async () => {
      const ref = await findFirst(provider, plan.listId, plan.adoptFrom);
      if (!ref) return void creates.push({ id, plan });
      await provider.update(ref, plan.data, { resubscribe: plan.resubscribe });
      outcomes.set(id, {
        kind: 'synced',
        listId: ref.listId,
        recipientId: ref.recipientId,
        note: 'adopted an earlier uncertain creation',
      });
    });
  }

  // Creations, in bulk per list (and per resubscribe flag: array items must share their keys).
  const groups = new Map<
    string,
    { listId: string; resubscribe: boolean; items: { id: string; data: RecipientData }[] }
  >();
  for (const { id, plan } of creates) {
    const key = `${plan.listId}|${plan.resubscribe}`;
    const group = groups.get(key) ?? { listId: plan.listId, resubscribe: plan.resubscribe, items: [] };
    group.items.push({ id, data: plan.data });
    groups.set(key, group);
  }
  for (const group of groups.values()) {
    for (let i = 0; i < group.items.length; i += bulkSize) {
      const slice = group.items.slice(i, i + bulkSize);
      await run(
        slice.map((s) => s.id),
        async () => {
          const results = await provider.upsert(
            group.listId,
            slice.map((s) => s.data),
            { resubscribe: group.resubscribe },
          );
          slice.forEach((s, index) => {
            const r = results[index];
            if (r?.ok) outcomes.set(s.id, { kind: 'synced', listId: group.listId, recipientId: r.recipientId });
            else
              outcomes.set(s.id, {
                kind: 'failed',
                failure: r?.error ?? {
                  message: 'The provider gave no result for this recipient',
                  code: null,
                  httpStatus: null,
                },
              });
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
            await provider.update({ listId: plan.listId, recipientId: plan.recipientId }, plan.data, {
              resubscribe: plan.resubscribe,
            });
            outcomes.set(id, { kind: 'synced', listId: plan.listId, recipientId: plan.recipientId });
          } catch (error) {
            if (!(error instanceof ProviderError) || error.kind !== 'gone') throw error;
            // Deleted inside Newsletter2Go while subscribed here: create it again (contract §6),
            // unless a consent conflict stands: then the last word was "unsubscribed" (§6, consent).
            if (plan.heldIfGone) {
              outcomes.set(id, {
                kind: 'failed',
                failure: { message: plan.heldIfGone, code: 'held-for-consent', httpStatus: null },
                unsent: true,
              });
              return;
            }
            const [created] = await provider.upsert(plan.listId, [plan.data], { resubscribe: plan.resubscribe });
            outcomes.set(
              id,
              created?.ok
                ? {
                    kind: 'synced',
                    listId: plan.listId,
                    recipientId: created.recipientId,
                    note: 'recipient was gone; re-created',
                  }
                : {
                    kind: 'failed',
                    failure: created?.error ?? {
                      message: 'The provider did not re-create the recipient',
                      code: null,
                      httpStatus: null,
                    },
                  },
            );
          }
        });
        break;
      case 'unsubscribe':
      case 'erase':
        await run([id], async () => {
          outcomes.set(id, await withdraw(provider, plan));
        });
        break;
      default:
        break;
    }
  }
  return outcomes;
}

/**
 * A cancellation or an erasure, on every recipient the subscription owns (in every list it was
 * ever in) and on one an uncertain creation of its own may have left. A recipient already gone
 * at the provider is fine. An erasure the provider refuses (its dummy address, say) removes the
 * recipient from the list instead, so no name or address stays behind.
 */
async function withdraw(
  provider: NewsletterProvider,
  plan: Extract<Plan, { kind: 'unsubscribe' | 'erase' }>,
): Promise<Outcome> {
  const found = plan.lookup ? await findFirst(provider, plan.lookup.listId, plan.lookup.emails) : null;
  const refs = found ? [...plan.targets, found] : plan.targets;
  const notes: string[] = [];
  for (const ref of refs) {
    try {
      if (plan.kind === 'unsubscribe') await provider.unsubscribe(ref);
      else await eraseOrRemove(provider, ref, plan, notes);
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
    recipientId: found?.recipientId ?? null,
    ...(note ? { note } : {}),
  };
}

async function eraseOrRemove(
  provider: NewsletterProvider,
  ref: RecipientRef,
  plan: Extract<Plan, { kind: 'erase' }>,
  notes: string[],
) {
  try {
    await provider.erase(ref, plan.dummyEmail, plan.attributes);
  } catch (error) {
    if (!(error instanceof ProviderError) || error.kind !== 'permanent') throw error;
    await provider.remove(ref);
    notes.push(
      `recipient in list ${ref.listId} removed from the list: the provider refused the anonymisation (${error.failure.message})`,
    );
  }
}

async function findFirst(provider: NewsletterProvider, listId: string, emails: string[]): Promise<RecipientRef | null> {
  for (const email of emails) {
    const ref = await provider.findByEmail(listId, email);
    if (ref) return ref;
  }
  return null;
}

function outcomeOf(error: unknown): Outcome {
  if (!(error instanceof ProviderError)) throw error;
  switch (error.kind) {
    case 'credentials':
      return { kind: 'wait', failure: error.failure };
    case 'rate-limited':
      return {
        kind: 'retry',
        failure: error.failure,
        retryAfterMs: (error as RateLimitedError).retryAfterMs,
        uncertain: false,
      };
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
