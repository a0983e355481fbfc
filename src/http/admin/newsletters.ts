import { Hono } from 'hono';
import type * as v from 'valibot';
import type { Db } from '../../db/client';
import {
  deleteNewsletter,
  findNewsletter,
  listNewsletters,
  type Newsletter,
  otherNewsletterOnList,
  upsertNewsletter,
} from '../../db/newsletters';
import { ofNewsletter } from '../../db/subscriptions-transfer';
import { Problem, problems } from '../../lib/problem';
import type { AttributeSetup } from '../../ports/provider';
import { ProviderError } from '../../ports/provider-errors';
import { repush } from '../../push/repush';
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
    // Newsletter2Go merges recipients per list by address: two newsletters on one list would let
    // two subscriptions (and two users' consents) share one recipient.
    const [other] = await otherNewsletterOnList(db, body.listId, newsletterId);
    if (other)
      throw problems.unprocessable(
        `List ${JSON.stringify(body.listId)} is already mapped to newsletter ${JSON.stringify(other.newsletterId)}; one list serves one newsletter.`,
        { listId: body.listId, mappedTo: other.newsletterId },
      );
    await checkList(c.var, body.listId);
    const setup = await checkAttribute(c.var, body.listId, config.UNSUBSCRIBE_ATTRIBUTE);

    const now = Date.now();
    const [before] = await findNewsletter(db, newsletterId);
    const [after] = await upsertNewsletter(db, { newsletterId, listId: body.listId, name: body.name ?? null }, now);
    if (!after) throw problems.internal();
    const listChanged = !before || before.listId !== body.listId;
    // A new or changed list: every subscription of the newsletter is pushed to it; the old
    // list is left as it is and named in the answer.
    const pushed = listChanged
      ? await repush(config, db, ofNewsletter(newsletterId), now)
      : { repushed: 0, enqueued: 0 };
    const answer: v.InferOutput<typeof MappingSaved> = {
      ...view(after),
      previousListId: before && before.listId !== body.listId ? before.listId : null,
      repushed: pushed.repushed,
      attribute: {
        name: config.UNSUBSCRIBE_ATTRIBUTE,
        action: setup.action,
        attributeId: setup.action === 'present' ? null : setup.attributeId,
      },
    };
    return c.json(answer, before ? 200 : 201);
  })
  .delete('/:newsletterId', async (c) => {
    const { config, db } = c.var;
    const { newsletterId } = pathParams(c, { newsletterId: NewsletterId });
    const [removed] = await deleteNewsletter(db, newsletterId);
    if (!removed) throw problems.notFound(`Newsletter ${JSON.stringify(newsletterId)} has no mapping.`);
    // Nothing is deleted at the provider; the subscriptions show failed (unmapped) until a
    // mapping returns.
    const pushed = await repush(config, db, ofNewsletter(newsletterId));
    const answer: v.InferOutput<typeof MappingRemoved> = {
      newsletterId,
      removedListId: removed.listId,
      affectedSubscriptions: pushed.repushed,
    };
    return c.json(answer);
  });

/** The list must exist at the provider; its refusal is a 422 carrying the provider's words. */
async function checkList(vars: AppEnv['Variables'], listId: string): Promise<void> {
  await atProvider(
    vars.db,
    () => vars.provider().getList(listId),
    (message) => `The list ${JSON.stringify(listId)} is unknown at Newsletter2Go: ${message}`,
    'The list could not be checked at Newsletter2Go',
  );
}

/**
 * The unsubscribe link is written to a custom attribute, and Newsletter2Go defines those per list:
 * the list gets it now, before any push writes it. A refusal is a 422 with the provider's words.
 */
async function checkAttribute(vars: AppEnv['Variables'], listId: string, name: string): Promise<AttributeSetup> {
  return atProvider(
    vars.db,
    () => vars.provider().ensureAttribute(listId, name),
    (message) =>
      `Newsletter2Go refused to add the attribute ${JSON.stringify(name)} to the list ${JSON.stringify(listId)}: ${message}`,
    `The attribute ${JSON.stringify(name)} could not be set up for the list at Newsletter2Go`,
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
