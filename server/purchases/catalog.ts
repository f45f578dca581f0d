import { Catalog, type CatalogItem } from '../../shared/api/purchases';

/**
 * The default catalog, priced like the platforms Easel learns from: packs of 100 / 200 / 500 /
 * 1,000 credits, a top-up with bonus credits, and the Free, Pro and Max plans. Credits expire 30
 * days after they are credited. Override it with a validated JSON file (EASEL_CATALOG_FILE).
 */
export const defaultCatalogData = {
  version: 1,
  items: [
    pack('pack-100', '100 credits', 100, 990),
    pack('pack-200', '200 credits', 200, 1490),
    pack('pack-500', '500 credits', 500, 3990),
    pack('pack-1000', '1,000 credits', 1000, 6990),
    {
      ...pack('topup-2000', '2,000 credits + 300 bonus', 2000, 12990),
      bonusCredits: 300,
      description: 'The bonus credits come in their own free bucket, spent first.',
    },
    {
      type: 'plan',
      itemId: 'free',
      title: 'Free',
      description: 'Free credits every day.',
      interval: 'month',
      monthlyCredits: 0,
      dailyCredits: 20,
      priceCents: 0,
      currency: 'usd',
      expiresAfterDays: 1,
    },
    plan('pro', 'Pro', 1000, 990),
    plan('max', 'Max', 3000, 2590),
  ],
};

function pack(itemId: string, title: string, credits: number, priceCents: number) {
  return {
    type: 'pack',
    itemId,
    title,
    credits,
    bonusCredits: 0,
    priceCents,
    currency: 'usd',
    expiresAfterDays: 30,
  };
}

function plan(itemId: string, title: string, monthlyCredits: number, priceCents: number) {
  return {
    type: 'plan',
    itemId,
    title,
    description: `${monthlyCredits.toLocaleString('en-US')} credits each month, each month's credits last 30 days.`,
    interval: 'month',
    monthlyCredits,
    dailyCredits: 0,
    priceCents,
    currency: 'usd',
    expiresAfterDays: 30,
  };
}

/** Validates catalog data; a bad catalog stops the start with the first problem named. */
export function parseCatalog(data: unknown): Catalog {
  const r = Catalog.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(
      `catalog: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`.replace(': :', ':'),
    );
  }
  return r.data;
}

/** Whether an item can be bought (the free plan cannot). */
export const isPurchasable = (item: CatalogItem): boolean => item.priceCents > 0;

/**
 * Free daily credits per plan, for the ledger's `dailyCreditsByPlan` (createServices' ledger
 * config), so the daily grant follows the catalog.
 */
function dailyCreditsByPlan(catalog: Catalog): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of catalog.items) if (item.type === 'plan') out[item.itemId] = item.dailyCredits;
  return out;
}

/**
 * A free plan's monthly credits (price 0, `monthlyCredits` > 0): granted once per UTC calendar
 * month by the ledger, lasting the plan's `expiresAfterDays` (docs/architecture.md §2). Paid
 * plans get theirs from each paid month instead.
 */
function monthlyCreditsByPlan(
  catalog: Catalog,
): Record<string, { credits: number; expiresAfterDays: number }> {
  const out: Record<string, { credits: number; expiresAfterDays: number }> = {};
  for (const item of catalog.items)
    if (item.type === 'plan' && item.priceCents === 0 && item.monthlyCredits > 0)
      out[item.itemId] = { credits: item.monthlyCredits, expiresAfterDays: item.expiresAfterDays };
  return out;
}

/** The ledger's free grants (daily and monthly, per plan) as the catalog sets them. */
export function ledgerGrants(catalog: Catalog) {
  return {
    dailyCreditsByPlan: dailyCreditsByPlan(catalog),
    monthlyCreditsByPlan: monthlyCreditsByPlan(catalog),
  };
}

export function findItem(catalog: Catalog, itemId: string): CatalogItem | undefined {
  return catalog.items.find((i) => i.itemId === itemId);
}
