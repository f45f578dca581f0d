import type { Catalog, CatalogResponse, PaymentProviderName } from '../../shared/api/purchases';
import { DAY } from '../clock';
import type { Services } from '../services';
import { defaultCatalogData, parseCatalog } from './catalog';
import { Checkouts } from './checkouts';
import type { PurchasesConfig } from './config';
import { Fulfilment } from './fulfilment';
import type { Logger } from '../../shared/log/logger';
import { PlanChanges } from './plan-changes';
import { SandboxProvider } from './sandbox';
import { StripeGateway } from './stripe-gateway';
import { StripeWebhook } from './stripe-webhook';
import { AutoTopups } from './auto-topup';
import { SandboxMoney } from './sandbox-money';
import { wireStripeMoney } from './money-wiring';

/** Purchases assembled for one server: catalog, provider, fulfilment, and their HTTP faces. */
export class Purchases {
  readonly catalog: Catalog;
  /** Who takes payments: Stripe when configured, else the sandbox (null: purchases are off). */
  readonly provider: PaymentProviderName | null;
  readonly publicUrl: string;
  readonly log: Logger;
  readonly fulfilment: Fulfilment;
  readonly stripe: StripeGateway | null;
  readonly stripeWebhook: StripeWebhook | null;
  /** Always present: its records are reconciled even after a switch to Stripe. */
  readonly sandbox: SandboxProvider;
  readonly checkouts: Checkouts;
  /** Auto top-up (§7): watches every ledger write of this instance. */
  readonly autoTopups: AutoTopups;
  /** The sandbox's receipts and saved cards (§7). */
  readonly sandboxMoney: SandboxMoney;
  /** Plan self-service (docs/architecture.md §7). */
  readonly plans: PlanChanges;

  constructor(
    readonly services: Services,
    readonly config: PurchasesConfig,
  ) {
    this.catalog = parseCatalog(config.catalog ?? defaultCatalogData);
    this.log = config.log ?? services.log.child({ component: 'purchases' });
    this.publicUrl = new URL(config.publicUrl).toString().replace(/\/+$/, '');
    // The sandbox gives credits away: on by itself only where nobody else can reach it (§7).
    const sandbox = config.sandbox ?? isLoopback(this.publicUrl);
    this.provider = config.stripe ? 'stripe' : sandbox ? 'sandbox' : null;
    this.fulfilment = new Fulfilment(services, this.log, this.catalog);
    this.stripe = config.stripe ? new StripeGateway(config.stripe) : null;
    this.plans = new PlanChanges(
      services,
      this.catalog,
      this.fulfilment,
      this.stripe,
      this.provider,
      this.publicUrl,
      this.log,
    );
    this.stripeWebhook = this.stripe
      ? new StripeWebhook(services, this.stripe, this.fulfilment, this.log, this.plans)
      : null;
    this.sandbox = new SandboxProvider(services, this.fulfilment);
    const base = this.publicUrl;
    this.checkouts = new Checkouts(
      services,
      this.catalog,
      this.provider,
      this.stripe,
      {
        success: (id) => `${base}/purchases/${id}/success`,
        cancel: (id) => `${base}/purchases/${id}/cancelled`,
        sandbox: (id, key) => `${base}/sandbox/checkout/${id}?key=${key}`,
      },
      config.checkoutTtlMs ?? DAY,
      this.log,
    );
    this.autoTopups = new AutoTopups(
      services,
      this.catalog,
      this.provider,
      this.stripe,
      this.fulfilment,
      this.publicUrl,
      this.log,
    );
    this.autoTopups.install();
    this.sandboxMoney = new SandboxMoney(services, this.sandbox, this.publicUrl);
    if (this.stripe && this.stripeWebhook)
      wireStripeMoney({
        services,
        gateway: this.stripe,
        webhook: this.stripeWebhook,
        checkouts: this.checkouts,
        autoTopups: this.autoTopups,
      });
    if (this.provider === 'sandbox' && !isLoopback(this.publicUrl))
      this.log.warn(
        { publicUrl: this.publicUrl },
        'the sandbox payment provider is on at a non-local address (EASEL_SANDBOX_PAYMENTS=on): any account can "buy" credits without paying. Configure Stripe or unset it',
      );
  }

  catalogResponse(): CatalogResponse {
    return { version: this.catalog.version, provider: this.provider, items: this.catalog.items };
  }
}

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || host.startsWith('127.');
}

export function createPurchases(services: Services, config: PurchasesConfig): Purchases {
  return new Purchases(services, config);
}
