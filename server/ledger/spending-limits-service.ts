import type { SpendingLimitsResponse } from '../../shared/api/limits';
import type { LedgerService } from './ledger-service';
import { type Limits, limitsView, readLimits, usageAt, writeLimits } from './spending-limits';

/**
 * Reads and sets a user's spending limits (docs/architecture.md §2). Both run as ledger writes
 * without an entry of their own, so they take the account lock: a limit set while a hold is
 * being made applies to that hold or to the next, never to neither.
 */
export class SpendingLimitsService {
  constructor(private readonly ledger: LedgerService) {}

  async get(accountId: string): Promise<SpendingLimitsResponse> {
    const r = await this.ledger.write(accountId, null, async (ctx) => ({
      status: 200,
      body: limitsView(await readLimits(ctx.tx, accountId), await usageAt(ctx.tx, ctx), ctx.now),
    }));
    return r.body;
  }

  async set(accountId: string, limits: Limits): Promise<SpendingLimitsResponse> {
    const r = await this.ledger.write(accountId, null, async (ctx) => {
      await writeLimits(ctx.tx, accountId, limits, ctx.now);
      return { status: 200, body: limitsView(limits, await usageAt(ctx.tx, ctx), ctx.now) };
    });
    return r.body;
  }
}
