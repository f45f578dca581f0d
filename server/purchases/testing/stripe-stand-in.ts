import { randomBytes } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the part of the Stripe API Easel calls, for tests: the real SDK is pointed
 * at it (host/port/protocol), so nothing reaches the internet. It keeps sessions, invoices and
 * charges in memory, and test helpers play the customer (pay, refund, dispute, renew, cancel),
 * returning the objects that go into the webhook events the tests sign.
 */
type Obj = Record<string, unknown>;

export interface StandInRequest {
  method: string;
  path: string;
  idempotencyKey: string | null;
  authorization: string | null;
  params: Obj;
}

export class StripeStandIn {
  readonly requests: StandInRequest[] = [];
  readonly sessions = new Map<string, Obj>();
  readonly invoices = new Map<string, Obj>();
  readonly invoicePayments = new Map<string, Obj>();
  readonly charges = new Map<string, Obj>();
  readonly subscriptions = new Map<string, Obj>();
  readonly customers = new Map<string, Obj>();
  readonly paymentIntents = new Map<string, Obj>();
  readonly paymentMethods = new Map<string, Obj>();
  private readonly idempotent = new Map<string, Obj>();
  private readonly server: Server;
  private seq = 0;
  port = 0;

  /** `now` gives Unix seconds (the tests' manual clock). */
  constructor(private readonly now: () => number) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        send(res, 500, { error: { type: 'api_error', message: String(error) } });
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve, reject) =>
      this.server.close((e) => (e ? reject(e) : resolve())),
    );
    this.server.closeAllConnections();
    await closed;
  }

  /** Listens again on the same port (after `stop`, to play an outage). */
  async restart(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
  }

  // ---- the customer's side ---------------------------------------------------------------

  /**
   * The customer pays a session: a payment intent and charge (and for a subscription, the
   * subscription and its first paid invoice). `async`: the payment method settles later.
   */
  pay(
    sessionId: string,
    opts: {
      async?: boolean;
      amountTotal?: number;
      currency?: string;
      card?: 'ok' | 'requiresAuth' | 'declines';
    } = {},
  ): Obj {
    const s = this.must(this.sessions, sessionId);
    if (opts.amountTotal !== undefined) s.amount_total = opts.amountTotal;
    if (opts.currency !== undefined) s.currency = opts.currency;
    s.status = 'complete';
    if (s.mode === 'subscription') {
      const sub = this.newSubscription(s);
      const invoice = this.newInvoice(sub, 'subscription_create', num(s.amount_total));
      s.subscription = sub.id;
      s.invoice = invoice.id;
      s.payment_status = 'paid';
    } else {
      const card = this.newCard(typeof s.customer === 'string' ? s.customer : null, opts.card);
      s.payment_intent = this.newPayment(num(s.amount_total), String(s.currency), {
        customer: s.customer ?? null,
        payment_method: card,
        metadata: s._payment_intent_metadata ?? {},
        setup_future_usage: s._setup_future_usage ?? null,
      });
      s.payment_status = opts.async ? 'unpaid' : 'paid';
      // invoice_creation: Checkout finalises a paid invoice for the one-off payment.
      if (
        asObj(s.invoice_creation).enabled === true ||
        asObj(s.invoice_creation).enabled === 'true'
      )
        s.invoice = this.oneOffInvoice(s).id;
    }
    return structuredClone(s);
  }

  /**
   * A card attached to a customer, as a checkout with setup_future_usage saves it. `requiresAuth`
   * plays a card whose bank asks for authentication on every payment (Stripe's
   * 4000002760003184); `declines` one that is declined (4000000000009995).
   */
  newCard(customer: string | null, kind: 'ok' | 'requiresAuth' | 'declines' = 'ok'): string {
    const pm: Obj = {
      id: this.id('pm'),
      object: 'payment_method',
      type: 'card',
      customer,
      card: {
        brand: 'visa',
        last4: kind === 'requiresAuth' ? '3184' : kind === 'declines' ? '9995' : '4242',
        exp_month: 12,
        exp_year: 2030,
      },
      created: this.now(),
      _kind: kind,
    };
    this.paymentMethods.set(String(pm.id), pm);
    return String(pm.id);
  }

  /** The payment_intent.* event object of an intent, as Stripe would send it. */
  paymentIntent(id: string): Obj {
    return structuredClone(this.must(this.paymentIntents, id));
  }

  /** An asynchronous payment settles (or fails). */
  settle(sessionId: string, succeeded: boolean): Obj {
    const s = this.must(this.sessions, sessionId);
    s.payment_status = succeeded ? 'paid' : 'unpaid';
    if (!succeeded) {
      const charge = this.chargeOf(String(s.payment_intent));
      if (charge) charge.status = 'failed';
    }
    return structuredClone(s);
  }

  /** The next month of a subscription is paid; returns the invoice. */
  renew(subscriptionId: string, amount?: number): Obj {
    const sub = this.must(this.subscriptions, subscriptionId);
    const item = asObj(asObj(asObj(sub.items).data)[0]);
    item.current_period_start = this.now();
    item.current_period_end = this.now() + 30 * 86_400;
    return structuredClone(this.newInvoice(sub, 'subscription_cycle', amount ?? num(sub.amount)));
  }

  cancel(subscriptionId: string): Obj {
    const sub = this.must(this.subscriptions, subscriptionId);
    sub.status = 'canceled';
    return structuredClone(sub);
  }

  /** Refunds a payment (all of it unless `amount`); returns the charge. */
  refund(paymentIntent: string, amount?: number): Obj {
    const charge = this.chargeOf(paymentIntent);
    if (!charge) throw new Error(`no charge for ${paymentIntent}`);
    const total = num(charge.amount);
    charge.amount_refunded = Math.min(total, num(charge.amount_refunded) + (amount ?? total));
    charge.refunded = charge.amount_refunded === total;
    return structuredClone(charge);
  }

  /** The cardholder disputes a payment; returns the dispute. */
  dispute(paymentIntent: string): Obj {
    const charge = this.chargeOf(paymentIntent);
    if (!charge) throw new Error(`no charge for ${paymentIntent}`);
    charge.disputed = true;
    return {
      id: this.id('dp'),
      object: 'dispute',
      amount: charge.amount,
      currency: charge.currency,
      charge: charge.id,
      payment_intent: paymentIntent,
      reason: 'fraudulent',
      status: 'needs_response',
      created: this.now(),
    };
  }

  /** A Stripe event as delivered to a webhook endpoint. */
  event(type: string, object: Obj, id = this.id('evt')): { id: string; payload: string } {
    const payload = JSON.stringify(
      {
        id,
        object: 'event',
        api_version: '2026-10-28.endive',
        created: this.now(),
        data: { object },
        livemode: false,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
        type,
      },
      null,
      2,
    );
    return { id, payload };
  }

  chargeOf(paymentIntent: string): Obj | undefined {
    return [...this.charges.values()].find((c) => c.payment_intent === paymentIntent);
  }

  // ---- the API ------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const body = await readBody(req);
    const params = req.method === 'GET' ? parseForm(url.searchParams.toString()) : parseForm(body);
    const idempotencyKey = header(req, 'idempotency-key');
    this.requests.push({
      method: req.method ?? '',
      path: url.pathname,
      idempotencyKey,
      authorization: header(req, 'authorization'),
      params,
    });
    const path = url.pathname;
    if (req.method === 'POST' && path === '/v1/checkout/sessions') {
      const key = idempotencyKey ?? '';
      const replay = key ? this.idempotent.get(key) : undefined;
      if (replay) return send(res, 200, publicView(replay));
      const session = this.createSession(params);
      if (key) this.idempotent.set(key, session);
      return send(res, 200, publicView(session));
    }
    if (req.method === 'POST' && path === '/v1/customers')
      return this.idempotently(res, idempotencyKey, () => [200, this.createCustomer(params)]);
    if (req.method === 'POST' && path === '/v1/payment_intents')
      return this.idempotently(res, idempotencyKey, () => this.createPaymentIntent(params));
    const subscription = /^\/v1\/subscriptions\/([A-Za-z0-9_]+)$/.exec(path);
    if (subscription) {
      const sub = this.subscriptions.get(subscription[1] ?? '');
      if (sub && req.method === 'GET') return send(res, 200, sub);
      if (sub && req.method === 'POST') {
        const key = idempotencyKey ?? '';
        const replay = key ? this.idempotent.get(key) : undefined;
        if (replay) return send(res, 200, replay);
        const updated = this.updateSubscription(sub, params);
        if (key) this.idempotent.set(key, updated);
        return send(res, 200, updated);
      }
    }
    if (req.method === 'POST' && path === '/v1/billing_portal/sessions') {
      const id = this.id('bps');
      return send(res, 200, {
        id,
        object: 'billing_portal.session',
        customer: params.customer,
        return_url: params.return_url ?? null,
        url: `https://billing.stripe.test/p/session/${id}`,
      });
    }
    if (req.method === 'GET') {
      const one = (map: Map<string, Obj>, re: RegExp) => {
        const m = re.exec(path);
        return m ? map.get(m[1] ?? '') : undefined;
      };
      const found =
        one(this.customers, /^\/v1\/customers\/([A-Za-z0-9_]+)$/) ??
        one(this.paymentIntents, /^\/v1\/payment_intents\/([A-Za-z0-9_]+)$/) ??
        one(this.paymentMethods, /^\/v1\/payment_methods\/([A-Za-z0-9_]+)$/) ??
        one(this.invoices, /^\/v1\/invoices\/([A-Za-z0-9_]+)$/);
      if (found) return send(res, 200, publicView(found));
      if (path === '/v1/payment_intents')
        return send(
          res,
          200,
          page(path, [...this.paymentIntents.values()].map(publicView), params),
        );
      const list = (map: Map<string, Obj>, filter: (o: Obj) => boolean = () => true) =>
        send(res, 200, page(path, [...map.values()].filter(filter).map(publicView), params));
      if (path === '/v1/checkout/sessions') return list(this.sessions);
      if (path === '/v1/invoices')
        return list(this.invoices, (i) => !params.status || i.status === params.status);
      if (path === '/v1/invoice_payments')
        return list(this.invoicePayments, (p) => !params.invoice || p.invoice === params.invoice);
      if (path === '/v1/charges') return list(this.charges);
      const charge = /^\/v1\/charges\/([A-Za-z0-9_]+)$/.exec(path);
      if (charge) {
        const found = this.charges.get(charge[1] ?? '');
        if (found) return send(res, 200, found);
      }
    }
    send(res, 404, {
      error: { type: 'invalid_request_error', message: `stand-in: no ${req.method} ${path}` },
    });
  }

  /** A replay with the same Idempotency-Key gets the first answer, status and all (as Stripe). */
  private idempotently(res: ServerResponse, key: string | null, make: () => [number, Obj]): void {
    const replay = key ? this.idempotent.get(key) : undefined;
    const [status, body] = replay ? [num(replay.status), asObj(replay.body)] : make();
    if (key && !replay) this.idempotent.set(key, { status, body });
    send(res, status, publicView(body));
  }

  private createCustomer(params: Obj): Obj {
    const customer: Obj = {
      id: this.id('cus'),
      object: 'customer',
      email: params.email ?? null,
      metadata: asObj(params.metadata),
      invoice_settings: { default_payment_method: null },
      created: this.now(),
      livemode: false,
    };
    this.customers.set(String(customer.id), customer);
    return customer;
  }

  /**
   * POST /v1/payment_intents with confirm=true and off_session=true, as an auto top-up sends it:
   * the saved card is charged, or the request fails with 402 and the card error Stripe gives
   * (authentication_required: the bank asks for authentication, which cannot happen off session).
   */
  private createPaymentIntent(params: Obj): [number, Obj] {
    const pmId = String(params.payment_method ?? '');
    const pm = this.paymentMethods.get(pmId);
    if (!pm)
      return [
        400,
        {
          error: {
            type: 'invalid_request_error',
            code: 'resource_missing',
            message: `No such PaymentMethod: '${pmId}'`,
            param: 'payment_method',
          },
        },
      ];
    if (pm.customer !== params.customer)
      return [
        400,
        {
          error: {
            type: 'invalid_request_error',
            message:
              'The provided PaymentMethod was previously used without being attached to a Customer or was detached from a Customer, and may not be used again.',
          },
        },
      ];
    const amount = num(params.amount);
    const currency = String(params.currency);
    const metadata = asObj(params.metadata);
    const kind = pm._kind;
    if (kind === 'requiresAuth' || kind === 'declines') {
      const code = kind === 'requiresAuth' ? 'authentication_required' : 'card_declined';
      const message =
        kind === 'requiresAuth'
          ? 'Your card was declined. This transaction requires authentication.'
          : 'Your card has insufficient funds.';
      const intent = this.newIntent(amount, currency, {
        customer: params.customer,
        payment_method: null,
        metadata,
        status: 'requires_payment_method',
        last_payment_error: {
          type: 'card_error',
          code,
          decline_code: kind === 'requiresAuth' ? 'authentication_required' : 'insufficient_funds',
          message,
          payment_method: publicView(pm),
        },
      });
      return [
        402,
        {
          error: {
            type: 'card_error',
            code,
            decline_code:
              kind === 'requiresAuth' ? 'authentication_required' : 'insufficient_funds',
            message,
            payment_intent: publicView(intent),
            payment_method: publicView(pm),
          },
        },
      ];
    }
    const id = this.newPayment(amount, currency, {
      customer: params.customer,
      payment_method: pmId,
      metadata,
      setup_future_usage: null,
    });
    return [200, this.must(this.paymentIntents, id)];
  }

  private createSession(params: Obj): Obj {
    const items = Object.values(asObj(params.line_items));
    let total = 0;
    let currency = '';
    for (const raw of items) {
      const item = asObj(raw);
      const price = asObj(item.price_data);
      total += Number(price.unit_amount) * Number(item.quantity ?? 1);
      currency = String(price.currency);
    }
    const id = `cs_test_${randomBytes(20).toString('hex')}`;
    const session: Obj = {
      id,
      object: 'checkout.session',
      mode: params.mode,
      amount_total: total,
      amount_subtotal: total,
      currency,
      client_reference_id: params.client_reference_id ?? null,
      metadata: asObj(params.metadata),
      payment_status: 'unpaid',
      status: 'open',
      url: `https://checkout.stripe.test/c/pay/${id}`,
      success_url: params.success_url,
      cancel_url: params.cancel_url,
      created: this.now(),
      expires_at: this.now() + 86_400,
      payment_intent: null,
      subscription: null,
      invoice: null,
      livemode: false,
      customer: params.customer ?? null,
      invoice_creation: params.invoice_creation
        ? {
            enabled: asObj(params.invoice_creation).enabled === 'true',
            invoice_data: asObj(params.invoice_creation).invoice_data ?? {},
          }
        : null,
      // What the SDK was asked to copy onto the payment intent or subscription.
      _payment_intent_metadata: asObj(asObj(params.payment_intent_data).metadata),
      _setup_future_usage: asObj(params.payment_intent_data).setup_future_usage ?? null,
      _subscription_metadata: asObj(asObj(params.subscription_data).metadata),
    };
    this.sessions.set(id, session);
    return session;
  }

  private newIntent(amount: number, currency: string, fields: Obj): Obj {
    const intent: Obj = {
      id: this.id('pi'),
      object: 'payment_intent',
      amount,
      amount_received: 0,
      currency,
      status: 'succeeded',
      latest_charge: null,
      off_session: null,
      created: this.now(),
      livemode: false,
      ...fields,
    };
    this.paymentIntents.set(String(intent.id), intent);
    return intent;
  }

  /** A hosted invoice for a paid one-off Checkout payment (invoice_creation). */
  private oneOffInvoice(s: Obj): Obj {
    const id = this.id('in');
    const invoice: Obj = {
      id,
      object: 'invoice',
      amount_due: s.amount_total,
      amount_paid: s.amount_total,
      amount_remaining: 0,
      currency: s.currency,
      customer: s.customer ?? null,
      billing_reason: 'manual',
      status: 'paid',
      created: this.now(),
      hosted_invoice_url: `https://invoice.stripe.test/i/${id}`,
      invoice_pdf: `https://pay.stripe.test/invoice/${id}/pdf`,
      parent: null,
      metadata: asObj(asObj(asObj(s.invoice_creation).invoice_data).metadata),
    };
    this.invoices.set(id, invoice);
    return invoice;
  }

  /**
   * `POST /v1/subscriptions/{id}`: a new price for its item (with `always_invoice`, a dearer one
   * is invoiced at once for the rest of the period, prorated by time), cancel at period end on
   * or off, metadata merged. `expand[]=latest_invoice` embeds the invoice.
   */
  private updateSubscription(sub: Obj, params: Obj): Obj {
    const item = asObj(asObj(asObj(sub.items).data)[0]);
    const wanted = asObj(asObj(asObj(params.items)[0]).price_data);
    if (params.metadata) sub.metadata = { ...asObj(sub.metadata), ...asObj(params.metadata) };
    if (wanted.unit_amount !== undefined) {
      const before = num(sub.amount);
      const after = num(wanted.unit_amount);
      if (String(asObj(asObj(params.items)[0]).id) !== String(item.id))
        throw new Error('stand-in: unknown subscription item');
      item.price = {
        id: this.id('price'),
        product: wanted.product,
        unit_amount: after,
        currency: wanted.currency,
        recurring: asObj(wanted.recurring),
      };
      sub.amount = after;
      if (params.proration_behavior === 'always_invoice' && after > before) {
        const startAt = num(item.current_period_start);
        const endAt = num(item.current_period_end);
        const left = Math.max(0, Math.min(1, (endAt - this.now()) / (endAt - startAt)));
        const invoice = this.newInvoice(
          sub,
          'subscription_update',
          Math.round((after - before) * left),
        );
        sub.latest_invoice = invoice.id;
      }
    }
    if (params.cancel_at_period_end !== undefined)
      sub.cancel_at_period_end = params.cancel_at_period_end === 'true';
    const out = structuredClone(sub);
    const expand = Object.values(asObj(params.expand));
    if (expand.includes('latest_invoice') && typeof sub.latest_invoice === 'string')
      out.latest_invoice = structuredClone(this.invoices.get(sub.latest_invoice) ?? null);
    return out;
  }

  private newPayment(amount: number, currency: string, fields: Obj = {}): string {
    const intent = String(
      this.newIntent(amount, currency, { ...fields, amount_received: amount }).id,
    );
    const charge: Obj = {
      id: this.id('ch'),
      object: 'charge',
      amount,
      amount_captured: amount,
      amount_refunded: 0,
      refunded: false,
      disputed: false,
      currency,
      payment_intent: intent,
      paid: true,
      status: 'succeeded',
      receipt_url: `https://pay.stripe.test/receipts/payment/${intent}`,
      created: this.now(),
    };
    this.charges.set(String(charge.id), charge);
    const pi = this.must(this.paymentIntents, intent);
    pi.latest_charge = charge.id;
    return intent;
  }

  private newSubscription(session: Obj): Obj {
    const start = this.now();
    const sub: Obj = {
      id: this.id('sub'),
      object: 'subscription',
      status: 'active',
      customer: this.id('cus'),
      metadata: asObj(session._subscription_metadata),
      amount: session.amount_total,
      currency: session.currency,
      created: start,
      cancel_at_period_end: false,
      items: {
        object: 'list',
        data: [
          {
            id: this.id('si'),
            object: 'subscription_item',
            price: {
              id: this.id('price'),
              product: this.id('prod'),
              unit_amount: session.amount_total,
              currency: session.currency,
              recurring: { interval: 'month' },
            },
            current_period_start: start,
            current_period_end: start + 30 * 86_400,
          },
        ],
      },
    };
    this.subscriptions.set(String(sub.id), sub);
    return sub;
  }

  private newInvoice(sub: Obj, reason: string, amount: number): Obj {
    const currency = String(sub.currency);
    const intent = this.newPayment(amount, currency);
    const invoice: Obj = {
      id: this.id('in'),
      object: 'invoice',
      amount_due: amount,
      amount_paid: amount,
      amount_remaining: 0,
      currency,
      billing_reason: reason,
      status: 'paid',
      created: this.now(),
      hosted_invoice_url: `https://invoice.stripe.test/i/${this.seq}`,
      parent: {
        type: 'subscription_details',
        quote_details: null,
        subscription_details: { subscription: sub.id, metadata: sub.metadata },
      },
    };
    this.invoices.set(String(invoice.id), invoice);
    const payment: Obj = {
      id: this.id('inpay'),
      object: 'invoice_payment',
      invoice: invoice.id,
      status: 'paid',
      amount_paid: amount,
      currency,
      created: this.now(),
      payment: { type: 'payment_intent', payment_intent: intent },
    };
    this.invoicePayments.set(String(payment.id), payment);
    return invoice;
  }

  private id(prefix: string): string {
    return `${prefix}_test${(++this.seq).toString().padStart(4, '0')}${randomBytes(6).toString('hex')}`;
  }

  private must(map: Map<string, Obj>, id: string): Obj {
    const o = map.get(id);
    if (!o) throw new Error(`stand-in: unknown ${id}`);
    return o;
  }
}

