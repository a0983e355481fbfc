import { Hono } from 'hono';
import type * as v from 'valibot';
import type { Db } from '../../db/client';
import {
  deleteNewsletter,
  findNewsletter,
  guardListFree,
  listNewsletters,
  type Newsletter,
  otherNewsletterOnList,
  repushIfMapped,
  repushUnlessOnList,
  upsertNewsletter,
} from '../../db/newsletters';
import { commitAnswering } from '../../db/write-batch';
import { Problem, problems } from '../../lib/problem';
import type { AttributeSetup, NewsletterProvider } from '../../ports/provider';
import { ProviderError } from '../../ports/provider-errors';
import { enqueueRepushed } from '../../push/repush';
import type { Mapping, MappingRemoved, MappingSaved } from '../../schemas/admin';
import { MappingBody } from '../../schemas/admin-requests';
import { NewsletterId } from '../../schemas/events';
import type { AppEnv } from '../context';
import { jsonBody, pathParams } from './body';
import { providerCall } from './round-trips';

const view = (n: Newsletter): v.InferOutput<typeof Mapping> => ({
  newsletterId: n.newsletterId,
  listId: n.listId,
  name: n.name,
  displayName: n.name ?? n.newsletterId,
  updatedAt: new Date(n.updatedAt).toISOString(),
});

/** Newsletter → list mapping (contract §3, decisions in §6). */
export const newslettersApp = new Hono<AppEnv>()
  .get('/', async (c) => {
    const rows = await listNewsletters(c.var.db);
    return c.json({ newsletters: rows.map(view) });
  })
  .put('/:newsletterId', async (c) => {
    const { config, db } = c.var;
    const { newsletterId } = pathParams(c, { newsletterId: NewsletterId });
    const body = await jsonBody(c, MappingBody);
    const mapping = { newsletterId, listId: body.listId, name: body.name ?? null };
    // Refused before any provider call; the commit checks it again (guardListFree).
    await refuseTakenList(db, mapping);
    const provider = c.var.provider();
    await checkList(db, provider, body.listId);
    const setup = await checkAttribute(db, provider, body.listId);

    const now = Date.now();
    let firstTry = true;
    const saved = await commitAnswering(async () => {
      // The first commit goes on the read above. A refused one may mean another newsletter took
      // the list meanwhile: read again, to answer the 422 naming it.
      if (!firstTry) await refuseTakenList(db, mapping);
      firstTry = false;
      return async () => {
        // The mapping as it was, the re-push (a new or changed list: every subscription of the
        // newsletter goes to it; the old list is left as it is and named in the answer) and the
        // mapping as stored: one transaction, so concurrent PUTs of one mapping serialize here.
        const [, [before], marked, [after]] = await db.batch([
          guardListFree(db, mapping.listId, newsletterId),
          findNewsletter(db, newsletterId),
          repushUnlessOnList(db, newsletterId, mapping.listId, now),
          upsertNewsletter(db, mapping, now),
        ]);
        if (!after) throw problems.internal();
        return { before, marked, after };
      };
    });
    const { before, after } = saved;
    const pushed = await enqueueRepushed(config, saved.marked);
    const answer: v.InferOutput<typeof MappingSaved> = {
      ...view(after),
      previousListId: before && before.listId !== after.listId ? before.listId : null,
      repushed: pushed.repushed,
      attribute: {
        name: provider.linkAttribute(body.listId),
        action: setup.action,
        attributeId: setup.action === 'present' ? null : setup.attributeId,
      },
    };
    return c.json(answer, before ? 200 : 201);
  })
  .delete('/:newsletterId', async (c) => {
    const { config, db } = c.var;
    const { newsletterId } = pathParams(c, { newsletterId: NewsletterId });
    const now = Date.now();
    // Nothing is deleted at the provider; the subscriptions show failed (unmapped) until a
    // mapping returns. The re-push runs first and only while the mapping exists, so an unknown
    // newsletter changes nothing.
    const { marked, removed } = await commitAnswering(async () => async () => {
      const [marked, [removed]] = await db.batch([
        repushIfMapped(db, newsletterId, now),
        deleteNewsletter(db, newsletterId),
      ]);
      return { marked, removed };
    });
    if (!removed) throw problems.notFound(`Newsletter ${JSON.stringify(newsletterId)} has no mapping.`);
    const pushed = await enqueueRepushed(config, marked);
    const answer: v.InferOutput<typeof MappingRemoved> = {
      newsletterId,
      removedListId: removed.listId,
      affectedSubscriptions: pushed.repushed,
    };
    return c.json(answer);
  });

/**
 * Providers merge contacts by address (Newsletter2Go per list): two newsletters on one list would
 * let two subscriptions (and two users' consents) share one recipient. One round trip.
 */
async function refuseTakenList(db: Db, mapping: { newsletterId: string; listId: string }): Promise<void> {
  const [other] = await otherNewsletterOnList(db, mapping.listId, mapping.newsletterId);
  if (other)
    throw problems.unprocessable(
      `List ${JSON.stringify(mapping.listId)} is already mapped to newsletter ${JSON.stringify(other.newsletterId)}; one list serves one newsletter.`,
      { listId: mapping.listId, mappedTo: other.newsletterId },
    );
}

/** The list must exist at the provider; its refusal is a 422 carrying the provider's words. */
async function checkList(db: Db, provider: NewsletterProvider, listId: string): Promise<void> {
  await atProvider(
    db,
    () => provider.getList(listId),
    (message) => `The list ${JSON.stringify(listId)} is unknown at ${provider.label}: ${message}`,
    `The list could not be checked at ${provider.label}`,
  );
}

/**
 * The unsubscribe link is written to a custom attribute, which a list must have before any push
 * writes it (Newsletter2Go defines attributes per list). A refusal is a 422 with the provider's words.
 */
async function checkAttribute(db: Db, provider: NewsletterProvider, listId: string): Promise<AttributeSetup> {
  const name = JSON.stringify(provider.linkAttribute(listId));
  return atProvider(
    db,
    () => provider.ensureLinkAttribute(listId),
    (message) =>
      `${provider.label} refused to add the attribute ${name} to the list ${JSON.stringify(listId)}: ${message}`,
    `The attribute ${name} could not be set up for the list at ${provider.label}`,
  );
}

/** A provider call of the mapping: refused → 422 naming the provider's words; unavailable → 503. */
async function atProvider<T>(
  db: Db,
  work: () => Promise<T>,
  refused: (message: string) => string,
  unavailable: string,
): Promise<T> {
  try {
    return await providerCall(db, work);
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    if (error.kind === 'gone' || error.kind === 'permanent') {
      throw problems.unprocessable(refused(error.failure.message), {
        provider: { message: error.failure.message, code: error.failure.code, httpStatus: error.failure.httpStatus },
      });
    }
    const p = new Problem(
      503,
      'provider-unavailable',
      'Provider unavailable',
      `${unavailable}: ${error.failure.message}`,
    );
    p.headers['Retry-After'] = '60';
    throw p;
  }
}
