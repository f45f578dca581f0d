import type { PaymentProviderName } from '../../shared/api/purchases';
import { planReversal } from '../../shared/wallet/plan';
import type { WriteContext } from '../ledger/ledger-service';
import type { Services } from '../services';
import type { Logger } from '../../shared/log/logger';
import { HttpError } from '../http/errors';
import { type FulfilmentRow, type ProviderReversal, purchaseStore as store } from './store';

/**
 * Takes back what a payment credited (the only way a balance goes below zero). Remembered first,
 * under the payment's lock, so that a refund arriving before the completion it refunds is applied
 * by that completion (see applyPendingReversals) instead of being lost.
 */
export async function reversePayment(
  services: Services,
  log: Logger,
  rev: ProviderReversal,
): Promise<string> {
  const now = services.clock.now();
  const targets = await services.db.transaction(async (tx) => {
    await store.lockPayment(tx, rev.provider, rev.paymentRef);
    await store.rememberReversal(tx, { ...rev, now });
    return store.fulfilmentsByPayment(tx, rev.provider, rev.paymentRef);
  });
  if (targets.length === 0) {
    log.info(
      { provider: rev.provider, ref: rev.ref, paymentRef: rev.paymentRef },
      'refund or dispute before its payment was credited: remembered',
    );
    return 'remembered';
  }
  const byAccount = new Map<string, FulfilmentRow[]>();
  for (const f of targets) byAccount.set(f.account_id, [...(byAccount.get(f.account_id) ?? []), f]);
  const operationId = reversalOperation(rev.provider, rev.reason, rev.ref);
  let reversed = 0;
  for (const [accountId, fulfilments] of byAccount) {
    const write = (id: string) =>
      services.ledger.write(
        accountId,
        { operationId: id, request: { op: 'reverse', ref: rev.ref, reason: rev.reason } },
        async (ctx) => {
          let entries = 0;
          for (const f of fulfilments) entries += reverseInto(ctx, f.purchase_id, rev.reason, id);
          const first = fulfilments[0];
          if (first)
            await store.markReversalApplied(
              ctx.tx,
              rev.provider,
              rev.ref,
              first.purchase_id,
              ctx.now,
            );
          return { status: 200, body: { entries } };
        },
      );
    let r: Awaited<ReturnType<typeof write>>;
    try {
      r = await write(operationId);
    } catch (error) {
      if (!(error instanceof HttpError && error.code === 'operation-id-reused')) throw error;
      // The id is taken by something else (data from before client ids lost ':'): an operator
      // incident, and the credits are still taken back under a second server id. reverseInto
      // skips what is reversed already, so this is idempotent too (docs/architecture.md §7).
      await store.recordIncident(services.db, {
        provider: rev.provider,
        ref: rev.ref,
        accountId,
        code: 'operation-id-conflict',
        message: `reversal operation ${operationId} was already used for another request`,
        now: services.clock.now(),
      });
      log.error(
        { provider: rev.provider, ref: rev.ref, accountId, operationId },
        'operator incident: reversal operation id already used; reversing under a second id',
      );
      r = await write(`${operationId}:after-conflict`);
    }
    if (!r.replayed) reversed += r.body.entries;
  }
  return reversed > 0 ? 'reversed' : 'already-reversed';
}

/** Refunds and disputes that came before this credit: applied in the same write. */
export async function applyPendingReversals(
  ctx: WriteContext,
  provider: PaymentProviderName,
  paymentRef: string,
  purchaseId: string,
): Promise<boolean> {
  const pending = await store.pendingReversals(ctx.tx, provider, paymentRef);
  for (const p of pending) {
    reverseInto(ctx, purchaseId, p.reason, reversalOperation(provider, p.reason, p.ref));
    await store.markReversalApplied(ctx.tx, provider, p.ref, purchaseId, ctx.now);
  }
  return pending.length > 0;
}

/** One reversal entry per credit kind the purchase granted, unless that kind is reversed already. */
function reverseInto(
  ctx: WriteContext,
  purchaseId: string,
  reason: 'refunded' | 'disputed',
  operationId: string,
): number {
  const buckets = ctx.fold.purchaseBuckets(purchaseId);
  if (!buckets) return 0;
  let appended = 0;
  for (const plan of planReversal(buckets)) {
    if (ctx.fold.isReversed(purchaseId, plan.kind)) continue;
    ctx.append({
      type: 'reversal',
      operationId,
      purchaseId,
      reason,
      kind: plan.kind,
      amount: plan.amount,
      splits: plan.splits,
      shortfall: plan.shortfall,
      forfeited: plan.forfeited,
    });
    appended++;
  }
  return appended;
}

const reversalOperation = (
  provider: PaymentProviderName,
  reason: 'refunded' | 'disputed',
  ref: string,
): string => `${provider}:${reason === 'refunded' ? 'refund' : 'dispute'}:${ref}`;
