import { z } from 'zod';
import { Id, Timestamp } from '../ledger/primitives';
import { Email, Password } from './common';

export const SignUpRequest = z.strictObject({ email: Email, password: Password });
export const SignInRequest = z.strictObject({ email: Email, password: z.string().min(1).max(200) });
export const SessionResponse = z.strictObject({
  accountId: Id,
  email: z.string(),
  token: z.string(),
  expiresAt: z.string(),
});
export type SessionResponse = z.infer<typeof SessionResponse>;

export const RegisterDeviceRequest = z.strictObject({
  name: z.string().trim().min(1).max(80),
  /** The device's own Ed25519 public key (hex); it signs offline vouchers with the secret half. */
  publicKey: z.string().regex(/^[0-9a-f]{64}$/, 'a 32-byte Ed25519 public key in hex'),
});
/** A new signing key for a device whose key was lost or could not be read (docs/architecture.md §5). */
export const RotateDeviceKeyRequest = z.strictObject({
  publicKey: RegisterDeviceRequest.shape.publicKey,
});
export const DeviceResponse = z.strictObject({
  deviceId: Id,
  name: z.string(),
  publicKey: z.string(),
  createdAt: z.string(),
  lastMutationSeq: z.int(),
});
export type DeviceResponse = z.infer<typeof DeviceResponse>;

export const AccountResponse = z.strictObject({
  accountId: Id,
  email: z.string(),
  /** The catalog item id of the plan the account is on ('free' unless a subscription is active). */
  plan: z.string(),
  /**
   * When a paid plan next renews: a month after its latest paid month (docs/architecture.md §7).
   * Null on the free plan.
   */
  planRenewsAt: Timestamp.nullable(),
  devices: z.array(DeviceResponse),
});
export type AccountResponse = z.infer<typeof AccountResponse>;

/**
 * What a new account gets, as the server grants it (GET /v1/auth/offer, no sign-in), so sign-up
 * states it exactly instead of a hard-coded promise.
 */
export const SignUpOffer = z.strictObject({
  /** One-off welcome credits and the days they last; null when the server grants none. */
  welcome: z.strictObject({ credits: z.int().min(1), expiresInDays: z.int().min(1) }).nullable(),
  /** Free credits on each UTC day the account is used (the free plan); they end at midnight UTC. */
  dailyCredits: z.int().min(0),
  password: z.strictObject({ minLength: z.int().min(1), maxLength: z.int().min(1) }),
  /** The free plan's credits each UTC month and the days they last (absent from older servers). */
  monthly: z.strictObject({ credits: z.int().min(1), expiresInDays: z.int().min(1) }).optional(),
});
export type SignUpOffer = z.infer<typeof SignUpOffer>;
