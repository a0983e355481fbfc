import { env } from 'cloudflare:test';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { emulator } from '../support/emulator';
import { extraSetting } from '../support/env';
import { ownNewsletter } from '../support/lists';
import { allSettled, type ScenarioEvent, type Sent, toPortalEvent } from '../support/model';
import { checkPhase, type Observation, observe, summarize } from '../support/phase-check';
import { buildPropertyRun, type PropertyRun, propertyInput } from '../support/scenario';
import { postEvent, uid } from '../support/worker';

/**
 * Any order, any repetition, shared addresses, consent changed inside Newsletter2Go: whatever
 * order and however often a sequence of portal events arrives (one after another, or all at once), whichever users share an address
 * (in whatever case), and whatever readers do inside Newsletter2Go between deliveries,
 * Newsletter2Go ends in the state the contract (§6) names, checked at the emulator against an
 * independent model (model.ts) at every settle.
 */

// `npm test` runs a fixed seed; PROPERTY_RUNS / PROPERTY_SEED explore further (fast-check prints
// the seed and path of a failure, to replay it).
const RUNS = Number(extraSetting(env, 'PROPERTY_RUNS') ?? 40);
const SEED = Number(extraSetting(env, 'PROPERTY_SEED') ?? 20261129);

/** What readers do inside Newsletter2Go: unsubscribe, get blacklisted, get deleted. */
async function changeInsideNewsletter2Go(
  run: PropertyRun,
  phase: number,
  seen: Observation,
  listIds: string[],
  story: string[],
) {
  const removed = new Set<string>();
  for (const c of run.changes[phase] ?? []) {
    const present = listIds.flatMap((l) => seen.recipients.get(l) ?? []).filter((r) => !removed.has(r.id));
    const recipient = present[c.pick % Math.max(1, present.length)];
    if (!recipient) continue;
    story.push(`inside Newsletter2Go: ${c.kind} recipient ${recipient.id}`);
    if (c.kind === 'unsubscribe') await emulator.edit(recipient.id, { is_unsubscribed: true });
    if (c.kind === 'blacklist') await emulator.edit(recipient.id, { is_blacklisted: true });
    if (c.kind === 'remove') {
      await emulator.remove(recipient.id);
      removed.add(recipient.id);
    }
  }
}

function describeEvent(e: ScenarioEvent, names: Map<string, string>): string {
  const who = names.get(e.userId);
  const when = `t${Math.round((e.at % 600_000) / 1000)}`;
  const what = 'newsletterId' in e ? ` ${names.get(e.newsletterId)}` : '';
  const profile = 'profile' in e ? ` ${JSON.stringify(e.profile)}` : '';
  return `${who} ${e.type}${what} at ${when}${profile}`;
}

describe('any order, any repetition, shared addresses, consent changed inside Newsletter2Go', () => {
  it(
    'ends in the state the contract names for random sequences, permutations, duplicates and shared addresses',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          propertyInput,
          fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
          async (input, together) => {
            // Lists of the run's own: every recipient in them is one of this run's subscriptions'.
            const [a, b] = [await ownNewsletter('prop-a'), await ownNewsletter('prop-b')];
            const lists = { [a.newsletterId]: a.listId, [b.newsletterId]: b.listId };
            const run = buildPropertyRun(input, [a.newsletterId, b.newsletterId], `${uid('shared')}@example.com`);
            const names = new Map([
              ...run.users.map((u, i) => [u, `u${i}`] as const),
              [a.newsletterId, 'nl-a'],
              [b.newsletterId, 'nl-b'],
            ]);
            const listIds = [a.listId, b.listId];
            const sent: Sent[] = [];
            const history: Observation[] = [];
            const story: string[] = [];
            let before: Observation = { subscriptions: new Map(), recipients: new Map() };
            for (let phase = 0; phase <= run.changes.length; phase++) {
              const deliveries = run.deliveries.filter((x) => x.phase === phase);
              // Shuffled and repeated, and in some phases all sent at the same moment: concurrent
              // deliveries about one user race each other's commits.
              const atOnce = together[phase % together.length] ?? false;
              const deliver = async (d: (typeof deliveries)[number]) => {
                const res = await postEvent(toPortalEvent(d.event), { id: d.id });
                if (res.status !== 202 && res.status !== 200)
                  throw new Error(`delivery answered ${res.status}: ${await res.text()}`);
                sent.push(d);
              };
              for (const d of deliveries)
                story.push(
                  `phase ${phase}: ${describeEvent(d.event, names)}${d.repeat ? ' (again)' : ''}${atOnce ? ' (at once)' : ''}`,
                );
              if (atOnce) await Promise.all(deliveries.map(deliver));
              else for (const d of deliveries) await deliver(d);
              await allSettled(run.users, 30_000, 100);
              const after = await observe(run.users, listIds);
              story.push(`settled:`, ...summarize(after, names));
              try {
                checkPhase({
                  phase,
                  sent,
                  users: run.users,
                  lists,
                  markers: run.markers,
                  names,
                  before,
                  history,
                  after,
                });
              } catch (error) {
                if (error instanceof Error) error.message += `\n${story.join('\n')}`;
                throw error;
              }
              history.push(after);
              if (phase === run.changes.length) break;
              await changeInsideNewsletter2Go(run, phase, after, listIds, story);
              before = await observe(run.users, listIds);
            }
          },
        ),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    },
    Math.max(240_000, RUNS * 15_000),
  );
});
