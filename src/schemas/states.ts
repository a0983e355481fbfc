/**
 * The states the database stores and the admin JSON shows, in one place below both, so the
 * response schemas need no table definitions.
 */

export const subscriptionStates = ['subscribed', 'unsubscribed', 'deleted'] as const;
export type SubscriptionState = (typeof subscriptionStates)[number];

export const transferStatuses = ['pending', 'synced', 'failed'] as const;
export type TransferStatus = (typeof transferStatuses)[number];

export const noticeStatuses = ['pending', 'delivered', 'failed'] as const;
export type NoticeStatus = (typeof noticeStatuses)[number];

/** Reconciliation's drift classes (README, "Drift classes and what each mode does"). */
export const driftClasses = ['missing', 'profile', 'consent_conflict', 'stale_subscribed', 'orphan'] as const;
export type DriftClass = (typeof driftClasses)[number];
