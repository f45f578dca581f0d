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
export const Password = z.string().min(10, 'use at least 10 characters').max(200);
export const OperationId = z
  .string()
  .min(8)
  .max(128)
  .regex(/^[A-Za-z0-9._:-]+$/, 'operation ids use letters, digits and . _ : -');
