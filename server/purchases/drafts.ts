import type { CatalogItem, PaymentProviderName } from '../../shared/api/purchases';
import type { BucketSpec, EntryDraft } from '../../shared/ledger/entry';
import { excerpt } from '../../shared/ledger/summary';
import { DAY, plusMs } from '../clock';
import { priorityOf } from '../ledger/ledger-service';

/**
 * The purchase entry a paid item grants: a pack's paid bucket (cost basis = price) plus, for a
 * top-up, a separate free bonus bucket; a plan month's one bucket. Bucket ids derive from the
 * purchase id, so the same payment always builds the same entry.
 */
export function purchaseDraft(p: {
  purchaseId: string;
  provider: PaymentProviderName;
  paymentRef: string;
  item: CatalogItem;
  priceCents: number;
  currency: string;
  now: string;
}): EntryDraft<'purchase'> {
  const { item, now } = p;
  const expiresAt = plusMs(now, item.expiresAfterDays * DAY);
  const bucket = (
    suffix: string,
    source: BucketSpec['source'],
    amount: number,
    cost: number,
  ): BucketSpec => ({
    bucketId: `${p.purchaseId}:${suffix}`,
    kind: item.creditKind,
    source,
    amount,
    costBasisCents: cost,
    effectiveAt: now,
    expiresAt,
    priority: priorityOf(source),
  });
  const buckets: BucketSpec[] =
    item.type === 'pack'
      ? [
          bucket('pack', 'pack', item.credits, p.priceCents),
          ...(item.bonusCredits > 0 ? [bucket('bonus', 'bonus', item.bonusCredits, 0)] : []),
        ]
      : [bucket('plan', 'plan', item.monthlyCredits, p.priceCents)];
  return {
    type: 'purchase',
    operationId: p.purchaseId,
    purchaseId: p.purchaseId,
    provider: p.provider,
    paymentRef: p.paymentRef,
    itemId: item.itemId,
    priceCents: p.priceCents,
    currency: p.currency,
    // Name and type travel in the signed entry, for History (docs/architecture.md §2).
    ...(excerpt(item.title, 120) ? { itemTitle: excerpt(item.title, 120) } : {}),
    itemType: item.type,
    buckets,
  };
}
