import type { BucketView } from '../../../shared/wallet/types';
import type { JobView } from '../../../shared/ipc/types';
import type { AutoTopupAttempt } from '../../../shared/api/auto-topup';
import { creditsText, date } from '../util/format';

/** What was already said, so each crossing is announced once (docs/architecture.md §7, alerts). */
export interface AlertMemory {
  /** The low-balance alert fired and the balance has not risen back above the threshold since. */
  low: boolean;
  /** Buckets whose coming expiry was announced. */
  expiring: string[];
  /** Auto top-ups whose need for the user was announced. */
  topups: string[];
}

export const emptyMemory: AlertMemory = { low: false, expiring: [], topups: [] };

export interface Notice {
  kind: 'low-balance' | 'expiring' | 'topup-action';
  title: string;
  body: string;
}

/** Used when no run is known yet: a low balance is below this many credits. */
export const FALLBACK_LOW = 20;
const DAY = 86_400_000;

/**
 * The user's usual tool and what one run of it costs: the tool of most of the latest 20 paid
 * runs, and the median of what its runs cost (captured, else held).
 */
export function usualRun(jobs: readonly JobView[]): { tool: string; credits: number } | null {
  const paid = [...jobs]
    .filter((j) => (j.capturedCredits ?? j.heldCredits) > 0 && j.state !== 'failed')
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .slice(0, 20);
  const counts = new Map<string, number[]>();
  for (const j of paid)
    counts.set(j.tool, [...(counts.get(j.tool) ?? []), j.capturedCredits ?? j.heldCredits]);
  let best: [string, number[]] | null = null;
  for (const entry of counts) if (!best || entry[1].length > best[1].length) best = entry;
  if (!best) return null;
  const costs = [...best[1]].sort((a, b) => a - b);
  return { tool: best[0], credits: costs[Math.floor(costs.length / 2)] ?? 0 };
}

/** The low-balance threshold: the user's own, else two runs of the usual tool. */
export function lowThreshold(setting: number | null, usual: { credits: number } | null): number {
  if (setting !== null) return setting;
  return usual ? usual.credits * 2 : FALLBACK_LOW;
}

/**
 * The alerts due now, and the memory after them. Low balance: once when the available balance
 * falls below the threshold, again only after it has been at or above it. Expiring: once per
 * bucket (daily credits excepted, which expire every day) within `expiryDays`. An auto top-up
 * that needs the user: once per top-up.
 */
export function decideAlerts(input: {
  available: number;
  threshold: number;
  buckets: readonly BucketView[];
  now: string;
  expiryDays: number;
  latestTopup: AutoTopupAttempt | null;
  memory: AlertMemory;
}): { notices: Notice[]; memory: AlertMemory } {
  const { available, threshold, now, memory } = input;
  const notices: Notice[] = [];
  let low = memory.low;
  if (threshold > 0 && available < threshold) {
    if (!low)
      notices.push({
        kind: 'low-balance',
        title: 'Low balance',
        body: `You have ${creditsText(available)} left, below your alert at ${creditsText(threshold)}. Top up in the Store.`,
      });
    low = true;
  } else low = false;

  const nowMs = Date.parse(now);
  const soon = input.buckets.filter(
    (b) =>
      input.expiryDays > 0 &&
      b.source !== 'daily' &&
      b.live &&
      b.remaining > 0 &&
      b.expiresAt !== null &&
      Date.parse(b.expiresAt) > nowMs &&
      Date.parse(b.expiresAt) - nowMs <= input.expiryDays * DAY,
  );
  const fresh = soon.filter((b) => !memory.expiring.includes(b.bucketId));
  if (fresh.length > 0) {
    const amount = fresh.reduce((n, b) => n + b.remaining, 0);
    const first = fresh.map((b) => b.expiresAt ?? '').sort()[0] ?? now;
    notices.push({
      kind: 'expiring',
      title: 'Credits expiring soon',
      body: `${creditsText(amount)} expire${amount === 1 ? 's' : ''} on ${date(first)}. Use them before then.`,
    });
  }
  const topup = input.latestTopup;
  const topups = [...memory.topups];
  if (topup?.status === 'action-required' && !topups.includes(topup.topupId)) {
    notices.push({
      kind: 'topup-action',
      title: 'Auto top-up needs you',
      body: topup.message ?? 'Your bank asks you to confirm the payment.',
    });
    topups.push(topup.topupId);
  }
  return {
    notices,
    memory: {
      low,
      // Only buckets still expiring soon are remembered, so the memory stays small.
      expiring: soon.map((b) => b.bucketId),
      topups: topups.slice(-20),
    },
  };
}
