import { Hono } from 'hono';
import type { AppEnv } from '../context';
import { adminAuth } from '../admin-auth';
import { newslettersApp } from './newsletters';
import { subscribersApp } from './subscribers';

/** `/v1/admin/*`: everything behind the admin bearer token. */
export const adminApp = new Hono<AppEnv>()
  .use(adminAuth)
  .route('/newsletters', newslettersApp)
  .route('/subscribers', subscribersApp);
