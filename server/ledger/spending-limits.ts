import type { SpendingLimitsResponse } from '../../shared/api/limits';
import type { EntryBody } from '../../shared/ledger/entry';
import { endOfUtcDay } from '../clock';
import type { Sql } from '../db/database';
import { HttpError } from '../http/errors';
import type { WriteContext } from './ledger-service';

/**
 * Spending limits (docs/architecture.md §2): what a user allows per UTC day and per UTC month.
 * A period's usage is what holds, design spends and offline reserves made in it took, less what
 * came back (a released hold, the uncaptured rest, an allowance's unspent remainder). It is
 * checked inside the ledger write, under the account lock, so two instances cannot both pass.
 */
export interface Limits {
  daily: number | null;
  monthly: number | null;
}

const noLimits: Limits = { daily: null, monthly: null };

export async function readLimits(sql: Sql, accountId: string): Promise<Limits> {
  const { rows } = await sql.query<{ daily: number | null; monthly: number | null }>(
    'select daily, monthly from spending_limits where account_id = $1',
    [accountId],
  );
  return rows[0] ?? noLimits;
}

export async function writeLimits(
  sql: Sql,
  accountId: string,
  limits: Limits,
  now: string,
): Promise<void> {
  await sql.query(
    `insert into spending_limits (account_id, daily, monthly, updated_at) values ($1, $2, $3, $4)
     on conflict (account_id) do update set daily = $2, monthly = $3, updated_at = $4`,
    [accountId, limits.daily, limits.monthly, now],
  );
}

const startOfUtcDay = (iso: string): string => `${iso.slice(0, 10)}T00:00:00.000Z`;
const startOfUtcMonth = (iso: string): string => `${iso.slice(0, 7)}-01T00:00:00.000Z`;
const startOfNextUtcMonth = (iso: string): string => {
  const d = new Date(startOfUtcMonth(iso));
  d.setUTCMonth(d.getUTCMonth() + 1);
  return d.toISOString();
};

interface Usage {
  daily: number;
  monthly: number;
}

const TAKING = ['hold', 'capture', 'release', 'spend', 'reserve', 'unreserve'] as const;

/** Credits taken today and this month, from the stored entries and this write's own. */
export async function usageAt(sql: Sql, ctx: Pick<WriteContext, 'accountId' | 'now' | 'appended'>) {
  const monthStart = startOfUtcMonth(ctx.now);
  const dayStart = startOfUtcDay(ctx.now);
  const { rows } = await sql.query<{ body: string }>(
    `select body from entries where account_id = $1 and at >= $2 and type in (${TAKING.map((t) => `'${t}'`).join(', ')}) order by seq`,
    [ctx.accountId, monthStart],
  );
  const bodies: EntryBody[] = rows.map((r) => JSON.parse(r.body) as EntryBody);
  for (const e of ctx.appended()) bodies.push(e.data);
  return tally(bodies, dayStart);
}

/** Sums what each taking entry made in the period still takes (see the comment above). */
function tally(bodies: readonly EntryBody[], dayStart: string): Usage {
  const usage: Usage = { daily: 0, monthly: 0 };
  // What each hold or reserve made in the period still counts, and whether it was today.
  const open = new Map<string, { amount: number; today: boolean }>();
  const add = (n: number, today: boolean) => {
    usage.monthly += n;
    if (today) usage.daily += n;
  };
  for (const e of bodies) {
    const today = e.at >= dayStart;
    switch (e.type) {
      case 'hold':
        open.set(e.holdId, { amount: e.amount, today });
        add(e.amount, today);
        break;
      case 'reserve':
        open.set(e.allowanceId, { amount: e.amount, today });
        add(e.amount, today);
        break;
      case 'spend':
        if (e.purpose.kind !== 'revoke') add(e.amount, today);
        break;
      case 'capture': {
        const hold = open.get(e.holdId);
        if (hold) add(e.amount - hold.amount, hold.today);
        break;
      }
      case 'release':
      case 'unreserve': {
        const ref = open.get(e.type === 'release' ? e.holdId : e.allowanceId);
        if (ref) add(-e.amount, ref.today);
        break;
      }
      default:
        break;
    }
  }
  return usage;
}

/** The limits and usage as the API shows them. */
export function limitsView(limits: Limits, usage: Usage, now: string): SpendingLimitsResponse {
  return {
    daily: { limit: limits.daily, used: Math.max(0, usage.daily), resetsAt: endOfUtcDay(now) },
    monthly: {
      limit: limits.monthly,
      used: Math.max(0, usage.monthly),
      resetsAt: startOfNextUtcMonth(now),
    },
  };
}

/** How much more may be taken now: Infinity when no limit is set. */
function headroom(limits: Limits, usage: Usage): { daily: number; monthly: number } {
  return {
    daily: limits.daily === null ? Infinity : Math.max(0, limits.daily - usage.daily),
    monthly: limits.monthly === null ? Infinity : Math.max(0, limits.monthly - usage.monthly),
  };
}

const creditsText = (n: number): string => `${n} ${n === 1 ? 'credit' : 'credits'}`;
const when = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

function refusal(
  period: 'daily' | 'monthly',
  limit: number,
  used: number,
  requested: number,
  resetsAt: string,
): HttpError {
  const word = period === 'daily' ? 'today' : 'this month';
  return new HttpError(
    403,
    'spending-limit',
    `Your ${period} spending limit is ${creditsText(limit)}: ${used} used ${word}, this needs ${requested}. It resets at ${when(resetsAt)}.`,
    { period, limit, used, requested, resetsAt },
  );
}

/**
 * Refuses (403 `spending-limit`, naming the reset time) a take of `amount` that would pass a
 * limit. Call inside the ledger write, before appending the taking entry.
 */
export async function enforceSpendingLimits(ctx: WriteContext, amount: number): Promise<void> {
  // The usage comes from entries the head vouches for; the limits a write used are checked
  // again under the row lock when it is stored (docs/architecture.md §2).
  const limits = await ctx.spendingLimits();
  if (limits.daily === null && limits.monthly === null) return;
  const usage = await usageAt(ctx.read, ctx);
  const view = limitsView(limits, usage, ctx.now);
  if (limits.daily !== null && usage.daily + amount > limits.daily)
    throw refusal('daily', limits.daily, view.daily.used, amount, view.daily.resetsAt);
  if (limits.monthly !== null && usage.monthly + amount > limits.monthly)
    throw refusal('monthly', limits.monthly, view.monthly.used, amount, view.monthly.resetsAt);
}

/**
 * An offline allowance takes at most what the limits still leave (its whole reserve counts on
 * the day it is taken, so offline spending can never pass them); refused when nothing is left.
 */
export async function capToSpendingLimits(ctx: WriteContext, amount: number): Promise<number> {
  const limits = await ctx.spendingLimits();
  if (limits.daily === null && limits.monthly === null) return amount;
  const usage = await usageAt(ctx.read, ctx);
  const room = headroom(limits, usage);
  const capped = Math.min(amount, room.daily, room.monthly);
  if (capped >= 1) return capped;
  const view = limitsView(limits, usage, ctx.now);
  if (room.daily < 1 && limits.daily !== null)
    throw refusal('daily', limits.daily, view.daily.used, amount, view.daily.resetsAt);
  throw refusal('monthly', limits.monthly ?? 0, view.monthly.used, amount, view.monthly.resetsAt);
}
