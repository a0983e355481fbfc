// @ts-check
/**
 * A portal history event (the drills' and the property test's own record of what happened) as
 * the body the portal sends for it (contract §1). Plain ESM without imports, so both Node scripts
 * and the tests inside workerd load it.
 *
 * @typedef {{ email: string, firstName?: string, lastName?: string, gender?: 'm' | 'f' }} Profile
 * @typedef {(
 *   | { type: 'subscription.confirmed', at: number, userId: string, newsletterId: string, profile: Profile }
 *   | { type: 'subscriber.updated', at: number, userId: string, profile: Profile }
 *   | { type: 'subscription.cancelled', at: number, userId: string, newsletterId: string }
 *   | { type: 'user.deleted', at: number, userId: string }
 * )} HistoryEvent
 */

/** @param {HistoryEvent} e */
export function portalBody(e) {
  const occurredAt = new Date(e.at).toISOString();
  switch (e.type) {
    case 'subscription.confirmed':
      return { type: e.type, occurredAt, data: { userId: e.userId, newsletterId: e.newsletterId, ...e.profile } };
    case 'subscriber.updated':
      return { type: e.type, occurredAt, data: { userId: e.userId, ...e.profile } };
    case 'subscription.cancelled':
      return { type: e.type, occurredAt, data: { userId: e.userId, newsletterId: e.newsletterId } };
    case 'user.deleted':
      return { type: e.type, occurredAt, data: { userId: e.userId } };
  }
}
