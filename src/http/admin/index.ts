import { Hono } from 'hono';
import { adminAuth } from '../admin-auth';
import type { AppEnv } from '../context';
import { newslettersApp } from './newsletters';
import { noticesApp } from './notices';
import { reconciliationsApp } from './reconciliations';
import { logWrites } from './round-trips';
import { statsApp } from './stats';
import { subscribersApp } from './subscribers';
import { subscriptionsApp } from './subscriptions';
import { transfersApp } from './transfers';

/** `/v1/admin/*`: everything behind the admin bearer token. */
export const adminApp = new Hono<AppEnv>()
  .use(adminAuth)
  .use(logWrites)
  .route('/newsletters', newslettersApp)
  .route('/subscribers', subscribersApp)
  .route('/subscriptions', subscriptionsApp)
  .route('/stats', statsApp)
  .route('/transfers', transfersApp)
  .route('/notices', noticesApp)
  .route('/reconciliations', reconciliationsApp);
