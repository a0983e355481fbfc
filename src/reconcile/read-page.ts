import type { Db } from '../db/client';
import type { NewsletterProvider } from '../ports/provider';
import { compareRemotePage, type Finding, judgedWhenUnseen, type LocalRow, missingFindings } from './compare';
import { loadForPage, loadUnseen } from './load-desired';
import type { Cursor } from './run-state';

/**
 * One unit of a run's work, read-only: a page of the provider's recipients (or of local rows
 * no recipient matched) compared with the desired state. The caller commits it with the
 * cursor's next position in one transaction.
 */
export interface Step {
  next: Cursor;
  findings: Finding[];
  /** Subscriptions matched at the provider in this step. */
  seen: string[];
  /** Judged subscriptions (drift or not) and every row loaded, for the heal decisions. */
  judged: string[];
  rows: Map<string, LocalRow>;
  tally: Record<string, number>;
}

export interface StepContext {
  db: Db;
  provider: NewsletterProvider;
  runId: string;
  startedAt: number;
  pageSize: number;
}

export async function takeStep(ctx: StepContext, cursor: Cursor): Promise<Step> {
  const target = cursor.lists[cursor.index];
  if (!target) return { next: cursor, findings: [], seen: [], judged: [], rows: new Map(), tally: {} };
  return cursor.phase === 'remote' ? remoteStep(ctx, cursor, target) : missingStep(ctx, cursor, target);
}

async function remoteStep(ctx: StepContext, cursor: Cursor, target: Cursor['lists'][number]): Promise<Step> {
  const page = await ctx.provider.readMembers(target.listId, cursor.offset, ctx.pageSize);
  const local = await loadForPage(ctx.db, target.listId, target.newsletterIds, page.items);
  const compared = compareRemotePage(target.listId, page.items, local, (id, contact) =>
    ctx.provider.erasureLeftovers(id, contact),
  );
  // An offset that does not move on would page forever: treat it as the end of the list.
  const ended = page.next === null || page.next <= cursor.offset;
  const next: Cursor = ended
    ? { ...cursor, phase: 'missing', offset: 0, newsletter: 0, after: null }
    : { ...cursor, offset: page.next ?? cursor.offset };
  return {
    next,
    findings: compared.findings,
    seen: compared.seen,
    judged: compared.judged,
    rows: new Map(local.map((r) => [r.subscriptionId, r])),
    tally: { ...tallyOf(compared.findings), recipients: page.items.length, pending: compared.pending.length, pages: 1 },
  };
}

async function missingStep(ctx: StepContext, cursor: Cursor, target: Cursor['lists'][number]): Promise<Step> {
  const newsletterId = target.newsletterIds[cursor.newsletter];
  const rows = newsletterId
    ? await loadUnseen(ctx.db, ctx.runId, newsletterId, ctx.startedAt, cursor.after, ctx.pageSize)
    : [];
  // Contacts the provider may keep out of the list on its own (an account-wide block): asked
  // about before a row counts as missing. A provider whose lists show those says `gone` at once.
  const held = judgedWhenUnseen(rows).flatMap((r) =>
    r.recipientListId === target.listId && r.recipientId ? [r.recipientId] : [],
  );
  const absent = held.length ? await ctx.provider.explainAbsent(target.listId, held) : new Map();
  const findings = missingFindings(target.listId, rows, absent);
  const last = rows.at(-1);
  let next: Cursor;
  if (last && rows.length >= ctx.pageSize) next = { ...cursor, after: last.subscriptionId };
  else if (cursor.newsletter + 1 < target.newsletterIds.length)
    next = { ...cursor, newsletter: cursor.newsletter + 1, after: null };
  else next = { ...cursor, index: cursor.index + 1, phase: 'remote', offset: 0, newsletter: 0, after: null };
  return {
    next,
    findings,
    seen: [],
    judged: rows.map((r) => r.subscriptionId),
    rows: new Map(rows.map((r) => [r.subscriptionId, r])),
    tally: { ...tallyOf(findings), ...(next.index > cursor.index ? { lists: 1 } : {}) },
  };
}

function tallyOf(findings: Finding[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of findings) out[f.driftClass] = (out[f.driftClass] ?? 0) + 1;
  return out;
}

export function addTally(counts: Record<string, number>, tally: Record<string, number>): Record<string, number> {
  const out = { ...counts };
  for (const [k, n] of Object.entries(tally)) out[k] = (out[k] ?? 0) + n;
  return out;
}
