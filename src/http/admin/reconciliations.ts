import { Hono } from 'hono';
import * as v from 'valibot';
import { findingsOf, getRun, runsBefore } from '../../db/reconciliation';
import { Problem, problems } from '../../lib/problem';
import { parseOr422 } from '../../lib/valibot';
import { findingView, runView } from '../../reconcile/report';
import { startRun } from '../../reconcile/start-run';
import { RunQuery, RunsQuery, StartBody } from '../../schemas/reconciliations';
import type { AppEnv } from '../context';
import { jsonBody } from './body';
import { decodeCursor, encodeCursor } from './cursor';
import { givenParams } from './query';

const RunId = v.pipe(v.string(), v.regex(/^rcn_[a-z0-9]{17}$/, 'id is not a reconciliation run id'));
/** Finding cursors name the last finding id shown. */
const FindingAfter = v.pipe(v.string(), v.regex(/^\d{1,15}$/), v.toNumber());

/**
 * `/v1/admin/reconciliations`: start a portal-led comparison with Newsletter2Go and read its
 * reports (contract §3). One run at a time; the work happens in queue chunks (src/reconcile).
 */
export const reconciliationsApp = new Hono<AppEnv>()
  .post('/', async (c) => {
    const { config, db } = c.var;
    const body = await jsonBody(c, StartBody);
    const result = await startRun(config, db, { mode: body.mode, trigger: 'admin', newsletterIds: body.newsletterIds });
    if ('unknownNewsletters' in result) {
      throw problems.invalid(
        result.unknownNewsletters.map((id) => ({
          path: '/newsletterIds',
          message: `newsletter ${JSON.stringify(id)} has no list mapped`,
        })),
      );
    }
    if ('running' in result) {
      const r = result.running;
      throw new Problem(
        409,
        'conflict',
        'Conflict',
        `Reconciliation run ${r.id} (${r.mode}, started ${new Date(r.startedAt).toISOString()}) is still running; one run at a time.`,
        undefined,
        { runningRunId: r.id },
      );
    }
    return c.json(runView(result.started), 202);
  })
  .get('/', async (c) => {
    const q = parseOr422(RunsQuery, givenParams(c.req.query()), 'The query parameters are not valid.');
    const before = q.cursor ? decodeCursor(q.cursor) : undefined;
    const rows = await runsBefore(c.var.db, q.limit, before);
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return c.json({
      items: page.map((r) => runView(r)),
      nextCursor: rows.length > q.limit && last ? encodeCursor(last.id) : null,
      limit: q.limit,
    });
  })
  .get('/:id', async (c) => {
    const { db } = c.var;
    const id = c.req.param('id');
    const run = v.is(RunId, id) ? await getRun(db, id) : null;
    if (!run) throw problems.notFound(`No reconciliation run with id ${JSON.stringify(id)} is known.`);
    const q = parseOr422(RunQuery, givenParams(c.req.query()), 'The query parameters are not valid.');
    const after = q.cursor ? v.safeParse(FindingAfter, decodeCursor(q.cursor)) : undefined;
    if (after && !after.success)
      throw problems.invalid([
        { path: '/cursor', message: 'cursor is not one this API issued; start again without it' },
      ]);
    const { total, rows } = await findingsOf(db, run.id, {
      driftClass: q.driftClass,
      limit: q.limit,
      afterId: after?.output,
    });
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return c.json({
      ...runView(run),
      findings: {
        total,
        items: page.map(findingView),
        nextCursor: rows.length > q.limit && last ? encodeCursor(String(last.id)) : null,
        limit: q.limit,
      },
    });
  });
