import { randomUUID } from 'node:crypto';
import type { NewPromoCode, RedeemPromoResponse } from '../../shared/api/promo';
import { DAY, plusMs } from '../clock';
import type { Database } from '../db/database';
import { HttpError, conflict } from '../http/errors';
import { type LedgerService, priorityOf } from './ledger-service';

interface PromoRow {
  code: string;
  credits: number;
  kind: string;
  redeem_by: string | null;
  max_redemptions: number;
  redeemed: number;
  valid_days: number | null;
}

/**
 * Promo codes (docs/architecture.md §2): an operator makes a code; an account redeems it once,
 * as a signed `grant` of a `promo` bucket. The redemption, the count and the grant are one
 * ledger write; the count goes up only while it is below the maximum, in one statement that
 * locks the code's row, so concurrent redemptions on any number of instances never pass it.
 */
export class PromoService {
  constructor(
    private readonly db: Database,
    private readonly ledger: LedgerService,
  ) {}

  async create(code: NewPromoCode, now: string): Promise<void> {
    const { rows } = await this.db.query(
      `insert into promo_codes (code, credits, kind, redeem_by, max_redemptions, valid_days, created_at, created_by)
       values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (code) do nothing returning code`,
      [
        code.code,
        code.credits,
        code.kind,
        code.redeemBy,
        code.maxRedemptions,
        code.validDays,
        now,
        code.operator,
      ],
    );
    if (rows.length === 0) throw conflict('promo-exists', `promo code ${code.code} already exists`);
  }

  async redeem(
    accountId: string,
    req: { operationId: string; code: string },
  ): Promise<{ status: number; body: RedeemPromoResponse }> {
    const r = await this.ledger.write(
      accountId,
      { operationId: req.operationId, request: { op: 'promo', code: req.code } },
      async (ctx) => {
        const { rows } = await ctx.tx.query<PromoRow>(
          'select code, credits, kind, redeem_by, max_redemptions, redeemed, valid_days from promo_codes where code = $1',
          [req.code],
        );
        const promo = rows[0];
        if (!promo)
          throw new HttpError(404, 'promo-not-found', `There is no promo code ${req.code}.`);
        if (promo.redeem_by !== null && ctx.now > promo.redeem_by)
          throw conflict(
            'promo-expired',
            `Promo code ${promo.code} could be redeemed until ${promo.redeem_by.slice(0, 10)}.`,
          );
        const used = await ctx.tx.query(
          'select 1 from promo_redemptions where code = $1 and account_id = $2',
          [promo.code, accountId],
        );
        if (used.rows.length > 0)
          throw conflict(
            'promo-already-redeemed',
            `You have already redeemed promo code ${promo.code}.`,
          );
        // The guard: counts only while below the maximum, under the code row's lock.
        const counted = await ctx.tx.query(
          'update promo_codes set redeemed = redeemed + 1 where code = $1 and redeemed < max_redemptions returning redeemed',
          [promo.code],
        );
        if (counted.rows.length === 0)
          throw conflict(
            'promo-exhausted',
            `Promo code ${promo.code} has been redeemed as often as it may be.`,
          );
        const expiresAt =
          promo.valid_days === null ? null : plusMs(ctx.now, promo.valid_days * DAY);
        const entry = ctx.append({
          type: 'grant',
          operationId: req.operationId,
          reason: `promo code ${promo.code}`,
          bucket: {
            bucketId: `b_${randomUUID()}`,
            kind: promo.kind,
            source: 'promo',
            amount: promo.credits,
            costBasisCents: 0,
            effectiveAt: ctx.now,
            expiresAt,
            priority: priorityOf('promo'),
          },
        });
        await ctx.tx.query(
          'insert into promo_redemptions (code, account_id, seq, at) values ($1, $2, $3, $4)',
          [promo.code, accountId, entry.seq, ctx.now],
        );
        return {
          status: 201,
          body: {
            code: promo.code,
            credits: promo.credits,
            kind: promo.kind,
            seq: entry.seq,
            expiresAt,
          },
        };
      },
    );
    return { status: r.status, body: r.body };
  }
}
