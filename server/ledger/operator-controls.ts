import type { BucketSpec } from '../../shared/ledger/entry';
import type { BucketView } from '../../shared/wallet/types';
import type { Database } from '../db/database';
import { badRequest, notFound } from '../http/errors';
import type { LedgerService } from './ledger-service';

/**
 * Operator controls (docs/architecture.md §2): a grant's start date and expiry are checked
 * against the write's own time, a bucket's expiry moves by a signed `adjust-expiry` entry, and
 * every refusal is an HttpError thrown before anything is appended, so the write stores nothing.
 */

/** The bucket's start (`startsAt`, or now) after checking it and the expiry against now. */
export function checkGrantTimes(now: string, startsAt: string | null, expiresAt: string | null) {
  if (startsAt !== null && startsAt < now)
    throw badRequest('start-in-past', `the start ${startsAt} is in the past (now ${now})`);
  const effectiveAt = startsAt ?? now;
  if (expiresAt !== null && expiresAt <= now)
    throw badRequest('expiry-in-past', `the expiry ${expiresAt} is not in the future (now ${now})`);
  if (expiresAt !== null && expiresAt <= effectiveAt)
    throw badRequest(
      'expiry-before-start',
      `the expiry ${expiresAt} is not after the start ${effectiveAt}`,
    );
  return effectiveAt;
}

export interface ExpiryAdjustment {
  operationId: string;
  bucketId: string;
  /** null: never expires. */
  expiresAt: string | null;
  operator: string;
  reason: string;
}

/** Moves a bucket's expiry, later or earlier, as one signed entry. */
export async function adjustExpiry(
  ledger: LedgerService,
  accountId: string,
  req: ExpiryAdjustment,
) {
  return ledger.write(
    accountId,
    { operationId: req.operationId, request: { op: 'adjust-expiry', ...req } },
    async (ctx) => {
      const spec: BucketSpec =
        ctx.fold.bucketSpec(req.bucketId) ??
        throwIt(notFound(`bucket ${req.bucketId} of account ${accountId}`));
      const was = spec.expiresAt;
      if (was !== null && was <= ctx.now)
        throw badRequest(
          'bucket-expired',
          `bucket ${req.bucketId} expired at ${was}: an expired bucket's credits are gone and its expiry cannot move`,
        );
      if (req.expiresAt === was)
        throw badRequest(
          'expiry-unchanged',
          `bucket ${req.bucketId} already expires ${was === null ? 'never' : `at ${was}`}`,
        );
      if (req.expiresAt !== null && req.expiresAt <= ctx.now)
        throw badRequest(
          'expiry-in-past',
          `the new expiry ${req.expiresAt} is not in the future (now ${ctx.now})`,
        );
      if (req.expiresAt !== null && req.expiresAt <= spec.effectiveAt)
        throw badRequest(
          'expiry-before-start',
          `the new expiry ${req.expiresAt} is not after the bucket's start ${spec.effectiveAt}`,
        );
      const entry = ctx.append({
        type: 'adjust-expiry',
        operationId: req.operationId,
        bucketId: req.bucketId,
        kind: spec.kind,
        previousExpiresAt: was,
        expiresAt: req.expiresAt,
        operator: req.operator,
        reason: req.reason,
      });
      return {
        status: 201,
        body: { seq: entry.seq, hash: entry.hash, previousExpiresAt: was },
      };
    },
  );
}

/**
 * The account whose ledger created `bucketId`, for `adjust-expiry` without `--account`. Bucket
 * ids are random except daily ones (`daily-<date>`), which every account has: those need the
 * account named.
 */
export async function accountOfBucket(db: Database, bucketId: string): Promise<string> {
  const needle = `%"bucketId":"${bucketId.replace(/[\\_%]/g, (c) => `\\${c}`)}"%`;
  const { rows } = await db.query<{ account_id: string }>(
    `select distinct account_id from entries
      where type in ('grant', 'purchase', 'refund') and body like $1 escape '\\' limit 2`,
    [needle],
  );
  if (rows.length === 0) throw notFound(`bucket ${bucketId}`);
  if (rows.length > 1)
    throw badRequest(
      'bucket-ambiguous',
      `bucket ${bucketId} exists in several accounts: name one with --account`,
    );
  return rows[0]?.account_id ?? '';
}

/** Every bucket with credits left, live or not yet started, in spending order first. */
export async function bucketsOf(ledger: LedgerService, accountId: string): Promise<BucketView[]> {
  return (await ledger.wallet(accountId)).buckets;
}

function throwIt(error: Error): never {
  throw error;
}
