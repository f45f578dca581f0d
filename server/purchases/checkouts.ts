import { randomBytes } from 'node:crypto';
import type {
  Catalog,
  CheckoutStatusResponse,
  CreateCheckoutRequest,
  CreateCheckoutResponse,
  PaymentProviderName,
} from '../../shared/api/purchases';
import { plusMs } from '../clock';
import { isUniqueViolation } from '../db/database';
import { HttpError, badRequest, conflict, notFound } from '../http/errors';
import type { Services } from '../services';
import { findItem, isPurchasable } from './catalog';
import type { Logger } from '../../shared/log/logger';
import { type CheckoutRow, itemOf, purchaseStore as store } from './store';
import type { SessionExtras, StripeGateway } from './stripe-gateway';

export interface CheckoutUrls {
  /** Where the browser goes after paying / cancelling (pages of this server). */
  success(checkoutId: string): string;
  cancel(checkoutId: string): string;
  /** The sandbox page; `key` is known only to the buyer who started the checkout. */
  sandbox(checkoutId: string, key: string): string;
}

/** Starting checkouts (idempotent per operation id) and telling the app how they stand. */
export class Checkouts {
  /** The customer and card saving a Stripe session gets (receipts and auto top-up, §7). */
  sessionExtras: ((row: CheckoutRow) => Promise<SessionExtras>) | null = null;

  constructor(
    private readonly services: Services,
    private readonly catalog: Catalog,
    private readonly provider: PaymentProviderName | null,
    private readonly stripe: StripeGateway | null,
    private readonly urls: CheckoutUrls,
    private readonly ttlMs: number,
    private readonly log: Logger,
  ) {}

  async create(
    accountId: string,
    req: CreateCheckoutRequest,
  ): Promise<{ status: number; body: CreateCheckoutResponse }> {
    const provider = this.provider;
    if (!provider)
      throw new HttpError(503, 'purchases-unavailable', 'purchases are turned off on this server');
    const item = findItem(this.catalog, req.itemId);
    if (!item) throw new HttpError(404, 'unknown-item', `the catalog has no item ${req.itemId}`);
    if (!isPurchasable(item))
      throw badRequest('not-purchasable', `${item.title} is free: every account has it`);
    const db = this.services.db;
    if (req.operationId) {
      const existing = await store.checkoutByOperation(db, accountId, req.operationId);
      if (existing) return this.resume(existing, req);
    }
    if (item.type === 'plan') {
      const [active] = await store.activeSubscriptions(db, accountId);
      if (active)
        throw conflict(
          'already-subscribed',
          `this account already has the ${active.plan_id} plan: cancel it before starting another`,
        );
    }
    const now = this.services.clock.now();
    const id = `chk_${randomBytes(16).toString('hex')}`;
    const row: CheckoutRow = {
      id,
      account_id: accountId,
      operation_id: req.operationId ?? null,
      provider,
      provider_session_id: provider === 'sandbox' ? id : null,
      item_id: item.itemId,
      item_type: item.type,
      item: JSON.stringify(item),
      amount_cents: item.priceCents,
      currency: item.currency,
      status: provider === 'sandbox' ? 'open' : 'creating',
      status_reason: null,
      // The sandbox's page answers only with this key, which only the buyer's session receives.
      url:
        provider === 'sandbox'
          ? this.urls.sandbox(id, randomBytes(24).toString('base64url'))
          : null,
      payment_ref: null,
      subscription_ref: null,
      purchase_id: null,
      created_at: now,
      updated_at: now,
      expires_at: plusMs(now, this.ttlMs),
    };
    try {
      await store.insertCheckout(db, row);
    } catch (error) {
      // The same operation id, created concurrently: answer with that checkout.
      if (!isUniqueViolation(error) || !req.operationId) throw error;
      const existing = await store.checkoutByOperation(db, accountId, req.operationId);
      if (!existing) throw error;
      return this.resume(existing, req);
    }
    return { status: 201, body: await this.opened(row) };
  }

  async status(accountId: string, checkoutId: string): Promise<CheckoutStatusResponse> {
    const db = this.services.db;
    const row = await store.checkout(db, checkoutId);
    // Another account's checkout is "not found": never confirm that it exists.
    if (!row || row.account_id !== accountId) throw notFound('checkout');
    const fulfilment = row.purchase_id ? await store.fulfilment(db, row.purchase_id) : null;
    const lapsed =
      (row.status === 'open' || row.status === 'creating') &&
      this.services.clock.now() >= row.expires_at;
    return {
      sessionId: row.id,
      provider: row.provider,
      itemId: row.item_id,
      status: lapsed ? 'expired' : row.status,
      purchaseId: row.purchase_id,
      seq: fulfilment?.seq ?? null,
      reversed: row.purchase_id ? await store.isPurchaseReversed(db, row.purchase_id) : false,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
    };
  }

  /** A replayed creation: the same checkout, finishing the provider call if it never returned. */
  private async resume(
    row: CheckoutRow,
    req: CreateCheckoutRequest,
  ): Promise<{ status: number; body: CreateCheckoutResponse }> {
    if (row.item_id !== req.itemId)
      throw conflict(
        'operation-id-reused',
        `operation ${req.operationId ?? ''} was already used for ${row.item_id}`,
      );
    return { status: 200, body: await this.opened(row) };
  }

  private async opened(row: CheckoutRow): Promise<CreateCheckoutResponse> {
    let { url, expires_at: expiresAt, status } = row;
    if (row.provider === 'stripe' && (status === 'creating' || url === null)) {
      const stripe = this.stripe;
      if (!stripe)
        throw new HttpError(503, 'purchases-unavailable', 'Stripe is not configured any more');
      try {
        const extras = (await this.sessionExtras?.(row)) ?? {};
        const session = await stripe.createSession(
          row,
          itemOf(row),
          { success: this.urls.success(row.id), cancel: this.urls.cancel(row.id) },
          extras,
        );
        await store.setProviderSession(
          this.services.db,
          row.id,
          session.id,
          session.url,
          session.expiresAt,
          this.services.clock.now(),
        );
        ({ url, expiresAt } = session);
        status = 'open';
      } catch (error) {
        this.log.error(
          { checkoutId: row.id, err: error },
          'stripe checkout session could not be created',
        );
        throw new HttpError(
          502,
          'payment-provider-unavailable',
          'the payment provider could not be reached: try again',
        );
      }
    }
    if (url === null) throw new Error(`checkout ${row.id} has no url`);
    return { sessionId: row.id, provider: row.provider, url, status, expiresAt };
  }
}
