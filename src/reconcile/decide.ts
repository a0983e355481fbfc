import type { ConflictReason, Finding, LocalRow } from './compare';

/**
 * What a heal run does about a page's findings. Pure. Corrections go through the normal queue
 * path (re-push: the row becomes pending with a new version and plan.ts decides what is sent);
 * a consent conflict is marked and told to the portal, never corrected (contract §4, §6).
 */
export interface HealActions {
  /** Subscriptions to push again: missing, profile drift, stale subscriptions. */
  repush: string[];
  /** Consent conflicts to mark; `notify` when the portal has not heard of this one yet. */
  conflicts: {
    subscriptionId: string;
    userId: string;
    newsletterId: string;
    reason: ConflictReason;
    notify: boolean;
  }[];
  /** Marked conflicts the provider no longer shows (or the portal has since resolved). */
  clear: string[];
  /** Left alone for consent: see below. */
  held: string[];
}

/**
 * `judged`: rows this page (or the missing pass) judged, drift or not; their stale conflict
 * marks are cleared.
 *
 * Two cases are held rather than re-pushed, because a push could re-subscribe someone the
 * provider shows as unsubscribed without the portal's say:
 * - a conflicted row still flagged `resubscribe` (a re-subscription not delivered yet): its push
 *   would send `is_unsubscribed: false`; its own transfer may, a reconciliation may not;
 * - a `missing` row whose conflict is open: the recipient that unsubscribed there was removed,
 *   and re-creating it would subscribe the address again before the portal decided.
 */
export function decideHeal(findings: Finding[], rows: ReadonlyMap<string, LocalRow>, judged: string[]): HealActions {
  const out: HealActions = { repush: [], conflicts: [], clear: [], held: [] };
  const conflicted = new Map<string, ConflictReason>();
  for (const f of findings) {
    if (f.driftClass === 'consent_conflict' && f.subscriptionId && f.detail.reason)
      conflicted.set(f.subscriptionId, f.detail.reason);
  }
  const repush = new Set<string>();
  const held = new Set<string>();
  for (const f of findings) {
    const row = f.subscriptionId ? rows.get(f.subscriptionId) : undefined;
    if (!row) continue;
    switch (f.driftClass) {
      case 'consent_conflict': {
        const reason = conflicted.get(row.subscriptionId);
        if (reason)
          out.conflicts.push({
            subscriptionId: row.subscriptionId,
            userId: row.userId,
            newsletterId: row.newsletterId,
            reason,
            notify: row.conflict?.reason !== reason,
          });
        break;
      }
      case 'missing':
        (row.conflict ? held : repush).add(row.subscriptionId);
        break;
      case 'profile':
      case 'stale_subscribed':
        (conflicted.has(row.subscriptionId) && row.resubscribe ? held : repush).add(row.subscriptionId);
        break;
      case 'orphan':
        break;
    }
  }
  for (const id of judged) {
    const row = rows.get(id);
    if (row?.conflict && !conflicted.has(id) && !held.has(id)) out.clear.push(id);
  }
  out.repush = [...repush];
  out.held = [...held];
  return out;
}
