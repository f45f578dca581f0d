import type { Mutation, PushResponse } from '../../shared/api/ledger';
import type { Database } from '../db/database';
import { HttpError, notFound } from '../http/errors';
import { type VoucherPurposeCheck, returnInto, settleInto } from './allowance-service';
import type { LedgerService } from './ledger-service';
import { dislikeInto } from './refund-service';

type Result = PushResponse['results'][number];

/**
 * Device mutations (docs/architecture.md §4): each device numbers its mutations 1, 2, 3…; the server
 * applies only `last + 1`, answers replays with their first result, and records a permanent
 * refusal as a rejection entry so the device's queue never jams.
 */
export class MutationService {
  constructor(
    private readonly db: Database,
    private readonly ledger: LedgerService,
    private readonly checkVoucher: VoucherPurposeCheck,
    private readonly refundWindowHours: () => Promise<number>,
  ) {}

  async push(accountId: string, deviceId: string, mutations: Mutation[]): Promise<PushResponse> {
    const results: Result[] = [];
    const windowHours = await this.refundWindowHours();
    for (const m of [...mutations].sort((a, b) => a.mutationSeq - b.mutationSeq)) {
      const last = await this.lastSeq(accountId, deviceId);
      if (m.mutationSeq <= last) {
        const { rows } = await this.db.query<{ result: string }>(
          'select result from mutation_log where device_id = $1 and mutation_seq = $2',
          [deviceId, m.mutationSeq],
        );
        results.push({
          ...(rows[0]
            ? (JSON.parse(rows[0].result) as Result)
            : { mutationSeq: m.mutationSeq, status: 'applied' }),
          status: 'replayed',
        });
        continue;
      }
      if (m.mutationSeq > last + 1) {
        results.push({
          mutationSeq: m.mutationSeq,
          status: 'skipped',
          message: `waiting for mutation ${last + 1}`,
        });
        continue;
      }
      results.push(await this.applyOne(accountId, deviceId, m, windowHours));
    }
    return { lastMutationSeq: await this.lastSeq(accountId, deviceId), results };
  }

  private async lastSeq(accountId: string, deviceId: string): Promise<number> {
    const { rows } = await this.db.query<{ last_mutation_seq: number }>(
      'select last_mutation_seq from devices where id = $1 and account_id = $2',
      [deviceId, accountId],
    );
    const row = rows[0];
    if (!row) throw notFound('device');
    return row.last_mutation_seq;
  }

  private async applyOne(
    accountId: string,
    deviceId: string,
    m: Mutation,
    windowHours: number,
  ): Promise<Result> {
    const advance = async (ctx: { tx: { query: Database['query'] } }, result: Result) => {
      await ctx.tx.query(
        'update devices set last_mutation_seq = $3 where id = $1 and account_id = $2 and last_mutation_seq = $4',
        [deviceId, accountId, m.mutationSeq, m.mutationSeq - 1],
      );
      await ctx.tx.query(
        'insert into mutation_log (device_id, mutation_seq, operation_id, result) values ($1, $2, $3, $4)',
        [deviceId, m.mutationSeq, m.operationId, JSON.stringify(result)],
      );
    };
    try {
      const { body } = await this.ledger.write(
        accountId,
        { operationId: m.operationId, request: { what: 'mutation', deviceId, ...m } },
        async (ctx) => {
          let result: Result;
          switch (m.op.type) {
            case 'settle-vouchers': {
              const vouchers = await settleInto(
                ctx,
                m.op.allowanceId,
                m.op.vouchers,
                m.mutationSeq,
                this.checkVoucher,
              );
              result = { mutationSeq: m.mutationSeq, status: 'applied', vouchers };
              break;
            }
            case 'return-allowance':
              await returnInto(ctx, m.op.allowanceId, m.operationId);
              result = { mutationSeq: m.mutationSeq, status: 'applied' };
              break;
            case 'dislike': {
              const r = await dislikeInto(
                ctx,
                m.op.itemId,
                m.operationId,
                windowHours,
                this.ledger.config.refundBucketTtlMs,
              );
              result = {
                mutationSeq: m.mutationSeq,
                status: 'applied',
                message: `${r.body.credits} credits back`,
              };
              break;
            }
          }
          await advance(ctx, result);
          return { status: 200, body: result };
        },
      );
      return body;
    } catch (error) {
      if (!(error instanceof HttpError) || error.status >= 500) throw error; // transient: the device retries
      // A permanent refusal: record it on the ledger and move the device past it.
      const result: Result = {
        mutationSeq: m.mutationSeq,
        status: 'rejected',
        message: error.message,
      };
      await this.ledger.write(
        accountId,
        {
          operationId: `reject:${m.operationId}`.slice(0, 128),
          request: { deviceId, mutationSeq: m.mutationSeq },
        },
        async (ctx) => {
          ctx.append({
            type: 'rejection',
            operationId: `reject:${m.operationId}`.slice(0, 128),
            deviceId,
            mutationSeq: m.mutationSeq,
            code: error.code,
            message: error.message.slice(0, 500),
          });
          await advance(ctx, result);
          return { status: 200, body: result };
        },
      );
      return result;
    }
  }
}
