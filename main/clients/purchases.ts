import { randomUUID } from 'node:crypto';
import { AccountResponse } from '../../shared/api/auth';
import {
  CatalogResponse,
  type CheckoutStatusResponse,
  CheckoutStatusResponse as CheckoutStatusSchema,
  CreateCheckoutResponse,
} from '../../shared/api/purchases';
import type { PurchaseStatus, StoreCatalog } from '../../shared/ipc/types';
import type { HttpClient } from './http';

/** The server's checkout state, as the app shows it: credited once the ledger entry exists. */
const statusOf = (r: CheckoutStatusResponse): PurchaseStatus['status'] => {
  switch (r.status) {
    case 'complete':
      return r.seq !== null ? 'credited' : 'paid';
    case 'canceled':
    case 'expired':
      return 'cancelled';
    case 'failed':
    case 'refused':
      return 'failed';
    default:
      return 'pending';
  }
};

const messageOf = (r: CheckoutStatusResponse): string | null =>
  r.reversed
    ? 'This payment was refunded or disputed, so its credits were taken back.'
    : r.status === 'refused'
      ? 'The payment did not match the catalog and was not credited.'
      : null;

/** The server's catalog, shaped for the Store screen. */
function storeCatalogOf(c: CatalogResponse): StoreCatalog {
  const packs: StoreCatalog['packs'] = [];
  const plans: StoreCatalog['plans'] = [];
  for (const item of c.items) {
    if (item.type === 'pack') {
      packs.push({
        itemId: item.itemId,
        title: item.title,
        credits: item.credits,
        bonusCredits: item.bonusCredits,
        priceCents: item.priceCents,
        currency: item.currency,
        expiresInDays: item.expiresAfterDays,
      });
    } else {
      plans.push({
        itemId: item.itemId,
        title: item.title,
        monthlyCredits: item.monthlyCredits,
        priceCents: item.priceCents,
        currency: item.currency,
        dailyCredits: item.dailyCredits,
        expiresInDays: item.expiresAfterDays,
        rolloverCap: item.rolloverCap,
      });
    }
  }
  return { packs, plans, provider: c.provider ?? 'sandbox' };
}

export interface PurchasesDeps {
  http: HttpClient;
  openExternal: (url: string) => Promise<boolean>;
  onUpdate: (status: PurchaseStatus) => void;
  /** The purchase entry may have arrived: tell the renderer to pull. */
  onCredited: () => Promise<void>;
  pollMs?: number;
  /** How long to keep checking before saying the purchase has not arrived. */
  giveUpMs?: number;
}

/**
 * Checkout in the system browser (docs/architecture.md §7): the server makes a checkout session, we
 * open it, then keep checking until the purchase is credited. The `easel://` return link is
 * only a hint to check now.
 */
export class PurchasesClient {
  private readonly watching = new Map<string, { timer: NodeJS.Timeout; until: number }>();

  constructor(private readonly deps: PurchasesDeps) {}

  /** The catalog, with the account's current plan and its renewal date when the server says. */
  async catalog(): Promise<StoreCatalog> {
    const [catalog, account] = await Promise.all([
      this.deps.http.json('GET', '/v1/catalog', { schema: CatalogResponse }),
      // The plan mark is extra: without it the Store still sells.
      this.deps.http.json('GET', '/v1/account', { schema: AccountResponse }).catch(() => null),
    ]);
    return {
      ...storeCatalogOf(catalog),
      currentPlan: account ? { itemId: account.plan, renewsAt: account.planRenewsAt } : null,
    };
  }

  async startCheckout(itemId: string): Promise<PurchaseStatus> {
    const res = await this.deps.http.json('POST', '/v1/purchases/checkout', {
      schema: CreateCheckoutResponse,
      body: { itemId, operationId: `checkout-${randomUUID()}` },
    });
    // electronegativity-ignore: OPEN_EXTERNAL_JS_CHECK — deps.openExternal is app-core's guarded opener (isAllowedExternalUrl)
    const opened = await this.deps.openExternal(res.url);
    const status: PurchaseStatus = {
      sessionId: res.sessionId,
      status: 'pending',
      message: opened ? 'Complete the payment in your browser.' : null,
      // Not opened (browser mode): the renderer opens it in a tab; either way it stays a link.
      checkoutUrl: res.url,
      opened,
    };
    this.watch(res.sessionId);
    this.deps.onUpdate(status);
    return status;
  }

  async status(sessionId: string): Promise<PurchaseStatus> {
    const res = await this.deps.http.json('GET', `/v1/purchases/${encodeURIComponent(sessionId)}`, {
      schema: CheckoutStatusSchema,
    });
    return { sessionId: res.sessionId, status: statusOf(res), message: messageOf(res) };
  }

  /** The `easel://purchase/…` return link: check at once. */
  async handleReturn(sessionId: string | null): Promise<void> {
    const ids = sessionId ? [sessionId] : [...this.watching.keys()];
    if (sessionId && !this.watching.has(sessionId)) this.watch(sessionId);
    await Promise.all(ids.map((id) => this.check(id)));
    await this.deps.onCredited();
  }

  private watch(sessionId: string): void {
    if (this.watching.has(sessionId)) return;
    const timer = setInterval(() => void this.check(sessionId), this.deps.pollMs ?? 2000);
    timer.unref();
    this.watching.set(sessionId, { timer, until: Date.now() + (this.deps.giveUpMs ?? 180_000) });
  }

  private async check(sessionId: string): Promise<void> {
    const w = this.watching.get(sessionId);
    if (!w) return;
    let status: PurchaseStatus;
    try {
      status = await this.status(sessionId);
    } catch {
      status = { sessionId, status: 'pending', message: 'Waiting for the server…' };
    }
    if (status.status === 'credited') await this.deps.onCredited();
    if (status.status === 'pending' || status.status === 'paid') {
      if (Date.now() < w.until) return;
      status = {
        sessionId,
        status: 'timed-out',
        message:
          'The purchase has not reached your wallet after a few minutes. If you paid, it will appear once the payment provider confirms it; nothing is charged twice.',
      };
    }
    this.stop(sessionId);
    this.deps.onUpdate(status);
  }

  private stop(sessionId: string): void {
    const w = this.watching.get(sessionId);
    if (w) clearInterval(w.timer);
    this.watching.delete(sessionId);
  }

  close(): void {
    for (const id of [...this.watching.keys()]) this.stop(id);
  }
}