/** An object as the API returns it: the stand-in's own bookkeeping (`_…`) left out. */
function publicView(o: Obj): Obj {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith('_')));
}

/** A Stripe list page: newest first, `created[gte]`, `limit` and `starting_after` honoured. */
function page(url: string, all: Obj[], params: Obj) {
  const gte = Number(asObj(params.created).gte ?? 0);
  const sorted = all.filter((o) => num(o.created) >= gte).reverse();
  const after = typeof params.starting_after === 'string' ? params.starting_after : null;
  const start = after ? sorted.findIndex((o) => o.id === after) + 1 : 0;
  const limit = Number(params.limit ?? 10);
  const data = sorted.slice(start, start + limit);
  return { object: 'list', url, has_more: start + limit < sorted.length, data };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'request-id': `req_${randomBytes(6).toString('hex')}`,
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function header(req: IncomingMessage, name: string): string | null {
  const v = req.headers[name];
  return typeof v === 'string' ? v : null;
}

/** Parses Stripe's form encoding (`a[b][0][c]=v`) into nested objects. */
function parseForm(text: string): Obj {
  const out: Obj = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const parts = key.replace(/\]/g, '').split('[');
    let node = out;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) node[part] = value;
      else node = (node[part] ??= {}) as Obj;
    });
  }
  return out;
}

function asObj(v: unknown): Obj {
  return typeof v === 'object' && v !== null ? (v as Obj) : {};
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}
