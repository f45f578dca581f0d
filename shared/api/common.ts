import { z } from 'zod';

/** Every error the server sends has this shape: a stable code and a sentence for people. */
export const ApiError = z.strictObject({
  error: z.strictObject({
    code: z.string(),
    message: z.string(),
    /** For 409 quote mismatches: the fresh quote to show the user. */
    details: z.unknown().optional(),
  }),
});
export type ApiError = z.infer<typeof ApiError>;

export const Email = z.string().trim().toLowerCase().email().max(254);
/** The password rule, one place: the server checks it and the sign-up form states it. */
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 200;
export const Password = z
  .string()
  .min(PASSWORD_MIN, `use at least ${PASSWORD_MIN} characters`)
  .max(PASSWORD_MAX);
/**
 * A client's operation id. It never contains ':', which marks the server's own ids
 * (`stripe:refund:…`, `job_…:capture`, `admin:…`), so a client can never claim one of them
 * (docs/architecture.md §2, idempotency).
 */
export const OperationId = z
  .string()
  .min(8)
  .max(128)
  .regex(
    /^[A-Za-z0-9._-]+$/,
    "operation ids use letters, digits and . _ - (':' is kept for the server's own ids)",
  );

/** True for an operation id in the server's namespace (see OperationId). */
export const isServerOperationId = (operationId: string): boolean => operationId.includes(':');
