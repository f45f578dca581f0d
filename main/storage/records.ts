import type { z } from 'zod';
import { easelError } from '../core/errors';

/** A record that fails its schema is damage (or an edit), reported — never read as empty. */
export function parseRecord<S extends z.ZodType>(
  schema: S,
  value: unknown,
  key: string,
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw easelError(
      'device-state-unreadable',
      `Easel's device state record ${key} is not what it should be. Re-sync from the server to rebuild it.`,
      { key },
    );
  return parsed.data;
}
