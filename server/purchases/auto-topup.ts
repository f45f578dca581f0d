import { randomBytes } from 'node:crypto';
import type {
  AutoTopupAttempt,
  AutoTopupResponse,
  AutoTopupStatus,
  SetAutoTopupRequest,
} from '../../shared/api/auto-topup';
import type { Catalog, CatalogPack, PaymentProviderName } from '../../shared/api/purchases';
import type { Logger } from '../../shared/log/logger';
import type { Sql } from '../db/database';
import { badRequest } from '../http/errors';
import type { WriteContext } from '../ledger/ledger-service';
import type { Services } from '../services';
import { findItem } from './catalog';
import { customerStore } from './customers';
import type { Fulfilment } from './fulfilment';
import { receiptStore } from './receipts';
import { type CheckoutRow, purchaseStore } from './store';
import type { StripeGateway } from './stripe-gateway';
import {
  AUTH_MESSAGE,
  type StripePaymentIntent,
  chargeOffSession,
  chargeReceiptUrl,
} from './stripe-money';

/** The credit kind whose balance auto top-up and its threshold watch. */
const KIND = 'image';
/** A sandbox card saved with this prefix asks for authentication, like Stripe's 3-D Secure test cards. */
export const SANDBOX_AUTH_CARD = 'sbx_pm_auth_';

interface SettingsRow {
  enabled: boolean;
  threshold: number;
  item_id: string;
  monthly_cap_cents: number;
}

interface TopupRow {
  id: string;
  account_id: string;
  checkout_id: string | null;
  item_id: string;
  amount_cents: number;
  currency: string;
  status: AutoTopupStatus;
  message: string | null;
  created_at: string;
}

const monthOf = (iso: string): string => iso.slice(0, 7);
const nextMonth = (iso: string): string => {
  const d = new Date(`${iso.slice(0, 7)}-01T00:00:00.000Z`);
  d.setUTCMonth(d.getUTCMonth() + 1);
  return d.toISOString();
};
/** Top-ups that count against the cap and block another: money asked for, or taken. */
const CHARGING: readonly AutoTopupStatus[] = ['pending', 'processing', 'succeeded'];
const IN_FLIGHT: readonly AutoTopupStatus[] = ['pending', 'processing'];
/** A top-up still `pending` this long after it was made lost its payment request. */
const STUCK_MS = 2 * 60_000;
const isStuck = (t: { status: string; created_at: string }, now: string): boolean =>
  t.status === 'pending' && Date.parse(now) - Date.parse(t.created_at) > STUCK_MS;

async function readSettings(sql: Sql, accountId: string): Promise<SettingsRow | null> {
  const { rows } = await sql.query<SettingsRow>(
    'select enabled, threshold, item_id, monthly_cap_cents from auto_topup_settings where account_id = $1',
    [accountId],
  );
  return rows[0] ?? null;
}

async function spentThisMonth(sql: Sql, accountId: string, now: string): Promise<number> {
  const { rows } = await sql.query<{ cents: number }>(
    'select coalesce(sum(amount_cents), 0)::int as cents from auto_topups where account_id = $1 and month = $2 and status = any($3::text[])',
    [accountId, monthOf(now), [...CHARGING]],
  );
  return rows[0]?.cents ?? 0;
}

async function setStatus(
  sql: Sql,
  id: string,
  status: AutoTopupStatus,
  message: string | null,
  now: string,
): Promise<void> {
  await sql.query(
    'update auto_topups set status = $2, message = $3, updated_at = $4 where id = $1',
    [id, status, message, now],
  );
}

/**
 * Auto top-up (docs/architecture.md §7). The crossing is seen inside the ledger write that made
 * the available balance fall below the threshold, under the account's row lock, so concurrent
 * spends on several instances see it exactly once; the top-up row, its checkout and the cap
 * check are written in that same transaction. The payment is asked for after the commit: off
 * session at Stripe (credited by its webhook), or at once in the sandbox.
 */
export class AutoTopups {
  constructor(
    private readonly services: Services,
    private readonly catalog: Catalog,
    private readonly provider: PaymentProviderName | null,
    private readonly stripe: StripeGateway | null,
    private readonly fulfilment: Fulfilment,
    private readonly publicUrl: string,
    private readonly log: Logger,
  ) {}

  /** Watches every ledger write of this instance. */
  install(): void {
    this.services.ledger.setWriteHook('auto-topup', (ctx, before) => this.onWrite(ctx, before));
  }

  /** Top-ups being charged now (tests wait on them). */
  readonly charging = new Set<Promise<void>>();

