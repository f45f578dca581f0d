import { z } from 'zod';
import { Id } from '../ledger/primitives';
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
  plan: z.string(),
  devices: z.array(DeviceResponse),
});
export type AccountResponse = z.infer<typeof AccountResponse>;
