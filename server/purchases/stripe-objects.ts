import { z } from 'zod';

/**
 * The fields Easel reads from Stripe objects, checked with zod: a signed event is authentic, but
 * its shape still depends on the API version, so nothing is trusted unchecked.
 */
export const StripeId = z.string().regex(/^[A-Za-z0-9_]{3,100}$/, 'not a Stripe id');

/** An id, or the expanded object carrying it. */
const Ref = z
  .union([StripeId, z.object({ id: StripeId })])
  .transform((v) => (typeof v === 'string' ? v : v.id));

const Metadata = z
  .record(z.string(), z.string())
  .nullish()
  .transform((m) => m ?? {});

export const StripeEventEnvelope = z.object({
  id: z.string().regex(/^evt_[A-Za-z0-9_]{1,100}$/, 'not a Stripe event id'),
  type: z.string().min(1).max(100),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});

export const StripeSession = z.object({
  id: StripeId,
  mode: z.enum(['payment', 'subscription', 'setup']),
  payment_status: z.enum(['paid', 'unpaid', 'no_payment_required']),
  amount_total: z.int().nullable(),
  currency: z.string().nullable(),
  client_reference_id: z.string().nullish(),
  metadata: Metadata,
  payment_intent: Ref.nullish(),
  subscription: Ref.nullish(),
  invoice: Ref.nullish(),
  created: z.int(),
  status: z.string().nullish(),
  url: z.string().nullish(),
  expires_at: z.int().optional(),
});
export type StripeSession = z.infer<typeof StripeSession>;

export const StripeInvoice = z.object({
  id: StripeId,
  amount_paid: z.int(),
  currency: z.string(),
  created: z.int(),
  billing_reason: z.string().nullish(),
  parent: z
    .object({
      subscription_details: z.object({ subscription: Ref, metadata: Metadata }).nullish(),
    })
    .nullish(),
  payments: z
    .object({
      data: z.array(
        z.object({
          status: z.string().optional(),
          payment: z.object({ payment_intent: Ref.optional() }),
        }),
      ),
    })
    .optional(),
});
export type StripeInvoice = z.infer<typeof StripeInvoice>;

export const StripeInvoicePayment = z.object({
  invoice: Ref,
  status: z.string(),
  payment: z.object({ payment_intent: Ref.optional() }),
});

export const StripeCharge = z.object({
  id: StripeId,
  amount: z.int(),
  amount_refunded: z.int(),
  refunded: z.boolean(),
  disputed: z.boolean().optional(),
  currency: z.string(),
  payment_intent: Ref.nullable(),
  created: z.int(),
});
export type StripeCharge = z.infer<typeof StripeCharge>;

export const StripeDispute = z.object({
  id: StripeId,
  amount: z.int(),
  currency: z.string(),
  charge: Ref,
  payment_intent: Ref.nullish(),
});

export const StripeSubscription = z.object({
  id: StripeId,
  status: z.string(),
  metadata: Metadata,
});

/** Parses one object; a failure names the field (an API version change, most likely). */
export function readStripe<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(
      `unexpected Stripe ${what}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`,
    );
  }
  return r.data;
}