  private async onWrite(
    ctx: WriteContext,
    before: Readonly<Record<string, number>>,
  ): Promise<(() => void) | undefined> {
    const was = before[KIND];
    const now = ctx.state().balances[KIND]?.available ?? 0;
    if (was === undefined || now >= was || !this.provider) return undefined;
    // Read without the lock: only a crossing writes (through ctx.tx), and on the unlocked write
    // path that makes the write run again under the lock, where this is asked again.
    const settings = await readSettings(ctx.read, ctx.accountId);
    if (!settings?.enabled || !(was >= settings.threshold && now < settings.threshold))
      return undefined;
    const id = await this.crossed(ctx, settings, this.provider);
    if (!id) return undefined;
    return () => {
      const p = this.charge(id).catch((error: unknown) =>
        this.log.error({ topupId: id, err: error }, 'auto top-up could not be charged'),
      );
      this.charging.add(p);
      void p.finally(() => this.charging.delete(p));
    };
  }

  /** One crossing: a top-up to charge (its id), or a row saying why none is made. */
  private async crossed(
    ctx: WriteContext,
    settings: SettingsRow,
    provider: PaymentProviderName,
  ): Promise<string | null> {
    const tx = ctx.tx;
    const { rows: inFlight } = await tx.query<{ id: string; status: string; created_at: string }>(
      'select id, status, created_at from auto_topups where account_id = $1 and status = any($2::text[]) order by created_at limit 1',
      [ctx.accountId, [...IN_FLIGHT]],
    );
    const stuck = inFlight[0];
    // One at a time; one whose payment was never asked for (the instance died after the commit)
    // is asked for again, under the same idempotency key, instead of a new one.
    if (stuck) return isStuck(stuck, ctx.now) ? stuck.id : null;
    const item = findItem(this.catalog, settings.item_id);
    const id = `atu_${randomBytes(16).toString('hex')}`;
    const crossedSeq = ctx.appended().at(-1)?.seq ?? 0;
    const record = (status: AutoTopupStatus, message: string | null, checkoutId: string | null) =>
      tx.query(
        'insert into auto_topups (id, account_id, checkout_id, item_id, amount_cents, currency, status, message, crossed_seq, month, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)',
        [
          id,
          ctx.accountId,
          checkoutId,
          settings.item_id,
          item?.priceCents ?? 0,
          item?.currency ?? 'usd',
          status,
          message,
          crossedSeq,
          monthOf(ctx.now),
          ctx.now,
        ],
      );
    if (!item || item.type !== 'pack') {
      await record('failed', `the pack ${settings.item_id} is no longer on sale`, null);
      return null;
    }
    const card = await customerStore.get(tx, ctx.accountId, provider);
    if (!card?.payment_method_ref) {
      await record(
        'failed',
        'no card is saved for auto top-up: buy a pack and keep the card for later payments',
        null,
      );
      return null;
    }
    const spent = await spentThisMonth(tx, ctx.accountId, ctx.now);
    if (spent + item.priceCents > settings.monthly_cap_cents) {
      await record(
        'capped',
        `this month's auto top-ups would pass the cap of ${(settings.monthly_cap_cents / 100).toFixed(2)} ${item.currency.toUpperCase()}`,
        null,
      );
      return null;
    }
    const checkoutId = `chk_${randomBytes(16).toString('hex')}`;
    await purchaseStore.insertCheckout(tx, this.checkoutRow(ctx, provider, checkoutId, item));
    await record('pending', null, checkoutId);
    return id;
  }

  private checkoutRow(
    ctx: WriteContext,
    provider: PaymentProviderName,
    id: string,
    item: CatalogPack,
  ): CheckoutRow {
    return {
      id,
      account_id: ctx.accountId,
      operation_id: null,
      provider,
      provider_session_id: provider === 'sandbox' ? id : null,
      item_id: item.itemId,
      item_type: 'pack',
      item: JSON.stringify(item),
      amount_cents: item.priceCents,
      currency: item.currency,
      status: 'processing',
      status_reason: 'auto top-up',
      url: null,
      payment_ref: null,
      subscription_ref: null,
      purchase_id: null,
      created_at: ctx.now,
      updated_at: ctx.now,
      expires_at: ctx.now,
    };
  }

