import { Hono } from 'hono';
import { problems } from '../../lib/problem';
import { parseOr422 } from '../../lib/valibot';
import { UserId } from '../../sync/events';
import type { AppEnv } from '../context';
import { subscriberView } from './views';

export const subscribersApp = new Hono<AppEnv>().get('/:userId', async (c) => {
  const userId = parseOr422(UserId, c.req.param('userId'), 'userId is not valid.');
  const view = await subscriberView(c.var.config, c.var.db, userId);
  if (!view) throw problems.notFound(`No subscriber with userId ${JSON.stringify(userId)} is known.`);
  return c.json(view);
});