  /** Asks for the payment of a pending top-up (after the write that made it has committed). */
  async charge(topupId: string): Promise<void> {
    const db = this.services.db;
    const { rows } = await db.query<TopupRow>('select * from auto_topups where id = $1', [topupId]);
    const topup = rows[0];
    if (!topup || topup.status !== 'pending' || !topup.checkout_id) return;
    const checkout = await purchaseStore.checkout(db, topup.checkout_id);
    if (!checkout) return;
    const card = await customerStore.get(db, topup.account_id, checkout.provider);
    const now = () => this.services.clock.now();
    if (!card?.payment_method_ref) {
      await setStatus(db, topupId, 'failed', 'no card is saved for auto top-up', now());
      return;
    }
    if (checkout.provider === 'sandbox') {
      if (card.payment_method_ref.startsWith(SANDBOX_AUTH_CARD)) {
        await this.needsAction(checkout, topupId, AUTH_MESSAGE);
        return;
      }
      await this.sandboxPay(checkout, topupId);
      return;
    }
    if (!this.stripe) return;
    const outcome = await chargeOffSession(this.stripe, {
      topupId,
      customer: card.customer_ref,
      paymentMethod: card.payment_method_ref,
      amountCents: checkout.amount_cents,
      currency: checkout.currency,
      description: `Easel auto top-up: ${checkout.item_id}`,
      metadata: {
        checkoutId: checkout.id,
        accountId: checkout.account_id,
        itemId: checkout.item_id,
        autoTopupId: topupId,
      },
    });
    if (outcome.paymentIntent)
      await db.query(
        'update purchase_checkouts set provider_session_id = coalesce(provider_session_id, $2), updated_at = $3 where id = $1',
        [checkout.id, outcome.paymentIntent, now()],
      );
    if (outcome.kind === 'processing')
      await db.query(
        "update auto_topups set status = 'processing', updated_at = $2 where id = $1 and status = 'pending'",
        [topupId, now()],
      );
    else if (outcome.kind === 'action-required')
      await this.needsAction(checkout, topupId, outcome.message);
    else await this.failed(checkout, topupId, outcome.message);
  }

  private async needsAction(checkout: CheckoutRow, topupId: string, message: string) {
    const now = this.services.clock.now();
    await setStatus(this.services.db, topupId, 'action-required', message, now);
    await purchaseStore.setStatus(
      this.services.db,
      checkout.id,
      'failed',
      ['processing'],
      now,
      message,
    );
    this.log.info({ topupId, accountId: checkout.account_id }, 'auto top-up needs the user');
  }

  private async failed(checkout: CheckoutRow, topupId: string, message: string) {
    const now = this.services.clock.now();
    await setStatus(this.services.db, topupId, 'failed', message, now);
    await purchaseStore.setStatus(
      this.services.db,
      checkout.id,
      'failed',
      ['processing'],
      now,
      message,
    );
  }

  /** The sandbox's top-up: its payment record, then the same fulfilment as a checkout's Pay. */
  private async sandboxPay(checkout: CheckoutRow, topupId: string): Promise<void> {
    const db = this.services.db;
    const hex = checkout.id.slice('chk_'.length);
    const paymentId = `sbx_pay_${hex}`;
    const purchaseId = `sandbox:${checkout.id}`;
    const now = this.services.clock.now();
    await db.query(
      'insert into sandbox_payments (payment_id, checkout_id, account_id, item_id, purchase_id, amount_cents, currency, paid_at) values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (payment_id) do nothing',
      [
        paymentId,
        checkout.id,
        checkout.account_id,
        checkout.item_id,
        purchaseId,
        checkout.amount_cents,
        checkout.currency,
        now,
      ],
    );
    await this.fulfilment.completeCheckout({
      checkout,
      sessionRef: checkout.id,
      paymentRef: paymentId,
      amountCents: checkout.amount_cents,
      currency: checkout.currency,
      subscriptionRef: null,
    });
    await receiptStore.sandbox(db, this.publicUrl, {
      purchaseId,
      accountId: checkout.account_id,
      now,
    });
    await setStatus(db, topupId, 'succeeded', null, this.services.clock.now());
  }

  /** Stripe's payment_intent.succeeded for a top-up: credit it, and keep the charge's receipt. */
  async paymentSucceeded(pi: StripePaymentIntent): Promise<string> {
    const topupId = pi.metadata.autoTopupId;
    const checkoutId = pi.metadata.checkoutId;
    if (!topupId || !checkoutId) return 'ignored:not-a-top-up';
    const db = this.services.db;
    const checkout = await purchaseStore.checkout(db, checkoutId);
    if (!checkout || checkout.provider !== 'stripe') return 'ignored:unknown-checkout';
    const outcome = await this.fulfilment.completeCheckout({
      checkout,
      sessionRef: pi.id,
      paymentRef: pi.id,
      amountCents: pi.amount_received ?? pi.amount,
      currency: pi.currency,
      subscriptionRef: null,
    });
    if (outcome.startsWith('credited') || outcome === 'already-credited') {
      await setStatus(db, topupId, 'succeeded', null, this.services.clock.now());
      const purchaseId = `stripe:${pi.id}`;
      if (this.stripe && !(await receiptStore.has(db, purchaseId))) {
        const url = await chargeReceiptUrl(this.stripe, pi.id);
        if (url)
          await receiptStore.record(db, {
            purchaseId,
            accountId: checkout.account_id,
            provider: 'stripe',
            url,
            pageKey: null,
            now: this.services.clock.now(),
          });
      }
    }
    return `auto-topup:${outcome}`;
  }

  /** Stripe's payment_intent.payment_failed for a top-up: the user is told why. */
  async paymentFailed(pi: StripePaymentIntent): Promise<string> {
    const topupId = pi.metadata.autoTopupId;
    const checkoutId = pi.metadata.checkoutId;
    if (!topupId || !checkoutId) return 'ignored:not-a-top-up';
    const checkout = await purchaseStore.checkout(this.services.db, checkoutId);
    if (!checkout) return 'ignored:unknown-checkout';
    if (pi.last_payment_error?.code === 'authentication_required') {
      await this.needsAction(checkout, topupId, AUTH_MESSAGE);
      return 'auto-topup:action-required';
    }
    await this.failed(checkout, topupId, pi.last_payment_error?.message ?? 'the payment failed');
    return 'auto-topup:failed';
  }

  /** The settings and what this month's top-ups took, read under the account lock. */
  async view(accountId: string): Promise<AutoTopupResponse> {
    const read = async () =>
      (
        await this.services.ledger.write(accountId, null, async (ctx) => ({
          status: 200,
          body: await this.viewIn(ctx.tx, accountId, ctx.now),
        }))
      ).body;
    const body = await read();
    const now = this.services.clock.now();
    const stuck = body.recent.find((t) => isStuck({ status: t.status, created_at: t.at }, now));
    if (!stuck) return body;
    await this.charge(stuck.topupId).catch((error: unknown) =>
      this.log.error({ topupId: stuck.topupId, err: error }, 'auto top-up could not be charged'),
    );
    return read();
  }

  /** Sets them under the account lock: a write racing the change sees the old or the new. */
  async set(accountId: string, req: SetAutoTopupRequest): Promise<AutoTopupResponse> {
    const item = findItem(this.catalog, req.itemId);
    if (!item || item.type !== 'pack')
      throw badRequest('unknown-pack', `auto top-up buys a credit pack: ${req.itemId} is not one`);
    if (req.monthlyCapCents < item.priceCents)
      throw badRequest(
        'cap-below-price',
        `the monthly cap must be at least the pack's price (${(item.priceCents / 100).toFixed(2)} ${item.currency.toUpperCase()})`,
      );
    const r = await this.services.ledger.write(accountId, null, async (ctx) => {
      await ctx.tx.query(
        `insert into auto_topup_settings (account_id, enabled, threshold, item_id, monthly_cap_cents, updated_at) values ($1, $2, $3, $4, $5, $6)
         on conflict (account_id) do update set enabled = $2, threshold = $3, item_id = $4, monthly_cap_cents = $5, updated_at = $6`,
        [accountId, req.enabled, req.threshold, req.itemId, req.monthlyCapCents, ctx.now],
      );
      return { status: 200, body: await this.viewIn(ctx.tx, accountId, ctx.now) };
    });
    return r.body;
  }

  private async viewIn(sql: Sql, accountId: string, now: string): Promise<AutoTopupResponse> {
    const settings = await readSettings(sql, accountId);
    const card = this.provider ? await customerStore.get(sql, accountId, this.provider) : null;
    const { rows } = await sql.query<TopupRow>(
      'select * from auto_topups where account_id = $1 order by created_at desc, crossed_seq desc limit 5',
      [accountId],
    );
    return {
      settings: settings
        ? {
            enabled: settings.enabled,
            threshold: settings.threshold,
            itemId: settings.item_id,
            monthlyCapCents: settings.monthly_cap_cents,
          }
        : null,
      paymentMethod: card?.payment_method_label ? { label: card.payment_method_label } : null,
      spentThisMonthCents: await spentThisMonth(sql, accountId, now),
      resetsAt: nextMonth(now),
      recent: rows.map((t): AutoTopupAttempt => ({
        topupId: t.id,
        itemId: t.item_id,
        amountCents: t.amount_cents,
        currency: t.currency,
        status: t.status,
        message: t.message,
        at: t.created_at,
      })),
    };
  }
}
